"""The kiosk's ``sync_state`` row: its hub, what the hub acknowledged, how the last run went."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config


def state(db: Database) -> dict[str, Any]:
    return dict(store.query_one(db, "SELECT * FROM sync_state WHERE id = 1"))


def is_enrolled(db: Database) -> bool:
    return bool(state(db)["enrolled_at"])


def hub_url(db: Database, config: Config) -> str:
    return (config["sync"]["hub_url"] or state(db)["hub_url"]).rstrip("/")


def pending_count(db: Database) -> int:
    """This kiosk's shared events the hub has not acknowledged yet."""
    return store.scalar(
        db,
        "SELECT COUNT(*) FROM events WHERE origin = ? AND scope <> 'private' "
        "AND seq > (SELECT acked_seq FROM sync_state WHERE id = 1)",
        (store.kiosk_id(db),),
    )


def set_state(db: Database, **values: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    with store.write(db):
        db.execute(f"UPDATE sync_state SET {assignments} WHERE id = 1", list(values.values()))  # noqa: S608
