"""The event types of the building's community life: notices, alerts, polls.

Like every projector, these trust their event (the domain checked the rules) and never read the
clock or the config, so a replayed log gives the same rows.

Scopes: alerts, polls and votes are ``building`` (backed up at the hub, never shown to other
buildings); poll salts are ``private``; a notice is ``building`` or, when "visible to
neighbouring buildings", ``network`` (two event types sharing one projector, since a type has a
fixed scope). Either way only a kiosk of the author's building posts or withdraws it.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    MAYBE_TEXT,
    PRIVATE,
    About,
    Authority,
    Creates,
    building_or_network_type,
    event_type,
    registry,
)

AUTHOR = About("resident", "author_id")
NOTICE = About("notice", "notice_id")
POLL = About("poll", "poll_id")
NOTICE_FIELDS = {
    "building": str,
    "category": str,
    "title": str,
    "starts_on": str,
    "ends_on": str,
    "author_id": str,
    "author_name": str,
    "author_apartment": str,
}
NOTICE_OPTIONAL = {"official": bool, "body": str}

# --------------------------------------------------------------------------- notices and alerts


def _notice_posted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO notices (id, reference, origin, building, scope, category, official, title, body, "
        "starts_on, ends_on, author_id, author_name, author_apartment, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            event.origin,
            p["building"],
            registry.get(event.type).scope,  # building, or network (the ``_network`` type)
            p["category"],
            1 if p.get("official") else 0,
            p["title"],
            p.get("body", ""),
            p["starts_on"],
            p["ends_on"],
            p["author_id"],
            p["author_name"],
            p["author_apartment"],
            event.created_at,
        ],
    )


building_or_network_type(
    "notice.posted",
    authority=Authority.HOME_BUILDING,
    about=AUTHOR,
    fields=NOTICE_FIELDS,
    optional=NOTICE_OPTIONAL,
    tables=("notices",),
    creates=(Creates("notice"),),
)(_notice_posted)


def _notice_withdrawn(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE notices SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ? AND withdrawn_at IS NULL",
        [event.created_at, p.get("by"), p["notice_id"]],
    )


building_or_network_type(
    "notice.withdrawn",
    authority=Authority.HOME_BUILDING,
    about=NOTICE,
    fields={"notice_id": str},
    optional={"by": MAYBE_TEXT},
    tables=("notices",),
)(_notice_withdrawn)


@event_type(
    "alert.raised",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "raised_by"),
    creates=(Creates("alert"),),
    fields={"kind": str, "text": str, "raised_by": str},
    tables=("alerts",),
)
def _alert_raised(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO alerts (id, reference, kind, text, raised_by, raised_at) VALUES (?, ?, ?, ?, ?, ?)",
        [event.id, event.reference, p["kind"], p["text"], p["raised_by"], event.created_at],
    )


@event_type(
    "alert.resolved",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("alert", "alert_id"),
    fields={"alert_id": str, "resolved_by": str},
    optional={"resolution": str},
    tables=("alerts",),
)
def _alert_resolved(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE alerts SET resolved_by = ?, resolved_at = ?, resolution = ? WHERE id = ?",
        [p["resolved_by"], event.created_at, p.get("resolution", ""), p["alert_id"]],
    )


# --------------------------------------------------------------------------- polls


@event_type(
    "poll.opened",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "created_by"),
    creates=(Creates("poll"),),
    fields={
        "question": str,
        "options": list,
        "opens_on": str,
        "closes_on": str,
        "per": str,
        "ballot": str,
        "created_by": str,
    },
    optional={"results_hidden": bool},
    tables=("polls",),
)
def _poll_opened(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO polls (id, reference, question, options, opens_on, closes_on, per, ballot, "
        "results_hidden, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            p["question"],
            json.dumps(p["options"], ensure_ascii=False),
            p["opens_on"],
            p["closes_on"],
            p["per"],
            p["ballot"],
            1 if p.get("results_hidden") else 0,
            p["created_by"],
            event.created_at,
        ],
    )


@event_type(
    "poll.salted",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=POLL,
    fields={"poll_id": str, "salt": str},
    tables=("poll_salts",),
)
def _poll_salted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute("INSERT INTO poll_salts (poll_id, salt) VALUES (?, ?)", [p["poll_id"], p["salt"]])


@event_type(
    "poll.voted",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=POLL,
    fields={"poll_id": str, "voter_key": str, "option": int},
    optional={"voter_id": MAYBE_TEXT, "apartment": MAYBE_TEXT},
    tables=("poll_votes",),
)
def _poll_voted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO poll_votes (poll_id, voter_key, option, voter_id, apartment, voted_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (poll_id, voter_key) DO UPDATE SET "
        "option = excluded.option, voter_id = excluded.voter_id, apartment = excluded.apartment, "
        "voted_at = excluded.voted_at, changes = changes + 1",
        [
            p["poll_id"],
            p["voter_key"],
            p["option"],
            p.get("voter_id"),
            p.get("apartment"),
            event.created_at,
        ],
    )
