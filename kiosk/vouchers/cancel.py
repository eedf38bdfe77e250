"""Taking vouchers out of circulation (lost, never printed, a batch, expired) and printing
again a voucher that never came out of the printer."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, KioskError, PermissionDenied
from kiosk.ledger.transfers import CIRCULATION_ACCOUNT, COMMON_FUND_ACCOUNT, record_transfer
from kiosk.residents.residents import get as get_resident
from kiosk.vouchers.errors import ForeignVoucher, NotExpired, NoVoucherChosen, VoucherNotCancellable
from kiosk.vouchers.vouchers import (
    NOT_PRINTED_STATES,
    Voucher,
    _settlement_error,
    get_voucher,
    print_state,
    today,
)
from printing import queue as print_queue


def cancel_vouchers(
    db: Database,
    config: Config,
    serials: list[str],
    *,
    by_id: str,
    reason: str,
    refund_to: str = "issuer",
) -> list[Voucher]:
    """Take vouchers out of circulation and give their value back, all or none.

    ``reason``: "lost" (the issuer reported it to an admin), "batch" (an admin's decision),
    "not_printed" (the issuer, while its print job is not done), "expired" (the association's
    decision, ``refund_to`` "issuer" or "common_fund"). Only an admin may cancel for another
    resident. A queued print job of a cancelled voucher is cancelled with it.
    """

    if reason not in ("lost", "batch", "not_printed", "expired"):
        raise InvalidInput(N_("Unknown reason."))
    if refund_to not in ("issuer", "common_fund"):
        raise InvalidInput(N_("Choose who gets the value back."))
    if not serials:
        raise NoVoucherChosen()
    try:
        with store.write(db):
            actor = get_resident(db, by_id)
            for serial in dict.fromkeys(serials):
                voucher = get_voucher(db, serial)
                if not voucher.issued_here:
                    raise ForeignVoucher()
                error = _settlement_error(db, serial)
                if error is not None:
                    raise error
                if not actor.is_admin and (
                    reason != "not_printed" or voucher.issuer_resident_id != actor.id
                ):
                    raise PermissionDenied()
                jobs = print_queue.list_jobs(db, reference=serial)
                if reason == "not_printed" and print_state(db, serial) not in NOT_PRINTED_STATES:
                    raise VoucherNotCancellable()
                if reason == "expired" and not voucher.is_expired(today(config)):
                    raise NotExpired()
                account = (
                    COMMON_FUND_ACCOUNT
                    if refund_to == "common_fund"
                    else get_resident(db, voucher.issuer_resident_id).account_id
                )
                for job in jobs:
                    if job.state in ("queued", "failed", "uncertain"):
                        print_queue.cancel_job(db, job.id)
                transfer = record_transfer(
                    db,
                    config,
                    kind="voucher_refund",
                    debit_account=CIRCULATION_ACCOUNT,
                    credit_account=account,
                    amount=voucher.amount,
                    description=f"Voucher {serial} cancelled",
                    recorded_by=actor.id,
                )
                store.record(
                    db,
                    "voucher.cancelled",
                    {
                        "serial": serial,
                        "issuer_origin": voucher.issuer_origin,
                        "voucher_seq": int(serial.rsplit("-", 1)[1]),
                        "amount": voucher.amount,
                        "reason": reason,
                        "credit_account": account,
                        "decided_by": actor.id,
                        "cancelling_origin": store.kiosk_id(db),
                        "transfer_id": transfer.id,
                    },
                )
    except sqlite3.IntegrityError:
        for serial in serials:
            error = _settlement_error(db, serial)
            if error is not None:
                raise error from None
        raise
    return [get_voucher(db, serial) for serial in serials]


def reprint_voucher(db: Database, serial: str, *, by_id: str) -> str:
    """Print again a voucher that never came out of the printer; returns the new job state.

    A failed job is queued again; an interrupted one ("uncertain": it may be on paper) is
    reprinted as a marked COPY, harmless since a voucher is redeemed once.
    """

    voucher = get_voucher(db, serial)
    actor = get_resident(db, by_id)
    if voucher.issuer_resident_id != actor.id and not actor.is_admin:
        raise PermissionDenied()
    if not voucher.outstanding:
        raise _settlement_error(db, serial)
    jobs = [job for job in print_queue.list_jobs(db, reference=serial) if not job.is_copy]
    state = print_state(db, serial)
    if state == "done" or not jobs:
        raise KioskError(N_("This voucher has already been printed."))
    if state == "failed":
        print_queue.retry_failed_job(db, jobs[0].id)
    elif state == "uncertain":
        print_queue.reprint_as_copy(db, jobs[0].id)
    elif state == "cancelled":  # never printed: a new original
        with store.write(db):
            print_queue.enqueue(db, "voucher", jobs[0].payload, reference=serial)
    return "queued"
