"""The kiosks' own event types: a kiosk publishing its public key, the hub introducing a
kiosk's key, a kiosk handing over to a new key, a kiosk restored, and the hub's word that a
revoked kiosk's events no longer count.

They belong to no feature: every kiosk emits its own about itself (the event's origin), so any
kiosk of the network may; the hub introduces keys and refuses a revoked kiosk's events.
``kiosk_keys`` holds each kiosk's current key and building (read by vouchers and community);
``kiosk_key_history`` every key with the seq from which it signs (read by the sync client,
which checks each pulled event's signature, and by vouchers, which honour any key of the
issuer). Who may add a key to the history, and from which seq, is checked before an event is
applied (``sync.event_signatures``); the projectors only keep what passed.
``kiosk.events_refused`` comes from the hub only: the sync client then moves those events aside
and rebuilds the projections without them (kiosk/store/refused.py).
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    NETWORK,
    About,
    Authority,
    EventType,
    PayloadCheck,
    event_type,
    registry,
)

KIOSK_RESTORED = "kiosk.restored"
KEY_INTRODUCED = "kiosk.key_introduced"
KEY_ROTATED = "kiosk.key_rotated"

_ADD_TO_HISTORY = (
    "INSERT OR IGNORE INTO kiosk_key_history (origin, public_key, from_seq, source, event_id) "
    "VALUES (?, ?, ?, ?, ?)"
)


@event_type(
    "kiosk.key_published",
    scope=NETWORK,
    authority=Authority.ANY_KIOSK,
    fields={"public_key": str, "building": str},
    tables=("kiosk_keys", "kiosk_key_history"),
)
def _kiosk_key_published(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO kiosk_keys (origin, public_key, building, published_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET public_key = excluded.public_key, "
        "building = excluded.building, published_at = excluded.published_at",
        [event.origin, p["public_key"], p["building"], event.created_at],
    )
    # A kiosk's own word for its key counts until the hub introduced one (a network from
    # before the key history, and this kiosk's own key before its enrolment).
    db.execute(
        "INSERT OR IGNORE INTO kiosk_key_history (origin, public_key, from_seq, source, event_id) "
        "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM kiosk_key_history WHERE origin = ? "
        "AND source <> 'published')",
        [event.origin, p["public_key"], 1, "published", event.id, event.origin],
    )


def _from_seq_above_zero(payload) -> bool:
    """from_seq is a seq: above 0"""
    return payload["from_seq"] > 0


@event_type(
    KEY_INTRODUCED,
    scope=NETWORK,
    authority=Authority.HUB,
    about=About("kiosk", "origin"),
    fields={"origin": str, "public_key": str, "from_seq": int, "building": str},
    optional={"reason": str},
    valid=_from_seq_above_zero,
    tables=("kiosk_key_history",),
)
def _kiosk_key_introduced(db: Database, event: Event) -> None:
    p = event.payload
    # The hub's word replaces a kiosk's own for the same key (wherever it was seen first).
    db.execute(
        "INSERT INTO kiosk_key_history (origin, public_key, from_seq, source, event_id) "
        "VALUES (?, ?, ?, 'hub', ?) ON CONFLICT (origin, public_key) DO UPDATE SET "
        "from_seq = excluded.from_seq, source = 'hub', event_id = excluded.event_id "
        "WHERE source = 'published'",
        [p["origin"], p["public_key"], p["from_seq"], event.id],
    )


@event_type(
    KEY_ROTATED,
    scope=NETWORK,
    authority=Authority.ANY_KIOSK,
    fields={"public_key": str, "from_seq": int, "certificate": str},
    valid=_from_seq_above_zero,
    tables=("kiosk_key_history", "kiosk_keys"),
)
def _kiosk_key_rotated(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        _ADD_TO_HISTORY, [event.origin, p["public_key"], p["from_seq"], "rotation", event.id]
    )
    db.execute(
        "UPDATE kiosk_keys SET public_key = ?, published_at = ? WHERE origin = ?",
        [p["public_key"], event.created_at, event.origin],
    )


# A restored kiosk's marker (sync/client.py): its numbering goes on from there. A backup for the
# hub like any building event; it changes no projection.
registry.declare(
    EventType(
        name=KIOSK_RESTORED,
        scope=BUILDING,
        authority=Authority.ANY_KIOSK,
        about=None,
        payload=PayloadCheck(
            fields={},
            optional={
                "hub_acked_seq": int,
                "events_restored": int,
                "from_backup": str,
                "numbering_jumped_from": int,
            },
        ),
        projector=None,
    )
)


@event_type(
    "kiosk.events_refused",
    scope=NETWORK,
    authority=Authority.HUB,
    about=About("kiosk", "origin"),
    fields={"origin": str, "after_seq": int, "up_to_seq": int, "reason": str},
    tables=("refused_origins",),
)
def _kiosk_events_refused(db: Database, event: Event) -> None:
    """A revoked kiosk: its events numbered after ``after_seq`` up to ``up_to_seq`` (what the
    hub held of it then) no longer count."""
    p = event.payload
    db.execute(
        "INSERT INTO refused_origins (origin, after_seq, up_to_seq, reason, event_id) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
        "after_seq = MIN(after_seq, excluded.after_seq), "
        "up_to_seq = MAX(up_to_seq, excluded.up_to_seq), reason = excluded.reason, "
        "event_id = excluded.event_id",
        [p["origin"], p["after_seq"], p["up_to_seq"], p["reason"], event.id],
    )
