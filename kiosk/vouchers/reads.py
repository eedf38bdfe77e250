"""Read queries of vouchers: one voucher, a resident's, outstanding, settled, the circulation."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk.store.db import query, query_one, scalar

_VOUCHER = """
SELECT v.*, s.outcome, s.reason, s.credit_account, s.resident_id AS bearer_id,
       s.decided_by, s.honoured_expired, s.origin AS settled_origin, s.transfer_id AS settle_transfer,
       s.settled_at, ir.name AS issuer_name, ir.apartment AS issuer_apartment,
       br.name AS bearer_name, br.apartment AS bearer_apartment,
       k.building AS settled_building
FROM vouchers v
LEFT JOIN voucher_settlements s ON s.serial = v.serial
LEFT JOIN residents ir ON ir.id = v.issuer_resident_id
LEFT JOIN residents br ON br.id = s.resident_id
LEFT JOIN kiosk_keys k ON k.origin = s.origin
"""

# Issued in this building's ledger and still in circulation.
_OUTSTANDING = "v.issue_transfer IS NOT NULL AND s.serial IS NULL"


def voucher(db: Database, serial: str) -> sqlite3.Row | None:
    return query_one(db, _VOUCHER + "WHERE v.serial = ?", (serial,))


def next_voucher_seq(db: Database, origin: str) -> int:
    return scalar(
        db,
        "SELECT COALESCE(MAX(voucher_seq), 0) + 1 FROM vouchers WHERE issuer_origin = ?",
        (origin,),
    )


def outstanding_of_resident(db: Database, resident_id: str) -> tuple[int, int]:
    """(count, total hundredths) of a resident's vouchers still in circulation."""
    row = query_one(
        db,
        "SELECT COUNT(*), COALESCE(SUM(v.amount), 0) FROM vouchers v "  # noqa: S608 (fixed SQL text)
        "LEFT JOIN voucher_settlements s ON s.serial = v.serial "
        "WHERE v.issuer_resident_id = ? AND " + _OUTSTANDING,
        (resident_id,),
    )
    return row[0], row[1]


def vouchers_of_resident(db: Database, resident_id: str, *, limit: int = 200) -> list[sqlite3.Row]:
    """A resident's vouchers, outstanding first, then newest first."""
    return query(
        db,
        _VOUCHER + "WHERE v.issuer_resident_id = ? "
        "ORDER BY s.serial IS NOT NULL, v.issuer_origin, v.voucher_seq DESC LIMIT ?",
        (resident_id, limit),
    )


def outstanding(db: Database) -> list[sqlite3.Row]:
    return query(db, _VOUCHER + "WHERE " + _OUTSTANDING + " ORDER BY v.issued_on, v.serial")


def expired_outstanding(db: Database, today_iso: str) -> list[sqlite3.Row]:
    return query(
        db,
        _VOUCHER
        + "WHERE "
        + _OUTSTANDING
        + " AND v.expires_on < ? ORDER BY v.expires_on, v.serial",
        (today_iso,),
    )


def settled(db: Database, outcome: str, *, limit: int = 200) -> list[sqlite3.Row]:
    """Redeemed or cancelled vouchers, the latest settled here first."""
    return query(
        db,
        _VOUCHER + "WHERE s.outcome = ? ORDER BY s.rowid DESC LIMIT ?",
        (outcome, limit),
    )


def circulation_figures(db: Database, account_id: str) -> dict[str, int]:
    """What the vouchers-in-circulation account should hold, and what it holds.

    Vouchers cross buildings: one issued here and redeemed elsewhere still sits in this
    building's account (the other building paid it), one of another building redeemed here was
    paid from it. Without such crossings, balance == outstanding.
    """

    def total(where: str) -> tuple[int, int]:
        row = query_one(
            db,
            "SELECT COUNT(*), COALESCE(SUM(v.amount), 0) FROM vouchers v "  # noqa: S608 (fixed SQL text)
            "LEFT JOIN voucher_settlements s ON s.serial = v.serial WHERE " + where,
        )
        return row[0], row[1]

    outstanding_count, outstanding_total = total(_OUTSTANDING)
    away_count, away_total = total(
        "v.issue_transfer IS NOT NULL AND s.serial IS NOT NULL AND s.transfer_id IS NULL"
    )
    here_count, here_total = total(
        "v.issue_transfer IS NULL AND s.serial IS NOT NULL AND s.transfer_id IS NOT NULL"
    )
    balance = scalar(db, "SELECT balance FROM accounts WHERE id = ?", (account_id,)) or 0
    return {
        "balance": balance,
        "outstanding_count": outstanding_count,
        "outstanding_total": outstanding_total,
        "redeemed_elsewhere_count": away_count,
        "redeemed_elsewhere_total": away_total,
        "foreign_redeemed_here_count": here_count,
        "foreign_redeemed_here_total": here_total,
        "expected_balance": outstanding_total + away_total - here_total,
    }


