"""The hub's store on SQLite or PostgreSQL behind one small interface.

The hub's SQL is written once, with ``?`` (or ``:name``) placeholders, and runs through
``kiosk.store.db``'s helpers (``write``, ``query``, ``query_one``, ``scalar``) and
``db.execute`` / ``db.conn.execute(many)``. On SQLite ``db`` is a sqlite-utils ``Database``;
on PostgreSQL it is a ``PgDatabase``, which gives a psycopg 3 connection the same few
methods:

- placeholders are translated (``?`` -> ``%s``, ``:name`` -> ``%(name)s``, ``%`` -> ``%%``),
  quoted text left as it is;
- rows index both by position and by name (``Row``: a tuple with ``keys()``), like
  ``sqlite3.Row``;
- ``BEGIN IMMEDIATE`` (what ``kiosk.store.db.write`` opens) becomes ``BEGIN`` then
  ``pg_advisory_xact_lock(WRITE_LOCK)``: hub writes are serialised exactly as SQLite's write
  lock serialises them, so the ``hub_seq`` numbers handed out inside one write are all below
  those of any later write, and become visible (commit) before a later write even starts: a
  pull "after N" never skips an event that commits later with a smaller number (the lock is
  released after the commit is visible). A request's counter is used up by one UPDATE that
  is its own transaction (``kiosks.use_counter``), without that lock: it hands out no number;
  ``BEGIN`` (a read snapshot) becomes
  ``BEGIN ISOLATION LEVEL REPEATABLE READ``; ``db.atomic()`` inside a transaction is a
  savepoint.

Which store: ``is_postgresql(location)`` (a ``postgresql://`` URL) or a file path.
``files_prefix(db)`` is where the hub keeps its files that never go in the database (its key,
its mail secret): beside the SQLite file, or the prefix given when a PostgreSQL store is
opened. ``INTEGRITY_ERRORS`` and ``DATABASE_ERRORS`` catch either driver's errors.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.store import db as dbmod

WRITE_LOCK = 0x4B696F736B487562  # "KioskHub": the advisory lock every hub write takes
MIGRATION_LOCK = WRITE_LOCK + 1  # held while one process migrates the schema

# PostgreSQL is optional: a kiosk, or a SQLite hub, runs without psycopg, and does not load
# it (about 15 MB of a hub process's memory). It is imported with the first PostgreSQL
# store (``_load_psycopg``), which adds its errors to these tuples: read them through the
# module (``hubdb.DATABASE_ERRORS``), not by importing the names.
psycopg: Any = None
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)


def _load_psycopg() -> Any:
    global psycopg, INTEGRITY_ERRORS, DATABASE_ERRORS
    if psycopg is None:
        try:
            import psycopg as module  # noqa: PLC0415 - see above
        except ImportError as exc:  # pragma: no cover - the test extra installs it
            raise RuntimeError(
                "a PostgreSQL hub needs psycopg: pip install 'psycopg[binary]'"
            ) from exc
        INTEGRITY_ERRORS = (sqlite3.IntegrityError, module.errors.IntegrityError)
        DATABASE_ERRORS = (sqlite3.Error, module.Error)
        psycopg = module
    return psycopg


def is_postgresql(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def describe(location: str | Path) -> str:
    """The store as a log line may show it: a URL without its password, or the file."""
    if not is_postgresql(location):
        return str(location)
    parts = urlsplit(str(location))
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"PostgreSQL {host}{port}{parts.path}"


def files_prefix(db: Any) -> str:
    """The path the hub's own files extend (``<prefix>-key.pem``, ``<prefix>-mail-secret``)."""
    prefix = getattr(db, "files_prefix", None)
    if prefix:
        return prefix
    if isinstance(db, PgDatabase):
        raise RuntimeError("a PostgreSQL hub needs a folder for its key: open it with files=")
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return file
    raise RuntimeError("the hub's database must be a file: its key lives beside it")


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite's placeholders as psycopg's; text between quotes untouched."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            end = sql.find(c, i + 1)
            end = n - 1 if end < 0 else end
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
            continue
        if c == "?":
            out.append("%s")
        elif c == "%":
            out.append("%%")
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            if i > 0 and sql[i - 1] == ":":  # a ::cast
                out.append(c)
            else:
                j = i + 1
                while j < n and (sql[j].isalnum() or sql[j] == "_"):
                    j += 1
                out.append(f"%({sql[i + 1 : j]})s")
                i = j
                continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type:
    index = {name: i for i, name in enumerate(names)}

    class Row(tuple):
        """A row that indexes by position and by column name, like ``sqlite3.Row``."""

        __slots__ = ()

        def __getitem__(self, key):
            if isinstance(key, str):
                return tuple.__getitem__(self, index[key])
            return tuple.__getitem__(self, key)

        def keys(self) -> list[str]:
            return list(names)

    return Row


