"""The append-only event log and its projections.

``record(db, type, payload)`` appends one event (this kiosk's origin, the next gapless ``seq``)
and applies it to the projections in the same transaction. The declared projectors are the only
code that changes projection rows; ``rebuild`` replays a whole log into a fresh database with
them, so the rebuilt projections equal the live ones (a test proves it).

Each event type is declared once, with its scope, authority, payload check and projector, in
the registry (kiosk/store/registry.py): ``record`` refuses a type or a payload it does not accept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database

from kiosk import clock, ids
from kiosk.store import db as dbmod
from kiosk.store.registry import registry
from kiosk.store.restoring import refuse_while_restoring


@dataclass(frozen=True)
class Event:
    id: str
    origin: str
    seq: int
    type: str
    scope: str
    payload: dict[str, Any]
    created_at: str

    @classmethod
    def from_row(cls, row) -> Event:
        return cls(
            id=row["id"],
            origin=row["origin"],
            seq=row["seq"],
            type=row["type"],
            scope=row["scope"],
            payload=json.loads(row["payload"]),
            created_at=row["created_at"],
        )

    @property
    def reference(self) -> str:
        """A short reference people can read out: ORIGIN-SEQ."""
        return f"{self.origin}-{self.seq}"


def project_in_order(db: Database, events: Sequence[Event]) -> None:
    """Apply ``events`` to the projections in their order: a run of consecutive events of one
    type with a bulk projector goes to it at once, any other event to its own projector."""
    declared_types = registry.by_name()
    count, i = len(events), 0
    while i < count:
        event_type = events[i].type
        declared = declared_types.get(event_type)
        if declared is None:  # a type this kiosk does not know (a newer kiosk's): stored only
            i += 1
            continue
        bulk = declared.bulk_projector
        if bulk is None:
            declared.apply(db, events[i])
            i += 1
            continue
        end = i + 1
        while end < count and events[end].type == event_type:
            end += 1
        bulk(db, events[i:end])
        i = end


def kiosk_id(db: Database) -> str:
    """This kiosk's origin id, made once when the database is first used."""
    row = dbmod.query_one(db, "SELECT value FROM kiosk_meta WHERE key = 'kiosk_id'")
    if row is not None:
        return row["value"]
    with dbmod.write(db):
        row = dbmod.query_one(db, "SELECT value FROM kiosk_meta WHERE key = 'kiosk_id'")
        if row is not None:
            return row["value"]
        new_id = ids.scan_token(6)
        db.execute("INSERT INTO kiosk_meta (key, value) VALUES ('kiosk_id', ?)", [new_id])
        return new_id


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO kiosk_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def get_meta(db: Database, key: str, default: str | None = None) -> str | None:
    row = dbmod.query_one(db, "SELECT value FROM kiosk_meta WHERE key = ?", (key,))
    return default if row is None else row["value"]


def last_seq(db: Database, origin: str) -> int:
    """The highest seq of ``origin``'s events this database holds, in the log or kept aside as
    refused (kiosk/store/refused.py: the hub holds that seq too, so it is never used again);
    0: none."""
    return dbmod.scalar(
        db,
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM events WHERE origin = :o), 0), "
        "COALESCE((SELECT MAX(seq) FROM refused_events WHERE origin = :o), 0))",
        {"o": origin},
    )


def record(db: Database, event_type: str, payload: dict[str, Any]) -> Event:
    """Append one event of this kiosk and apply it, inside the caller's write transaction.

    ``UnknownEventType`` for a type the registry does not declare, ``PayloadRefused`` for a
    payload its check refuses, ``KioskBeingRestored`` while a restore from the hub is under
    way (kiosk/store/restoring.py: the seq this event would take may be the hub's for another):
    nothing is written then."""
    if not db.conn.in_transaction:
        raise RuntimeError("record() must run inside store.write(db)")
    declared = registry.get(event_type)
    declared.check(payload)
    refuse_while_restoring(db)
    origin = kiosk_id(db)
    seq = last_seq(db, origin) + 1
    event = Event(
        id=ids.uuid7(),
        origin=origin,
        seq=seq,
        type=event_type,
        scope=declared.scope,
        payload=payload,
        created_at=clock.now_iso(),
    )
    _insert(db, event)
    declared.apply(db, event)
    return event


# The stored payload text: sorted keys, no spaces, UTF-8. A recorded event's payload comes from
# domain code: the standard library writes it, refusing NaN and Infinity as SQLite's json_valid
# would. A pulled one was read from strict JSON (sync.protocol.loads): orjson writes it, several
# times faster on a page of thousands (the same text, but for how some floats are spelt).
_payload_text = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode
_SORT_KEYS = orjson.OPT_SORT_KEYS


