"""Read queries of the domain (and the few device-state writes that are not events)."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk.store.db import query, query_one, scalar

_RESIDENT = (
    "SELECT r.*, a.id AS account_id, a.balance FROM residents r "
    "JOIN accounts a ON a.resident_id = r.id "
)

# Apartments sort as people read them: building letter, then floor and number.
_APARTMENT_ORDER = "ORDER BY r.apartment COLLATE NOCASE, r.name COLLATE NOCASE"


def resident(db: Database, resident_id: str) -> sqlite3.Row | None:
    return query_one(db, _RESIDENT + "WHERE r.id = ?", (resident_id,))


def residents(db: Database) -> list[sqlite3.Row]:
    return query(db, _RESIDENT + _APARTMENT_ORDER)


def residents_in_apartment(db: Database, apartment: str) -> list[sqlite3.Row]:
    return query(
        db,
        _RESIDENT
        + "WHERE r.apartment = ? AND r.status NOT IN ('suspended', 'moved_out') ORDER BY r.name COLLATE NOCASE",
        (apartment,),
    )


def apartments(db: Database) -> list[str]:
    rows = query(
        db,
        "SELECT DISTINCT apartment FROM residents WHERE status NOT IN ('suspended', 'moved_out') "
        "ORDER BY apartment COLLATE NOCASE",
    )
    return [row["apartment"] for row in rows]


def resident_by_card_hash(db: Database, token_hash: str) -> sqlite3.Row | None:
    return query_one(
        db,
        _RESIDENT + "JOIN credentials c ON c.resident_id = r.id WHERE c.card_token_hash = ?",
        (token_hash,),
    )


def card_was_revoked(db: Database, token_hash: str) -> bool:
    return (
        query_one(db, "SELECT 1 FROM revoked_cards WHERE token_hash = ?", (token_hash,)) is not None
    )


def card_number(db: Database, resident_id: str) -> int:
    return (
        scalar(db, "SELECT card_number FROM credentials WHERE resident_id = ?", (resident_id,)) or 0
    )


def pin_hash(db: Database, resident_id: str) -> str | None:
    return scalar(db, "SELECT pin_hash FROM credentials WHERE resident_id = ?", (resident_id,))


def login_guard(db: Database, resident_id: str) -> sqlite3.Row | None:
    return query_one(db, "SELECT * FROM login_guard WHERE resident_id = ?", (resident_id,))


def set_login_guard(
    db: Database, resident_id: str, failures: int, locked_until: str | None
) -> None:
    db.execute(
        "INSERT INTO login_guard (resident_id, failures, locked_until) VALUES (?, ?, ?) "
        "ON CONFLICT (resident_id) DO UPDATE SET failures = excluded.failures, "
        "locked_until = excluded.locked_until",
        [resident_id, failures, locked_until],
    )


def clear_login_guard(db: Database, resident_id: str) -> None:
    db.execute("DELETE FROM login_guard WHERE resident_id = ?", [resident_id])


def add_pin_failure(db: Database, at: str, resident_id: str, asked_by: str | None) -> None:
    db.execute(
        "INSERT INTO pin_failures (at, resident_id, asked_by) VALUES (?, ?, ?)",
        [at, resident_id, asked_by],
    )


def pin_failures_since(db: Database, since: str) -> int:
    """Wrong PINs on this kiosk since ``since`` (and since the volunteer last resumed)."""
    lifted = scalar(db, "SELECT value FROM kiosk_meta WHERE key = 'pin_pause_lifted_at'") or ""
    return scalar(db, "SELECT count(*) FROM pin_failures WHERE at > ?", (max(since, lifted),))


def pin_pause(db: Database) -> str | None:
    return scalar(db, "SELECT until FROM pin_pause WHERE id = 1")


def set_pin_pause(db: Database, until: str) -> None:
    db.execute(
        "INSERT INTO pin_pause (id, until) VALUES (1, ?) "
        "ON CONFLICT (id) DO UPDATE SET until = excluded.until",
        [until],
    )


def lift_pin_pause(db: Database, now: str) -> None:
    db.execute("DELETE FROM pin_pause")
    db.execute(
        "INSERT INTO kiosk_meta (key, value) VALUES ('pin_pause_lifted_at', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [now],
    )


def locked_residents(db: Database, now_iso: str) -> list[sqlite3.Row]:
    return query(
        db,
        _RESIDENT
        + "JOIN login_guard g ON g.resident_id = r.id WHERE g.locked_until > ? "
        + _APARTMENT_ORDER,
        (now_iso,),
    )


def account_balance(db: Database, account_id: str) -> int | None:
    return scalar(db, "SELECT balance FROM accounts WHERE id = ?", (account_id,))


def balances_sum(db: Database) -> int:
    return scalar(db, "SELECT COALESCE(SUM(balance), 0) FROM accounts")


_TRANSFER = """
SELECT t.*,
       dr.id AS payer_id, dr.name AS payer_name, dr.apartment AS payer_apartment,
       da.label AS debit_label,
       cr.id AS payee_id, cr.name AS payee_name, cr.apartment AS payee_apartment,
       ca.label AS credit_label,
       orig.reference AS reverses_reference,
       rev.reference AS reversed_by_reference
FROM transfers t
JOIN accounts da ON da.id = t.debit_account
JOIN accounts ca ON ca.id = t.credit_account
LEFT JOIN residents dr ON dr.id = da.resident_id
LEFT JOIN residents cr ON cr.id = ca.resident_id
LEFT JOIN transfers orig ON orig.id = t.reverses
LEFT JOIN transfers rev ON rev.reverses = t.id
"""


def transfer(db: Database, transfer_id: str) -> sqlite3.Row | None:
    return query_one(db, _TRANSFER + "WHERE t.id = ?", (transfer_id,))


def transfer_by_reference(db: Database, reference: str) -> sqlite3.Row | None:
    return query_one(db, _TRANSFER + "WHERE t.reference = ?", (reference,))


def transfers_of_account(db: Database, account_id: str, *, limit: int = 200) -> list[sqlite3.Row]:
    """An account's transfers, newest first (local application order, not wall-clock)."""
    return query(
        db,
        _TRANSFER
        + "WHERE t.debit_account = :acc OR t.credit_account = :acc ORDER BY t.rowid DESC LIMIT :limit",
        {"acc": account_id, "limit": limit},
    )


def recent_transfers(db: Database, *, limit: int = 50, offset: int = 0) -> list[sqlite3.Row]:
    return query(db, _TRANSFER + "ORDER BY t.rowid DESC LIMIT ? OFFSET ?", (limit, offset))
