"""Correcting a mistake: an admin reverses an exchange with a new transfer the other way that
points to the original (nothing is edited or deleted), through the one write path."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import N_, AlreadyReversed, NotFound, NotReversible
from kiosk.ledger.exchanges import clean_description
from kiosk.ledger.ledger import Transfer, get_transfer
from kiosk.ledger.receipts import queue_receipt
from kiosk.ledger.transfers import record_transfer
from kiosk.store import reads


def reverse_transfer(
    db: Database, config: Config, transfer_id: str, *, admin_id: str, reason: str
) -> Transfer:
    """An admin corrects a mistake: the same amount back, pointing to the original.

    The original payee keeps to the floor and the original payer to the ceiling; either may
    since have been suspended (a correction still reaches them), not moved out.
    """
    reason = clean_description(reason)
    with store.write(db):
        original = reads.transfer(db, transfer_id)
        if original is None:
            raise NotFound(N_("This transfer does not exist."))
        if original["kind"] != "exchange":
            # reversals, and voucher movements (settled by the voucher functions, which keep
            # the circulation account equal to the outstanding vouchers)
            raise NotReversible()
        if original["reversed_by_reference"]:
            raise AlreadyReversed()
        event = record_transfer(
            db,
            config,
            kind="reversal",
            debit_account=original["credit_account"],
            credit_account=original["debit_account"],
            amount=original["amount"],
            minutes=original["minutes"],
            description=reason,
            category=original["category"],
            reverses=transfer_id,
            recorded_by=admin_id,
        )
        queue_receipt(db, config, event.id)
    return get_transfer(db, event.id)
