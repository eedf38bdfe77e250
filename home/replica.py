"""The building's read replica at the hub: per building, a database of the kiosk's own schema,
brought up to date from the events the hub accepted, so that every figure the home site shows
is computed by the kiosk's own projections and read functions (no rule copied here).

- Where: beside the hub's files, ``<hub files>-home/<digest of the building>.sqlite3`` (the
  hub's SQLite file, or the prefix of a PostgreSQL hub's key: ``sync.hub.db.files_prefix``)
  (``replica_path``). Nothing in it is authoritative: deleted, it is rebuilt from nothing.
- What: the hub's events of that building and the network's (what a kiosk of the building
  pulls), in ``hub_seq`` order, never one the hub refused (``hub_refused``), applied with
  ``apply_foreign_many`` as sync/pull.py does, then the hub's word on a revoked kiosk's
  events (``apply_hub_refusals``). The cursor is the last ``hub_seq`` applied (``kiosk_meta``).
- When: at each page view (``up_to_date``), in one ``BEGIN IMMEDIATE`` transaction per page of
  events, the cursor re-read inside it, so concurrent requests apply each event once.
- An event the hub refuses after the fact (a kiosk revoked with its later events) is set
  aside by the hub's own ``kiosk.events_refused`` event, as on every kiosk.
- Deleted, the file is made again from nothing at the next view.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database

from kiosk import store
from kiosk.store import events as eventlog
from kiosk.store import refused
from sync import protocol
from sync.hub import pages

PAGE = 2000
CURSOR = "home_replica_cursor"

# What a kiosk of the building would be served, its own events included (one query for both).
_PAGE_SQL = pages.page_sql(include_own=True)
_created_lock = threading.Lock()
_migrated: set[str] = set()


def replica_path(hub_database: str | Path, building: str) -> Path:
    """The replica of ``building`` beside the hub's database (the file name is a digest of the
    building's name: any name, no path in it)."""
    hub_database = Path(hub_database)
    digest = hashlib.sha256(building.encode("utf-8")).hexdigest()[:24]
    return hub_database.parent / f"{hub_database.name}-home" / f"{digest}.sqlite3"


def open_replica(hub_database: str | Path, building: str) -> Database:
    """A connection to the replica of ``building`` (created, or re-created if deleted, with the
    kiosk's schema). Not yet brought up to date: see ``up_to_date``."""
    path = replica_path(hub_database, building)
    key = str(path)
    with _created_lock:
        fresh = key not in _migrated or not path.exists()
        db = store.connect(path, migrate=fresh)
        if fresh:
            _migrated.add(key)
    return db


def up_to_date(hub: Database, replica: Database, building: str) -> int:
    """Apply to ``replica`` every event of ``building`` (and the network) the hub serves after
    the replica's cursor; returns how many events were applied."""
    # Most page views find nothing new: asked first without the replica's write lock, so
    # views of one building do not queue behind each other for nothing.
    probe = {"after": cursor(replica), "building": building, "limit": 1}
    if hub.conn.execute(_PAGE_SQL, probe).fetchone() is None:
        return 0
    applied = 0
    while True:
        done, more = _apply_page(hub, replica, building)
        applied += done
        if not more:
            return applied


def cursor(replica: Database) -> int:
    return int(store.get_meta(replica, CURSOR, "0"))


def _apply_page(hub: Database, replica: Database, building: str) -> tuple[int, bool]:
    """One page of events applied, and the cursor moved, in one write transaction of the
    replica (the cursor read inside it: another request may have gone first)."""
    with store.write(replica):
        after = cursor(replica)
        rows = hub.conn.execute(
            _PAGE_SQL, {"after": after, "building": building, "limit": PAGE + 1}
        ).fetchall()
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        if not rows:
            return 0, False
        events = [protocol.event_from_wire(json.loads(row[1])) for row in rows]
        applied = _apply(replica, events)
        last = rows[-1][0]
        store.set_meta(replica, CURSOR, str(last))
    return applied, more


def _apply(replica: Database, events: list[eventlog.Event]) -> int:
    """A page applied in bulk; if the projections refuse it, one event at a time, skipping
    those that cannot be applied (the hub accepted them; a kiosk would keep them aside)."""
    try:
        with store.write(replica):
            applied = eventlog.apply_foreign_many(replica, events)
            refused.apply_hub_refusals(replica, events)
            return applied
    except sqlite3.Error:
        pass
    applied, kept = 0, []
    for event in events:
        try:
            with store.write(replica):
                applied += eventlog.apply_foreign(replica, event)
            kept.append(event)
        except sqlite3.Error:
            continue
    refused.apply_hub_refusals(replica, kept)
    return applied