def kiosk_building(db: Database, origin: str) -> str | None:
    return scalar(db, "SELECT building FROM kiosk_keys WHERE origin = ?", (origin,))


# --------------------------------------------------------------------------- settled twice

_CONFLICT = """
SELECT c.*, l.outcome AS losing_outcome, l.credit_account AS losing_account,
       l.transfer_id AS losing_transfer, l.settled_at AS losing_settled_at,
       COALESCE(l.resident_id, la.resident_id) AS loser_id, lr.name AS loser_name,
       lr.apartment AS loser_apartment,
       s.resident_id AS winner_id, wr.name AS winner_name, wr.apartment AS winner_apartment,
       s.settled_at AS winning_settled_at,
       lk.building AS losing_building, wk.building AS winning_building,
       ct.reference AS compensation_reference
FROM voucher_conflicts c
LEFT JOIN voucher_rival_settlements l ON l.event_id = c.losing_event_id
LEFT JOIN accounts la ON la.id = l.credit_account
LEFT JOIN residents lr ON lr.id = COALESCE(l.resident_id, la.resident_id)
LEFT JOIN voucher_settlements s ON s.event_id = c.winning_event_id
LEFT JOIN residents wr ON wr.id = s.resident_id
LEFT JOIN kiosk_keys lk ON lk.origin = c.losing_origin
LEFT JOIN kiosk_keys wk ON wk.origin = c.winning_origin
LEFT JOIN transfers ct ON ct.id = c.compensation_transfer
"""


def conflicts(db: Database, *, limit: int = 200) -> list[sqlite3.Row]:
    """Vouchers settled twice that the hub judged, the latest verdict first."""
    return query(
        db,
        _CONFLICT + "WHERE c.winning_event_id IS NOT NULL "
        "ORDER BY c.decided_at DESC, c.losing_event_id LIMIT ?",
        (limit,),
    )


def conflicts_of_resident(db: Database, resident_id: str) -> list[sqlite3.Row]:
    """Judged conflicts a resident took part in (losing or winning) and has not dismissed."""
    return query(
        db,
        _CONFLICT + "WHERE c.winning_event_id IS NOT NULL "  # noqa: S608 (fixed SQL text)
        "AND (COALESCE(l.resident_id, la.resident_id) = :r OR s.resident_id = :r) "
        "AND NOT EXISTS (SELECT 1 FROM voucher_conflict_notices_read n "
        "WHERE n.losing_event_id = c.losing_event_id AND n.resident_id = :r) "
        "ORDER BY c.decided_at DESC, c.losing_event_id",
        {"r": resident_id},
    )


def conflicts_to_compensate(db: Database, origin: str) -> list[sqlite3.Row]:
    """Judged conflicts whose losing credit sits in this building's ledger and falls to the
    kiosk ``origin``: the home kiosk of the resident credited, or for a system account the
    kiosk that recorded the losing settlement."""
    return query(
        db,
        "SELECT c.losing_event_id, c.serial, c.winning_origin, c.winning_type, "
        "l.outcome AS losing_outcome, l.credit_account, l.transfer_id, t.amount, "
        "a.resident_id AS account_resident "
        "FROM voucher_conflicts c "
        "JOIN voucher_rival_settlements l ON l.event_id = c.losing_event_id "
        "JOIN transfers t ON t.id = l.transfer_id "
        "JOIN accounts a ON a.id = l.credit_account "
        "LEFT JOIN residents r ON r.id = a.resident_id "
        "WHERE c.winning_event_id IS NOT NULL AND c.compensation_event IS NULL "
        "AND COALESCE(r.home_origin, l.origin) = ? "
        "ORDER BY c.decided_at, c.losing_event_id",
        (origin,),
    )
