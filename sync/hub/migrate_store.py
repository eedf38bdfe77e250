"""Copying a SQLite hub into PostgreSQL (``kiosk hub migrate-store``), and checking a copy.

``copy_store`` copies a stopped SQLite hub into an EMPTY PostgreSQL database, migrated here to
the code's level (sync/hub/schema_pg.py). It refuses, writing nothing, when the SQLite hub is
at another migration level than the code, when the target holds rows (the pseudo-kiosk
``HUB`` its first migration writes aside), or when the hub's files already at the target
(its key, its mail secret) differ from the SQLite hub's.

The copy is ONE transaction, not resumable: the SQLite file is read in one snapshot and the
PostgreSQL database written under the hub's advisory write lock (no hub process writes while
it runs); tables go in dependency order (foreign keys), rows in primary-key order, streamed by
``COPY`` in batches of ``batch`` rows (memory stays flat). The append-only trigger on
``events`` stays on: the copy only inserts. Identity sequences are set past the copied ids
(``hub_seq`` first of all: every kiosk's pull cursor keeps meaning the same events; SQLite's
``sqlite_sequence`` counts too, so a number handed out once is never handed out again). Then,
still inside the transaction, the copy is CHECKED (``compare``): per table the row count and a
SHA-256 of every row in primary-key order (JSON text of the values, the same on both sides;
PostgreSQL orders text with ``COLLATE "C"``, SQLite's byte order), every event's body against
its stored digest, and the sequences. Any difference: rolled back, the target stays empty. A
crash or a kill in the middle: PostgreSQL rolls the transaction back; run it again.

``check_copy`` runs the same comparison later (``--check``), e.g. before switching the hub's
configuration over: it tells a copy changed after the fact.

The hub's files never go in a database: ``<sqlite file>-key.pem`` and ``-mail-secret`` are
copied (mode 0600) to the prefix the PostgreSQL hub uses (``files_to``; ``kiosk hub`` commands
use ``<data_dir>/hub``: ``<data_dir>/hub-key.pem``). The key must be the same: kiosks check
the hub's seals with the key they learnt at enrolment. The home site's replicas are not
copied: they are rebuilt from the events.
"""

from __future__ import annotations

import graphlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync import protocol
from sync.hub import schema, schema_pg
from sync.hub.db import WRITE_LOCK, describe
from sync.hub.store_compare import (
    CopyReport,
    columns_of,
    compare,
    highest_sql,
    identities,
    quote,
    select_sql,
    sqlite_sequence,
    target_columns,
)

BATCH_ROWS = 1000
HUB_FILES = ("-key.pem", "-mail-secret")


class StoreCopyRefused(Exception):
    """Why the copy was not made (nothing was written to the target)."""


# ------------------------------------------------------------------------------- the source
def open_source(path: Path) -> sqlite3.Connection:
    """The SQLite hub, read only (never created: a wrong path is refused)."""
    if not Path(path).is_file():
        raise StoreCopyRefused(f"no SQLite hub at {path}")
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def source_level_problem(conn: sqlite3.Connection) -> str | None:
    """Why the SQLite hub is not at the code's migration level, or None."""
    code = [migration.name for migration in schema.migrations._migrations]
    try:
        done = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'hub' ORDER BY rowid"
            )
        ]
    except sqlite3.Error:
        return "this file is not a hub's database (no migrations recorded)"
    if done == code:
        return None
    missing, unknown = [n for n in code if n not in done], [n for n in done if n not in code]
    if unknown:
        return f"the SQLite hub was migrated by a newer version ({', '.join(unknown)})"
    return (
        f"the SQLite hub lacks migrations {', '.join(missing)}: start this version's hub on it "
        "once (or run `kiosk hub kiosks` with it configured), stop it, then migrate"
    )


def hub_tables(conn: sqlite3.Connection) -> list[str]:
    """The hub's tables in dependency order: a table after every table its keys refer to."""
    names = sorted(
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name <> '_sqlite_migrations'"
        )
    )
    graph = graphlib.TopologicalSorter()
    for name in names:
        refers = {row[2] for row in conn.execute(f'PRAGMA foreign_key_list("{name}")')}
        graph.add(name, *sorted(refers - {name}))
    return [name for name in graph.static_order() if name in names]


# ------------------------------------------------------------------------------- the target
def _target_problems(conn: sqlite3.Connection, raw: Any, tables: list[str]) -> list[str]:
    """Why the target cannot take the copy: another schema, or rows in it."""
    problems = []
    code = [name for name, _ in schema_pg.MIGRATIONS]
    done = [row[0] for row in raw.execute("SELECT name FROM hub_migrations ORDER BY name")]
    if sorted(code) != done:
        problems.append(f"the target's migrations ({', '.join(done)}) are not this version's")
    target = target_columns(raw)
    for table in tables:
        columns, _key = columns_of(conn, table)
        if sorted(columns) != sorted(target.get(table, {})):
            problems.append(f"table {table} has other columns in the target")
    for table in sorted(set(target) - set(tables)):
        problems.append(f"the target has a table {table} the SQLite hub has not")
    for table in tables:
        if table not in target:
            continue
        sql = "SELECT COUNT(*) FROM " + quote(table)  # noqa: S608 (a name of the schema)
        params: tuple = ()
        if table == "kiosks":  # the hub's pseudo-kiosk, written by its first migration
            sql, params = sql + " WHERE origin <> %s", (protocol.HUB_ORIGIN,)
        count = raw.execute(sql, params).fetchone()[0]
        if count:
            problems.append(f"the target already holds {count} rows in {table}")
    return problems


