"""A restore from the hub under way (``kiosk restore-from-hub``): what this kiosk knows of it,
and the refusal every recording meets until it is complete.

The restore (sync/restore.py) writes one ``kiosk_meta`` row before it asks the hub anything and
deletes it in the transaction that finishes it. While the row is there the log holds only part
of what the hub has of this kiosk: a new event would take a seq the hub already holds for
another one. So ``record`` refuses (``KioskBeingRestored``), every screen says how far the
restore has come (``progress``), and the next ``kiosk restore-from-hub``, ``kiosk sync`` or
background sync goes on from where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kiosk.errors import KioskError, Nn_
from kiosk.store import db as dbmod

RESTORE_META = "restore_from_hub"  # kiosk_meta: JSON while a restore from the hub is under way

RESTORE_MESSAGE = Nn_(
    "This kiosk is being restored from the hub: %(done)s event of %(total)s; nothing can be "
    "recorded until it is complete.",
    "This kiosk is being restored from the hub: %(done)s events of %(total)s; nothing can be "
    "recorded until it is complete.",
)


class KioskBeingRestored(KioskError):
    """Refused: this kiosk is half restored from the hub (nothing was recorded)."""

    msgid = RESTORE_MESSAGE
    count_param = "done"


@dataclass(frozen=True)
class RestoreProgress:
    done: int  # shared events already back in the log
    total: int  # what the hub said it holds for this kiosk (at least ``done``)
    origin: str | None  # the restored kiosk's id, once the hub gave it
    hub_url: str


def restore_state(db: Database) -> dict[str, Any] | None:
    """The restore under way (``origin``, ``hub_url``, ``total``), or None."""
    row = dbmod.query_one(db, "SELECT value FROM kiosk_meta WHERE key = ?", (RESTORE_META,))
    return None if row is None else json.loads(row["value"])


def restoring(db: Database) -> bool:
    return (
        dbmod.query_one(db, "SELECT 1 FROM kiosk_meta WHERE key = ?", (RESTORE_META,)) is not None
    )


def set_restore_state(db: Database, **values: Any) -> None:
    """Start or update the restore under way (inside the caller's write or its own)."""
    current = restore_state(db) or {"origin": None, "hub_url": "", "total": 0}
    current.update(values)
    with dbmod.write(db):
        db.execute(
            "INSERT INTO kiosk_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [RESTORE_META, json.dumps(current, sort_keys=True)],
        )


def clear_restore_state(db: Database) -> None:
    """The restore is complete (inside the transaction that completes it)."""
    db.execute("DELETE FROM kiosk_meta WHERE key = ?", [RESTORE_META])


def progress(db: Database) -> RestoreProgress | None:
    """How far the restore under way has come, or None when there is none."""
    current = restore_state(db)
    if current is None:
        return None
    done = dbmod.scalar(db, "SELECT COUNT(*) FROM events WHERE scope <> 'private'")
    return RestoreProgress(
        done=done,
        total=max(done, int(current.get("total") or 0)),
        origin=current.get("origin"),
        hub_url=current.get("hub_url") or "",
    )


def refuse_while_restoring(db: Database) -> None:
    """``KioskBeingRestored`` while a restore from the hub is under way."""
    now = progress(db)
    if now is not None:
        raise KioskBeingRestored(done=now.done, total=now.total)
