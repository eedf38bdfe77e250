"""Redeeming a printed voucher: reading its code (QR or typed code), checking the secret only
the paper holds against the commitment, the signature (by any key of the issuer's history) and
building, whether it is still outstanding and not expired, then crediting the bearer once,
through the one write path of money (kiosk/ledger/transfers.py). A version 1 voucher (printed
without a secret) is redeemed only by a volunteer who sees the paper.

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
    IncompleteCode,
    MalformedVoucher,
    OldVoucher,
    TypoInCode,
    UnknownIssuerKey,
    UnknownVoucher,
    WrongSecret,
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
    """A scanned QR code or a typed code, checked: its secret, signature, issuer key, building.

    Raises MalformedVoucher, TypoInCode, IncompleteCode, UnknownVoucher (typed code of a
    voucher not known here), WrongSecret, UnknownIssuerKey or ForgedVoucher. Status, expiry and
    the version 1 rule are checked by ``check_redeemable``.
    """
    scanned = "".join((text or "").split()).upper()
    if codes.looks_like_qr(scanned):
        try:
            code = codes.read_code(scanned)
        except codes.MalformedCode:
            raise MalformedVoucher() from None
        row = vreads.voucher(db, code.serial)
    else:
        code, row = _typed(db, text or "")
    # Any key the issuer ever had: a voucher printed before a restore or a key rotation
    # stays good.
    public_keys = keys.known_public_keys(db, code.issuer_origin)
    if not public_keys:
        raise UnknownIssuerKey(origin=code.issuer_origin)
    if not any(code.is_signed_by(public_key) for public_key in public_keys):
        raise ForgedVoucher()
    if row is not None and row["commitment"] != (code.commitment and code.commitment.hex()):
        # The issuer signed two different vouchers under one serial: neither is trusted.
        raise ForgedVoucher()
    # The building's name is signed as a hash: show the name only when it matches.
    candidates = [row["building"] if row else "", vreads.kiosk_building(db, code.issuer_origin)]
    building = next(
        (name for name in candidates if name and codes.building_hash(name) == code.building_hash),
        "",
    )
    return CheckedVoucher(code, building, Voucher.from_row(row) if row else None)


def _typed(db: Database, text: str):
    """A typed code: the voucher it names, as this kiosk knows it, with the typed secret."""
    try:
        typed = codes.read_typed_code(text)
    except codes.CheckFailed:
        raise TypoInCode() from None
    except codes.OnlyTheNumber:
        raise IncompleteCode() from None
    except codes.MalformedCode:
        raise MalformedVoucher() from None
    row = vreads.voucher(db, typed.serial)
    if row is None:
        raise UnknownVoucher()
    code = code_of_row(row)
    if code.version == codes.OLD_VERSION:
        if typed.secret is not None:
            raise WrongSecret(serial=code.serial)
        return code, row
    if typed.secret is None:
        raise IncompleteCode()
    code = code.with_secret(typed.secret)
    if not code.secret_matches():
        raise WrongSecret(serial=code.serial)
    return code, row


def code_of_row(row) -> codes.VoucherCode:
    """A voucher's signed fields as this kiosk keeps them (never its secret)."""
    return codes.code_of_fields(row, codes.building_hash(row["building"]))


def check_redeemable(
    db: Database, config: Config, checked: CheckedVoucher, *, honoured: bool = False
) -> None:
    """Raises AlreadyRedeemed, CancelledVoucher, ExpiredVoucher or OldVoucher; nothing else is
    changed. ``honoured``: a volunteer who sees the paper accepts an expired or old voucher."""
    error = _settlement_error(db, checked.serial)
    if error is not None:
        raise error
    if checked.code.version == codes.OLD_VERSION and not honoured:
        raise OldVoucher(serial=checked.serial)
    if today(config) > checked.expires_on and not honoured:
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
            check_redeemable(db, config, checked, honoured=honoured_by is not None)
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
                    # Proof that this kiosk read the paper (kiosk/vouchers/codes.py).
                    **({"opening": code.opening.hex()} if code.commitment is not None else {}),
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
