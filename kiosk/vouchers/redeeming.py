"""Redeeming a printed voucher: reading its code (QR or short code), checking its signature
(by any key of the issuer's history), issuer key and building, whether it is still outstanding and not expired, then crediting the
bearer once, through the one write path of money (kiosk/ledger/transfers.py).

A voucher is settled at most once per kiosk: the ``voucher_settlements`` table's PRIMARY KEY
refuses a second settlement even if two requests pass the checks at the same moment.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import PermissionDenied
from kiosk.ledger.receipts import queue_receipt
from kiosk.ledger.transfers import CIRCULATION_ACCOUNT, record_transfer
from kiosk.residents.residents import get as get_resident
from kiosk.residents.residents import require_may_exchange
from kiosk.store import keys
from kiosk.vouchers import codes
from kiosk.vouchers import reads as vreads
from kiosk.vouchers.errors import (
    ExpiredVoucher,
    ForgedVoucher,
    MalformedVoucher,
    UnknownIssuerKey,
    UnknownVoucher,
)
from kiosk.vouchers.vouchers import Voucher, _code_fields, _settlement_error, get_voucher, today


@dataclass(frozen=True)
class CheckedVoucher:
    """A voucher whose signature is good, as read from its code: ready to be redeemed."""

    code: codes.VoucherCode
    building: str
    known: Voucher | None

    @property
    def serial(self) -> str:
        return self.code.serial

    @property
    def amount(self) -> int:
        return self.code.amount

    @property
    def expires_on(self) -> date:
        return self.code.expires_on

    @property
    def issuer_name(self) -> str | None:
        return self.known.issuer_name if self.known else None


def read_voucher(db: Database, text: str) -> CheckedVoucher:
    """A scanned QR code or a typed short code, checked: signature, issuer key, building.

    Raises MalformedVoucher, UnknownVoucher (short code of a voucher not known here),
    UnknownIssuerKey or ForgedVoucher. Status and expiry are checked by ``check_redeemable``.
    """
    text = "".join((text or "").split()).upper()
    if text.startswith(codes.PREFIX):
        try:
            code = codes.read_code(text)
        except codes.MalformedCode:
            raise MalformedVoucher() from None
    else:
        try:
            serial = codes.serial_of_short_code(text)
        except codes.MalformedCode:
            raise MalformedVoucher() from None
        row = vreads.voucher(db, serial)
        if row is None:
            raise UnknownVoucher()
        code = codes.read_code(row["qr"])
    # Any key the issuer ever had: a voucher printed before a restore or a key rotation
    # stays good.
    public_keys = keys.known_public_keys(db, code.issuer_origin)
    if not public_keys:
        raise UnknownIssuerKey(origin=code.issuer_origin)
    if not any(code.is_signed_by(public_key) for public_key in public_keys):
        raise ForgedVoucher()
    row = vreads.voucher(db, code.serial)
    # The building's name is signed as a hash: show the name only when it matches.
    candidates = [row["building"] if row else "", vreads.kiosk_building(db, code.issuer_origin)]
    building = next(
        (name for name in candidates if name and codes.building_hash(name) == code.building_hash),
        "",
    )
    return CheckedVoucher(code, building, Voucher.from_row(row) if row else None)


def check_redeemable(
    db: Database, config: Config, checked: CheckedVoucher, *, honour_expired: bool = False
) -> None:
    """Raises AlreadyRedeemed, CancelledVoucher or ExpiredVoucher; nothing else is changed."""
    error = _settlement_error(db, checked.serial)
    if error is not None:
        raise error
    if today(config) > checked.expires_on and not honour_expired:
        raise ExpiredVoucher(day=checked.expires_on)


def redeem_voucher(
    db: Database,
    config: Config,
    text: str,
    *,
    resident_id: str,
    honoured_by: str | None = None,
) -> Voucher:
    """Credit ``resident_id`` with the voucher read from ``text`` (QR or short code), once.

    ``honoured_by``: the admin who accepts an expired voucher. A receipt is queued.
    """
    checked = read_voucher(db, text)
    if honoured_by is not None and not get_resident(db, honoured_by).is_admin:
        raise PermissionDenied()
    code = checked.code
    try:
        with store.write(db):
            bearer = get_resident(db, resident_id)
            require_may_exchange(bearer)
            check_redeemable(db, config, checked, honour_expired=honoured_by is not None)
            transfer = record_transfer(
                db,
                config,
                kind="voucher_redeem",
                debit_account=CIRCULATION_ACCOUNT,
                credit_account=bearer.account_id,
                amount=code.amount,
                description=f"Voucher {code.serial}",
                recorded_by=honoured_by or bearer.id,
            )
            store.record(
                db,
                "voucher.redeemed",
                {
                    **_code_fields(code, checked.building),
                    "redeeming_origin": store.kiosk_id(db),
                    "resident_id": bearer.id,
                    "credit_account": bearer.account_id,
                    "honoured_expired": honoured_by is not None and today(config) > code.expires_on,
                    "decided_by": honoured_by,
                    "transfer_id": transfer.id,
                },
            )
            queue_receipt(db, config, transfer.id)
    except sqlite3.IntegrityError:
        # Another request settled it between our check and our insert: the database refused.
        error = _settlement_error(db, code.serial)
        if error is None:
            raise
        raise error from None
    return get_voucher(db, code.serial)
