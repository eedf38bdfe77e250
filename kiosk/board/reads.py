"""Read queries of the board, payment requests and loans (the SQL of those domain modules).

"Active" is decided when reading, against the date given by the caller (the building's date
from ``kiosk.clock``): a post ends after its ``ends_on`` day. Newest first is log order
(``rowid``), never wall-clock order.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk.store.db import query, query_one, scalar

_POST_COLUMNS = """
SELECT p.*, COALESCE(r.name, p.poster_name) AS name,
       COALESCE(r.apartment, p.poster_apartment) AS apartment,
       pb.name AS posted_by_name
"""
_POST_JOINS = """
LEFT JOIN residents r ON r.id = p.poster_id
LEFT JOIN residents pb ON pb.id = p.posted_by
"""
_POST = _POST_COLUMNS + "FROM board_posts p" + _POST_JOINS

_ACTIVE = "p.withdrawn_at IS NULL AND (p.ends_on IS NULL OR p.ends_on >= :today)"


def post(db: Database, post_id: str) -> sqlite3.Row | None:
    return query_one(db, _POST + "WHERE p.id = :id", {"id": post_id})


def active_posts(
    db: Database,
    *,
    today: str,
    direction: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    match: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[sqlite3.Row]:
    """Posts shown on the board, newest first; ``match`` is an FTS5 query."""
    where = [_ACTIVE]
    params: dict = {"today": today, "limit": limit, "offset": offset}
    for column, value in (("direction", direction), ("kind", kind), ("category", category)):
        if value:
            where.append(f"p.{column} = :{column}")
            params[column] = value
    if match:
        # The index drives the query, newest first by the rowid it shares with the post, so
        # SQLite stops after one page instead of sorting every match.
        where.append("board_posts_fts MATCH :match")
        params["match"] = match
        sql = (
            _POST_COLUMNS
            + "FROM board_posts_fts f JOIN board_posts p ON p.rowid = f.rowid "
            + _POST_JOINS
            + "WHERE "
            + " AND ".join(where)
            + " ORDER BY f.rowid DESC LIMIT :limit OFFSET :offset"
        )
        return query(db, sql, params)
    sql = (
        _POST
        + "WHERE "
        + " AND ".join(where)
        + " ORDER BY p.rowid DESC LIMIT :limit OFFSET :offset"
    )
    return query(db, sql, params)


def posts_of(db: Database, poster_id: str, *, limit: int = 50) -> list[sqlite3.Row]:
    """A resident's own posts, active or not (the history), newest first."""
    return query(
        db, _POST + "WHERE p.poster_id = ? ORDER BY p.rowid DESC LIMIT ?", (poster_id, limit)
    )


def is_helper(db: Database, resident_id: str) -> bool:
    return (
        query_one(db, "SELECT 1 FROM board_helpers WHERE resident_id = ?", (resident_id,))
        is not None
    )


def helper_ids(db: Database) -> set[str]:
    return {row[0] for row in query(db, "SELECT resident_id FROM board_helpers")}


_MESSAGE = """
SELECT m.*, s.name AS sender_name, s.apartment AS sender_apartment,
       t.name AS recipient_name, t.apartment AS recipient_apartment,
       p.title AS post_title, p.direction AS post_direction
FROM board_messages m
JOIN residents s ON s.id = m.sender_id
JOIN residents t ON t.id = m.recipient_id
JOIN board_posts p ON p.id = m.post_id
"""


def message(db: Database, message_id: str) -> sqlite3.Row | None:
    return query_one(db, _MESSAGE + "WHERE m.id = ?", (message_id,))


def messages_for(db: Database, resident_id: str, *, limit: int = 50) -> list[sqlite3.Row]:
    return query(
        db,
        _MESSAGE + "WHERE m.recipient_id = ? ORDER BY m.rowid DESC LIMIT ?",
        (resident_id, limit),
    )


def unread_message_ids(db: Database, resident_id: str) -> list[str]:
    rows = query(
        db,
        "SELECT id FROM board_messages WHERE recipient_id = ? AND read_at IS NULL ORDER BY rowid",
        (resident_id,),
    )
    return [row[0] for row in rows]


_REQUEST = """
SELECT q.*, pv.name AS provider_name, pv.apartment AS provider_apartment,
       py.name AS payer_name, py.apartment AS payer_apartment,
       pv.status AS provider_status, py.status AS payer_status,
       t.reference AS transfer_reference, p.title AS post_title
FROM payment_requests q
JOIN residents pv ON pv.id = q.provider_id
JOIN residents py ON py.id = q.payer_id
LEFT JOIN transfers t ON t.id = q.transfer_id
LEFT JOIN board_posts p ON p.id = q.post_id
"""


def payment_request(db: Database, request_id: str) -> sqlite3.Row | None:
    return query_one(db, _REQUEST + "WHERE q.id = ?", (request_id,))


def payment_requests_of(db: Database, resident_id: str, *, limit: int = 50) -> list[sqlite3.Row]:
    return query(
        db,
        _REQUEST
        + "WHERE q.payer_id = :id OR q.provider_id = :id ORDER BY q.rowid DESC LIMIT :limit",
        {"id": resident_id, "limit": limit},
    )


def pending_requests_count(db: Database, payer_id: str, now_iso: str) -> int:
    """Pending, not expired, and neither side has moved out (such a request is closed)."""
    return scalar(
        db,
        "SELECT COUNT(*) FROM payment_requests q "
        "JOIN residents pv ON pv.id = q.provider_id JOIN residents py ON py.id = q.payer_id "
        "WHERE q.payer_id = ? AND q.status = 'pending' AND q.expires_at > ? "
        "AND pv.status != 'moved_out' AND py.status != 'moved_out'",
        (payer_id, now_iso),
    )


_LOAN = """
SELECT l.*, ld.name AS lender_name, ld.apartment AS lender_apartment,
       bw.name AS borrower_name, bw.apartment AS borrower_apartment,
       q.reference AS request_reference, q.amount AS request_amount
FROM loans l
JOIN residents ld ON ld.id = l.lender_id
JOIN residents bw ON bw.id = l.borrower_id
LEFT JOIN payment_requests q ON q.id = l.request_id
"""


def loan(db: Database, loan_id: str) -> sqlite3.Row | None:
    return query_one(db, _LOAN + "WHERE l.id = ?", (loan_id,))


def loans_of(db: Database, resident_id: str, *, limit: int = 100) -> list[sqlite3.Row]:
    return query(
        db,
        _LOAN + "WHERE l.lender_id = :id OR l.borrower_id = :id "
        "ORDER BY l.returned_at IS NOT NULL, l.rowid DESC LIMIT :limit",
        {"id": resident_id, "limit": limit},
    )


def overdue_loans(db: Database, today: str, resident_id: str | None = None) -> list[sqlite3.Row]:
    sql = _LOAN + "WHERE l.returned_at IS NULL AND l.due_on IS NOT NULL AND l.due_on < :today "
    params: dict = {"today": today}
    if resident_id:
        sql += "AND (l.lender_id = :id OR l.borrower_id = :id) "
        params["id"] = resident_id
    return query(db, sql + "ORDER BY l.due_on, l.rowid", params)


def open_loans(db: Database) -> list[sqlite3.Row]:
    return query(db, _LOAN + "WHERE l.returned_at IS NULL ORDER BY l.rowid DESC")
