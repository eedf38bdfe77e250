"""Polls: a question, two to six answers, open and close dates, one vote per resident or per
apartment, a secret or public ballot, results hidden until the close if the admin says so.

A resident may change their vote until the close (the last vote counts); voting again for the
same answer is refused. With one vote per apartment, the apartment's vote is the household's:
anyone living there may change it.

Secret ballot, and its trade-off: a vote event carries the answer and a *voter key*, the
SHA-256 of a random per-poll salt and the voter (resident id, or apartment). The salt is a
``private`` event: it never leaves this kiosk, so the hub and the other kiosks see who took part
in no poll and how nobody voted, yet this kiosk recognises a voter changing their vote and counts
one vote each. The price: someone holding this kiosk's database (salt and residents together)
could recompute the keys and link votes to voters, as the kiosk itself must; and a kiosk restored
from the hub, which has no private events, cannot recognise earlier voters of a poll still open,
so such a poll refuses new votes rather than count someone twice. A public ballot records the
voter's id and apartment in clear.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.community import reads
from kiosk.community.errors import (
    PollClosed,
    PollNotFound,
    PollNotOpen,
    SameVoteAgain,
    TooFewOptions,
    UnknownOption,
)
from kiosk.community.notices import clean_text
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, PermissionDenied
from kiosk.residents import residents
from printing import queue as print_queue

QUESTION_MAX = 200
OPTION_MAX = 80
MAX_OPTIONS = 6
PER = {"resident": N_("One vote per resident"), "apartment": N_("One vote per apartment")}
BALLOTS = {"secret": N_("Secret ballot"), "public": N_("Public ballot: names are shown")}
OPEN_CHOICES = (0, 1, 7)  # opens in N days (big buttons)
LENGTH_CHOICES = (3, 7, 14, 30)  # open for N days


@dataclass(frozen=True)
class Poll:
    id: str
    reference: str
    question: str
    options: list[str]
    opens_on: str
    closes_on: str
    per: str
    ballot: str
    results_hidden: bool
    created_at: str
    state: str  # upcoming, open, closed
    counts: list[int]
    my_option: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def results_visible(self) -> bool:
        return self.state == "closed" or not self.results_hidden

    @classmethod
    def from_row(
        cls, row, *, today: str, counts: dict[int, int], my_option: int | None = None
    ) -> Poll:
        options = json.loads(row["options"])
        if today < row["opens_on"]:
            state = "upcoming"
        elif today > row["closes_on"]:
            state = "closed"
        else:
            state = "open"
        return cls(
            id=row["id"],
            reference=row["reference"],
            question=row["question"],
            options=options,
            opens_on=row["opens_on"],
            closes_on=row["closes_on"],
            per=row["per"],
            ballot=row["ballot"],
            results_hidden=bool(row["results_hidden"]),
            created_at=row["created_at"],
            state=state,
            counts=[counts.get(index, 0) for index in range(len(options))],
            my_option=my_option,
        )


def today(config: Config) -> date:
    return clock.now().astimezone(config.timezone).date()


def clean_options(texts: list[str | None]) -> list[str]:
    """Non-empty answers, each once (case ignored); at least two."""
    options: list[str] = []
    for text in texts:
        value = clean_text(text, maximum=OPTION_MAX, required=None).replace("\n", " ")
        if value and value.casefold() not in {option.casefold() for option in options}:
            options.append(value)
    if len(options) < 2:
        raise TooFewOptions()
    if len(options) > MAX_OPTIONS:
        raise InvalidInput(N_("A poll has at most %(max)d answers."), max=MAX_OPTIONS)
    return options


def dates_from_choices(
    config: Config, opens_in_days: str | int | None, length_days: str | int | None
) -> tuple[date, date]:
    try:
        start, length = int(opens_in_days or 0), int(length_days or 0)
    except (TypeError, ValueError):
        raise InvalidInput(N_("Choose when the poll opens and how long it stays open.")) from None
    if start not in OPEN_CHOICES or length not in LENGTH_CHOICES:
        raise InvalidInput(N_("Choose when the poll opens and how long it stays open."))
    first = today(config) + timedelta(days=start)
    return first, first + timedelta(days=length - 1)


def open_poll(
    db: Database,
    config: Config,
    *,
    creator_id: str,
    question: str | None,
    options: list[str | None],
    opens_on: date,
    closes_on: date,
    per: str = "resident",
    ballot: str = "secret",
    results_hidden: bool = False,
) -> Poll:
    """An admin opens a poll (its salt, for a secret ballot, is recorded privately with it)."""
    creator = residents.get(db, creator_id)
    residents.require_verified(creator)
    if not creator.is_admin:
        raise PermissionDenied()
    question = clean_text(question, maximum=QUESTION_MAX, required=N_("Write the question."))
    question = question.replace("\n", " ")
    options = clean_options(options)
    if per not in PER or ballot not in BALLOTS:
        raise InvalidInput(N_("Choose how people vote."))
    if opens_on < today(config):
        raise InvalidInput(N_("A poll cannot open in the past."))
    if closes_on < opens_on:
        raise InvalidInput(N_("A poll must close after it opens."))
    with store.write(db):
        event = store.record(
            db,
            "poll.opened",
            {
                "question": question,
                "options": options,
                "opens_on": opens_on.isoformat(),
                "closes_on": closes_on.isoformat(),
                "per": per,
                "ballot": ballot,
                "results_hidden": bool(results_hidden),
                "created_by": creator.id,
            },
        )
        if ballot == "secret":
            store.record(db, "poll.salted", {"poll_id": event.id, "salt": secrets.token_hex(16)})
    return get_poll(db, config, event.id)


def _voter_key(db: Database, row, voter: residents.Resident) -> str | None:
    """Who votes, as stored: in clear for a public ballot, a salted hash for a secret one."""
    key = voter.id if row["per"] == "resident" else f"apartment:{voter.apartment}"
    if row["ballot"] == "public":
        return key
    salt = reads.poll_salt(db, row["id"])
    if salt is None:
        return None
    return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()


def get_poll(
    db: Database, config: Config, poll_id: str, *, voter: residents.Resident | None = None
) -> Poll:
    row = reads.poll(db, poll_id or "")
    if row is None:
        raise PollNotFound()
    my_option = None
    if voter is not None:
        key = _voter_key(db, row, voter)
        mine = reads.vote(db, row["id"], key) if key else None
        my_option = mine["option"] if mine else None
    return Poll.from_row(
        row,
        today=today(config).isoformat(),
        counts=reads.vote_counts(db, row["id"]),
        my_option=my_option,
    )


def vote(
    db: Database, config: Config, poll_id: str, *, voter_id: str, option: str | int | None
) -> Poll:
    """Cast or change a vote. Refused before the opening, after the close, or for the same answer."""
    voter = residents.get(db, voter_id)
    residents.require_verified(voter)
    with store.write(db):
        poll = get_poll(db, config, poll_id)
        if poll.state == "upcoming":
            raise PollNotOpen(date=date.fromisoformat(poll.opens_on))
        if poll.state == "closed":
            raise PollClosed()
        try:
            choice = int(option)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise UnknownOption() from None
        if not 0 <= choice < len(poll.options):
            raise UnknownOption()
        row = reads.poll(db, poll.id)
        key = _voter_key(db, row, voter)
        if key is None:  # a secret poll whose salt was lost (restored from the hub)
            raise PollClosed()
        previous = reads.vote(db, poll.id, key)
        if previous is not None and previous["option"] == choice:
            raise SameVoteAgain()
        public = poll.ballot == "public"
        store.record(
            db,
            "poll.voted",
            {
                "poll_id": poll.id,
                "voter_key": key,
                "option": choice,
                **({"voter_id": voter.id, "apartment": voter.apartment} if public else {}),
            },
        )
    return get_poll(db, config, poll_id, voter=voter)


def all_polls(
    db: Database, config: Config, *, voter: residents.Resident | None = None
) -> list[Poll]:
    polls = [get_poll(db, config, row["id"], voter=voter) for row in reads.polls(db)]
    order = {"open": 0, "upcoming": 1, "closed": 2}
    return sorted(polls, key=lambda poll: order[poll.state])


def closing_soon(db: Database, config: Config) -> list[Poll]:
    """Open polls that close within ``[community] polls_closing_soon_days``, soonest first."""
    day = today(config)
    limit = (day + timedelta(days=config["community"]["polls_closing_soon_days"])).isoformat()
    return [
        get_poll(db, config, row["id"])
        for row in reads.open_polls(db, day.isoformat())
        if row["closes_on"] <= limit
    ]


def open_polls(db: Database, config: Config) -> list[Poll]:
    return [
        get_poll(db, config, row["id"]) for row in reads.open_polls(db, today(config).isoformat())
    ]


def public_votes(db: Database, poll: Poll) -> list:
    """Who voted what, for a public ballot whose results are visible; empty otherwise."""
    if poll.ballot != "public" or not poll.results_visible:
        return []
    return reads.public_votes(db, poll.id)


def results_payload(poll: Poll) -> dict:
    """The "poll_results" layout's payload (printing/layouts/poll_results.py): the one place
    that builds it."""
    return {
        "question": poll.question,
        "closes_on": poll.closes_on,
        "closed": poll.state == "closed",
        "results": [
            {"option": option, "votes": count}
            for option, count in zip(poll.options, poll.counts, strict=True)
        ],
        "per": poll.per,
    }


def queue_results_print(db: Database, config: Config, poll_id: str) -> int:
    """Print the results (refused while they are hidden until the close)."""

    poll = get_poll(db, config, poll_id)
    if not poll.results_visible:
        raise InvalidInput(
            N_("The results are hidden until the poll closes on %(date)s."),
            date=date.fromisoformat(poll.closes_on),
        )
    with store.write(db):
        return print_queue.enqueue(
            db, "poll_results", results_payload(poll), reference=f"poll-{poll.reference}"
        )
