"""Notices: the building's notice board (lost and found, a party, information) and official
notices from the admins (water cut on Tuesday, lift out of order).

Any verified resident posts; admins may mark a notice official. A notice shows from its start
date to its end date (building's dates) unless withdrawn. "Visible to neighbouring buildings"
makes it a ``network`` event, labelled with this kiosk's building, that sync carries to the other
kiosks (``notice.posted_network``); otherwise it stays in the building (``notice.posted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from kiosk import clock, i18n, store
from kiosk import text as text_rules
from kiosk.community import reads
from kiosk.community.errors import (
    NoticeAlreadyWithdrawn,
    NoticeNotFound,
    NoticeTooLong,
    NotYourNotice,
    RemoteNotice,
)
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, PermissionDenied
from kiosk.residents import residents
from kiosk.store import db as dbmod
from printing import queue as print_queue

CATEGORIES: dict[str, str] = {
    "information": N_("Information"),
    "lost_found": N_("Lost and found"),
    "party": N_("Party and get-together"),
    "works": N_("Works and outages"),
    "other": N_("Other"),
}
TITLE_MAX = 80
BODY_MAX = 600
START_CHOICES = (0, 1, 2, 7)  # days from today, offered as big buttons
LENGTH_CHOICES = (1, 3, 7, 14, 30)  # days shown, offered as big buttons


@dataclass(frozen=True)
class Notice:
    id: str
    reference: str
    building: str
    scope: str
    category: str
    official: bool
    title: str
    body: str
    starts_on: str
    ends_on: str
    author_id: str
    author_name: str
    author_apartment: str
    created_at: str
    withdrawn_at: str | None
    is_remote: bool

    @classmethod
    def from_row(cls, row, own_origin: str) -> Notice:
        values = {
            name: row[name]
            for name in cls.__dataclass_fields__
            if name not in ("official", "is_remote")
        }
        return cls(**values, official=bool(row["official"]), is_remote=row["origin"] != own_origin)


def today(config: Config) -> date:
    return clock.now().astimezone(config.timezone).date()


def clean_text(text: str | None, *, maximum: int, required: str | None) -> str:
    """Trimmed text, one space between words (line breaks kept in a body, blank lines dropped),
    no control characters (``kiosk.text.clean_text``)."""
    value = text_rules.clean_text(text, maximum=maximum, empty=required, lines=True)
    return "\n".join(line for line in value.splitlines() if line)


def building_label(db: Database, config: Config) -> str:
    """This kiosk's building as the network knows it (its published key), else the config's name."""
    origin = store.kiosk_id(db)
    row = dbmod.query_one(db, "SELECT building FROM kiosk_keys WHERE origin = ?", (origin,))
    return row["building"] if row is not None and row["building"] else config["building"]["name"]


def dates_from_choices(
    config: Config, start_in_days: str | int | None, length_days: str | int | None
) -> tuple[date, date]:
    """The big buttons' choices ("starts in 1 day", "for 7 days") as first and last day shown."""
    try:
        start = int(start_in_days or 0)
        length = int(length_days or 0)
    except (TypeError, ValueError):
        raise InvalidInput(N_("Choose when the notice starts and how long it stays.")) from None
    if start not in START_CHOICES or length not in LENGTH_CHOICES:
        raise InvalidInput(N_("Choose when the notice starts and how long it stays."))
    first = today(config) + timedelta(days=start)
    return first, first + timedelta(days=length - 1)


def post_notice(
    db: Database,
    config: Config,
    *,
    author_id: str,
    title: str | None,
    body: str | None,
    category: str | None,
    starts_on: date,
    ends_on: date,
    official: bool = False,
    network: bool = False,
) -> Notice:
    author = residents.get(db, author_id)
    residents.require_verified(author)
    if official and not author.is_admin:
        raise PermissionDenied()
    title = clean_text(title, maximum=TITLE_MAX, required=N_("Give the notice a title."))
    body = clean_text(body, maximum=BODY_MAX, required=None)
    if category not in CATEGORIES:
        raise InvalidInput(N_("Choose a category from the list."))
    if starts_on < today(config):
        raise InvalidInput(N_("A notice cannot start in the past."))
    if ends_on < starts_on:
        raise InvalidInput(N_("A notice must end after it starts."))
    if (ends_on - starts_on).days + 1 > config["community"]["notice_max_days"]:
        raise NoticeTooLong(days=config["community"]["notice_max_days"])
    with store.write(db):
        event = store.record(
            db,
            "notice.posted_network" if network else "notice.posted",
            {
                "title": title,
                "body": body,
                "category": category,
                "official": bool(official),
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "author_id": author.id,
                "author_name": author.name,
                "author_apartment": author.apartment,
                "building": building_label(db, config),
            },
        )
    return get_notice(db, event.id)


def get_notice(db: Database, notice_id: str) -> Notice:
    row = reads.notice(db, notice_id or "")
    if row is None:
        raise NoticeNotFound()
    return Notice.from_row(row, store.kiosk_id(db))


def withdraw_notice(db: Database, notice_id: str, *, actor_id: str) -> Notice:
    """The author or an admin takes a notice down (a new event; the notice stays in the log)."""
    actor = residents.get(db, actor_id)
    notice = get_notice(db, notice_id)
    if actor.id != notice.author_id and not actor.is_admin:
        raise NotYourNotice()
    if notice.withdrawn_at is not None:
        raise NoticeAlreadyWithdrawn()
    if notice.is_remote:
        raise RemoteNotice(building=notice.building)
    with store.write(db):
        store.record(
            db,
            "notice.withdrawn_network" if notice.scope == "network" else "notice.withdrawn",
            {"notice_id": notice.id, "by": actor.id},
        )
    return get_notice(db, notice_id)


def current_notices(db: Database, config: Config, limit: int = 50) -> list[Notice]:
    own = store.kiosk_id(db)
    return [
        Notice.from_row(row, own)
        for row in reads.current_notices(db, today(config).isoformat(), limit)
    ]


def notices_by(db: Database, author_id: str) -> list[Notice]:
    own = store.kiosk_id(db)
    return [Notice.from_row(row, own) for row in reads.notices_by(db, author_id)]


def queue_notice_print(db: Database, config: Config, notice_id: str) -> int:
    """Print a notice to pin on the paper board; returns the job id."""

    notice = get_notice(db, notice_id)
    gettext = i18n.gettext_for(config.language)
    with store.write(db):
        return print_queue.enqueue(
            db,
            "notice",
            {
                "title": notice.title,
                "body": notice.body,
                "official": notice.official,
                "category_label": gettext(CATEGORIES.get(notice.category, CATEGORIES["other"])),
                "starts_on": notice.starts_on,
                "ends_on": notice.ends_on,
                "author": None
                if notice.official
                else f"{notice.author_name}, {notice.author_apartment}",
                "building": notice.building,
            },
            reference=f"notice-{notice.reference}",
        )
