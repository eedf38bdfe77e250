"""Backups: a consistent copy while exchanges are written, restore, refusal of bad files,
rotation, USB copies and the nightly job."""

from __future__ import annotations

import logging
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlite_utils import Migrations

from kiosk import cli_ops, store
from kiosk.config import make_config
from kiosk.store import backup, schema
from kiosk.store.schema import migrations


def open_account(db, n: int) -> None:
    with store.write(db):
        store.record(db, "account.opened", {"account_id": f"test:{n}", "label": f"Test {n}"})


def opened_accounts(path: Path) -> tuple[set[str], set[str]]:
    """Account ids named by events, and account rows: equal in any consistent snapshot."""
    conn = sqlite3.connect(path)
    try:
        from_events = {
            row[0]
            for row in conn.execute(
                "SELECT json_extract(payload, '$.account_id') FROM events WHERE type = 'account.opened'"
            )
        }
        rows = {row[0] for row in conn.execute("SELECT id FROM accounts WHERE id LIKE 'test:%'")}
    finally:
        conn.close()
    return {a for a in from_events if a.startswith("test:")}, rows


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "data" / "kiosk.sqlite3"
    db = store.connect(path)
    for n in range(3):
        open_account(db, n)
    db.conn.close()
    return path


def test_backup_is_a_sound_private_single_file(db_path, tmp_path):
    copy = backup.backup_database(
        db_path, tmp_path / "backups", now=datetime(2026, 3, 2, 3, 17, tzinfo=UTC)
    )
    assert copy.name == "kiosk-20260302-031700.sqlite3"
    assert backup.check_integrity(copy) == []
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert opened_accounts(copy) == ({"test:0", "test:1", "test:2"},) * 2
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]  # no -wal, no temp file


def test_two_backups_in_the_same_second_keep_both(db_path, tmp_path):
    when = datetime(2026, 3, 2, 3, 17, tzinfo=UTC)
    first = backup.backup_database(db_path, tmp_path / "b", now=when)
    second = backup.backup_database(db_path, tmp_path / "b", now=when)
    assert first != second
    assert backup.list_backups(tmp_path / "b") == [second, first]


def test_backup_while_exchanges_are_written_is_a_consistent_snapshot(db_path, tmp_path):
    writer_db = store.connect(db_path)
    first_write = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_writing() -> None:
        try:
            for n in range(100, 1100):  # bounded, whatever happens to the test
                if stop.is_set():
                    return
                open_account(writer_db, n)
                first_write.set()
        except BaseException as exc:  # noqa: BLE001 (reported below, in the test's thread)
            errors.append(exc)
        finally:
            first_write.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert first_write.wait(30)
        copies = [backup.backup_database(db_path, tmp_path / "backups") for _ in range(5)]
    finally:
        stop.set()
        writer.join(60)
    writer_db.conn.close()
    assert not errors
    sizes = []
    for copy in copies:
        assert backup.check_integrity(copy) == []
        from_events, rows = opened_accounts(copy)
        assert from_events == rows  # every event with its projection row, nothing half-written
        sizes.append(len(rows))
    assert sizes == sorted(sizes) and sizes[0] >= 4  # taken while rows kept arriving


def test_restore_brings_back_the_backup_and_keeps_the_current_database_aside(db_path, tmp_path):
    copy = backup.backup_database(db_path, tmp_path / "backups")
    db = store.connect(db_path)
    open_account(db, 99)  # written after the backup, still in the WAL
    db.conn.close()

    aside = backup.restore_database(copy, db_path, now=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))

    assert aside == db_path.with_name("kiosk.sqlite3.before-restore-20260303-080000")
    assert opened_accounts(db_path)[1] == {"test:0", "test:1", "test:2"}
    assert "test:99" in opened_accounts(aside)[1]
    assert not Path(f"{db_path}-wal").exists()
    assert store.connect(db_path).execute("SELECT count(*) FROM events").fetchone()[0] == 3


