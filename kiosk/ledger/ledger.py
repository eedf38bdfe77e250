"""The CEEC ledger as people read it: transfers, statements, a resident's latest lines.

Transfers are double-entry, never edited, never deleted. They are recorded by one function,
``kiosk.ledger.transfers.record_transfer``; exchanges: kiosk/ledger/exchanges.py; corrections:
kiosk/ledger/reversals.py; receipts: kiosk/ledger/receipts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from kiosk import clock
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, NotFound
from kiosk.residents.residents import Resident
from kiosk.residents.residents import get as get_resident
from kiosk.store import reads


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
    debit_account: str
    debit_label: str
    credit_account: str
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
    counterparty_account: str  # named for a reader by kiosk.ledger.transfers.account_name
    counterparty_name: str  # a resident's name, or the account's stored label
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
        signed, other, name, apartment = (
            -row["amount"],
            row["credit_account"],
            row["payee_name"] or row["credit_label"],
            row["payee_apartment"],
        )
    else:
        signed, other, name, apartment = (
            row["amount"],
            row["debit_account"],
            row["payer_name"] or row["debit_label"],
            row["payer_apartment"],
        )
    return StatementLine(Transfer.from_row(row), signed, other, name or "", apartment or "")


def statement(
    db: Database,
    config: Config,
    resident_id: str,
    *,
    month: str | None = None,
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


def latest_lines(
    db: Database,
    resident: Resident,
    *,
    limit: int = 3,
) -> list[StatementLine]:
    """A resident's newest transfers, for the home screen (reads only ``limit`` rows)."""
    rows = reads.transfers_of_account(db, resident.account_id, limit=limit)
    return [_statement_line(row, resident.account_id) for row in rows]


def parse_month(text: str | None) -> str | None:
    if not text:
        return None
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError as exc:
        raise InvalidInput(N_("Unknown month.")) from exc
    return text
