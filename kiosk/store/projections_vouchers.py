"""Projectors of the voucher events (``network`` scope: every kiosk of the network learns them).

The ledger side of a voucher (issuer -> "vouchers in circulation" -> bearer) is recorded by the
domain as ordinary ``transfer.recorded`` events of this building, just before the voucher
event, whose payload names that transfer. A kiosk of another building receives the voucher
event but not the transfer: ``issue_transfer`` / ``transfer_id`` then stay NULL there.

Payloads are explicit so sync can reason about them without this kiosk's tables:

- ``voucher.issued``: serial, issuer_origin, voucher_seq, amount, issued_on, expires_on,
  building, issuer_resident_id, signature, qr, transfer_id.
- ``voucher.redeemed``: the voucher's own fields (as above, so a kiosk that never saw the
  issue learns the voucher), redeeming_origin, resident_id, credit_account, honoured_expired,
  decided_by, transfer_id.
- ``voucher.cancelled``: serial, issuer_origin, voucher_seq, amount, reason, credit_account,
  decided_by, cancelling_origin, transfer_id.
"""

from __future__ import annotations

from sqlite_utils import Database

from .events import Event, projector

_VOUCHER_FIELDS = (
    "serial", "issuer_origin", "voucher_seq", "amount", "issued_on", "expires_on", "building",
    "signature", "qr",
)


def _local_transfer(db: Database, transfer_id: str | None) -> str | None:
    """The transfer's id if this building's ledger holds it (else the voucher moved elsewhere)."""
    if not transfer_id:
        return None
    row = db.execute("SELECT id FROM transfers WHERE id = ?", [transfer_id]).fetchone()
    return None if row is None else row[0]


@projector("voucher.issued", "network")
def _voucher_issued(db: Database, event: Event) -> None:
    p = event.payload
    values = [p[name] for name in _VOUCHER_FIELDS]
    db.execute(
        "INSERT INTO vouchers (serial, issuer_origin, voucher_seq, amount, issued_on, expires_on, "
        "building, signature, qr, issuer_resident_id, issue_transfer, issue_event, issued_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        # Met first at a redemption (sync order), the voucher row exists: complete it.
        "ON CONFLICT (serial) DO UPDATE SET issuer_resident_id = excluded.issuer_resident_id, "
        "issue_transfer = excluded.issue_transfer, issue_event = excluded.issue_event, "
        "issued_at = excluded.issued_at",
        [*values, p.get("issuer_resident_id"), _local_transfer(db, p.get("transfer_id")),
         event.id, event.created_at],
    )


def _settle(db: Database, event: Event, *, outcome: str, reason: str | None, resident_id: str | None,
            honoured: bool) -> None:
    p = event.payload
    # A plain INSERT: a voucher already redeemed or cancelled makes this fail (PRIMARY KEY).
    db.execute(
        "INSERT INTO voucher_settlements (serial, outcome, reason, credit_account, resident_id, "
        "decided_by, honoured_expired, origin, transfer_id, event_id, settled_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [p["serial"], outcome, reason, p["credit_account"], resident_id, p.get("decided_by"),
         1 if honoured else 0, event.origin, _local_transfer(db, p.get("transfer_id")), event.id,
         event.created_at],
    )


@projector("voucher.redeemed", "network")
def _voucher_redeemed(db: Database, event: Event) -> None:
    p = event.payload
    # A voucher of another kiosk may be met here for the first time: its signed fields are
    # in the payload.
    db.execute(
        "INSERT OR IGNORE INTO vouchers (serial, issuer_origin, voucher_seq, amount, issued_on, "
        "expires_on, building, signature, qr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [p[name] for name in _VOUCHER_FIELDS],
    )
    _settle(db, event, outcome="redeemed", reason=None, resident_id=p.get("resident_id"),
            honoured=bool(p.get("honoured_expired")))


@projector("voucher.cancelled", "network")
def _voucher_cancelled(db: Database, event: Event) -> None:
    p = event.payload
    _settle(db, event, outcome="cancelled", reason=p["reason"], resident_id=None, honoured=False)
