"""Comparing a SQLite hub with its PostgreSQL copy (sync/hub/migrate_store.py): per table
the row count and a SHA-256 of every row in primary-key order (the JSON text of its values, the
same on both sides; PostgreSQL orders text ``COLLATE "C"``, which is SQLite's byte order),
every event's body against its stored digest, the identity sequences (never handing out an id
again), and the append-only trigger; the report ``kiosk hub migrate-store`` prints."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def same(self) -> bool:
        return self.source_rows == self.target_rows and self.source_digest == self.target_digest


@dataclass
class CopyReport:
    source: str
    target: str
    tables: list[TableCheck] = field(default_factory=list)
    events: int = 0
    bad_events: dict[str, int] = field(default_factory=dict)  # body not hashing to its digest
    last_hub_seq: int = 0
    next_hub_seq: int = 0
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def identical(self) -> bool:
        return not self.problems and all(t.same for t in self.tables)

    def lines(self) -> list[str]:
        out = [f"From {self.source}", f"To   {self.target}", ""]
        out.append(f"{'table':<22} {'sqlite':>10} {'postgresql':>10}  rows")
        for t in self.tables:
            verdict = "same" if t.same else "DIFFERENT"
            out.append(f"{t.table:<22} {t.source_rows:>10} {t.target_rows:>10}  {verdict}")
        out.append("")
        out.append(
            f"events: {self.events}, last hub_seq {self.last_hub_seq}; "
            f"the next event gets {self.next_hub_seq}"
        )
        for side, count in self.bad_events.items():
            if count:
                out.append(f"events whose body does not match its digest ({side}): {count}")
        out.extend(self.files)
        out.extend(f"PROBLEM: {problem}" for problem in self.problems)
        different = [t.table for t in self.tables if not t.same]
        if different:
            out.append("PROBLEM: rows differ in " + ", ".join(different))
        if self.identical:
            out.append("Copy checked: identical." + (" Committed." if self.committed else ""))
        else:
            out.append(
                "The copy differs from the SQLite hub."
                + ("" if self.committed else " Nothing was kept: the target is as it was.")
            )
        return out


def columns_of(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[str]]:
    """A table's columns, and its primary key's (every column if it has none)."""
    info = list(conn.execute(f'PRAGMA table_info("{table}")'))
    columns = [row[1] for row in info]
    key = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]
    return columns, key or columns


def sqlite_sequence(conn: sqlite3.Connection, table: str) -> int:
    try:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select_sql(table: str, columns: list[str], order: str) -> str:
    """A SELECT of the hub's own table (names read from its schema, quoted)."""
    names = ", ".join(quote(c) for c in columns)
    return f"SELECT {names} FROM {quote(table)} ORDER BY {order}"  # noqa: S608 (schema names)


def highest_sql(table: str, column: str) -> str:
    return f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}"  # noqa: S608 (idem)


def target_columns(raw: Any) -> dict[str, dict[str, str]]:
    """The target's tables: column -> data type (``hub_migrations`` left out)."""
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in raw.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name <> 'hub_migrations'"
    ):
        found.setdefault(table, {})[column] = data_type
    return found


def identities(raw: Any) -> list[tuple[str, str]]:
    return [
        (row[0], row[1])
        for row in raw.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name"
        )
    ]


def next_id(raw: Any, table: str, column: str) -> int:
    """The next id the identity sequence of ``table.column`` hands out."""
    (sequence,) = raw.execute(
        "SELECT pg_get_serial_sequence(%s, %s)", (quote(table), column)
    ).fetchone()
    last, called = raw.execute(
        f"SELECT last_value, is_called FROM {sequence}"  # noqa: S608 (the name PostgreSQL gave)
    ).fetchone()
    return int(last) + 1 if called else int(last)


def _digest_rows(
    rows: Iterable, body_at: int | None, digest_at: int | None
) -> tuple[int, str, int]:
    """(row count, SHA-256 of the rows' JSON lines, events whose body misses its digest)."""
    total, bad, sha = 0, 0, hashlib.sha256()
    for row in rows:
        values = list(row)
        sha.update(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
        sha.update(b"\n")
        total += 1
        if body_at is not None and digest_at is not None:
            body = values[body_at]
            if (
                not isinstance(body, str)
                or hashlib.sha256(body.encode()).hexdigest() != values[digest_at]
            ):
                bad += 1
    return total, sha.hexdigest(), bad


def compare(
    conn: sqlite3.Connection, raw: Any, tables: list[str], report: CopyReport, batch: int
) -> None:
    """Fill ``report`` with each table's rows and digest on both sides, the events' digests
    and the sequences (each side read inside the caller's transaction)."""
    target = target_columns(raw)
    for table in tables:
        columns, key = columns_of(conn, table)
        body_at = columns.index("body") if table == "events" else None
        digest_at = columns.index("digest") if table == "events" else None
        order = ", ".join(quote(c) for c in key)
        src = _digest_rows(conn.execute(select_sql(table, columns, order)), body_at, digest_at)
        if table not in target:
            report.problems.append(f"the target has no table {table}")
            report.tables.append(TableCheck(table, src[0], 0, src[1], ""))
            continue
        pg_order = ", ".join(
            quote(c) + (' COLLATE "C"' if target[table].get(c) == "text" else "") for c in key
        )
        with raw.cursor(name=f"check_{table}") as cursor:
            cursor.itersize = batch
            cursor.execute(select_sql(table, columns, pg_order))
            dst = _digest_rows(cursor, body_at, digest_at)
        report.tables.append(TableCheck(table, src[0], dst[0], src[1], dst[1]))
        if table == "events":
            report.events = dst[0]
            report.bad_events = {"sqlite": src[2], "postgresql": dst[2]}
            if dst[2]:
                report.problems.append(f"{dst[2]} events of the copy do not match their digest")
    for table, column in identities(raw):
        highest = conn.execute(highest_sql(table, column)).fetchone()[0]
        handed_out = max(int(highest), sqlite_sequence(conn, table))
        following = next_id(raw, table, column)
        if following <= handed_out:
            report.problems.append(
                f"{table}.{column} would hand out {following} again (the SQLite hub reached "
                f"{handed_out})"
            )
        if table == "events":
            report.last_hub_seq, report.next_hub_seq = int(highest), following
    trigger = raw.execute(
        "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'hub_events_are_append_only' "
        "AND tgenabled <> 'D'"
    ).fetchone()[0]
    if not trigger:
        report.problems.append("the target's events are not append-only (trigger missing)")
