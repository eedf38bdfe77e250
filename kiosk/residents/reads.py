"""Read queries of neighbour verification: vouches, verifications, mailbox codes, residents by
status and by apartment, newcomers who joined lately."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk.store.db import query, query_one


def vouches_for(db: Database, resident_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT v.*, r.name AS voucher_name FROM vouches v JOIN residents r ON r.id = v.voucher_id "
        "WHERE v.resident_id = ? ORDER BY v.created_at, v.event_id",
        (resident_id,),
    )


def has_vouched(db: Database, resident_id: str, voucher_id: str) -> bool:
    return (
        query_one(
            db,
            "SELECT 1 FROM vouches WHERE resident_id = ? AND voucher_id = ?",
            (resident_id, voucher_id),
        )
        is not None
    )


def verifications_of(db: Database, resident_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT * FROM verifications WHERE resident_id = ? ORDER BY created_at, event_id",
        (resident_id,),
    )


def verification_history(db: Database, limit: int = 50) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT v.*, r.name, r.apartment FROM verifications v JOIN residents r ON r.id = v.resident_id "
        "ORDER BY v.created_at DESC, v.event_id DESC LIMIT ?",
        (limit,),
    )


def open_mailbox_code(db: Database, apartment: str) -> sqlite3.Row | None:
    return query_one(
        db, "SELECT * FROM mailbox_codes WHERE apartment = ? AND closed_at IS NULL", (apartment,)
    )


def mailbox_codes(db: Database, limit: int = 20) -> list[sqlite3.Row]:
    """Recent codes, without their hashes."""
    return query(
        db,
        "SELECT id, apartment, expires_at, created_at, failures, closed_at, closed_why "
        "FROM mailbox_codes ORDER BY created_at DESC, rowid DESC LIMIT ?",
        (limit,),
    )


def residents_with_status(db: Database, status: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT r.*, a.id AS account_id, a.balance FROM residents r JOIN accounts a ON a.resident_id = r.id "
        "WHERE r.status = ? ORDER BY r.apartment COLLATE NOCASE, r.name COLLATE NOCASE",
        (status,),
    )


def residents_at_apartment(db: Database, apartment: str) -> list[sqlite3.Row]:
    return query(db, "SELECT id, name, status FROM residents WHERE apartment = ?", (apartment,))


def newcomers_since(db: Database, origin: str, since: str) -> int:
    """Residents registered at kiosk ``origin`` since ``since`` (UTC ISO) and not verified since:
    the newcomers who registered themselves there (an administrator registers people verified)."""
    row = query_one(
        db,
        "SELECT COUNT(*) AS n FROM residents WHERE home_origin = ? AND created_at >= ? "
        "AND status IN ('pending', 'suspended')",
        (origin, since),
    )
    return row["n"]


def last_departure_at(db: Database, resident_id: str) -> str | None:
    """When the resident last moved out (``departures``, the volunteer's projection); None:
    never."""
    row = query_one(
        db,
        "SELECT created_at FROM departures WHERE resident_id = ? "
        "ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (resident_id,),
    )
    return None if row is None else row["created_at"]


def revoked_card_owner(db: Database, token_hash: str) -> str | None:
    """Whose card this revoked (or replaced) card was; None: no card of this kiosk."""
    row = query_one(db, "SELECT resident_id FROM revoked_cards WHERE token_hash = ?", (token_hash,))
    return None if row is None else row["resident_id"]
