"""Opening the kiosk's SQLite database and writing to it safely.

Every connection gets WAL, ``synchronous=FULL`` (a Pi loses power), foreign keys and a busy
time-out. Python's sqlite3 is put in autocommit mode so that transactions are ours: every write
goes through ``write(db)``, which opens ``BEGIN IMMEDIATE`` (the write lock is taken up front, so
two kiosk threads never deadlock half-way through an exchange) and commits or rolls back whole.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from kiosk.store import schema


def connect(path: str | Path, *, busy_timeout_ms: int = 5000, migrate: bool = True) -> Database:
    """Open (and create) the database at ``path``, upgraded to the current schema."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout_ms / 1000, check_same_thread=False, isolation_level=None
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Deleted or overwritten content is zeroed in the file, not left in free space: a secret
    # scrubbed from a row (printing/queue.py) is gone from the database file too.
    conn.execute("PRAGMA secure_delete = ON")
    db = Database(conn)
    if migrate:
        schema.migrations.apply(db)
    return db


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction, ``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any error.

    Nested use joins the outer transaction (a savepoint), so a domain function can call another.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


@functools.lru_cache(maxsize=32)
def _multi_row_sql(head: str, width: int, rows: int, tail: str) -> str:
    row = "(" + ", ".join(("?",) * width) + ")"
    return f"{head} VALUES {','.join((row,) * rows)}{tail}"


def insert_multi_row(
    conn: sqlite3.Connection,
    head: str,
    values: list,
    width: int,
    *,
    rows_per_insert: int,
    tail: str = "",
) -> None:
    """Insert the rows whose ``width`` values follow each other in ``values``, in their order,
    with multi-row INSERTs (``head`` is ``INSERT INTO table (columns)``, ``tail`` e.g. an ON
    CONFLICT clause). SQLite then sets the statement up (AUTOINCREMENT, constraints, foreign
    keys) once per ``rows_per_insert`` rows instead of once per row; partial chunks come in
    powers of two, so a connection's statement cache holds a handful of these, not one per
    length. ``rows_per_insert * width`` stays far below SQLite's 32766 parameters. A
    connection with an ``insert_rows`` method (the hub's PostgreSQL adapter) inserts plain
    rows (no ``tail``) its way."""
    insert_rows = getattr(conn, "insert_rows", None)  # a connection with a way of its own
    if insert_rows is not None and not tail:
        return insert_rows(head, values, width)
    rows, start = len(values) // width, 0
    while start < rows:
        left = rows - start
        count = rows_per_insert if left >= rows_per_insert else 1 << (left.bit_length() - 1)
        conn.execute(
            _multi_row_sql(head, width, count, tail),
            values[start * width : (start + count) * width],
        )
        start += count


def query(db: Database, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
    return db.conn.execute(sql, params).fetchall()


def query_one(db: Database, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
    return db.conn.execute(sql, params).fetchone()


def scalar(db: Database, sql: str, params: tuple | dict = ()):
    row = db.conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


class ConnectionPool:
    """One SQLite connection per serving thread, kept across requests.

    Opening a connection costs about a millisecond on a Pi-class CPU (the PRAGMAs, then parsing
    the whole schema on the first statement), more than most pages spend on their queries; a
    thread's connection also keeps its prepared statements. Reuse is safe because the database
    runs in autocommit mode: ``release`` rolls back anything a failed request left open, so no
    transaction or read snapshot outlives a request. waitress serves from a fixed set of
    threads, so there are as many connections as threads.

    ``open_connection`` opens one (the kiosk's ``connect``, the hub's ``open_hub``). The
    database file must not be replaced under a running server (``kiosk restore`` says to stop
    the kiosk first): closing a connection to a replaced file could delete the new file's WAL.
    """

    def __init__(self, open_connection: Callable[[], Database]) -> None:
        self._open = open_connection
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list = []

    def connection(self) -> Database:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self._open()
            self._local.db = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def release(self, conn: Database) -> None:
        """End of a request: nothing may stay open on the thread's connection. A connection
        whose server went away (``broken``: the hub's PostgreSQL store restarted) is dropped,
        and the thread's next request opens a new one."""
        if getattr(conn.conn, "broken", False):
            if getattr(self._local, "db", None) is conn:
                self._local.db = None
            with self._lock:
                self._all = [other for other in self._all if other is not conn]
            conn.close()
            return
        if conn.conn.in_transaction:
            conn.conn.execute("ROLLBACK")

    def close_all(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for conn in connections:
            conn.close()
