"""The kiosks' own event types: a kiosk publishing its public key, a kiosk restored.

They belong to no feature: every kiosk emits them about itself (the event's origin), so any
kiosk of the network may. The public keys are read by vouchers (signatures) and community
(which building a kiosk is in).
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    NETWORK,
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
