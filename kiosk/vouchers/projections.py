"""The voucher event types (``network`` scope: every kiosk of the network learns them).

The ledger side of a voucher (issuer -> "vouchers in circulation" -> bearer) is recorded by the
domain as ordinary ``transfer.recorded`` events of this building, just before the voucher
event, whose payload names that transfer. A kiosk of another building receives the voucher
event but not the transfer: ``issue_transfer`` / ``transfer_id`` then stay NULL there.

Payloads are explicit so sync can reason about them without this kiosk's tables; each type's
fields are declared with it below. A redemption carries the voucher's own signed fields too
(``VOUCHER_FIELDS``), so a kiosk that never saw the issue learns the voucher.

A voucher settled twice (two kiosks offline, kiosk/voucher_conflicts.py) is history, not an
error: a settlement from another kiosk than the one already held goes to
``voucher_rival_settlements``; the hub's verdict (``voucher.settlement_rejected``, origin HUB)
puts the first settlement the hub committed into ``voucher_settlements`` and keeps the other
as a rival. Whatever order a kiosk applies them in, once it holds the same events it holds the
same rows. Two settlements from the same kiosk are still refused by the PRIMARY KEY (two
requests racing on one kiosk: the database decides, the second is rolled back).

The verdict comes from the hub; the compensation (policy "reverse" or "loss_fund") from the
kiosk holding the losing credit; the notice read is this building's.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    MAYBE_TEXT,
    NETWORK,
    About,
    Authority,
    NoneType,
    event_type,
)
from kiosk.vouchers import proofs

# Issues, redemptions and the compensations of a conflict may come from any kiosk of the network
# (a voucher travels); only the issuing kiosk cancels one; only the hub judges a conflict.
VOUCHER = About("voucher", "serial")
RESIDENT = About("resident", "resident_id")

_VOUCHER_FIELDS = (
    "serial",
    "issuer_origin",
    "voucher_seq",
    "amount",
    "issued_on",
    "expires_on",
    "building",
    "signature",
)


# The signed fields of a voucher, in every issue and redemption: its commitment (64 hex
# digits, kiosk/vouchers/codes.py), never its secret. An event of a version 1 voucher has no
# commitment; those recorded before secret codes also carry "qr", the old code, ignored here.
VOUCHER_FIELDS = {
    "serial": str,
    "issuer_origin": str,
    "voucher_seq": int,
    "amount": int,
    "issued_on": str,
    "expires_on": str,
    "building": str,
    "signature": str,
}
VOUCHER_OPTIONAL = {"commitment": str, "building_hash": str, "qr": str}


def _signed_values(p) -> list:
    return [*(p[name] for name in _VOUCHER_FIELDS), p.get("commitment")]


def _local_transfer(db: Database, transfer_id: str | None) -> str | None:
    """The transfer's id if this building's ledger holds it (else the voucher moved elsewhere)."""
    if not transfer_id:
        return None
    row = db.execute("SELECT id FROM transfers WHERE id = ?", [transfer_id]).fetchone()
    return None if row is None else row[0]


@event_type(
    "voucher.issued",
    scope=NETWORK,
    # Only the issuing kiosk announces its vouchers: no other kiosk can take a serial first.
    authority=Authority.NAMED_KIOSK,
    about=About("kiosk", "issuer_origin"),
    fields=VOUCHER_FIELDS,
    optional={**VOUCHER_OPTIONAL, "issuer_resident_id": MAYBE_TEXT, "transfer_id": MAYBE_TEXT},
    valid=proofs.well_formed,
    proof=proofs.issuer_signed,
    tables=("vouchers",),
)
def _voucher_issued(db: Database, event: Event) -> None:
    p = event.payload
    values = _signed_values(p)
    db.execute(
        "INSERT INTO vouchers (serial, issuer_origin, voucher_seq, amount, issued_on, expires_on, "
        "building, signature, commitment, issuer_resident_id, issue_transfer, issue_event, "
        "issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        # Met first at a redemption (sync order), the voucher row exists: complete it.
        "ON CONFLICT (serial) DO UPDATE SET issuer_resident_id = excluded.issuer_resident_id, "
        "issue_transfer = excluded.issue_transfer, issue_event = excluded.issue_event, "
        "issued_at = excluded.issued_at",
        [
            *values,
            p.get("issuer_resident_id"),
            _local_transfer(db, p.get("transfer_id")),
            event.id,
            event.created_at,
        ],
    )


_SETTLEMENT_COLUMNS = (
    "serial, outcome, reason, credit_account, resident_id, decided_by, "
    "honoured_expired, origin, transfer_id, event_id, settled_at"
)


def _settle(
    db: Database,
    event: Event,
    *,
    outcome: str,
    reason: str | None,
    resident_id: str | None,
    honoured: bool,
) -> None:
    p = event.payload
    values = [
        p["serial"],
        outcome,
        reason,
        p["credit_account"],
        resident_id,
        p.get("decided_by"),
        1 if honoured else 0,
        event.origin,
        _local_transfer(db, p.get("transfer_id")),
        event.id,
        event.created_at,
    ]
    held = db.execute(
        "SELECT event_id, origin FROM voucher_settlements WHERE serial = ?", [p["serial"]]
    ).fetchone()
    if held is None and _winner_over(db, event.id) is None:
        target = "voucher_settlements"
    elif held is not None and held[1] == event.origin:
        # The same kiosk settling twice: a plain INSERT, refused by the PRIMARY KEY.
        target = "voucher_settlements"
    elif held is not None and _winner_over(db, held[0]) == event.id:
        _set_aside(db, held[0])  # the hub already said the held one lost to this one
        target = "voucher_settlements"
    else:
        target = "voucher_rival_settlements"
    db.execute(
        f"INSERT INTO {target} ({_SETTLEMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        values,
    )


def _winner_over(db: Database, event_id: str) -> str | None:
    """The settlement the hub preferred to ``event_id`` (None: no verdict against it here)."""
    row = db.execute(
        "SELECT winning_event_id FROM voucher_conflicts WHERE losing_event_id = ?", [event_id]
    ).fetchone()
    return None if row is None else row[0]


def _set_aside(db: Database, event_id: str) -> None:
    """Move a settlement from voucher_settlements to the rivals (the hub said it lost)."""
    db.execute(
        f"INSERT INTO voucher_rival_settlements ({_SETTLEMENT_COLUMNS}) "  # noqa: S608
        f"SELECT {_SETTLEMENT_COLUMNS} FROM voucher_settlements WHERE event_id = ?",
        [event_id],
    )
    db.execute("DELETE FROM voucher_settlements WHERE event_id = ?", [event_id])


def _promote(db: Database, event_id: str) -> None:
    """Move a rival settlement into voucher_settlements (the hub said it won)."""
    db.execute(
        f"INSERT INTO voucher_settlements ({_SETTLEMENT_COLUMNS}) "  # noqa: S608
        f"SELECT {_SETTLEMENT_COLUMNS} FROM voucher_rival_settlements WHERE event_id = ?",
        [event_id],
    )
    db.execute("DELETE FROM voucher_rival_settlements WHERE event_id = ?", [event_id])


@event_type(
    "voucher.redeemed",
    scope=NETWORK,
    authority=Authority.ANY_KIOSK,
    about=VOUCHER,
    fields={**VOUCHER_FIELDS, "credit_account": str},
    optional={
        **VOUCHER_OPTIONAL,
        "opening": str,
        "redeeming_origin": str,
        "resident_id": MAYBE_TEXT,
        "honoured_expired": bool,
        "decided_by": MAYBE_TEXT,
        "transfer_id": MAYBE_TEXT,
    },
    valid=proofs.well_formed,
    proof=proofs.paper_read,
    tables=("vouchers", "voucher_settlements", "voucher_rival_settlements"),
)
def _voucher_redeemed(db: Database, event: Event) -> None:
    p = event.payload
    # A voucher of another kiosk may be met here for the first time: its signed fields are
    # in the payload.
    db.execute(
        "INSERT OR IGNORE INTO vouchers (serial, issuer_origin, voucher_seq, amount, issued_on, "
        "expires_on, building, signature, commitment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _signed_values(p),
    )
    _settle(
        db,
        event,
        outcome="redeemed",
        reason=None,
        resident_id=p.get("resident_id"),
        honoured=bool(p.get("honoured_expired")),
    )


@event_type(
    "voucher.cancelled",
    scope=NETWORK,
    authority=Authority.NAMED_KIOSK,
    about=About("kiosk", "issuer_origin"),
    fields={"serial": str, "credit_account": str, "reason": str},
    optional={
        "issuer_origin": str,
        "voucher_seq": int,
        "amount": int,
        "decided_by": MAYBE_TEXT,
        "cancelling_origin": str,
        "transfer_id": MAYBE_TEXT,
    },
    tables=("voucher_settlements", "voucher_rival_settlements"),
)
def _voucher_cancelled(db: Database, event: Event) -> None:
    p = event.payload
    _settle(db, event, outcome="cancelled", reason=p["reason"], resident_id=None, honoured=False)


@event_type(
    "voucher.settlement_rejected",
    scope=NETWORK,
    authority=Authority.HUB,
    about=VOUCHER,
    fields={"serial": str, "losing_event_id": str, "winning_event_id": str},
    optional={
        "amount": (int, NoneType),
        "losing_origin": MAYBE_TEXT,
        "losing_type": MAYBE_TEXT,
        "winning_origin": MAYBE_TEXT,
        "winning_type": MAYBE_TEXT,
    },
    tables=("voucher_conflicts", "voucher_settlements", "voucher_rival_settlements"),
)
def _settlement_rejected(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO voucher_conflicts (losing_event_id, serial, amount, losing_origin, losing_type, "
        "winning_event_id, winning_origin, winning_type, verdict_event, decided_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (losing_event_id) DO UPDATE SET amount = excluded.amount, "
        "losing_origin = excluded.losing_origin, losing_type = excluded.losing_type, "
        "winning_event_id = excluded.winning_event_id, winning_origin = excluded.winning_origin, "
        "winning_type = excluded.winning_type, verdict_event = excluded.verdict_event, "
        "decided_at = excluded.decided_at",
        [
            p["losing_event_id"],
            p["serial"],
            p.get("amount"),
            p.get("losing_origin"),
            p.get("losing_type"),
            p["winning_event_id"],
            p.get("winning_origin"),
            p.get("winning_type"),
            event.id,
            event.created_at,
        ],
    )
    held = db.execute(
        "SELECT event_id FROM voucher_settlements WHERE serial = ?", [p["serial"]]
    ).fetchone()
    if held is not None and held[0] == p["losing_event_id"]:
        winner = db.execute(
            "SELECT 1 FROM voucher_rival_settlements WHERE event_id = ?", [p["winning_event_id"]]
        ).fetchone()
        if winner is not None:
            _set_aside(db, held[0])
            _promote(db, p["winning_event_id"])


@event_type(
    "voucher.conflict_compensated",
    scope=NETWORK,
    authority=Authority.ANY_KIOSK,
    about=VOUCHER,
    fields={"serial": str, "losing_event_id": str, "policy": str},
    optional={"amount": (int, NoneType), "debited_account": MAYBE_TEXT, "transfer_id": MAYBE_TEXT},
    tables=("voucher_conflicts",),
)
def _conflict_compensated(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO voucher_conflicts (losing_event_id, serial, amount, policy, compensating_origin, "
        "compensation_event, compensation_transfer, debited_account, compensated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (losing_event_id) DO UPDATE SET policy = excluded.policy, "
        "compensating_origin = excluded.compensating_origin, "
        "compensation_event = excluded.compensation_event, "
        "compensation_transfer = excluded.compensation_transfer, "
        "debited_account = excluded.debited_account, compensated_at = excluded.compensated_at",
        [
            p["losing_event_id"],
            p["serial"],
            p.get("amount"),
            p["policy"],
            event.origin,
            event.id,
            _local_transfer(db, p.get("transfer_id")),
            p.get("debited_account"),
            event.created_at,
        ],
    )


@event_type(
    "voucher.conflict_notice_read",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"losing_event_id": str, "resident_id": str},
    tables=("voucher_conflict_notices_read",),
)
def _conflict_notice_read(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT OR IGNORE INTO voucher_conflict_notices_read (losing_event_id, resident_id, read_at) "
        "VALUES (?, ?, ?)",
        [p["losing_event_id"], p["resident_id"], event.created_at],
    )
