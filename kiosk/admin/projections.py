"""The volunteer's event types: a resident moving out, and coming back (``building`` scope).

``resident.moved_out`` is recorded by kiosk/admin/moving_out.py after the balance is settled,
the card revoked and the posts withdrawn (each its own event). The departure is kept in
``departures``, one row per departure. ``resident.returned`` (kiosk/admin/returning.py) is the
only event that reopens a moved-out account: the departure's row stays, with when, by whom and
why the resident came back.
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


def _has_a_reason(payload) -> bool:
    """the reason is empty"""
    return bool(payload["reason"].strip())


@event_type(
    "resident.returned",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "resident_id"),
    fields={"resident_id": str, "returned_by": str, "reason": str},
    valid=_has_a_reason,
    tables=("residents", "departures"),
)
def _resident_returned(db: Database, event: Event) -> None:
    """The account reopens (verified) if it is closed; the latest departure says it was undone.
    On an account that is not closed (an event sent twice, or stale) it changes nothing."""
    p = event.payload
    closed = db.execute(
        "SELECT 1 FROM residents WHERE id = ? AND status = 'moved_out'", [p["resident_id"]]
    ).fetchone()
    if closed is None:
        return
    db.execute(
        "UPDATE residents SET status = 'verified', updated_at = ? WHERE id = ?",
        [event.created_at, p["resident_id"]],
    )
    db.execute(
        "UPDATE departures SET returned_at = ?, returned_by = ?, return_reason = ? "
        "WHERE rowid = (SELECT rowid FROM departures WHERE resident_id = ? AND returned_at IS NULL "
        "ORDER BY created_at DESC, rowid DESC LIMIT 1)",
        [event.created_at, p["returned_by"], p["reason"], p["resident_id"]],
    )
