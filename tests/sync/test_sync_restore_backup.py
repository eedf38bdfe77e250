"""A kiosk enrolled at a hub restored from a local backup (``kiosk restore FILE``): what it
recorded after the backup, and had sent to the hub, comes back, and its numbering continues
above it, whether the hub is reachable at the restore or only later."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from sync_fixtures import shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.cli_ops import catch_up_with_hub, restore_backup, take_backup
from kiosk.ledger import exchanges
from kiosk.residents import residents
from sync import catch_up
from sync.catch_up import NUMBERING_JUMPED_TO, RESTORE_SEQ_JUMP, needs_catch_up
from sync.errors import SyncError

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = pytest.mark.both_stores


def exchange(kiosk, payer, payee, minutes, what):
    return exchanges.record_exchange(
        kiosk.db,
        kiosk.config,
        payer_id=payer.id,
        payee_id=payee.id,
        description=what,
        minutes=minutes,
    )


def a_building_with_a_backup(hub, make_kiosk, tmp_path):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    jeanne = residents.register(a.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(a.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchange(a, jeanne, paul, 60, "Étagère")
    a.sync()
    backup_file = take_backup(a.config, tmp_path / "backups")
    # After the backup: two more exchanges, sent to the hub, then the SD card fails.
    exchange(a, jeanne, paul, 30, "Ourlet")
    exchange(a, paul, jeanne, 90, "Devoirs")
    a.sync()
    lost_seq = a.state()["acked_seq"]
    return a, b, jeanne, paul, backup_file, lost_seq


def restore(kiosk, backup_file):
    kiosk.db.close()  # the kiosk is stopped
    restore_backup(kiosk.config, backup_file)
    catch_up_with_hub(kiosk.config, backup_file.name)
    kiosk.db = store.connect(kiosk.config.database_path)


def balance(kiosk, apartment):
    return store.scalar(kiosk.db, "SELECT balance FROM accounts WHERE label = ?", (apartment,))


def test_a_restore_fetches_back_from_the_hub_what_was_recorded_after_the_backup(
    hub, make_kiosk, tmp_path
):
    a, b, jeanne, paul, backup_file, lost_seq = a_building_with_a_backup(hub, make_kiosk, tmp_path)
    restore(a, backup_file)
    assert needs_catch_up(a.db) is None
    assert balance(a, "A-101") == 1000 + 500 - 1500  # every exchange is back
    marker = store.query_one(a.db, "SELECT seq, payload FROM events WHERE type = 'kiosk.restored'")
    assert marker["seq"] == lost_seq + 1 and backup_file.name in marker["payload"]
    # New exchanges are numbered above everything the hub holds: no fork, everyone converges.
    exchange(a, jeanne, paul, 120, "Déménagement")
    sync_until_quiet([a, b])
    assert a.state()["last_error"] is None
    assert shared_snapshot(a.db) == shared_snapshot(b.db)
    assert balance(b, "A-101") == 1000 + 500 - 1500 + 2000


def test_a_restore_while_the_hub_is_out_of_reach_catches_up_at_the_next_sync(
    hub, make_kiosk, tmp_path, capsys
):
    a, b, jeanne, paul, backup_file, lost_seq = a_building_with_a_backup(hub, make_kiosk, tmp_path)
    hub.stop()
    restore(a, backup_file)
    assert "could not be reached" in capsys.readouterr().out
    assert needs_catch_up(a.db) == backup_file.name
    assert balance(a, "A-101") == 1000  # only what the backup held, for now
    hub.start()
    a.sync()  # fetches back first, then sends
    assert needs_catch_up(a.db) is None
    assert balance(a, "A-101") == 1000 + 500 - 1500
    exchange(a, jeanne, paul, 60, "Jardinage")
    sync_until_quiet([a, b])
    assert a.state()["last_error"] is None
    assert shared_snapshot(a.db) == shared_snapshot(b.db)


def test_residents_may_go_on_after_a_restore_while_the_hub_is_out_of_reach(
    hub, make_kiosk, tmp_path, capsys
):
    """New exchanges recorded before the hub is back are numbered far above the backup, so
    they cannot take the numbers of the exchanges the hub holds from after the backup: at the
    next sync those come back, the new ones go out, and nothing is refused as a fork."""
    a, b, jeanne, paul, backup_file, lost_seq = a_building_with_a_backup(hub, make_kiosk, tmp_path)
    hub.stop()
    restore(a, backup_file)
    jumped = store.query_one(a.db, "SELECT seq, payload FROM events WHERE type = 'kiosk.restored'")
    assert f"numbered from {jumped['seq']}" in capsys.readouterr().out
    held_at_backup = store.scalar(
        a.db, "SELECT MAX(seq) FROM events WHERE origin = ? AND seq < ?", (a.origin, jumped["seq"])
    )
    assert jumped["seq"] == held_at_backup + RESTORE_SEQ_JUMP > lost_seq
    new = exchange(a, paul, jeanne, 45, "Courses")  # the hub still holds the lost two
    assert new.reference == f"{a.origin}-{jumped['seq'] + 1}"
    offline_backup = take_backup(
        a.config, tmp_path / "backups-offline"
    )  # still waiting to catch up
    hub.start()
    a.sync()
    assert a.state()["last_error"] is None and needs_catch_up(a.db) is None
    assert store.get_meta(a.db, NUMBERING_JUMPED_TO) is None
    assert balance(a, "A-101") == 1000 + 500 - 1500 - 750  # the lost two are back, the new one kept
    sync_until_quiet([a, b])
    assert shared_snapshot(a.db) == shared_snapshot(b.db)
    assert balance(b, "A-101") == 1000 + 500 - 1500 - 750
    db = hub.db
    assert store.scalar(db, "SELECT COUNT(*) FROM conflicts") == 0
    db.close()
    # A backup taken while the jump waited to catch up, restored later with the hub in reach:
    # the hub now holds numbers above that jump, and the restore still catches up.
    restore(a, offline_backup)
    assert needs_catch_up(a.db) is None and a.state()["last_error"] is None
    assert balance(a, "A-101") == 1000 + 500 - 1500 - 750
    exchange(a, jeanne, paul, 15, "Clé")
    sync_until_quiet([a, b])
    assert shared_snapshot(a.db) == shared_snapshot(b.db)


def test_a_backup_too_old_for_the_jump_stops_sync_before_anything_is_lost(
    hub, make_kiosk, tmp_path, monkeypatch
):
    a, b, jeanne, paul, backup_file, lost_seq = a_building_with_a_backup(hub, make_kiosk, tmp_path)
    monkeypatch.setattr(catch_up, "RESTORE_SEQ_JUMP", 1)  # as if the hub held a year of events more
    hub.stop()
    restore(a, backup_file)
    exchange(a, paul, jeanne, 45, "Courses")
    held = sorted(tuple(r) for r in store.query(a.db, "SELECT id, seq FROM events"))
    hub.start()
    with pytest.raises(SyncError, match="the backup was too old"):
        a.sync()
    assert sorted(tuple(r) for r in store.query(a.db, "SELECT id, seq FROM events")) == held
    assert "too old" in a.state()["last_error"] and a.state()["last_error_kind"] == "backup_too_old"
    db = hub.db
    assert store.scalar(db, "SELECT MAX(seq) FROM events WHERE origin = ?", (a.origin,)) == lost_seq
    db.close()


def test_a_restore_catches_up_when_the_last_event_sent_after_the_backup_was_private(
    hub, make_kiosk, tmp_path
):
    """The hub acknowledges a private event's seq without ever holding it: the catch-up must
    compare with the last seq the hub holds, not the one it acknowledged."""
    a, b, jeanne, paul, backup_file, _lost = a_building_with_a_backup(hub, make_kiosk, tmp_path)
    residents.set_pin(a.db, paul.id, "4826")  # private: never leaves the kiosk
    a.sync()
    restore(a, backup_file)
    assert needs_catch_up(a.db) is None
    assert balance(a, "A-101") == 1000 + 500 - 1500
    sync_until_quiet([a, b])
    assert a.state()["last_error"] is None and shared_snapshot(a.db) == shared_snapshot(b.db)


def test_a_kiosk_without_a_hub_is_restored_as_before(make_kiosk, tmp_path):
    alone = make_kiosk("alone")
    residents.register(alone.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    backup_file = take_backup(alone.config, tmp_path / "backups")
    residents.register(alone.db, apartment="A-101", name="Paul Durand", pin=PIN)
    restore(alone, backup_file)
    assert store.scalar(alone.db, "SELECT COUNT(*) FROM residents") == 1
    assert needs_catch_up(alone.db) is None
    assert not store.query(alone.db, "SELECT 1 FROM events WHERE type = 'kiosk.restored'")
