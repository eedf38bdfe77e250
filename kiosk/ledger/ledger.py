"""The CEEC ledger: double-entry transfers between accounts, never edited, never deleted.

``record_exchange`` moves CEEC from the payer (who received the service) to the provider.
Every rule is checked inside the write transaction that records the transfer, so two exchanges
racing on one account cannot both pass the floor. A mistake is corrected by
``reverse_transfer``, a new transfer the other way that points to the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from kiosk import clock, formatting, i18n, store
from kiosk.categories import CATEGORIES
from kiosk.config import Config
from kiosk.errors import (
    N_,
    AboveCeiling,
    AlreadyReversed,
    AmountTooLarge,
    BelowFloor,
    InvalidAmount,
    InvalidInput,
    NotFound,
    NotReversible,
    ResidentNotActive,
    SelfPayment,
)
from kiosk.money import minutes_to_amount
from kiosk.residents.residents import Resident
from kiosk.residents.residents import get as get_resident
from kiosk.store import reads

DESCRIPTION_MAX = 200


@dataclass(frozen=True)
class Transfer:
    id: str
    reference: str
    kind: str
    amount: int
    minutes: int | None
    description: str
    category: str
    created_at: str
    payer_id: str | None
    payer_name: str | None
    payer_apartment: str | None
    payee_id: str | None
    payee_name: str | None
    payee_apartment: str | None
    debit_label: str
    credit_label: str
    reverses_reference: str | None
    reversed_by_reference: str | None
    post_id: str | None = None  # the board post this exchange came from

    @classmethod
    def from_row(cls, row) -> Transfer:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class StatementLine:
    transfer: Transfer
    signed_amount: int  # + credit, - debit, for this account
    counterparty_name: str
    counterparty_apartment: str


@dataclass(frozen=True)
class Statement:
    resident: Resident
    balance: int
    month: str | None
    months: list[str]
    lines: list[StatementLine]

    @property
    def total_in(self) -> int:
        return sum(line.signed_amount for line in self.lines if line.signed_amount > 0)

    @property
    def total_out(self) -> int:
        return -sum(line.signed_amount for line in self.lines if line.signed_amount < 0)


def _check_can_exchange(resident: Resident) -> None:
    if resident.status != "verified":
        raise ResidentNotActive(name=resident.name, status=resident.status)


def _check_limits(
    db: Database, config: Config, payer: Resident, payee: Resident, amount: int
) -> None:
    floor = config.amount("credit_floor")
    ceiling = config.amount("credit_ceiling")
    payer_balance = reads.account_balance(db, payer.account_id)
    payee_balance = reads.account_balance(db, payee.account_id)
    if payer_balance - amount < floor:
        raise BelowFloor(name=payer.name, floor=formatting.ceec_for(config, floor))
    if payee_balance + amount > ceiling:
        raise AboveCeiling(name=payee.name, ceiling=formatting.ceec_for(config, ceiling))


def clean_description(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise InvalidInput(N_("Say in a few words what the exchange was."))
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInput(
            N_("The description is at most %(max)d characters."), max=DESCRIPTION_MAX
        )
    return value


def exchange_amount(config: Config, *, minutes: int | None, amount: int | None) -> int:
    """The CEEC of an exchange given as a duration or as a direct amount (hundredths)."""
    if minutes is not None:
        if minutes <= 0:
            raise InvalidAmount()
        amount = minutes_to_amount(minutes, config["currency"]["units_per_hour"])
    if amount is None or amount <= 0:
        raise InvalidAmount()
    maximum = config.amount("max_exchange")
    if amount > maximum:
        raise AmountTooLarge(max=formatting.ceec_for(config, maximum))
    return amount


def record_exchange(
    db: Database,
    config: Config,
    *,
    payer_id: str,
    payee_id: str,
    description: str,
    category: str = "other",
    minutes: int | None = None,
    amount: int | None = None,
    recorded_by: str | None = None,
    post_id: str | None = None,
) -> Transfer:
    """The payer received a service or good from the payee: move its CEEC, queue a receipt.

    ``post_id`` names the board post the exchange came from (kept on the transfer).
    """
    if payer_id == payee_id:
        raise SelfPayment()
    description = clean_description(description)
    if category not in CATEGORIES:
        raise InvalidInput(N_("Choose a category from the list."))
    amount = exchange_amount(config, minutes=minutes, amount=amount)
    with store.write(db):
        payer = get_resident(db, payer_id)
        payee = get_resident(db, payee_id)
        _check_can_exchange(payer)
        _check_can_exchange(payee)
        _check_limits(db, config, payer, payee, amount)
        event = store.record(
            db,
            "transfer.recorded",
            {
                "kind": "exchange",
                "debit_account": payer.account_id,
                "credit_account": payee.account_id,
                "amount": amount,
                "minutes": minutes,
                "description": description,
                "category": category,
                "recorded_by": recorded_by,
                **({"post_id": post_id} if post_id else {}),
            },
        )
        queue_receipt(db, config, event.id)
    return get_transfer(db, event.id)


def reverse_transfer(
    db: Database, config: Config, transfer_id: str, *, admin_id: str, reason: str
) -> Transfer:
    """An admin corrects a mistake: the same amount back, pointing to the original."""
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
        amount = original["amount"]
        # The reversal takes from the original payee and gives back to the original payer.
        if original["payee_id"] and reads.account_balance(
            db, original["credit_account"]
        ) - amount < config.amount("credit_floor"):
            raise BelowFloor(
                name=original["payee_name"],
                floor=formatting.ceec_for(config, config.amount("credit_floor")),
            )
        if original["payer_id"] and reads.account_balance(
            db, original["debit_account"]
        ) + amount > config.amount("credit_ceiling"):
            raise AboveCeiling(
                name=original["payer_name"],
                ceiling=formatting.ceec_for(config, config.amount("credit_ceiling")),
            )
        event = store.record(
            db,
            "transfer.recorded",
            {
                "kind": "reversal",
                "debit_account": original["credit_account"],
                "credit_account": original["debit_account"],
                "amount": amount,
                "minutes": original["minutes"],
                "description": reason,
                "category": original["category"],
                "reverses": transfer_id,
                "recorded_by": admin_id,
            },
        )
        queue_receipt(db, config, event.id)
    return get_transfer(db, event.id)


def get_transfer(db: Database, transfer_id: str) -> Transfer:
    row = reads.transfer(db, transfer_id)
    if row is None:
        raise NotFound(N_("This transfer does not exist."))
    return Transfer.from_row(row)


def find_transfer(db: Database, reference: str) -> Transfer:
    row = reads.transfer_by_reference(db, (reference or "").strip().upper())
    if row is None:
        raise NotFound(N_("No transfer has this reference."))
    return Transfer.from_row(row)


def recent_transfers(db: Database, *, limit: int = 50, offset: int = 0) -> list[Transfer]:
    return [
        Transfer.from_row(row) for row in reads.recent_transfers(db, limit=limit, offset=offset)
    ]


def local_month(config: Config, created_at: str) -> str:
    """'2026-11' in the building's time zone."""
    return clock.parse_iso(created_at).astimezone(config.timezone).strftime("%Y-%m")