def _payload_text_fast(payload: dict[str, Any]) -> str:
    try:
        return orjson.dumps(payload, option=_SORT_KEYS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits
        return _payload_text(payload)


# A page of pulled events goes in with multi-row INSERTs (``db.insert_multi_row``), which halves
# the insert; a row whose (origin, seq) is held (or met earlier in the page) is skipped.
_INSERT_HEAD = "INSERT INTO events (id, origin, seq, type, scope, payload, created_at)"
_INSERT = _INSERT_HEAD + " VALUES (?, ?, ?, ?, ?, ?, ?)"
_UNLESS_HELD = " ON CONFLICT (origin, seq) DO NOTHING"
_ROWS_PER_INSERT = 512  # 7 parameters a row


def _row(event: Event) -> tuple:
    return (
        event.id,
        event.origin,
        event.seq,
        event.type,
        event.scope,
        _payload_text(event.payload),
        event.created_at,
    )


def _insert(db: Database, event: Event) -> None:
    db.execute(_INSERT, _row(event))


def apply_foreign(db: Database, event: Event) -> bool:
    """Store and apply an event written elsewhere (sync, restore). False if already held."""
    exists = dbmod.query_one(
        db, "SELECT id FROM events WHERE origin = ? AND seq = ?", (event.origin, event.seq)
    )
    if exists is not None:
        return False
    _insert(db, event)
    _apply_if_known(db, event)
    return True


def _apply_if_known(db: Database, event: Event) -> None:
    """Apply ``event`` to the projections; a type this kiosk does not know is only stored."""
    declared = registry.find(event.type)
    if declared is not None:
        declared.apply(db, event)


def insert_values(events: Sequence[Event]) -> list:
    """The values ``apply_foreign_many`` inserts for ``events`` (7 a row, payloads written out):
    made beforehand, e.g. while the page before is applied, they spare the write transaction."""
    encode = _payload_text_fast
    values: list = []
    add = values.extend
    for event in events:
        add(
            (
                event.id,
                event.origin,
                event.seq,
                event.type,
                event.scope,
                encode(event.payload),
                event.created_at,
            )
        )
    return values


def apply_foreign_many(db: Database, events: list[Event], values: list | None = None) -> int:
    """``apply_foreign`` for a page of events, in their order: how many were new. ``values``:
    ``insert_values(events)``, if already made.

    The page goes in with multi-row INSERTs that skip an (origin, seq) already held (``ON
    CONFLICT (origin, seq) DO NOTHING``; an event id used by another (origin, seq) still fails).
    When every row went in, the whole page is projected; otherwise the rows added are read back
    by ``local_id`` and only those are projected. Projectors run in page order (runs of one type
    at once where the type has a bulk projector, ``project_in_order``), inside the
    caller's write transaction, so a projector that fails leaves nothing of the page. An event
    met twice in ``events`` is applied once.

    Pulled events are checked before they come here (the sync client runs
    ``kiosk.store.refused.screen_pulled``: the declared authority and payload check of each
    type); what is refused is kept aside, never given to this function.
    """
    conn = db.conn
    if not conn.in_transaction:
        raise RuntimeError("apply_foreign_many() must run inside store.write(db)")
    if not events:
        return 0
    top = conn.execute("SELECT COALESCE(MAX(local_id), 0) FROM events").fetchone()[0]
    changes = conn.total_changes
    dbmod.insert_multi_row(
        conn,
        _INSERT_HEAD,
        insert_values(events) if values is None else values,
        7,
        rows_per_insert=_ROWS_PER_INSERT,
        tail=_UNLESS_HELD,
    )
    if conn.total_changes - changes == len(events):
        new = events
    else:
        added = {
            (origin, seq)
            for origin, seq in conn.execute(
                "SELECT origin, seq FROM events WHERE local_id > ?", (top,)
            )
        }
        new = []
        for event in events:
            key = (event.origin, event.seq)
            if key in added:
                added.discard(key)  # a second copy in the page was not inserted
                new.append(event)
    project_in_order(db, new)
    return len(new)


def events(db: Database, after_local_id: int = 0):
    """Every event in the order this kiosk applied them."""
    cursor = db.conn.execute(
        "SELECT * FROM events WHERE local_id > ? ORDER BY local_id", (after_local_id,)
    )
    for row in cursor:
        yield Event.from_row(row)


def rebuild(source: Database, target_path: str | Path) -> Database:
    """Replay ``source``'s event log into a fresh database at ``target_path``."""
    target_path = Path(target_path)
    if target_path.exists():
        raise FileExistsError(f"{target_path} already exists; rebuild writes a fresh database")
    target = dbmod.connect(target_path)
    with dbmod.write(target):
        for row in dbmod.query(source, "SELECT key, value FROM kiosk_meta"):
            set_meta(target, row["key"], row["value"])
        for event in events(source):
            _insert(target, event)
            _apply_if_known(target, event)
    return target


def projection_snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every projection row, sorted: equal snapshots mean equal projections."""
    snapshot = {}
    for table in registry.projection_tables():
        rows = dbmod.query(db, f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
        snapshot[table] = sorted(tuple(row) for row in rows)
    return snapshot