def _row_factory(cursor):
    if cursor.description is None:
        return tuple
    make = _row_class(tuple(column.name for column in cursor.description))
    return lambda values: make(values)


class PgConnection:
    """A psycopg connection (autocommit: transactions are opened by the statements below) with
    the part of ``sqlite3.Connection`` the hub uses."""

    def __init__(self, url: str) -> None:
        self.raw = _load_psycopg().connect(url, autocommit=True, row_factory=_row_factory)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @property
    def broken(self) -> bool:
        """The server connection is lost (PostgreSQL restarted, the network cut): a pool
        drops this connection and opens another at the next request."""
        return self.raw.closed or self.raw.broken

    def execute(self, sql: str, params: Any = ()):
        statement = sql.strip().rstrip(";").upper()
        if statement == "BEGIN IMMEDIATE":  # one round trip (no parameters: a simple query)
            return self.raw.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        if statement == "BEGIN":
            return self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        return self.raw.execute(translate(sql), _params(params))

    def executemany(self, sql: str, rows) -> None:
        """psycopg sends the rows in pipeline mode: one wait for the server, not one a row."""
        with self.raw.cursor() as cursor:
            cursor.executemany(translate(sql), [_params(row) for row in rows])

    def insert_rows(self, head: str, values: list, width: int) -> None:
        """``kiosk.store.db.insert_multi_row`` here for plain rows (``head``: ``INSERT INTO
        table (columns)``): by ``COPY``, PostgreSQL's bulk load, in their order (identities
        follow it), through the same constraints, keys and triggers as an INSERT, without
        psycopg's Python work for each row of a pipelined INSERT. (Rows with an ON CONFLICT
        clause, which COPY has not, go by multi-row INSERTs, as on SQLite.)"""
        table_and_columns = head.strip().removeprefix("INSERT INTO ")
        with self.raw.cursor() as cursor:
            with cursor.copy(f"COPY {table_and_columns} FROM STDIN") as copy:
                for start in range(0, len(values), width):
                    copy.write_row(values[start : start + width])

    def close(self) -> None:
        self.raw.close()


def _params(params: Any):
    """Always a tuple or a dict: psycopg then reads ``%%`` as ``%`` (None would leave it)."""
    if isinstance(params, dict):
        return params
    return tuple(params) if params else ()


class PgDatabase:
    """The hub's PostgreSQL store with the methods of sqlite-utils' ``Database`` it uses."""

    def __init__(self, url: str, *, files: str | Path | None = None) -> None:
        self.url = url
        self.conn = PgConnection(url)
        self.files_prefix = str(files) if files else None

    def execute(self, sql: str, params: Any = ()):
        return self.conn.execute(sql, params)

    @contextmanager
    def atomic(self) -> Iterator[PgDatabase]:
        """Inside a transaction, a savepoint (as sqlite-utils nests ``atomic``)."""
        if not self.conn.in_transaction:
            with dbmod.write(self):
                yield self
            return
        self.conn.raw.execute("SAVEPOINT hub_atomic")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.raw.execute("ROLLBACK TO SAVEPOINT hub_atomic")
                self.conn.raw.execute("RELEASE SAVEPOINT hub_atomic")
            raise
        else:
            self.conn.raw.execute("RELEASE SAVEPOINT hub_atomic")

    def close(self) -> None:
        self.conn.close()


def open_store(location: str | Path, *, files: str | Path | None = None):
    """The hub's store at ``location`` (a file path, or a PostgreSQL URL), not migrated."""
    if is_postgresql(location):
        return PgDatabase(str(location), files=files)
    return dbmod.connect(location, migrate=False)
