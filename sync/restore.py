"""A restore from the hub that resumes (``kiosk restore-from-hub``; ``sync.enrolment`` starts
it, ``SyncClient.sync`` goes on with it).

Steps, each committed before the next, so a cut or a killed process at any point leaves a
kiosk that knows where it stopped (kiosk/store/restoring.py keeps it in ``kiosk_meta``):

1. ``begin_restore``: an empty database is marked "restore under way" before the hub is asked
   anything; from then on nothing can be recorded on this kiosk.
2. ``enrolled_for_restore``: the hub's answer to the restore code (the dead kiosk's id, its
   building, what the hub acknowledged) is stored with the mark, in one transaction. Asked
   again with the same code and key (the answer was lost), the hub answers again.
3. ``resume_restore``: the hub says how many events it holds for the kiosk (the progress shown
   on screen), then every page of them, its own included, is applied from the pull cursor
   (each page with the cursor, as any pull).
4. ``finish_restore``: the hub is asked again the highest seq it holds of this origin; unless
   the log holds it too, the restore stays under way. Otherwise one transaction writes the
   ``kiosk.restored`` marker above every seq the hub holds or acknowledged, stores the hub's
   acknowledged seq, lifts the mark and publishes the kiosk's new key: numbering goes on above
   anything the hub holds, and no seq is ever taken twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.config import Config
from kiosk.store import events as eventlog
from kiosk.store import keys
from kiosk.store.restoring import (
    clear_restore_state,
    restore_state,
    set_restore_state,
)
from sync.catch_up import mark_restored
from sync.connection import HubConnection
from sync.errors import SyncError
from sync.pull import pull
from sync.session import HubSession


class RestoreIncomplete(SyncError):
    """The restore cannot go on by itself: the hub's answer to the restore code was lost before
    this kiosk learnt its id (run ``kiosk restore-from-hub URL CODE`` again)."""


def begin_restore(db: Database, url: str) -> None:
    """Mark an empty database "restore under way" (step 1); ``SyncError`` if it has events."""
    with store.write(db):
        if restore_state(db) is None and store.scalar(db, "SELECT COUNT(*) FROM events"):
            raise SyncError(
                "this database already has events: restore into a new, empty data folder"
            )
        set_restore_state(db, hub_url=url)


def enrolled_for_restore(db: Database, answer: dict, url: str) -> str:
    """Store the hub's answer to the restore code with the mark (step 2); returns the origin."""
    origin = answer["origin"]
    with store.write(db):
        store.set_meta(db, "kiosk_id", origin)
        db.execute(
            "UPDATE sync_state SET hub_url = ?, building = ?, enrolled_at = ?, acked_seq = ?, "
            "pull_cursor = 0, request_counter = 0, failures = 0, last_error = NULL WHERE id = 1",
            [url, answer["building"], clock.now_iso(), int(answer["acked_seq"])],
        )
        set_restore_state(db, origin=origin, hub_url=url)
    return origin


@dataclass
class Restored:
    origin: str
    events: int  # shared events in the log once restored (the building's and the network's)
    received: int  # events this run received (a resumed run: only what was left)
    next_seq: int  # the seq this kiosk's next event takes


def resume_restore(
    db: Database, config: Config, *, connection: HubConnection | None = None
) -> Restored:
    """Go on with the restore under way from where it stopped, and finish it (steps 3 and 4).
    ``RestoreIncomplete`` if the hub's answer to the restore code never arrived; a
    ``SyncError`` (the hub out of reach) leaves it under way, to go on at the next try."""
    current = restore_state(db)
    if current is None:
        raise SyncError("no restore from the hub is under way on this kiosk")
    if not current.get("origin"):
        raise RestoreIncomplete(
            "the restore from the hub was cut before the hub gave this kiosk its id: run "
            "kiosk restore-from-hub URL CODE again (the same code works)"
        )
    session = HubSession(db, config, connection=connection)
    with session.connection.kept_open():
        status = session.signed("GET", "/api/status?restore=1")
        total = status.get("restore_events")
        set_restore_state(db, total=int(total if total is not None else status["latest_hub_seq"]))
        received, _applied = pull(session, include_own=True)
        return finish_restore(db, config, session, received)


def finish_restore(db: Database, config: Config, session: HubSession, received: int) -> Restored:
    """Step 4: the hub's held seq of this origin, once more; the marker above it, the mark
    lifted and the new key published, in one transaction."""
    origin = session.origin
    status = session.signed("GET", "/api/status")
    hub_acked = int(status["acked_seq"])
    hub_held = int(status.get("held_seq", hub_acked))
    with store.write(db):
        top = eventlog.last_seq(db, origin)
        if top < hub_held:
            raise SyncError(
                f"the hub holds this kiosk's events up to {hub_held} but sent them only up to "
                f"{top}: the restore goes on at the next try"
            )
        events = store.scalar(db, "SELECT COUNT(*) FROM events WHERE scope <> 'private'")
        mark_restored(db, origin, max(top, hub_held), hub_acked, {"events_restored": events})
        db.execute("UPDATE sync_state SET acked_seq = ? WHERE id = 1", [hub_acked])
        clear_restore_state(db)
        keys.publish_public_key(db, config)
    return Restored(origin, events, received, eventlog.last_seq(db, origin) + 1)
