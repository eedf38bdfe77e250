"""The kiosks' own event types: a kiosk publishing its public key, a kiosk restored, and the
hub's word that a revoked kiosk's events no longer count.

They belong to no feature: every kiosk emits the first two about itself (the event's origin),
so any kiosk of the network may. The public keys are read by vouchers (signatures) and
community (which building a kiosk is in). ``kiosk.events_refused`` comes from the hub only: the
sync client then moves those events aside and rebuilds the projections without them
(kiosk/store/refused.py).
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


@event_type(
    "kiosk.key_published",
    scope=NETWORK,
    authority=Authority.ANY_KIOSK,
    fields={"public_key": str, "building": str},
    tables=("kiosk_keys",),
)
def _kiosk_key_published(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO kiosk_keys (origin, public_key, building, published_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET public_key = excluded.public_key, "
        "building = excluded.building, published_at = excluded.published_at",
        [event.origin, p["public_key"], p["building"], event.created_at],
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
