"""The hub is the judge of a voucher settled twice (redeemed at two kiosks while they were
offline, or redeemed at one and cancelled at another). ``voucher_registry`` keeps, per serial,
the first settlement event the hub committed; a later one, in the same transaction that stores
it, becomes a ``conflicts`` row (the dashboard lists them) and a verdict: an event of the hub's
own (origin ``HUB``, gapless seq, scope ``network``) of type ``voucher.settlement_rejected``
that every kiosk pulls like any other. The kiosks settle the books from it
(kiosk/vouchers/conflicts.py); nothing the kiosks sent is ever changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

from sqlite_utils import Database

from kiosk import ids
from kiosk.store.registry import registry
from sync import protocol
from sync.hub.records import held_seq, insert_conflict, now_iso

SETTLEMENT_TYPES = ("voucher.redeemed", "voucher.cancelled")
VERDICT_TYPE = "voucher.settlement_rejected"


def judge_settlements(db: Database, *, after_hub_seq: int, skipping: Collection[int] = ()) -> int:
    """Judge the settlements stored after ``after_hub_seq``, in hub order: the first one for
    a serial goes into the registry, any later one is a conflict answered by a verdict event.
    ``skipping``: the hub_seq of events the hub refused (never judged). Runs inside the
    transaction that stored them; returns how many verdicts were written."""
    settlements = db.execute(
        _SETTLEMENTS + "WHERE hub_seq > ? AND type IN (?, ?) ORDER BY hub_seq",
        [after_hub_seq, *SETTLEMENT_TYPES],
    ).fetchall()
    return _judge(db, settlements, skipping)


def judge_unjudged_settlements(db: Database) -> int:
    """Judge, in hub order, the settlements the hub holds but never judged: neither in the
    registry nor the losing side of a verdict. Used by the migration that upgrades a hub from
    before the voucher registry (its settlements were stored without a judge); on any other hub
    there are none, so it writes nothing: a settlement is never judged twice."""
    settlements = db.execute(
        _SETTLEMENTS + "WHERE type IN (?, ?) "  # noqa: S608 (fixed SQL, values bound)
        "AND id NOT IN (SELECT event_id FROM voucher_registry) "
        "AND id NOT IN (SELECT json_extract(body, '$.payload.losing_event_id') FROM events "
        "WHERE type = ? AND origin = ?) ORDER BY hub_seq",
        [*SETTLEMENT_TYPES, VERDICT_TYPE, protocol.HUB_ORIGIN],
    ).fetchall()
    return _judge(db, settlements)


_SETTLEMENTS = (
    "SELECT hub_seq, id, origin, seq, type, "
    "json_extract(body, '$.payload.serial') AS serial, "
    "json_extract(body, '$.payload.amount') AS amount FROM events "
)


def _judge(db: Database, settlements: list, skipping: Collection[int] = ()) -> int:
    verdicts = 0
    for hub_seq, event_id, origin, seq, event_type, serial, amount in settlements:
        if hub_seq in skipping or not isinstance(serial, str) or not serial:
            continue  # not a settlement this hub can read: nothing to judge
        inserted = db.execute(
            "INSERT OR IGNORE INTO voucher_registry (serial, event_id, origin, type, hub_seq) "
            "VALUES (?, ?, ?, ?, ?)",
            [serial, event_id, origin, event_type, hub_seq],
        ).rowcount
        if inserted:
            continue
        winner = db.execute(
            "SELECT event_id, origin, type FROM voucher_registry WHERE serial = ?", [serial]
        ).fetchone()
        append_hub_event(
            db,
            VERDICT_TYPE,
            {
                "serial": serial,
                "amount": amount,
                "losing_event_id": event_id,
                "losing_origin": origin,
                "losing_type": event_type,
                "winning_event_id": winner[0],
                "winning_origin": winner[1],
                "winning_type": winner[2],
            },
        )
        insert_conflict(
            db,
            "voucher",
            origin,
            seq,
            f"voucher {serial} settled twice: {event_type} {origin}-{seq} rejected, "
            f"{winner[2]} at {winner[1]} came first",
            {
                "serial": serial,
                "type": event_type,
                "winning_origin": winner[1],
                "winning_type": winner[2],
            },
        )
        verdicts += 1
    return verdicts


def append_hub_event(db: Database, event_type: str, payload: dict[str, Any]) -> None:
    """One event of the hub's own, stored like a kiosk's (its declared scope is ``network``:
    every kiosk pulls it)."""
    declared = registry.get(event_type)
    origin = protocol.HUB_ORIGIN
    seq = held_seq(db, origin) + 1
    wire = {
        "id": ids.uuid7(),
        "origin": origin,
        "seq": seq,
        "type": event_type,
        "scope": declared.scope,
        "payload": payload,
        "created_at": now_iso(),
    }
    body = protocol.canonical_json(wire)
    db.execute(
        "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, received_at) "
        "VALUES (?, ?, ?, ?, ?, '', ?, ?, ?)",
        [
            wire["id"],
            origin,
            seq,
            event_type,
            declared.scope,
            body,
            hashlib.sha256(body.encode("utf-8")).hexdigest(),
            wire["created_at"],
        ],
    )
    db.execute("UPDATE kiosks SET acked_seq = ? WHERE origin = ?", [seq, origin])
