"""Sessions the kiosk itself can end: one row per login in ``sessions`` (device state).

The cookie holds a random session id (its SHA-256 only is stored) beside the resident's id; a
request counts as logged in only while that row is live: not ended, not idle longer than the
time-out. Logging out, an idle time-out, a PIN reset and a suspension end every session of the
resident at once, so a copy of the cookie taken earlier is refused, even after a restart. A new
id is made at each login. ``last_seen`` (wall-clock seconds: idleness is real time, whatever
the kiosk's clock says) is written at most every ``TOUCH_SECONDS``.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlite_utils import Database

from kiosk import clock, store

TOUCH_SECONDS = 10
LIVE, IDLE, ENDED = "live", "idle", "ended"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start(db: Database, resident_id: str) -> str:
    """A new session for ``resident_id``; returns its id (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    with store.write(db):
        db.execute(
            "INSERT INTO sessions (id_hash, resident_id, started_at, last_seen) "
            "VALUES (?, ?, ?, ?)",
            [_hash(token), resident_id, clock.now_iso(), time.time()],
        )
    return token


def check(db: Database, token: str | None, resident_id: str, idle_seconds: int) -> str:
    """``LIVE`` (and noted as seen), ``IDLE`` (now ended, with every session of the resident)
    or ``ENDED`` (unknown, for another resident, or ended before)."""
    if not token:
        return ENDED
    row = store.query_one(
        db,
        "SELECT * FROM sessions WHERE id_hash = ? AND resident_id = ?",
        (_hash(token), resident_id),
    )
    if row is None or row["ended_at"]:
        return ENDED
    now = time.time()
    if not 0 <= now - row["last_seen"] <= idle_seconds:  # idle, or seen "in the future"
        end_all(db, resident_id, "idle")
        return IDLE
    if now - row["last_seen"] > TOUCH_SECONDS:
        with store.write(db):
            db.execute(
                "UPDATE sessions SET last_seen = ? WHERE id_hash = ? AND ended_at IS NULL",
                [now, row["id_hash"]],
            )
    return LIVE


def end_all(db: Database, resident_id: str, why: str) -> None:
    """End every live session of the resident (logout, idle, pin_reset, suspended...)."""
    with store.write(db):
        db.execute(
            "UPDATE sessions SET ended_at = ?, ended_why = ? "
            "WHERE resident_id = ? AND ended_at IS NULL",
            [clock.now_iso(), why, resident_id],
        )
