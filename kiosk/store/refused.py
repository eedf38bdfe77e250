"""The events a kiosk refused, kept aside with their reason (table ``refused_events``).

- ``screen_pulled``: every pulled event goes through the authority check
  (kiosk/store/authority.py) before it is applied; a refused one is kept aside, never applied,
  and the page goes on without it.
- ``apply_hub_refusals``: the hub's ``kiosk.events_refused`` (a revoked kiosk's events after a
  seq): those the log already holds stay there (append-only), marked ``in_log``, and the
  projections are rebuilt from the log without them (``rebuild_projections``).
- ``would_refuse``: the events of the log the check would refuse now (``kiosk check-db``).
- ``refused_events``: what the admin's sync page lists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from kiosk import clock
from kiosk.errors import N_
from kiosk.store import db as dbmod
from kiosk.store import events as eventlog
from kiosk.store.authority import EVENTS_REFUSED, KioskView, Refusal
from kiosk.store.registry import PRIVATE, registry

# Tables the projectors write beside the declared ones (the board's search index).
UNDECLARED_PROJECTION_TABLES = ("board_posts_fts",)


def _body(event: eventlog.Event) -> str:
    return json.dumps(
        {
            "id": event.id,
            "origin": event.origin,
            "seq": event.seq,
            "type": event.type,
            "scope": event.scope,
            "payload": event.payload,
            "created_at": event.created_at,
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )


def keep_aside(db: Database, event: Any, reason: Refusal | str, *, in_log: bool = False) -> None:
    """Keep ``event`` aside with ``reason`` (inside the caller's write transaction); once."""
    facts = reason.facts() if isinstance(reason, Refusal) else None
    db.conn.execute(
        "INSERT OR IGNORE INTO refused_events "
        "(id, origin, seq, type, reason, facts, body, received_at, in_log) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            str(event.id),
            str(event.origin),
            int(event.seq),
            str(event.type),
            str(reason),
            facts,
            _body(event),
            clock.now_iso(),
            1 if in_log else 0,
        ),
    )


def screen_pulled(db: Database, events: Sequence[eventlog.Event]) -> list[eventlog.Event]:
    """The events of a pulled page that may enter, in their order; the others are kept aside
    (inside the caller's write transaction)."""
    if not events:
        return []
    view = KioskView(db)
    screen = view.screen()
    accepted = []
    for event in events:
        refused = view.check(screen, event)
        if refused is None:
            accepted.append(event)
        else:
            keep_aside(db, event, refused)
    return accepted


def apply_hub_refusals(db: Database, applied: Sequence[eventlog.Event]) -> int:
    """After a page: for each ``kiosk.events_refused`` in ``applied``, mark the events of the
    log it names and rebuild the projections without them. Returns how many were marked."""
    markers = [event for event in applied if event.type == EVENTS_REFUSED]
    if not markers:
        return 0
    marked = 0
    view = KioskView(db)  # the markers are applied: refused_origins holds their windows
    for marker in markers:
        origin = marker.payload["origin"]
        rows = db.conn.execute(
            "SELECT * FROM events WHERE origin = ? AND seq > ? AND seq <= ? AND id NOT IN "
            "(SELECT id FROM refused_events WHERE in_log = 1) ORDER BY seq",
            (origin, marker.payload["after_seq"], marker.payload["up_to_seq"]),
        ).fetchall()
        for row in rows:
            event = eventlog.Event.from_row(row)
            reason = view.revoked_refusal(event.origin, event.seq) or Refusal(
                N_("the hub refused it after it was applied")
            )
            keep_aside(db, event, reason, in_log=True)
            marked += 1
    if marked:
        rebuild_projections(db)
    return marked


def rebuild_projections(db: Database, *, chunk: int = 2000) -> int:
    """Inside the caller's write transaction: empty every projection and replay the log into
    them, without the events marked refused (``in_log``). An event that can no longer be
    applied (it needs one refused) is marked refused too. Returns the events replayed."""
    conn = db.conn
    if not conn.in_transaction:
        raise RuntimeError("rebuild_projections() must run inside store.write(db)")
    conn.execute("PRAGMA defer_foreign_keys = ON")  # tables are emptied in any order
    for table in (*registry.projection_tables(), *UNDECLARED_PROJECTION_TABLES):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 (declared table names)
    skip = {row[0] for row in conn.execute("SELECT id FROM refused_events WHERE in_log = 1")}
    replayed = 0
    run: list[eventlog.Event] = []
    for event in eventlog.events(db):
        if event.id in skip:
            continue
        run.append(event)
        if len(run) >= chunk:
            replayed += _replay(db, run)
            run = []
    return replayed + _replay(db, run)


def _replay(db: Database, run: list[eventlog.Event]) -> int:
    try:
        with dbmod.write(db):  # a savepoint
            eventlog.project_in_order(db, run)
        return len(run)
    except sqlite3.Error:
        pass
    done = 0
    for event in run:
        try:
            with dbmod.write(db):
                eventlog.project_in_order(db, [event])
            done += 1
        except sqlite3.Error as exc:
            keep_aside(
                db,
                event,
                Refusal(
                    N_("it can no longer be applied without a refused event: %(problem)s"),
                    problem=str(exc),
                ),
                in_log=True,
            )
    return done


def would_refuse(db: Database, *, limit: int = 5) -> tuple[int, list[str]]:
    """(how many, the first ``limit`` as "ORIGIN-SEQ (type): reason") of the events the log
    holds that the authority check would refuse now, those already marked refused aside."""
    view = KioskView(db)
    screen = view.screen()
    marked = {row[0] for row in db.conn.execute("SELECT id FROM refused_events WHERE in_log = 1")}
    count, examples = 0, []
    for event in eventlog.events(db):
        if event.id in marked:
            continue
        if event.origin == view.origin:
            if event.scope == PRIVATE:
                continue  # this kiosk's own private events never travel: nothing to check
        refused = view.check(screen, event)
        if refused is not None:
            count += 1
            if len(examples) < limit:
                examples.append(f"{event.reference} ({event.type}): {refused}")
    return count, examples


def refused_events(db: Database, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest events kept aside, newest first, each with ``msgid`` and ``params`` to say
    its reason in the reader's language."""
    rows = dbmod.query(
        db,
        "SELECT origin, seq, type, reason, facts, received_at, in_log FROM refused_events "
        "ORDER BY received_at DESC, rowid DESC LIMIT ?",
        (limit,),
    )
    listed = []
    for row in rows:
        facts = json.loads(row["facts"]) if row["facts"] else {}
        listed.append(
            {
                **dict(row),
                "msgid": facts.get("msgid") or row["reason"],
                "params": facts.get("params") or {},
            }
        )
    return listed


def refused_count(db: Database) -> int:
    return dbmod.scalar(db, "SELECT COUNT(*) FROM refused_events")