def corrupt_copy(copy: Path) -> None:
    data = bytearray(copy.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(1, len(data) // page_size):  # scramble every page but the header page
        start = page * page_size
        data[start : start + 64] = b"\xa5" * 64
    copy.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "spoil, expected",
    [
        (
            lambda p: p.write_bytes(b"this is a photo, not a database" * 200),
            "not a readable SQLite database",
        ),
        (corrupt_copy, "malformed"),
        (lambda p: p.unlink(), "cannot be opened"),
    ],
    ids=["not-sqlite", "damaged-pages", "missing"],
)
def test_restore_refuses_a_bad_file_and_touches_nothing(db_path, tmp_path, spoil, expected):
    copy = backup.backup_database(db_path, tmp_path / "backups")
    spoil(copy)
    before = sorted(p.name for p in db_path.parent.iterdir())
    with pytest.raises(backup.RestoreRefused) as refused:
        backup.restore_database(copy, db_path)
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems
    assert "current database was not touched" in str(refused.value)
    assert sorted(p.name for p in db_path.parent.iterdir()) == before
    assert opened_accounts(db_path)[1] == {"test:0", "test:1", "test:2"}


def test_restore_refuses_a_database_that_is_not_a_kiosk(db_path, tmp_path):
    foreign = tmp_path / "recipes.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(backup.RestoreRefused, match="not a kiosk database"):
        backup.restore_database(foreign, db_path)


def write_backups(folder: Path, times: list[datetime]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for when in times:
        (folder / f"kiosk-{when:%Y%m%d-%H%M%S}.sqlite3").write_bytes(b"")


def test_rotation_keeps_seven_days_and_the_newest_of_four_weeks(tmp_path):
    folder = tmp_path / "backups"
    start = datetime(2026, 1, 1, 3, 17, tzinfo=UTC)  # a Thursday, ISO week 1
    write_backups(folder, [start + timedelta(days=d) for d in range(60)])
    (folder / "notes.txt").write_text("not a backup")

    backup.rotate_backups(folder, daily=7, weekly=4)

    kept = sorted(p.name for p in folder.iterdir())
    newest_day = start + timedelta(days=59)  # Sunday 1 March 2026, end of ISO week 9
    daily = [f"kiosk-{newest_day - timedelta(days=d):%Y%m%d}-031700.sqlite3" for d in range(7)]
    weekly = [
        "kiosk-20260222-031700.sqlite3",
        "kiosk-20260215-031700.sqlite3",
        "kiosk-20260208-031700.sqlite3",
    ]
    assert kept == sorted([*daily, *weekly, "notes.txt"])


def test_rotation_with_a_clock_that_jumped_back_never_deletes_the_newest_files(tmp_path):
    folder = tmp_path / "backups"
    write_backups(folder, [datetime(2026, 5, d, 3, tzinfo=UTC) for d in range(1, 11)])
    write_backups(folder, [datetime(1970, 1, 1, 0, 5, tzinfo=UTC)])  # the Pi booted without time
    backup.rotate_backups(folder, daily=3, weekly=0)
    assert [p.name for p in backup.list_backups(folder)] == [
        "kiosk-20260510-030000.sqlite3",
        "kiosk-20260509-030000.sqlite3",
        "kiosk-20260508-030000.sqlite3",
    ]


def test_copy_to_usb_goes_to_sticks_with_the_backup_folder_only(db_path, tmp_path):
    copy = backup.backup_database(db_path, tmp_path / "backups")
    media = tmp_path / "media"
    stick = media / "pi" / "STICK" / backup.USB_FOLDER
    stick.mkdir(parents=True)
    (media / "pi" / "PHOTOS").mkdir()

    copies = backup.copy_to_usb(copy, mount_roots=[media], require_mount=False)

    assert copies == [stick / copy.name]
    assert backup.check_integrity(copies[0]) == []
    assert list((media / "pi" / "PHOTOS").iterdir()) == []
    # a folder that is not on a mounted stick is never written to
    assert backup.copy_to_usb(copy, mount_roots=[media]) == []


def test_nightly_backup_checks_rotates_and_logs(db_path, tmp_path, caplog):
    config = make_config(
        {
            "storage": {"database": str(db_path)},
            "backup": {
                "dir": str(tmp_path / "b"),
                "keep_daily": 2,
                "keep_weekly": 0,
                "usb_copy": False,
            },
        }
    )
    caplog.set_level(logging.INFO, logger="kiosk.store.backup")
    for day in (1, 2, 3):
        path = backup.nightly_backup(config, now=datetime(2026, 4, day, 1, 17, tzinfo=UTC))
    assert backup.list_backups(tmp_path / "b") == [
        path,
        tmp_path / "b" / "kiosk-20260402-011700.sqlite3",
    ]
    assert backup.last_backup(config) == path
    assert "Backup written and checked" in caplog.text
    assert "Old backups removed: kiosk-20260401-011700.sqlite3" in caplog.text


def test_a_damaged_database_on_start_says_how_to_restore(db_path, tmp_path):
    config = make_config(
        {"storage": {"database": str(db_path)}, "backup": {"dir": str(tmp_path / "b")}}
    )
    good = backup.nightly_backup(config)
    backup.check_database_on_start(config)  # sound: no error
    corrupt_copy(db_path)
    with pytest.raises(backup.DatabaseDamaged) as damaged:
        backup.check_database_on_start(config)
    advice = backup.what_to_do_when_damaged(config, damaged.value)
    assert f"kiosk restore {good}" in advice
    assert str(db_path) in advice


# The operator commands (kiosk backup / restore / check-db), as run from a terminal.


def run_ops(config, *args, input=None):

    return CliRunner().invoke(cli_ops.main, list(args), obj={"config": config}, input=input)


@pytest.fixture
def config(db_path, tmp_path):
    return make_config(
        {"storage": {"database": str(db_path)}, "backup": {"dir": str(tmp_path / "b")}}
    )


def test_backup_command_names_the_checked_file(config, tmp_path):
    result = run_ops(config, "backup")
    assert result.exit_code == 0, result.output
    [path] = backup.list_backups(tmp_path / "b")
    assert f"Backup written and checked: {path}" in result.output


def test_backup_command_without_a_database_says_to_run_init(tmp_path):
    config = make_config({"storage": {"database": str(tmp_path / "none.sqlite3")}})
    result = run_ops(config, "backup")
    assert result.exit_code == 1
    assert "run `kiosk init` first" in result.output
    assert "Traceback" not in result.output


def test_restore_command_asks_then_keeps_the_old_database(config, db_path):
    good = backup.backup_database(db_path, db_path.parent / "b")
    result = run_ops(config, "restore", str(good), input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    result = run_ops(config, "restore", str(good), input="y\n")
    assert result.exit_code == 0, result.output
    assert "The previous database is kept as" in result.output
    aside = [p.name for p in db_path.parent.glob("kiosk.sqlite3.before-restore-*")]
    assert len([name for name in aside if not name.endswith(("-wal", "-shm"))]) == 1


def test_restore_command_refuses_a_corrupt_file_in_plain_words(config, tmp_path):
    bad = tmp_path / "kiosk-20260101-000000.sqlite3"
    bad.write_bytes(b"\x00garbage" * 500)
    result = run_ops(config, "restore", "--yes", str(bad))
    assert result.exit_code == 1
    assert f"{bad} cannot be restored" in result.output
    assert "The current database was not touched" in result.output
    assert "Traceback" not in result.output


def test_check_db_reports_a_sound_up_to_date_database(config):
    result = run_ops(config, "check-db")
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output and "Schema: up to date." in result.output


def test_check_db_on_a_damaged_database_names_the_backup_to_restore(config, db_path, tmp_path):
    good = backup.backup_database(db_path, tmp_path / "b")
    corrupt_copy(db_path)
    result = run_ops(config, "check-db")
    assert result.exit_code == 1
    assert f"kiosk restore {good}" in result.output


@pytest.fixture
def old_database(tmp_path):
    """A database written by the first release: only the first migration applied."""

    path = tmp_path / "old" / "kiosk.sqlite3"
    db = store.connect(path, migrate=False)
    first, second = [m.name for m in migrations._migrations[:2]]
    migrations.apply(db, stop_before=second)
    db.conn.close()
    return path


def test_check_db_rehearses_migrations_on_a_copy_then_applies_them(old_database):
    config = make_config({"storage": {"database": str(old_database)}})
    result = run_ops(config, "check-db", "--try-migrations")
    assert result.exit_code == 0, result.output
    assert "Migrations rehearsed on a copy: ok." in result.output
    assert "migration(s) to apply" in run_ops(config, "check-db").output  # live file untouched

    result = run_ops(config, "check-db", "--migrate")
    assert result.exit_code == 0, result.output
    assert "Schema: up to date." in run_ops(config, "check-db").output


def test_a_failing_migration_is_caught_on_the_copy(old_database, monkeypatch):

    broken = Migrations("kiosk")
    for migration in schema.migrations._migrations:
        broken(name=migration.name)(migration.fn)

    @broken()
    def m999_broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk says no")

    monkeypatch.setattr(schema, "migrations", broken)
    before = old_database.read_bytes()
    config = make_config({"storage": {"database": str(old_database)}})
    result = run_ops(config, "check-db", "--try-migrations")
    assert result.exit_code == 1
    assert "A migration failed on a copy of the database: disk says no" in result.output
    assert "keep running the installed version" in result.output
    assert old_database.read_bytes() == before


def test_the_nightly_backup_is_scheduled_at_the_configured_hour():

    scheduler = BackgroundScheduler()
    backup.schedule(scheduler, make_config({"backup": {"hour": 4}}))
    [job] = scheduler.get_jobs()
    assert job.id == "nightly-backup"
    assert str(job.trigger.fields[5]) == "4"  # the cron trigger's hour field
