"""Read queries of building projects and group purchases."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from kiosk.store.db import query, query_one, scalar

_PROJECT = """
SELECT p.*, a.balance AS account_balance, pu.state AS purchase_state, pu.deadline AS purchase_deadline,
       (SELECT COUNT(*) FROM project_members m WHERE m.project_id = p.id AND m.left_at IS NULL)
           AS member_count
FROM projects p
JOIN accounts a ON a.id = p.account_id
LEFT JOIN purchases pu ON pu.project_id = p.id
"""

_STATUS_ORDER = (
    "CASE p.status WHEN 'open' THEN 0 WHEN 'running' THEN 1 WHEN 'proposed' THEN 2 ELSE 3 END"
)


def project(db: Database, project_id: str) -> sqlite3.Row | None:
    return query_one(db, _PROJECT + "WHERE p.id = ?", (project_id,))


def projects(db: Database, *, include_closed: bool = True, limit: int = 200) -> list[sqlite3.Row]:
    where = "" if include_closed else "WHERE p.status != 'closed' "
    return query(
        db, _PROJECT + where + f"ORDER BY {_STATUS_ORDER}, p.updated_at DESC LIMIT ?", (limit,)
    )


def coordinators(db: Database, project_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT r.id, r.name, r.apartment FROM project_coordinators c JOIN residents r ON r.id = c.resident_id "
        "WHERE c.project_id = ? ORDER BY c.added_at, r.name",
        (project_id,),
    )


def members(db: Database, project_id: str) -> list[sqlite3.Row]:
    """Current members, in the order they joined (that order shares out remainders)."""
    return query(
        db,
        "SELECT r.id, r.name, r.apartment, m.joined_at FROM project_members m "
        "JOIN residents r ON r.id = m.resident_id WHERE m.project_id = ? AND m.left_at IS NULL "
        "ORDER BY m.joined_at, m.rowid",
        (project_id,),
    )


def is_member(db: Database, project_id: str, resident_id: str) -> bool:
    return (
        query_one(
            db,
            "SELECT 1 FROM project_members WHERE project_id = ? AND resident_id = ? AND left_at IS NULL",
            (project_id, resident_id),
        )
        is not None
    )


def is_coordinator(db: Database, project_id: str, resident_id: str) -> bool:
    return (
        query_one(
            db,
            "SELECT 1 FROM project_coordinators WHERE project_id = ? AND resident_id = ?",
            (project_id, resident_id),
        )
        is not None
    )


def updates(db: Database, project_id: str, *, limit: int = 50) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT u.*, r.name AS author_name FROM project_updates u JOIN residents r ON r.id = u.author_id "
        "WHERE u.project_id = ? ORDER BY u.rowid DESC LIMIT ?",
        (project_id, limit),
    )


def tasks(db: Database, project_id: str) -> list[sqlite3.Row]:
    return query(
        db, "SELECT * FROM project_tasks WHERE project_id = ? ORDER BY rowid", (project_id,)
    )


def task(db: Database, task_id: str) -> sqlite3.Row | None:
    return query_one(db, "SELECT * FROM project_tasks WHERE id = ?", (task_id,))


def volunteers(db: Database, task_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT v.*, r.name, r.apartment FROM project_volunteers v JOIN residents r ON r.id = v.resident_id "
        "WHERE v.task_id = ? ORDER BY v.signed_at, r.name",
        (task_id,),
    )


def volunteer(db: Database, task_id: str, resident_id: str) -> sqlite3.Row | None:
    return query_one(
        db,
        "SELECT * FROM project_volunteers WHERE task_id = ? AND resident_id = ?",
        (task_id, resident_id),
    )


def dues_paid(db: Database, project_id: str, period: str) -> dict[str, sqlite3.Row]:
    rows = query(
        db, "SELECT * FROM project_dues WHERE project_id = ? AND period = ?", (project_id, period)
    )
    return {row["resident_id"]: row for row in rows}


# --------------------------------------------------------------------------- purchases


def purchase(db: Database, project_id: str) -> sqlite3.Row | None:
    return query_one(
        db,
        "SELECT pu.*, r.name AS organiser_name, r.apartment AS organiser_apartment, "
        "a.id AS organiser_account FROM purchases pu JOIN residents r ON r.id = pu.organiser_id "
        "JOIN accounts a ON a.resident_id = r.id WHERE pu.project_id = ?",
        (project_id,),
    )


def purchases_due(db: Database, now_iso: str) -> list[str]:
    """Open purchases whose order deadline has passed."""
    rows = query(
        db, "SELECT project_id FROM purchases WHERE state = 'open' AND deadline <= ?", (now_iso,)
    )
    return [row["project_id"] for row in rows]


def products(db: Database, project_id: str) -> list[sqlite3.Row]:
    return query(
        db, "SELECT * FROM purchase_products WHERE project_id = ? ORDER BY position", (project_id,)
    )


def order_lines(db: Database, project_id: str) -> list[sqlite3.Row]:
    """Every order line with its product and resident, by household then product."""
    return query(
        db,
        "SELECT o.*, r.name AS resident_name, pr.name AS product_name, pr.unit, pr.unit_price, "
        "pr.retail_price, pr.position FROM purchase_orders o "
        "JOIN residents r ON r.id = o.resident_id JOIN purchase_products pr ON pr.id = o.product_id "
        "WHERE o.project_id = ? ORDER BY o.apartment COLLATE NOCASE, r.name, pr.position",
        (project_id,),
    )


def ordered_quantity(db: Database, product_id: str, *, except_resident: str | None = None) -> int:
    return scalar(
        db,
        "SELECT COALESCE(SUM(quantity), 0) FROM purchase_orders WHERE product_id = ? AND resident_id IS NOT ?",
        (product_id, except_resident),
    )


def participant_ids(db: Database, project_id: str) -> list[str]:
    rows = query(
        db,
        "SELECT DISTINCT resident_id FROM purchase_orders WHERE project_id = ? ORDER BY resident_id",
        (project_id,),
    )
    return [row["resident_id"] for row in rows]


def households(db: Database, project_id: str) -> dict[str, sqlite3.Row]:
    rows = query(db, "SELECT * FROM purchase_households WHERE project_id = ?", (project_id,))
    return {row["apartment"]: row for row in rows}


def fees(db: Database, project_id: str) -> list[sqlite3.Row]:
    return query(
        db,
        "SELECT f.*, r.name, r.apartment FROM purchase_fees f JOIN residents r ON r.id = f.resident_id "
        "WHERE f.project_id = ? ORDER BY r.apartment, r.name",
        (project_id,),
    )


def fee_refusals(db: Database, project_id: str) -> list[sqlite3.Row]:
    """The fees the ledger refused when the purchase was distributed, with their reason."""
    return query(
        db,
        "SELECT f.*, r.name, r.apartment, r.status FROM purchase_fee_refusals f "
        "JOIN residents r ON r.id = f.resident_id WHERE f.project_id = ? ORDER BY r.apartment, r.name",
        (project_id,),
    )