def _sequence_past_ids(conn: sqlite3.Connection, raw: Any, table: str, column: str) -> int:
    """Set the target's identity sequence of ``table`` past every id the SQLite hub handed
    out (its rows and its ``sqlite_sequence``): the next id the target hands out."""
    highest = conn.execute(highest_sql(table, column)).fetchone()[0]
    highest = max(int(highest), sqlite_sequence(conn, table))
    raw.execute(
        "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
        (quote(table), column, max(highest, 1), highest > 0),
    )
    return highest + 1


# ---------------------------------------------------------------------------------- copying
def _copy_table(conn: sqlite3.Connection, raw: Any, table: str, batch: int) -> None:
    columns, key = columns_of(conn, table)
    names = ", ".join(quote(c) for c in columns)
    rows = conn.execute(select_sql(table, columns, ", ".join(quote(c) for c in key)))
    with raw.cursor() as cursor, cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
        while chunk := rows.fetchmany(batch):
            for row in chunk:
                copy.write_row(row)


# ------------------------------------------------------------------------------------ files
def _files_plan(files_from: str, files_to: str) -> list[tuple[Path, Path]]:
    """The hub's files to copy; refused if one at the target differs from the source's."""
    plan = []
    for suffix in HUB_FILES:
        source, target = Path(files_from + suffix), Path(files_to + suffix)
        if not source.is_file() or source.resolve() == target.resolve():
            continue
        if target.exists() and target.read_bytes() != source.read_bytes():
            raise StoreCopyRefused(
                f"{target} exists and differs from {source}: the PostgreSQL hub must keep the "
                "SQLite hub's key and secret (kiosks check its seals); move it away first"
            )
        plan.append((source, target))
    return plan


def _copy_files(plan: list[tuple[Path, Path]]) -> list[str]:
    said = []
    for source, target in plan:
        if target.exists():
            said.append(f"file {target}: already the same as {source}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        said.append(f"file {target}: copied from {source} (mode 600)")
    return said


def _files_report(files_from: str, files_to: str) -> tuple[list[str], list[str]]:
    said, problems = [], []
    for suffix in HUB_FILES:
        source, target = Path(files_from + suffix), Path(files_to + suffix)
        if not source.is_file():
            continue
        if not target.is_file():
            problems.append(f"{target} is missing (the SQLite hub has {source})")
        elif target.read_bytes() != source.read_bytes():
            problems.append(f"{target} differs from {source}")
        else:
            said.append(f"file {target}: the same as {source}")
    return said, problems


# --------------------------------------------------------------------------------- commands
def copy_store(
    source_path: Path,
    target_url: str,
    *,
    files_to: str | Path,
    batch: int = BATCH_ROWS,
    after_table: Callable[[str], None] | None = None,
) -> CopyReport:
    """Copy the SQLite hub at ``source_path`` into the empty PostgreSQL database
    ``target_url`` and check the copy (see the module's text); the report says what was done.
    ``after_table``: called after each table is copied, inside the transaction (the tests'
    fault: raising there is a crash in the middle). Raises ``StoreCopyRefused``."""
    report = CopyReport(source=str(source_path), target=describe(target_url))
    conn = open_source(source_path)
    try:
        problem = source_level_problem(conn)
        if problem:
            raise StoreCopyRefused(problem)
        plan = _files_plan(str(source_path), str(files_to))
        target = schema.connect_hub(target_url, files=files_to)  # migrated to the code's level
        raw = target.conn.raw
        try:
            conn.execute("BEGIN")  # one snapshot of the SQLite hub for the copy and its check
            tables = hub_tables(conn)
            problems = _target_problems(conn, raw, tables)
            if problems:
                raise StoreCopyRefused("; ".join(problems))
            report.files = _copy_files(plan)
            raw.execute("BEGIN")
            try:
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                raw.execute("DELETE FROM kiosks WHERE origin = %s", (protocol.HUB_ORIGIN,))
                for table in tables:
                    _copy_table(conn, raw, table, batch)
                    if after_table is not None:
                        after_table(table)
                for table, column in identities(raw):
                    _sequence_past_ids(conn, raw, table, column)
                compare(conn, raw, tables, report, batch)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            if report.identical:
                raw.execute("COMMIT")
                report.committed = True
            else:
                raw.execute("ROLLBACK")
        finally:
            target.close()
    finally:
        conn.close()
    return report


def check_copy(source_path: Path, target_url: str, *, files_to: str | Path) -> CopyReport:
    """Compare the PostgreSQL hub at ``target_url`` with the SQLite hub it was copied from,
    each read in one snapshot; nothing is written."""
    report = CopyReport(source=str(source_path), target=describe(target_url))
    conn = open_source(source_path)
    try:
        target = schema.open_hub(target_url, files=files_to)
        raw = target.conn.raw
        try:
            conn.execute("BEGIN")
            raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                compare(conn, raw, hub_tables(conn), report, BATCH_ROWS)
            finally:
                raw.execute("ROLLBACK")
        finally:
            target.close()
    finally:
        conn.close()
    report.files, problems = _files_report(str(source_path), str(files_to))
    report.problems.extend(problems)
    report.committed = True  # what is compared is already there
    return report
