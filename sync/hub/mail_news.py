"""The hub's e-mails besides urgent alerts: the weekly digest and "a neighbour answered your post".

**The weekly digest.** From Monday 08:00 (the hub's clock, UTC) each resident whose contact
says ``digest`` (and did not stop the e-mails) gets the week's digest decided once: one
``mail_digests`` row per (resident, ISO week), written in the same transaction as its outbox
message (``alert_id`` ``digest:<week>``, unique per resident), so restarts and a moved clock
decide nothing again. It lists what the hub accepted in the resident's building since their
previous digest (the first one: the seven days before that Monday): offers and requests put
on the board (withdrawn ones, network posts of other buildings and the resident's own posts
left out), projects proposed, polls opened with their closing date. Nothing new: the week is
decided all the same, and no e-mail goes. ``queue_digests`` runs at each pass of the sender.

**An answer to one's post.** When the hub accepts a ``board.message_sent`` (an answer, see
kiosk/board/messages.py) whose post it holds in the same building and whose recipient is that
post's author, the author gets one message (unique per answer: its event id) if their contact
asked for it ("when a neighbour answers my post"; a contact from before that choice: if it
asked for any e-mail, urgent alerts or the digest): the post's title and the neighbour's first
words, never the neighbour's name or contact details. An answer refused by the authority check
(a kiosk of another building speaking for a resident it does not hold) queues nothing.

The facts of both are kept as JSON in the outbox's ``text``; ``compose_news`` words them in
the resident's language when the message is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from kiosk import clock, i18n
from kiosk.store import db as dbmod
from sync import protocol
from sync.hub.records import latest_hub_seq, now_iso

DIGEST_WEEKDAY_TIME = time(8, 0)  # Monday 08:00, hub clock (UTC)
FIRST_DIGEST_DAYS = 7  # a first digest covers the week before its Monday
MAX_ITEMS = 30  # per section of a digest
FIRST_WORDS = 120  # characters of an answer shown in its e-mail
POST_TYPES = ("board.post_published", "board.post_published_network")
WITHDRAW_TYPES = ("board.post_withdrawn", "board.post_withdrawn_network")
NEWS_TYPES = (*POST_TYPES, "project.proposed", "poll.opened")
NOT_SUPPRESSED = (
    "NOT EXISTS (SELECT 1 FROM mail_suppressed s "
    "WHERE s.resident_id = c.resident_id AND s.contact_event = c.event_id)"
)
# the resident's choice "when a neighbour answers my post"; without one (an older kiosk), as
# before: told if urgent alerts or the digest were chosen
TOLD_OF_ANSWERS = (
    "(CASE WHEN c.answers IS NULL THEN (c.urgent = 1 OR c.digest = 1) ELSE c.answers = 1 END)"
)
_QUEUE = (
    "INSERT INTO mail_outbox (alert_id, resident_id, building, email, language, "
    "contact_event, kind, text, next_try_at, queued_at, topic) "
    "SELECT ?, c.resident_id, c.building, c.email, c.language, c.event_id, ?, ?, ?, ?, ? "
    "FROM mail_contacts c WHERE c.resident_id = ? AND c.building = ? AND c.email <> '' AND "
)
_IGNORE = " ON CONFLICT DO NOTHING"  # already queued (both stores; SQLite needs the WHERE)


def _payload(body: str) -> dict[str, Any]:
    return protocol.loads(body.encode("utf-8"))["payload"]


def _accepted(type_list: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(type_list))
    return f"type IN ({marks}) AND hub_seq NOT IN (SELECT hub_seq FROM hub_refused)"  # noqa: S608


# --------------------------------------------------------------------------- answers


def queue_answer(db: Database, event: Mapping[str, Any], building: str) -> int:
    """Inside a batch's write: one message to the post's author for an accepted answer."""
    p = event["payload"]
    post = db.execute(
        f"SELECT body FROM events WHERE id = ? AND building = ? AND {_accepted(POST_TYPES)}",  # noqa: S608
        [p["post_id"], building, *POST_TYPES],
    ).fetchone()
    if post is None:
        return 0
    post_payload = _payload(post[0])
    if post_payload["poster_id"] != p["recipient_id"] or p["sender_id"] == p["recipient_id"]:
        return 0
    facts = {"title": one_line(post_payload["title"]), "words": first_words(p["body"])}
    now = now_iso()
    return db.execute(
        _QUEUE + TOLD_OF_ANSWERS + " AND " + NOT_SUPPRESSED + _IGNORE,
        [event["id"], "answer", json.dumps(facts), now, now, "answer", p["recipient_id"], building],
    ).rowcount


def one_line(text: str, limit: int = 80) -> str:
    """A title as a subject line: whatever a kiosk sent, no line break (a header split on one
    would fail the message, or add headers) and at most ``limit`` characters."""
    return " ".join(text.split())[:limit]


def first_words(text: str) -> str:
    """The start of an answer, cut at a word, on one line."""
    words = one_line(text, limit=len(text))
    if len(words) <= FIRST_WORDS:
        return words
    return words[:FIRST_WORDS].rsplit(" ", 1)[0] + " …"


# --------------------------------------------------------------------------- the digest


def digest_week(now: datetime) -> tuple[str, datetime]:
    """The ISO week of ``now`` and the moment its digest is due (its Monday 08:00 UTC)."""
    year, week, weekday = now.isocalendar()
    monday = now.date() - timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", datetime.combine(monday, DIGEST_WEEKDAY_TIME, UTC)


def queue_digests(db: Database) -> int:
    """Decide this week's digest of every resident who asked and has none yet, once its
    moment has come; queue the ones with something new. How many were queued."""
    now = clock.now()
    week, due = digest_week(now)
    if now < due:
        return 0
    waiting = (
        "SELECT c.resident_id, c.building FROM mail_contacts c WHERE c.digest = 1 "  # noqa: S608
        "AND c.email <> '' AND " + NOT_SUPPRESSED + " AND NOT EXISTS (SELECT 1 FROM "
        "mail_digests d WHERE d.resident_id = c.resident_id AND d.week = ?) "
        # a first digest waits for the first Monday after the resident asked for it
        "AND (EXISTS (SELECT 1 FROM mail_digests d WHERE d.resident_id = c.resident_id) "
        "OR (SELECT received_at FROM events e WHERE e.id = c.event_id) < ?)"
    )
    params = [week, due.isoformat().replace("+00:00", "Z")]
    if not db.execute(waiting + " LIMIT 1", params).fetchone():
        return 0
    queued = 0
    with dbmod.write(db):
        top = latest_hub_seq(db)
        first_since = None
        seen: dict[tuple, list] = {}
        for resident_id, building in db.execute(waiting, params).fetchall():
            since = dbmod.scalar(
                db, "SELECT MAX(up_to_seq) FROM mail_digests WHERE resident_id = ?", (resident_id,)
            )
            if since is None:  # a first digest: the week before its Monday
                if first_since is None:
                    first_since = _seq_before(db, due - timedelta(days=FIRST_DIGEST_DAYS))
                since = first_since
            news = building_news(db, building, since, top, resident_id, seen)
            count = sum(len(items) for items in news.values())
            db.execute(
                "INSERT INTO mail_digests (resident_id, week, up_to_seq, items, decided_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [resident_id, week, top, count, now_iso()],
            )
            if count:
                queued += db.execute(
                    _QUEUE + "c.digest = 1 AND " + NOT_SUPPRESSED + _IGNORE,
                    [
                        f"digest:{week}",
                        "digest",
                        json.dumps(news),
                        now_iso(),
                        now_iso(),
                        "digest",
                        resident_id,
                        building,
                    ],
                ).rowcount
    return queued


def _seq_before(db: Database, moment: datetime) -> int:
    """The last hub_seq received before ``moment`` (0: none); received_at grows with hub_seq
    (one hub, one clock), so a binary search on the primary key, not a scan of the log."""
    stamp = moment.isoformat().replace("+00:00", "Z")
    low, high = 0, latest_hub_seq(db)
    while low < high:
        middle = (low + high + 1) // 2
        row = db.execute(
            "SELECT received_at FROM events WHERE hub_seq >= ? ORDER BY hub_seq LIMIT 1", [middle]
        ).fetchone()
        if row is not None and row[0] < stamp:
            low = middle
        else:
            high = middle - 1
    return low


def building_news(
    db: Database,
    building: str,
    after_seq: int,
    up_to_seq: int,
    resident_id: str,
    seen: dict[tuple, list] | None = None,
) -> dict[str, list]:
    """What the hub accepted in ``building`` between the two seqs that a digest lists (the
    events read once per building and range in a pass: ``seen``)."""
    key = (building, after_seq, up_to_seq)
    if seen is None or key not in seen:
        items = _news_items(db, *key)
        if seen is not None:
            seen[key] = items
    else:
        items = seen[key]
    news: dict[str, list] = {"offers": [], "requests": [], "projects": [], "polls": []}
    for section, poster_id, item in items:
        if poster_id != resident_id and len(news[section]) < MAX_ITEMS:
            news[section].append(item)
    return news


def _news_items(db: Database, building: str, after_seq: int, up_to_seq: int) -> list[tuple]:
    """(section, poster, item) of each news event in the range, withdrawn posts left out."""
    withdrawn = {
        _payload(body)["post_id"]
        for (body,) in db.execute(
            "SELECT body FROM events WHERE building = ? AND hub_seq > ? AND "  # noqa: S608
            + _accepted(WITHDRAW_TYPES),
            [building, after_seq, *WITHDRAW_TYPES],
        )
    }
    items: list[tuple] = []
    for event_id, kind, body in db.execute(
        "SELECT id, type, body FROM events WHERE building = ? AND hub_seq > ? AND hub_seq <= ? "  # noqa: S608
        "AND " + _accepted(NEWS_TYPES) + " ORDER BY hub_seq",
        [building, after_seq, up_to_seq, *NEWS_TYPES],
    ):
        p = _payload(body)
        if kind == "project.proposed":
            items.append(("projects", None, one_line(p["title"])))
        elif kind == "poll.opened":
            items.append(("polls", None, [one_line(p["question"], 200), p["closes_on"]]))
        elif event_id not in withdrawn:
            section = "offers" if p["direction"] == "offer" else "requests"
            items.append((section, p["poster_id"], one_line(p["title"])))
    return items


# --------------------------------------------------------------------------- words


def _date(value: str, language: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return day.strftime("%d/%m/%Y" if language == "fr" else "%Y-%m-%d")


def compose_news(
    row: Mapping[str, Any], gettext: Callable[[str], str], language: str
) -> tuple[str, list[str]]:
    """The subject and paragraphs of a digest or an answer's message (the stop line apart)."""
    facts = json.loads(row["text"])
    if row["topic"] == "answer":
        subject = i18n.fill(
            gettext("A neighbour answered your post “%(title)s”"),
            {"title": facts["title"]},
            language,
        )
        said = (
            i18n.fill(gettext("Their message begins: “%(words)s”"), facts, language)
            if facts["words"]
            else gettext("They are interested and left no message.")
        )
        return subject, [said, gettext("Read it and answer on the building's kiosk.")]
    subject = gettext("What is new in your building this week")
    paragraphs = []
    sections = (
        ("offers", gettext("New offers on the board:")),
        ("requests", gettext("New requests on the board:")),
        ("projects", gettext("Projects proposed:")),
    )
    for key, title in sections:
        if facts[key]:
            paragraphs.append("\n".join([title, *(f"- {item}" for item in facts[key])]))
    if facts["polls"]:
        lines = [
            "- "
            + i18n.fill(
                gettext("%(question)s (closes on %(date)s)"),
                {"question": question, "date": _date(closes_on, language)},
                language,
            )
            for question, closes_on in facts["polls"]
        ]
        paragraphs.append("\n".join([gettext("Polls opened:"), *lines]))
    paragraphs.append(gettext("See them and take part on the building's kiosk."))
    return subject, paragraphs
