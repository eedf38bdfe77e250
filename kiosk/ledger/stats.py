"""Statistics for the association: exchanges per month and per category, hours exchanged, the
most active categories, and residents with no exchange lately (to invite them).

Only exchanges count (not vouchers nor corrections); an exchange that was reversed does not
count. Months are the building's local months.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from kiosk import clock
from kiosk.config import Config
from kiosk.residents.residents import Resident, all_residents
from kiosk.store import db as dbmod

INACTIVE_DAYS = 91  # "no exchange in 3 months"


@dataclass(frozen=True)
class MonthLine:
    month: str  # "2026-11"
    exchanges: int
    minutes: int
    amount: int


@dataclass(frozen=True)
class CategoryLine:
    category: str
    exchanges: int
    minutes: int
    amount: int


@dataclass(frozen=True)
class Statistics:
    months: list[MonthLine]
    categories: list[CategoryLine]  # most active first
    total_exchanges: int
    total_minutes: int
    total_amount: int
    inactive: list[Resident]


def _months_back(config: Config, count: int) -> list[str]:
    local = clock.now().astimezone(config.timezone)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def gather(db: Database, config: Config, *, months: int = 12) -> Statistics:
    rows = dbmod.query(
        db,
        "SELECT t.created_at, t.category, t.minutes, t.amount, t.debit_account, t.credit_account "
        "FROM transfers t WHERE t.kind = 'exchange' "
        "AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reverses = t.id)",
    )
    wanted = _months_back(config, months)
    per_month: dict[str, list[int]] = {m: [0, 0, 0] for m in wanted}
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    recent_accounts: Counter[str] = Counter()
    cutoff = clock.now() - timedelta(days=INACTIVE_DAYS)
    hundredths_per_minute = config.hundredths_per_hour / 60
    for row in rows:
        moment = clock.parse_iso(row["created_at"])
        # time of an exchange given as an amount: its CEEC at the standard hour
        minutes = row["minutes"] or round(row["amount"] / hundredths_per_minute)
        month = moment.astimezone(config.timezone).strftime("%Y-%m")
        if month in per_month:
            line = per_month[month]
            line[0] += 1
            line[1] += minutes
            line[2] += row["amount"]
        line = per_category[row["category"]]
        line[0] += 1
        line[1] += minutes
        line[2] += row["amount"]
        if moment >= cutoff:
            recent_accounts[row["debit_account"]] += 1
            recent_accounts[row["credit_account"]] += 1
    month_lines = [MonthLine(m, *per_month[m]) for m in wanted]
    category_lines = sorted(
        (CategoryLine(key, *values) for key, values in per_category.items()),
        key=lambda line: (-line.exchanges, -line.minutes, line.category),
    )

    inactive = [
        person
        for person in all_residents(db)
        if person.may_exchange and recent_accounts[person.account_id] == 0
    ]
    return Statistics(
        months=month_lines,
        categories=category_lines,
        total_exchanges=sum(line.exchanges for line in category_lines),
        total_minutes=sum(line.minutes for line in category_lines),
        total_amount=sum(line.amount for line in category_lines),
        inactive=inactive,
    )
