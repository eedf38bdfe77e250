"""CSV exports for the association's accounts: residents (no secrets), transfers, vouchers.

Periods are whole months in the building's time zone; the files are written by
``kiosk.spreadsheets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput
from kiosk.spreadsheets import amount_cell, csv_text, local_time_cell


@dataclass(frozen=True)
class Period:
    """From the first day of ``start`` to the last day of ``end`` (months, "YYYY-MM")."""

    start: str
    end: str

    def bounds_utc(self, config: Config) -> tuple[str, str]:
        """[start, end) as UTC ISO strings comparable with the stored ``created_at``."""
        zone = config.timezone
        first = datetime.combine(date.fromisoformat(self.start + "-01"), time(), zone)
        year, month = (int(part) for part in self.end.split("-"))
        after = date(year + month // 12, month % 12 + 1, 1)
        last = datetime.combine(after, time(), zone)
        return _utc(first), _utc(last)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# The months an export may cover: wide enough for any account the kiosk keeps, narrow enough
# that a month's bounds in any time zone stay within what dates can hold (year 1 or 9999 would
# overflow).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_period(start: str | None, end: str | None) -> Period:
    for value in (start, end):
        try:
            month = datetime.strptime(value or "", "%Y-%m")
        except ValueError:
            raise InvalidInput(N_("Choose the first and last month of the period.")) from None
        if not FIRST_YEAR <= month.year <= LAST_YEAR:
            raise InvalidInput(
                N_("Choose months between %(first)d and %(last)d."),
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
    if start > end:
        raise InvalidInput(N_("The first month must come before the last one."))
    return Period(start, end)


def residents_csv(db: Database, config: Config) -> str:
    """Every resident with their balance; never a PIN or card hash."""
    rows = store.query(
        db,
        "SELECT r.apartment, r.name, r.role, r.status, a.balance, r.created_at FROM residents r "
        "JOIN accounts a ON a.resident_id = r.id ORDER BY r.apartment, r.name",
    )
    return csv_text(
        config,
        [
            "apartment",
            "name",
            "role",
            "status",
            f"balance_{config['currency']['name']}",
            "registered_at",
        ],
        (
            [
                r["apartment"],
                r["name"],
                r["role"],
                r["status"],
                amount_cell(config, r["balance"]),
                local_time_cell(config, r["created_at"]),
            ]
            for r in rows
        ),
    )


def transfers_csv(db: Database, config: Config, period: Period) -> str:
    start, end = period.bounds_utc(config)
    rows = store.query(
        db,
        "SELECT t.reference, t.created_at, t.kind, t.amount, t.minutes, t.category, t.description, "
        "da.label AS debit_label, dr.name AS payer_name, ca.label AS credit_label, cr.name AS payee_name, "
        "orig.reference AS reverses_reference "
        "FROM transfers t JOIN accounts da ON da.id = t.debit_account "
        "JOIN accounts ca ON ca.id = t.credit_account "
        "LEFT JOIN residents dr ON dr.id = da.resident_id LEFT JOIN residents cr ON cr.id = ca.resident_id "
        "LEFT JOIN transfers orig ON orig.id = t.reverses "
        "WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.rowid",
        (start, end),
    )
    return csv_text(
        config,
        [
            "reference",
            "date",
            "kind",
            "from_account",
            "from_name",
            "to_account",
            "to_name",
            f"amount_{config['currency']['name']}",
            "minutes",
            "category",
            "description",
            "reverses",
        ],
        (
            [
                r["reference"],
                local_time_cell(config, r["created_at"]),
                r["kind"],
                r["debit_label"],
                r["payer_name"] or "",
                r["credit_label"],
                r["payee_name"] or "",
                amount_cell(config, r["amount"]),
                r["minutes"] or "",
                r["category"],
                r["description"],
                r["reverses_reference"] or "",
            ]
            for r in rows
        ),
    )


# A voucher's signature and commitment are what checks its paper (kiosk/vouchers/codes.py):
# nothing a spreadsheet reader needs, and a commitment is what a guesser would test against.
_VOUCHER_SECRETS = {"signature", "commitment"}


def vouchers_csv(db: Database, config: Config, period: Period) -> str:
    """Vouchers issued in the period, with how they left circulation, if they did."""
    start, end = period.bounds_utc(config)
    columns = [c for c in db["vouchers"].columns_dict if c not in _VOUCHER_SECRETS]
    rows = store.query(
        db,
        f"SELECT {', '.join('v.' + c for c in columns)}, s.outcome, s.reason, s.origin AS settled_at_kiosk, "  # noqa: S608
        "s.settled_at FROM vouchers v LEFT JOIN voucher_settlements s ON s.serial = v.serial "
        "WHERE v.issued_at >= ? AND v.issued_at < ? ORDER BY v.rowid",
        (start, end),
    )
    columns += ["outcome", "reason", "settled_at_kiosk", "settled_at"]
    return csv_text(
        config,
        columns,
        (
            [
                amount_cell(config, r[c]) if c == "amount" else (r[c] if r[c] is not None else "")
                for c in columns
            ]
            for r in rows
        ),
    )


def months_with_transfers(db: Database, config: Config) -> list[str]:
    first = store.scalar(db, "SELECT MIN(created_at) FROM transfers")
    if first is None:
        today = datetime.now(config.timezone).strftime("%Y-%m")
        return [today]
    start = (
        datetime.fromisoformat(first.replace("Z", "+00:00"))
        .astimezone(config.timezone)
        .date()
        .replace(day=1)
    )
    today = datetime.now(config.timezone).date().replace(day=1)
    months = []
    cursor = start
    while cursor <= today and len(months) < 240:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return list(reversed(months))
