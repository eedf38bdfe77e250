"""Backups of the kiosk's database: take, check, rotate, copy to a USB stick, restore.

Plain Python, no Flask. A backup is made with SQLite's online backup API from a separate
read-only connection, so the kiosk keeps serving while it runs and the copy is one consistent
snapshot (WAL lets writers go on; the reader sees the database as of its first page). Each file
is written to a temporary name, flushed to disk and renamed, so a power cut never leaves a
half-written backup under a real name. ``check_integrity`` runs ``PRAGMA integrity_check`` and
makes sure the file is a kiosk database at all.

Backup files are named ``kiosk-YYYYMMDD-HHMMSS.sqlite3`` (UTC). Rotation reads the date from the
name, never from the file's mtime, and touches no other file in the folder.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from kiosk import clock
from kiosk.config import Config

log = logging.getLogger(__name__)

BACKUP_NAME = re.compile(r"^kiosk-(\d{8})-(\d{6})(?:-(\d+))?\.sqlite3$")
USB_FOLDER = "building-kiosk-backups"
USB_MOUNT_ROOTS = ("/media", "/mnt")
KIOSK_TABLES = ("_sqlite_migrations", "events")


class BackupError(Exception):
    """A backup or restore that could not be done; the message says what to do."""


class DatabaseDamaged(BackupError):
    """A database or backup file that fails its checks; ``problems`` lists what was found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(f"{self.path}: " + "; ".join(self.problems))


class RestoreRefused(BackupError):
    """``restore_database`` was given a file that is damaged or not a kiosk database."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(
            f"{self.path} cannot be restored: "
            + "; ".join(self.problems)
            + ". The current database was not touched."
        )


def backup_dir(config: Config) -> Path:
    """Where nightly backups go: ``[backup] dir``, else ``<data_dir>/backups``."""
    value = config["backup"]["dir"]
    return Path(value).expanduser() if value else config.data_dir / "backups"


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _new_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (SQLite would create it world-readable).

    Run as root (``sudo kiosk restore``), the file gets the owner of its folder, so the kiosk's
    own user can still open it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if os.geteuid() == 0:
            folder = path.parent.stat()
            os.fchown(fd, folder.st_uid, folder.st_gid)
    finally:
        os.close(fd)


def _stamp(now: datetime | None) -> str:
    when = (now or clock.now()).astimezone(UTC)
    return when.strftime("%Y%m%d-%H%M%S")


def _free_name(dest_dir: Path, stamp: str) -> Path:
    target = dest_dir / f"kiosk-{stamp}.sqlite3"
    n = 1
    while target.exists():
        target = dest_dir / f"kiosk-{stamp}-{n}.sqlite3"
        n += 1
    return target


def backup_database(
    db_path: str | Path, dest_dir: str | Path, *, now: datetime | None = None
) -> Path:
    """Copy the live database at ``db_path`` into ``dest_dir``; returns the new file.

    The copy is a single-file database (journal mode DELETE) with mode 0600.
    """
    db_path, dest_dir = Path(db_path), Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(dest_dir, _stamp(now))
    tmp = dest_dir / f".{target.name}.tmp-{os.getpid()}"
    source = _read_only(db_path)
    try:
        _new_private_file(tmp)
        copy = sqlite3.connect(tmp)
        try:
            source.backup(copy)  # all pages in one step: one read transaction, one snapshot
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(dest_dir)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target


def check_integrity(path: str | Path) -> list[str]:
    """What is wrong with the database file at ``path``; an empty list means it is sound."""
    path = Path(path)
    try:
        conn = _read_only(path)
    except (FileNotFoundError, sqlite3.Error) as exc:
        return [f"cannot be opened ({exc})"]
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            return [f"integrity check: {row}" for row in rows[:20]]
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database ({exc})"]
    finally:
        conn.close()
    missing = [name for name in KIOSK_TABLES if name not in tables]
    if missing:
        return [f"not a kiosk database (no {', '.join(missing)} table)"]
    return []


def backup_time(path: Path) -> datetime | None:
    """The UTC time written in a backup file's name, or None for another file."""
    match = BACKUP_NAME.match(path.name)
    if match is None:
        return None
    return datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def list_backups(dest_dir: str | Path) -> list[Path]:
    """Backup files in ``dest_dir``, newest first."""
    dest_dir = Path(dest_dir)
    if not dest_dir.is_dir():
        return []
    found = []
    for path in dest_dir.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file():
            found.append((backup_time(path), int(match[3] or 0), path))
    return [path for _when, _n, path in sorted(found, reverse=True)]


