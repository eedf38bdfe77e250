"""Helpers of the kiosk's and the hub's migrations: running a script of statements inside the
migration's transaction (``executescript``), and changing a table's CHECK constraint, which
SQLite's ALTER TABLE cannot: the table is rebuilt with its new CREATE statement."""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database


def executescript(db: Database, sql: str) -> None:
    """Run the statements of ``sql`` in their order, inside the transaction open on ``db`` (a
    migration's), so that they are undone with it if it fails.

    sqlite-utils' ``Database.executescript`` does the same inside a transaction (Python's own
    commits first), but finds where each statement ends by joining and re-reading it after
    every character: quadratic in a statement's length, it took 80% of a new kiosk database's
    migrations (0.23 s on a PC). Here a statement is read again only at each ``;``, and
    ``sqlite3.complete_statement`` tells a ``;`` that ends a statement from one in a trigger's
    body, a string or a comment."""
    statement = ""
    for piece in sql.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \t\r\n;"):
                db.conn.execute(statement)
            statement = ""
    if statement.strip(" \t\r\n;"):
        db.conn.execute(statement)  # an unfinished statement: SQLite says what is wrong


def rebuild_table(db: Database, table: str, new_sql: str) -> None:
    """Give ``table`` the CREATE statement ``new_sql`` (the same columns), keeping its rows and
    their rowids, its indexes and triggers, its AUTOINCREMENT counter and every foreign key
    that points at it.

    SQLite's documented procedure for a change ALTER TABLE cannot make
    (https://www.sqlite.org/lang_altertable.html#otheralter), as sqlite-utils now does instead
    of ``PRAGMA writable_schema`` (refused by SQLite builds in defensive mode), but inside the
    migration's transaction, where foreign keys cannot be switched off. Their checks are
    deferred to the commit instead, and the rows go back into a table of the very name that
    other tables reference: dropping it counts their rows as broken references, putting its
    rows back mends them before the commit. (Renaming a new table into place, as
    ``table.transform()`` does, would leave them counted as broken and fail at the commit.)
    """
    name = _quoted(table)
    columns = ", ".join(_quoted(row[1]) for row in db.execute(f"PRAGMA table_info({name})"))
    indexes_and_triggers = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY rowid",
            [table],
        )
    ]
    sequence = None
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
        sequence = row[0] if row else None
    held = _quoted(f"rebuilding_{table}")
    deferred = db.execute("PRAGMA defer_foreign_keys").fetchone()[0]
    db.execute("PRAGMA defer_foreign_keys = ON")
    try:
        db.execute(f"CREATE TEMP TABLE {held} AS SELECT rowid AS row_id, {columns} FROM {name}")  # noqa: S608 (names from the schema)
        db.execute(f"DROP TABLE {name}")  # its indexes and triggers go with it
        db.execute(new_sql)
        db.execute(
            f"INSERT INTO {name} (rowid, {columns}) "  # noqa: S608 (names from the schema)
            f"SELECT row_id, {columns} FROM temp.{held} ORDER BY row_id"
        )
        db.execute(f"DROP TABLE temp.{held}")
        for sql in indexes_and_triggers:
            db.execute(sql)
        if sequence is not None:
            db.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", [sequence, table]
            )
        # Checked here rather than left to the commit, which would fail with the transaction
        # still open.
        if any(row[2] == table for row in db.execute("PRAGMA foreign_key_check")):
            raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed rebuilding {table}")
    finally:
        if not deferred:
            db.execute("PRAGMA defer_foreign_keys = OFF")


def widen_check_list(db: Database, table: str, column: str, values: tuple[str, ...]) -> None:
    """Add ``values`` to ``CHECK (column IN (...))`` of ``table`` (idempotent). Only that list
    changes, so columns added by other migrations are kept as they are."""
    sql, match, known = _check_list(db, table, column)
    if match is None:
        raise RuntimeError(f"{table}.{column} has no CHECK ({column} IN (...)) to widen")
    wanted = known + [value for value in values if value not in known]
    if wanted == known:
        return
    new_check = "CHECK ({} IN ({}))".format(column, ", ".join(f"'{value}'" for value in wanted))
    rebuild_table(db, table, sql[: match.start()] + new_check + sql[match.end() :])


def check_list_as_comparisons(db: Database, table: str, column: str) -> None:
    """Rewrite ``CHECK (column IN ('a', 'b'))`` of ``table`` as ``CHECK (column = 'a' OR
    column = 'b')`` (idempotent): the same rule, cheaper to check. SQLite sets up the IN list
    again for every row an ``executemany`` inserts; on the event log, the table every write and
    every synced event goes through, that was 0.9 s instead of 0.6 s per 100,000 rows.
    """
    sql, match, values = _check_list(db, table, column)
    if match is None:
        return
    new_check = "CHECK ({})".format(" OR ".join(f"{column} = '{value}'" for value in values))
    rebuild_table(db, table, sql[: match.start()] + new_check + sql[match.end() :])


def _check_list(db: Database, table: str, column: str) -> tuple[str, re.Match | None, list[str]]:
    """The table's SQL, its ``CHECK (column IN (...))`` (None if it has none) and the values."""
    sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()[0]
    match = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", sql)
    return sql, match, re.findall(r"'([a-z_]+)'", match.group(1)) if match else []


def _quoted(identifier: str) -> str:
    return '"{}"'.format(identifier.replace('"', '""'))
