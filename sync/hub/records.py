"""What the parts of the hub's store share: its clock (times here are the hub's own, for
display only), the highest seq held of an origin, and the ``conflicts`` rows the dashboard
lists."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kiosk import clock
from kiosk.store import db as dbmod
from sync import protocol


def now_iso() -> str:
    return clock.now_iso()  # the hub's clock (tests move it as they move a kiosk's)


HELD_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM events WHERE origin = ?"
LATEST_HUB_SEQ = "SELECT COALESCE(MAX(hub_seq), 0) FROM events"


def held_seq(db: Database, origin: str) -> int:
    """The highest seq of ``origin``'s events the hub holds (0: none)."""
    return dbmod.scalar(db, HELD_SEQ, (origin,))


def latest_hub_seq(db: Database) -> int:
    """The newest ``hub_seq`` (0: no event yet)."""
    return dbmod.scalar(db, LATEST_HUB_SEQ)


def insert_conflict(
    db: Database, kind: str, origin: str | None, seq: int | None, detail: str, facts: dict[str, Any]
) -> None:
    """One row for the dashboard: ``detail`` in English, ``facts`` to tell it in any language."""
    db.execute(
        "INSERT INTO conflicts (kind, origin, seq, detail, facts, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [kind, origin, seq, detail, protocol.canonical_json(facts), now_iso()],
    )
