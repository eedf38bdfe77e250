"""Caching drawn HTML between requests, keyed on the event log.

Every table a page reads is a projection of the append-only event log (DESIGN.md): nothing
changes unless an event is appended, locally or by sync. So the highest ``local_id`` of the
log is a version of everything the kiosk shows, and HTML drawn from projections can be reused
until it moves. Device state (print queue, wrong-PIN counters, sync cursor) is not in the log
and must never be drawn into cached HTML.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlite_utils import Database


def log_version(db: Database) -> int:
    """The highest ``local_id`` of the event log (a B-tree's last entry: microseconds)."""
    return db.conn.execute("SELECT max(local_id) FROM events").fetchone()[0] or 0


class LRUCache:
    """A bounded, thread-safe least-recently-used map (waitress serves from several threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], object]) -> object:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may both draw it, the result is the same
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
