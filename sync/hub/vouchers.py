"""The hub is the judge of a voucher settled twice (redeemed at two kiosks while they were
offline, or redeemed at one and cancelled at another). ``voucher_registry`` keeps, per serial,
the first settlement event the hub committed; a later one, in the same transaction that stores
it, becomes a ``conflicts`` row (the dashboard lists them) and a verdict: an event of the hub's
own (origin ``HUB``, gapless seq, scope ``network``, sealed with the hub's key) of type ``voucher.settlement_rejected``
that every kiosk pulls like any other. The kiosks settle the books from it
(kiosk/vouchers/conflicts.py); nothing the kiosks sent is ever changed.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlite_utils import Database

from sync import protocol
from sync.hub.records import insert_conflict
from sync.hub.signing import append_hub_event

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
    return _judge(db, _read(settlements), skipping)


def judge_unjudged_settlements(db: Database) -> int:
    """Judge, in hub order, the settlements the hub holds but never judged: neither in the
    registry nor the losing side of a verdict. Used by the migration that upgrades a hub from
    before the voucher registry (its settlements were stored without a judge); on any other hub
    there are none, so it writes nothing: a settlement is never judged twice."""
    losers = {
        _payload(row[0]).get("losing_event_id")
        for row in db.execute(
            "SELECT body FROM events WHERE type = ? AND origin = ?",
            [VERDICT_TYPE, protocol.HUB_ORIGIN],
        )
    }
    settlements = db.execute(
        _SETTLEMENTS + "WHERE type IN (?, ?) "  # noqa: S608 (fixed SQL, values bound)
        "AND id NOT IN (SELECT event_id FROM voucher_registry) ORDER BY hub_seq",
        [*SETTLEMENT_TYPES],
    ).fetchall()
    unjudged = [row for row in settlements if row[1] not in losers]
    return _judge(db, _read(unjudged), sealed=False)  # a migration: sealed at start-up


# The payload is read here, not by the store's JSON functions: the same SQL on both stores.
_SETTLEMENTS = "SELECT hub_seq, id, origin, seq, type, body FROM events "


def _payload(body: str) -> dict:
    try:
        payload = protocol.loads(body.encode("utf-8")).get("payload")
    except (ValueError, AttributeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _read(rows: list) -> list[tuple]:
    """(hub_seq, id, origin, seq, type, serial, amount) of each settlement row."""
    found = []
    for hub_seq, event_id, origin, seq, event_type, body in rows:
        payload = _payload(body)
        found.append(
            (
                hub_seq,
                event_id,
                origin,
                seq,
                event_type,
                payload.get("serial"),
                payload.get("amount"),
            )
        )
    return found


def _judge(
    db: Database, settlements: list, skipping: Collection[int] = (), *, sealed: bool = True
) -> int:
    verdicts = 0
    for hub_seq, event_id, origin, seq, event_type, serial, amount in settlements:
        if hub_seq in skipping or not isinstance(serial, str) or not serial:
            continue  # not a settlement this hub can read: nothing to judge
        inserted = db.execute(
            "INSERT INTO voucher_registry (serial, event_id, origin, type, hub_seq) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
            sealed=sealed,
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
