"""Read queries of the community features: notices, alerts, polls."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk.store.db import query, query_one, scalar

# --------------------------------------------------------------------------- notices and alerts


def notice(db: Database, notice_id: str) -> sqlite3.Row | None:
    return query_one(db, "SELECT * FROM notices WHERE id = ?", (notice_id,))


def current_notices(db: Database, today: str, limit: int = 50) -> list[sqlite3.Row]:
    """Notices shown today: official ones first, then the newest."""
    return query(
        db,
        "SELECT * FROM notices WHERE withdrawn_at IS NULL AND starts_on <= ? AND ends_on >= ? "
        "ORDER BY official DESC, created_at DESC, id DESC LIMIT ?",
        (today, today, limit),
    )


def notices_by(db: Database, author_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT * FROM notices WHERE author_id = ? AND withdrawn_at IS NULL "
        "ORDER BY created_at DESC",
        (author_id,),
    )


def alert(db: Database, alert_id: str) -> sqlite3.Row | None:
    return query_one(
        db,
        "SELECT a.*, r.name AS raised_by_name, s.name AS resolved_by_name FROM alerts a "
        "JOIN residents r ON r.id = a.raised_by LEFT JOIN residents s ON s.id = a.resolved_by "
        "WHERE a.id = ?",
        (alert_id,),
    )


def active_alerts(db: Database) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT id, reference, kind, text, raised_at FROM alerts WHERE resolved_at IS NULL "
        "ORDER BY raised_at DESC, id DESC",
    )


def recent_alerts(db: Database, limit: int = 20) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT a.*, r.name AS raised_by_name, s.name AS resolved_by_name FROM alerts a "
        "JOIN residents r ON r.id = a.raised_by LEFT JOIN residents s ON s.id = a.resolved_by "
        "ORDER BY a.raised_at DESC, a.id DESC LIMIT ?",
        (limit,),
    )


# --------------------------------------------------------------------------- polls


def poll(db: Database, poll_id: str) -> sqlite3.Row | None:
    return query_one(db, "SELECT * FROM polls WHERE id = ?", (poll_id,))


def polls(db: Database, limit: int = 50) -> list[sqlite3.Row]:
    return query(
        db, "SELECT * FROM polls ORDER BY closes_on DESC, created_at DESC LIMIT ?", (limit,)
    )


def open_polls(db: Database, today: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT * FROM polls WHERE opens_on <= ? AND closes_on >= ? ORDER BY closes_on, created_at",
        (today, today),
    )


def poll_salt(db: Database, poll_id: str) -> str | None:
    return scalar(db, "SELECT salt FROM poll_salts WHERE poll_id = ?", (poll_id,))


def vote(db: Database, poll_id: str, voter_key: str) -> sqlite3.Row | None:
    return query_one(
        db, "SELECT * FROM poll_votes WHERE poll_id = ? AND voter_key = ?", (poll_id, voter_key)
    )


def vote_counts(db: Database, poll_id: str) -> dict[int, int]:
    rows = query(
        db,
        "SELECT option, COUNT(*) AS n FROM poll_votes WHERE poll_id = ? GROUP BY option",
        (poll_id,),
    )
    return {row["option"]: row["n"] for row in rows}


def public_votes(db: Database, poll_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT v.option, v.apartment, r.name FROM poll_votes v LEFT JOIN residents r ON r.id = v.voter_id "
        "WHERE v.poll_id = ? ORDER BY v.apartment COLLATE NOCASE, r.name COLLATE NOCASE",
        (poll_id,),
    )