def rotate_backups(dest_dir: str | Path, daily: int = 7, weekly: int = 4) -> list[Path]:
    """Delete old backups; keep the newest ``daily`` files and the newest file of each of the
    ``weekly`` most recent ISO weeks. Returns the deleted files."""
    backups = list_backups(dest_dir)
    keep = set(backups[:daily])
    weeks_seen: list[tuple[int, int]] = []
    for path in backups:  # newest first: the first file met in a week is its newest
        week = tuple(backup_time(path).isocalendar()[:2])
        if week not in weeks_seen:
            weeks_seen.append(week)
            if len(weeks_seen) <= weekly:
                keep.add(path)
    deleted = []
    for path in backups:
        if path not in keep:
            path.unlink()
            deleted.append(path)
    return deleted


def usb_backup_dirs(mount_roots=USB_MOUNT_ROOTS, *, require_mount: bool = True) -> list[Path]:
    """``building-kiosk-backups`` folders on mounted sticks (/media/<user>/<label>/ or /mnt/x/)."""
    found = []
    for root in map(Path, mount_roots):
        if not root.is_dir():
            continue
        for candidate in sorted([*root.glob(f"*/{USB_FOLDER}"), *root.glob(f"*/*/{USB_FOLDER}")]):
            if candidate.is_dir() and (not require_mount or os.path.ismount(candidate.parent)):
                found.append(candidate)
    return found