def _statement_line(row, account_id: str) -> StatementLine:
    """A transfer as one account sees it: signed amount and the other party."""
    if row["debit_account"] == account_id:
        signed, name, apartment = (
            -row["amount"],
            row["payee_name"] or row["credit_label"],
            row["payee_apartment"],
        )
    else:
        signed, name, apartment = (
            row["amount"],
            row["payer_name"] or row["debit_label"],
            row["payer_apartment"],
        )
    return StatementLine(Transfer.from_row(row), signed, name or "", apartment or "")


def statement(
    db: Database, config: Config, resident_id: str, *, month: str | None = None
) -> Statement:
    """A resident's balance and history (one month in the building's time zone, or the latest)."""
    resident = get_resident(db, resident_id)
    rows = reads.transfers_of_account(db, resident.account_id, limit=100_000)
    lines: list[StatementLine] = []
    months: list[str] = []
    for row in rows:
        row_month = local_month(config, row["created_at"])
        if row_month not in months:
            months.append(row_month)
        if month and row_month != month:
            continue
        lines.append(_statement_line(row, resident.account_id))
    return Statement(
        resident=resident, balance=resident.balance, month=month, months=months, lines=lines
    )


def latest_lines(db: Database, resident: Resident, *, limit: int = 3) -> list[StatementLine]:
    """A resident's newest transfers, for the home screen (reads only ``limit`` rows)."""
    rows = reads.transfers_of_account(db, resident.account_id, limit=limit)
    return [_statement_line(row, resident.account_id) for row in rows]


def queue_receipt(db: Database, config: Config, transfer_id: str) -> None:
    """Queue the receipt of a transfer, in the transfer's own transaction."""
    from printing import queue as print_queue

    row = reads.transfer(db, transfer_id)
    show = config["receipts"]["show_balances"]
    gettext = i18n.gettext_for(config.language)

    def party(prefix: str, account: str) -> dict:
        return {
            "apartment": row[f"{prefix}_apartment"] or "",
            "name": row[f"{prefix}_name"]
            or row[f"{'debit' if prefix == 'payer' else 'credit'}_label"],
            "balance_after": reads.account_balance(db, account) if show else None,
        }

    payload = {
        "reference": row["reference"],
        "created_at": row["created_at"],
        "kind": row["kind"],
        "reverses_reference": row["reverses_reference"],
        "payer": party("payer", row["debit_account"]),
        "payee": party("payee", row["credit_account"]),
        "description": row["description"],
        "category_label": gettext(CATEGORIES.get(row["category"], CATEGORIES["other"])),
        "minutes": row["minutes"],
        "amount": row["amount"],
    }
    print_queue.enqueue(db, "receipt", payload, reference=row["reference"])


def parse_month(text: str | None) -> str | None:
    if not text:
        return None
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError as exc:
        raise InvalidInput(N_("Unknown month.")) from exc
    return text
