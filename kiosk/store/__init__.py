"""The store layer: SQLite access, migrations, the event log and its projections."""

from kiosk.store.db import ConnectionPool, connect, query, query_one, scalar, write
from kiosk.store.events import (
    Event,
    get_meta,
    kiosk_id,
    projection_snapshot,
    rebuild,
    record,
    set_meta,
)

__all__ = [
    "ConnectionPool",
    "Event",
    "connect",
    "get_meta",
    "kiosk_id",
    "projection_snapshot",
    "query",
    "query_one",
    "rebuild",
    "record",
    "scalar",
    "set_meta",
    "write",
]