def _copy_file_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        _new_private_file(tmp)
        shutil.copyfile(source, tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def copy_to_usb(
    path: str | Path,
    mount_roots=USB_MOUNT_ROOTS,
    *,
    require_mount: bool = True,
    daily: int = 7,
    weekly: int = 4,
) -> list[Path]:
    """Copy the backup ``path`` to every mounted stick that has a ``building-kiosk-backups``
    folder, check each copy and rotate there too. Returns the good copies."""
    path = Path(path)
    copies = []
    for folder in usb_backup_dirs(mount_roots, require_mount=require_mount):
        target = folder / path.name
        try:
            _copy_file_atomically(path, target)
        except OSError as exc:
            log.error("Could not copy backup %s to USB stick %s: %s", path.name, folder, exc)
            continue
        problems = check_integrity(target)
        if problems:
            log.error(
                "Backup copy on USB stick %s is damaged (%s); removed it",
                target,
                "; ".join(problems),
            )
            target.unlink(missing_ok=True)
            continue
        rotate_backups(folder, daily=daily, weekly=weekly)
        log.info("Backup copied to USB stick: %s", target)
        copies.append(target)
    return copies


def _sidecars(db_path: Path) -> list[tuple[Path, str]]:
    return [(db_path, ""), (Path(f"{db_path}-wal"), "-wal"), (Path(f"{db_path}-shm"), "-shm")]


def restore_database(
    backup_file: str | Path, db_path: str | Path, *, now: datetime | None = None
) -> Path | None:
    """Replace the database at ``db_path`` with ``backup_file``; the kiosk must be stopped.

    Refuses (``RestoreRefused``) a damaged file or one that is not a kiosk database, before
    touching anything. The current database (with its -wal and -shm files) is moved aside as
    ``<name>.before-restore-<timestamp>``; that path is returned (None when there was none).
    """
    backup_file, db_path = Path(backup_file), Path(db_path)
    problems = check_integrity(backup_file)
    if problems:
        raise RestoreRefused(backup_file, problems)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if db_path.exists():
        aside = db_path.with_name(f"{db_path.name}.before-restore-{_stamp(now)}")
        n = 1
        while aside.exists():
            aside = db_path.with_name(f"{db_path.name}.before-restore-{_stamp(now)}-{n}")
            n += 1
    # Stage the copy next to the database first, so a full disk fails before anything moves.
    tmp = db_path.with_name(f".{db_path.name}.restore-{os.getpid()}")
    try:
        _new_private_file(tmp)
        shutil.copyfile(backup_file, tmp)
        _fsync_file(tmp)
        if aside is not None:
            for current, suffix in _sidecars(db_path):
                if current.exists():
                    os.replace(current, Path(f"{aside}{suffix}"))
        else:
            for current, _suffix in _sidecars(db_path)[1:]:
                current.unlink(missing_ok=True)  # stray WAL of no database would corrupt the copy
        os.replace(tmp, db_path)
        _fsync_dir(db_path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return aside


def check_database_on_start(config: Config) -> None:
    """Called before the kiosk serves: raises ``DatabaseDamaged`` with a message saying what to
    do when the database fails its integrity check. A missing database is fine (it is created)."""
    db_path = config.database_path
    if not db_path.exists():
        return
    problems = check_integrity(db_path)
    if problems:
        raise DatabaseDamaged(db_path, problems)


def what_to_do_when_damaged(config: Config, error: DatabaseDamaged) -> str:
    """Plain words for the person at the console: what is wrong and how to get back."""
    lines = [
        f"The kiosk database {error.path} is damaged:",
        *(f"  - {p}" for p in error.problems),
        "The kiosk will not start on it, to avoid losing more data. To recover:",
    ]
    good = next((p for p in list_backups(backup_dir(config)) if not check_integrity(p)), None)
    if good is not None:
        lines.append(f"  kiosk restore {good}")
        lines.append("  (the damaged database is kept aside, nothing is deleted)")
    else:
        lines.append(f"  no sound backup found in {backup_dir(config)}; look on the USB stick")
        lines.append(f"  (folder {USB_FOLDER}) and run: kiosk restore /path/to/kiosk-....sqlite3")
    return "\n".join(lines)


def nightly_backup(config: Config, *, now: datetime | None = None) -> Path:
    """Back up, check the copy, rotate, copy to a USB stick: the job the scheduler runs."""
    settings = config["backup"]
    dest = backup_dir(config)
    db_path = config.database_path
    try:
        path = backup_database(db_path, dest, now=now)
    except (OSError, sqlite3.Error) as exc:
        log.error("Nightly backup of %s into %s failed: %s", db_path, dest, exc)
        raise BackupError(f"backup of {db_path} into {dest} failed: {exc}") from exc
    problems = check_integrity(path)
    if problems:
        damaged = path.with_name(path.name + ".damaged")
        os.replace(path, damaged)
        log.error(
            "Backup %s failed its integrity check (%s); kept as %s",
            path,
            "; ".join(problems),
            damaged,
        )
        raise DatabaseDamaged(damaged, problems)
    size_kb = path.stat().st_size // 1024
    log.info("Backup written and checked: %s (%d kB)", path, size_kb)
    deleted = rotate_backups(dest, daily=settings["keep_daily"], weekly=settings["keep_weekly"])
    if deleted:
        log.info("Old backups removed: %s", ", ".join(p.name for p in deleted))
    if settings["usb_copy"]:
        copies = copy_to_usb(path, daily=settings["keep_daily"], weekly=settings["keep_weekly"])
        if not copies:
            log.info(
                "No USB stick with a %s folder is mounted; backup kept on the kiosk only",
                USB_FOLDER,
            )
    return path


def last_backup(config: Config) -> Path | None:
    """The newest backup file, or None."""
    backups = list_backups(backup_dir(config))
    return backups[0] if backups else None


def schedule(scheduler, config: Config) -> None:
    """Add the nightly backup to an APScheduler 3 scheduler (``kiosk.background`` calls this
    from ``kiosk serve`` only)."""

    def job() -> None:
        try:
            nightly_backup(config)
        except BackupError:
            pass  # already logged with what went wrong

    scheduler.add_job(
        job,
        "cron",
        hour=config["backup"]["hour"],
        minute=17,
        timezone=config.timezone,
        id="nightly-backup",
        replace_existing=True,
        misfire_grace_time=3600,
        coalesce=True,
    )
