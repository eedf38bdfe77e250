"""What the hub knows of a kiosk that keeps failing, for the dashboard: the requests it refused
to an enrolled kiosk (recorded in ``kiosk_failures`` as they are answered: how many in a row
since the kiosk's last accepted request, the last status, code and message), the forks it sent,
and a long silence. ``troubles`` turns that into facts the dashboard tells in words, in the
administrator's language. ``store_health``: what the public ``/health`` says of the hub's
store (its kind, its schema, the last event number), for monitoring."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from kiosk import clock
from kiosk.store import db as dbmod
from sync import protocol
from sync.hub import db as hubdb
from sync.hub import schema, schema_pg
from sync.hub.db import PgDatabase
from sync.hub.records import now_iso

log = logging.getLogger(__name__)

SILENCE = timedelta(hours=24)  # a kiosk syncs every few minutes: a day without word is news
MESSAGE_MAX = 300


def record_refusal(db: Database, origin: str, status: int, code: str, message: str) -> None:
    """Count a refusal answered to enrolled kiosk ``origin`` (the one the request names: a
    request signed with a wrong key counts for the kiosk it claims to be, which is what the
    administrator must know). The count starts again after a request of it was accepted.
    Never fails the answer: a database error is logged."""
    try:
        with dbmod.write(db):
            kiosk = dbmod.query_one(
                db, "SELECT last_counter, last_contact_at FROM kiosks WHERE origin = ?", (origin,)
            )
            if kiosk is None:
                return  # not a kiosk of this hub: nothing to tell its administrator
            now = now_iso()
            before = dbmod.query_one(db, "SELECT * FROM kiosk_failures WHERE origin = ?", (origin,))
            in_a_row = before is not None and still_failing(before, kiosk)
            db.execute(
                "INSERT INTO kiosk_failures (origin, failures, counter_at_failure, "
                "first_failed_at, last_failed_at, last_status, last_code, last_message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                "failures = excluded.failures, counter_at_failure = excluded.counter_at_failure, "
                "first_failed_at = excluded.first_failed_at, "
                "last_failed_at = excluded.last_failed_at, last_status = excluded.last_status, "
                "last_code = excluded.last_code, last_message = excluded.last_message",
                [
                    origin,
                    before["failures"] + 1 if in_a_row else 1,
                    kiosk["last_counter"],
                    before["first_failed_at"] if in_a_row else now,
                    now,
                    status,
                    code,
                    message[:MESSAGE_MAX],
                ],
            )
    except hubdb.DATABASE_ERRORS:
        log.exception("could not record a refusal for kiosk %s", origin)


def still_failing(failure: Any, kiosk: Any) -> bool:
    """No request of the kiosk was accepted since its last refused one: its request counter
    has not moved up since, nor has it been in contact after (a restored kiosk's counter
    starts again from 0)."""
    return (
        kiosk["last_counter"] <= failure["counter_at_failure"]
        and (kiosk["last_contact_at"] or "") <= failure["last_failed_at"]
    )


def troubles(db: Database, kiosk: dict[str, Any]) -> list[dict[str, Any]]:
    """What is wrong with one kiosk (a ``kiosks`` row), as facts: ``refused`` (requests
    refused since its last accepted one), ``forks``, ``silent``. Empty: nothing to tell."""
    found: list[dict[str, Any]] = []
    contact = kiosk.get("last_contact_at") or ""
    failure = dbmod.query_one(
        db, "SELECT * FROM kiosk_failures WHERE origin = ?", (kiosk["origin"],)
    )
    if failure is not None and still_failing(failure, kiosk):
        found.append(
            {
                "kind": "refused",
                "count": failure["failures"],
                "since": failure["first_failed_at"],
                "at": failure["last_failed_at"],
                "status": failure["last_status"],
                "code": failure["last_code"],
                "message": failure["last_message"],
            }
        )
    forks = dbmod.scalar(
        db, "SELECT COUNT(*) FROM conflicts WHERE kind = 'fork' AND origin = ?", (kiosk["origin"],)
    )
    if forks:
        found.append({"kind": "forks", "count": forks})
    last_word = contact or kiosk["enrolled_at"]
    if not kiosk["revoked"] and clock.parse_iso(last_word) < clock.now() - SILENCE:
        silent_for = clock.now() - clock.parse_iso(last_word)
        found.append(
            {"kind": "silent", "since": last_word, "days": silent_for.days, "never": not contact}
        )
    return found


def troubles_by_kiosk(db: Database) -> dict[str, list[dict[str, Any]]]:
    """``troubles`` of every enrolled kiosk that has some, by origin."""
    found = {}
    for row in dbmod.query(db, "SELECT * FROM kiosks WHERE origin <> ?", (protocol.HUB_ORIGIN,)):
        kiosk_troubles = troubles(db, dict(row))
        if kiosk_troubles:
            found[row["origin"]] = kiosk_troubles
    return found


def store_health(db: Database) -> dict[str, Any]:
    """The store as monitoring may see it (no path, no URL, no secret): ``store`` "sqlite" or
    "postgresql", ``schema`` (its last migration), ``schema_current`` (this process's code
    knows no later one), ``last_hub_seq`` (the number of the last event: cheap, unlike a count
    of a large table). Raises one of ``hubdb.DATABASE_ERRORS`` when the store cannot be reached."""
    if isinstance(db, PgDatabase):
        kind, code = "postgresql", schema_pg.MIGRATIONS[-1][0]
        last = dbmod.scalar(db, "SELECT MAX(name) FROM hub_migrations")
    else:
        kind, code = "sqlite", schema.migrations._migrations[-1].name
        last = dbmod.scalar(
            db,
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'hub' "
            "ORDER BY rowid DESC LIMIT 1",
        )
    return {
        "ok": True,
        "store": kind,
        "schema": last,
        "schema_current": last == code,
        "last_hub_seq": dbmod.scalar(db, "SELECT COALESCE(MAX(hub_seq), 0) FROM events"),
    }
