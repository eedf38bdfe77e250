"""What the association sees of its vouchers: outstanding, redeemed, expired, and the check
that the vouchers-in-circulation account holds exactly what is owed to their bearers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from kiosk.config import Config
from kiosk.ledger.transfers import CIRCULATION_ACCOUNT
from kiosk.vouchers import reads as vreads
from kiosk.vouchers.vouchers import Voucher, today

# Age of outstanding vouchers in days: (upper bound exclusive, label key).
AGE_BUCKETS = (
    (30, "under_30"),
    (90, "under_90"),
    (180, "under_180"),
    (366, "under_366"),
    (None, "older"),
)


@dataclass(frozen=True)
class IssuerLine:
    issuer_id: str | None
    name: str
    apartment: str
    count: int
    total: int


@dataclass(frozen=True)
class CirculationCheck:
    balance: int
    outstanding_count: int
    outstanding_total: int
    redeemed_elsewhere_count: int
    redeemed_elsewhere_total: int
    foreign_redeemed_here_count: int
    foreign_redeemed_here_total: int
    expected_balance: int

    @property
    def ok(self) -> bool:
        return self.balance == self.expected_balance

    @property
    def difference(self) -> int:
        return self.balance - self.expected_balance


@dataclass
class OutstandingReport:
    count: int = 0
    total: int = 0
    expired_count: int = 0
    expired_total: int = 0
    by_issuer: list[IssuerLine] = field(default_factory=list)
    by_age: dict[str, tuple[int, int]] = field(default_factory=dict)
    vouchers: list[Voucher] = field(default_factory=list)


def circulation_check(db: Database) -> CirculationCheck:
    return CirculationCheck(**vreads.circulation_figures(db, CIRCULATION_ACCOUNT))


def outstanding_report(db: Database, config: Config) -> OutstandingReport:
    day = today(config)
    report = OutstandingReport(by_age={key: (0, 0) for _, key in AGE_BUCKETS})
    issuers: dict[str | None, IssuerLine] = {}
    for row in vreads.outstanding(db):
        voucher = Voucher.from_row(row)
        report.vouchers.append(voucher)
        report.count += 1
        report.total += voucher.amount
        if voucher.is_expired(day):
            report.expired_count += 1
            report.expired_total += voucher.amount
        key = age_bucket(voucher.issued_on, day)
        count, total = report.by_age[key]
        report.by_age[key] = (count + 1, total + voucher.amount)
        line = issuers.get(voucher.issuer_resident_id)
        issuers[voucher.issuer_resident_id] = IssuerLine(
            voucher.issuer_resident_id,
            voucher.issuer_name or "",
            voucher.issuer_apartment or "",
            (line.count if line else 0) + 1,
            (line.total if line else 0) + voucher.amount,
        )
    report.by_issuer = sorted(issuers.values(), key=lambda line: (-line.total, line.apartment))
    return report


def age_bucket(issued_on: date, day: date) -> str:
    age = (day - issued_on).days
    for limit, key in AGE_BUCKETS:
        if limit is None or age < limit:
            return key
    return AGE_BUCKETS[-1][1]


def expired_outstanding(db: Database, config: Config) -> list[Voucher]:
    return [
        Voucher.from_row(row) for row in vreads.expired_outstanding(db, today(config).isoformat())
    ]


def redeemed_history(db: Database, *, limit: int = 200) -> list[Voucher]:
    return [Voucher.from_row(row) for row in vreads.settled(db, "redeemed", limit=limit)]


def cancelled_history(db: Database, *, limit: int = 200) -> list[Voucher]:
    return [Voucher.from_row(row) for row in vreads.settled(db, "cancelled", limit=limit)]
