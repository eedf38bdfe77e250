"""Back from a backup (``kiosk restore FILE``): the hub may hold events this kiosk wrote after
the backup. They are fetched back before anything is sent (``catch_up_after_restore``, tried
by every sync first); while the hub is out of reach, new events are numbered far above the
backup's (``jump_numbering_after_restore``). Either way a ``kiosk.restored`` event marks the
restore in the log (``mark_restored``, also used by ``restore_from_hub``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import clock, ids, store
from kiosk.config import Config
from kiosk.store import events as eventlog
from kiosk.store.projections import KIOSK_RESTORED
from kiosk.store.registry import registry
from sync.connection import HubConnection
from sync.errors import BackupTooOld, SyncError
from sync.pull import pull
from sync.session import HubSession


def append_restored(db: Database, origin: str, seq: int, payload: dict) -> int:
    """A ``kiosk.restored`` event at ``seq`` (inside the caller's write): this kiosk's numbering
    continues from there. Returns ``seq``."""
    eventlog.apply_foreign(
        db,
        eventlog.Event(
            id=ids.uuid7(),
            origin=origin,
            seq=seq,
            type=KIOSK_RESTORED,
            scope=registry.get(KIOSK_RESTORED).scope,
            payload=payload,
            created_at=clock.now_iso(),
        ),
    )
    return seq


def mark_restored(db: Database, origin: str, held: int, hub_acked: int, payload: dict) -> int:
    """The ``kiosk.restored`` event above every seq this kiosk holds and the hub acknowledged."""
    return append_restored(
        db, origin, max(held, hub_acked) + 1, {**payload, "hub_acked_seq": hub_acked}
    )


RESTORED_FROM_BACKUP = "restored_from_backup"  # kiosk_meta: a backup's name, until caught up


def mark_restored_from_backup(db: Database, backup_name: str) -> None:
    """``kiosk restore FILE`` put an older copy of this kiosk's database in place: the hub may
    hold events this kiosk wrote after the backup. Until they are fetched back
    (``catch_up_after_restore``, tried by every sync first), a new event could take a seq the
    hub already holds for another one. A numbering jump the backup was waiting to catch up on
    (``jump_numbering_after_restore`` before it was taken) is history now: forgotten."""
    with store.write(db):
        store.set_meta(db, RESTORED_FROM_BACKUP, backup_name)
        db.execute("DELETE FROM kiosk_meta WHERE key = ?", [NUMBERING_JUMPED_TO])


# When the hub cannot be reached at the restore, new events are numbered from this far above
# the backup's last seq: a kiosk would have to have sent the hub this many events after the
# backup (about a year of a busy building) for them to meet. The catch-up checks it.
RESTORE_SEQ_JUMP = 100_000
NUMBERING_JUMPED_TO = "restored_numbering_jumped_to"  # kiosk_meta: that seq, until caught up


def jump_numbering_after_restore(db: Database, backup_name: str) -> int:
    """Restored from a backup while the hub cannot be reached: the events written after the
    backup are still at the hub only, and residents may record new ones before the next sync.
    A ``kiosk.restored`` event ``RESTORE_SEQ_JUMP`` above the backup's last seq makes new events
    numbered from there, so none can take a seq the hub holds for another (which the hub would
    refuse as a fork); the catch-up then fetches the others back below. Returns its seq."""
    origin = store.kiosk_id(db)
    with store.write(db):
        held = eventlog.last_seq(db, origin)
        seq = append_restored(
            db,
            origin,
            held + RESTORE_SEQ_JUMP,
            {"from_backup": backup_name, "numbering_jumped_from": held},
        )
        store.set_meta(db, NUMBERING_JUMPED_TO, str(seq))
    return seq


def needs_catch_up(db: Database) -> str | None:
    """The backup this kiosk was restored from, while its newer events are still at the hub."""
    return store.get_meta(db, RESTORED_FROM_BACKUP) or None


@dataclass
class CatchUp:
    recovered: int  # own events the hub held beyond the backup, now back in the log
    applied: int  # every event applied (neighbours' too)
    next_seq: int


def catch_up_after_restore(
    db: Database, config: Config, *, connection: HubConnection | None = None
) -> CatchUp:
    """Fetch back from the hub the events this kiosk wrote after the backup it was restored
    from, then mark the restore with a ``kiosk.restored`` event above every seq the hub holds,
    as ``restore_from_hub`` does: the numbering continues without collision and nothing
    written since the backup is lost (what the hub had received)."""
    backup_name = needs_catch_up(db) or ""
    session = HubSession(db, config, connection=connection)
    status = session.signed("GET", "/api/status")
    hub_acked = int(status["acked_seq"])
    hub_held = int(status.get("held_seq", hub_acked))  # a hub before held_seq: its acked seq
    origin = session.origin
    jumped_to = int(store.get_meta(db, NUMBERING_JUMPED_TO) or 0)
    if jumped_to and hub_acked >= jumped_to:
        raise BackupTooOld(
            f"the hub holds events of this kiosk up to number {hub_acked}, but since the restore from "
            f"{backup_name} (the hub was out of reach) this kiosk numbers new events from {jumped_to}: "
            "the backup was too old. Nothing is sent until an administrator restores a newer backup "
            "or this kiosk from the hub (kiosk restore-from-hub)."
        )
    own_events = "SELECT COUNT(*), COALESCE(MAX(CASE WHEN seq <= ? THEN seq END), 0) FROM events WHERE origin = ?"
    before = store.query_one(db, own_events, (hub_acked, origin))[0]
    _received, applied = pull(session, include_own=True)
    after, held = store.query_one(db, own_events, (hub_acked, origin))
    if held < hub_held:
        raise SyncError(
            f"the hub holds this kiosk's events up to {hub_held} but sent them only up to {held}"
        )
    top = eventlog.last_seq(db, origin)
    with store.write(db):
        seq = mark_restored(
            db,
            origin,
            top,
            hub_acked,
            {"events_restored": after - before, "from_backup": backup_name},
        )
        db.execute("UPDATE sync_state SET acked_seq = ? WHERE id = 1", [hub_acked])
        db.execute(
            "DELETE FROM kiosk_meta WHERE key IN (?, ?)",
            [RESTORED_FROM_BACKUP, NUMBERING_JUMPED_TO],
        )
    return CatchUp(recovered=after - before, applied=applied, next_seq=seq + 1)
