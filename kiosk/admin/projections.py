"""The volunteer's event type: a resident moving out (``building`` scope).

Recorded by kiosk/admin/moving_out.py after the balance is settled, the card revoked and the
posts withdrawn (each its own event). The departure is kept in ``departures``.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import BUILDING, About, Authority, NoneType, event_type


@event_type(
    "resident.moved_out",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "resident_id"),
    fields={"resident_id": str, "closed_by": str, "balance_left": int},
    optional={"transfer_id": (str, NoneType), "posts_withdrawn": int},
    tables=("residents", "departures"),
)
def _resident_moved_out(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE residents SET status = 'moved_out', updated_at = ? WHERE id = ?",
        [event.created_at, p["resident_id"]],
    )
    db.execute(
        "INSERT INTO departures (resident_id, closed_by, balance_left, transfer_id, posts_withdrawn, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            p["resident_id"],
            p["closed_by"],
            p["balance_left"],
            p.get("transfer_id"),
            p.get("posts_withdrawn", 0),
            event.created_at,
        ],
    )
