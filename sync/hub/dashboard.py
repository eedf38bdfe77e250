"""What the hub's administrator sees (kiosks by building, lag, conflicts) and the dashboard's
password, with its throttle (wrong passwords per address and in all, per window)."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.store import db as dbmod
from sync import protocol
from sync.hub.authority import refused_by_kiosk
from sync.hub.health import troubles_by_kiosk
from sync.hub.pages import waiting_for
from sync.hub.records import now_iso
from sync.hub.refusals import BadRequest

DASHBOARD_PASSWORD_MIN = 10


def set_dashboard_password(db: Database, password: str) -> None:
    """The dashboard's password (HTTP basic authentication), stored as a scrypt hash."""
    if len(password) < DASHBOARD_PASSWORD_MIN:
        raise BadRequest(
            f"the dashboard password needs at least {DASHBOARD_PASSWORD_MIN} characters"
        )
    with dbmod.write(db):
        db.execute(
            "INSERT INTO hub_settings (key, value) VALUES ('dashboard_password', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [generate_password_hash(password, method="scrypt")],
        )


def dashboard_password_set(db: Database) -> bool:
    return (
        dbmod.query_one(db, "SELECT 1 FROM hub_settings WHERE key = 'dashboard_password'")
        is not None
    )


def check_dashboard_password(db: Database, password: str) -> bool:
    row = dbmod.query_one(db, "SELECT value FROM hub_settings WHERE key = 'dashboard_password'")
    return row is not None and check_password_hash(row["value"], password)


class PasswordThrottle:
    """Wrong dashboard passwords: after ``per_address`` wrong ones from one address, or
    ``in_all`` from everyone, within ``window`` seconds, every try is refused until the oldest
    of them is ``window`` seconds old (even the right password: it would tell a guesser). Kept
    in the hub's store (``dashboard_failures``, wall-clock seconds), so every hub process
    serving one store counts the same failures, and a restart forgets none."""

    def __init__(self, *, per_address: int = 5, in_all: int = 30, window: float = 300.0) -> None:
        self.per_address, self.in_all, self.window = per_address, in_all, window

    def wait_seconds(self, db: Database, address: str) -> int:
        """0 when ``address`` may try a password now, else how many seconds until it may."""
        now = time.time()
        recent = dbmod.query(
            db,
            "SELECT address, failed_at FROM dashboard_failures WHERE failed_at > ? "
            "ORDER BY failed_at, id",
            (now - self.window,),
        )
        waits = [
            times[0] + self.window - now
            for times, limit in (
                ([row[1] for row in recent if row[0] == address], self.per_address),
                ([row[1] for row in recent], self.in_all),
            )
            if len(times) >= limit
        ]
        return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, db: Database, address: str) -> None:
        now = time.time()
        with dbmod.write(db):
            # Failures older than the window count for nothing: forgotten (not events)
            db.execute("DELETE FROM dashboard_failures WHERE failed_at <= ?", [now - self.window])
            db.execute(
                "INSERT INTO dashboard_failures (address, failed_at) VALUES (?, ?)",
                [address[:100], now],
            )


def dashboard(db: Database) -> dict[str, Any]:
    """What the hub's administrator sees: kiosks by building, lag, the events each sent that
    the hub refused (count and latest reasons), conflicts."""
    kiosks = []
    refused = refused_by_kiosk(db)
    for row in dbmod.query(
        db,
        "SELECT * FROM kiosks WHERE origin <> ? ORDER BY building, origin",
        (protocol.HUB_ORIGIN,),
    ):
        held = dbmod.scalar(db, "SELECT COUNT(*) FROM events WHERE origin = ?", (row["origin"],))
        lag = waiting_for(db, row["origin"], row["building"], row["pull_cursor"])
        kiosks.append(
            {
                **dict(row),
                "events_held": held,
                "lag": lag,
                "refused": refused.get(row["origin"], {"count": 0, "latest": []}),
            }
        )
    return {
        "as_of": now_iso(),
        "kiosks": kiosks,
        "buildings": sorted({k["building"] for k in kiosks}),
        "events": dbmod.scalar(db, "SELECT COUNT(*) FROM events"),
        "conflicts": [
            {**dict(r), "facts": json.loads(r["facts"]) if r["facts"] else None}
            for r in dbmod.query(db, "SELECT * FROM conflicts ORDER BY id DESC LIMIT 50")
        ],
        "conflict_count": dbmod.scalar(db, "SELECT COUNT(*) FROM conflicts"),
        "troubles": troubles_by_kiosk(db),  # kiosks that keep failing, and why
    }
