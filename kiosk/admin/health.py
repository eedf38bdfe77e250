"""The kiosk's health in one dictionary: for the admin status page and ``/healthz``.

``gather_health`` only reads: it never blocks on the printer or the hub (it takes the print
worker's last known status) and never runs a full integrity check (that is done at start and on
every nightly backup). Each part says ``ok`` or gives a ``problem`` in English for monitoring;
the status page words them through the catalog.

The Pi has no real-time clock: after a power cut without network its clock can restart in the
past. A clock earlier than the newest recorded event is flagged, since new events would then
look older than old ones.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk import __version__, clock, store
from kiosk.config import Config
from kiosk.store import backup

LOW_DISK_BYTES = 500 * 1024 * 1024
BACKUP_STALE_HOURS = 36
CLOCK_TOLERANCE_SECONDS = 120


def _size(path: Path) -> int:
    total = 0
    for part in (path, Path(f"{path}-wal")):
        try:
            total += part.stat().st_size
        except OSError:
            pass
    return total


def _database(db: Database, config: Config) -> dict[str, Any]:
    part: dict[str, Any] = {
        "path": str(config.database_path),
        "size_bytes": _size(config.database_path),
    }
    try:
        part["events"] = store.scalar(db, "SELECT count(*) FROM events")
        part["last_event_at"] = store.scalar(db, "SELECT max(created_at) FROM events")
        part["ok"] = True
    except Exception as exc:  # noqa: BLE001 - a health page reports, it does not crash
        part.update(ok=False, problem=f"cannot read the database: {exc}")
    return part


def _disk(config: Config) -> dict[str, Any]:
    folder = config.database_path.parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError as exc:
        return {"ok": False, "problem": f"cannot read free disk space of {folder}: {exc}"}
    part = {
        "free_bytes": usage.free,
        "total_bytes": usage.total,
        "ok": usage.free >= LOW_DISK_BYTES,
    }
    if not part["ok"]:
        part["problem"] = f"less than {LOW_DISK_BYTES // (1024 * 1024)} MB free on the data disk"
    return part


def _backup(config: Config, now: datetime) -> dict[str, Any]:
    last = backup.last_backup(config)
    if last is None:
        return {"ok": False, "last": None, "problem": "no backup yet (run `kiosk backup`)"}
    taken = backup.backup_time(last)
    age_hours = (now - taken).total_seconds() / 3600
    part = {
        "ok": age_hours <= BACKUP_STALE_HOURS,
        "last": last.name,
        "at": taken.isoformat(),
        "age_hours": round(age_hours, 1),
        "size_bytes": last.stat().st_size,
    }
    if not part["ok"]:
        part["problem"] = f"the last backup is more than {BACKUP_STALE_HOURS} hours old"
    return part


def _printer(db: Database, config: Config, printer_status) -> dict[str, Any]:
    part: dict[str, Any] = {"kind": config["printer"]["kind"]}
    if printer_status is not None:
        part["state"] = printer_status.state.value
        part["state_msgid"] = printer_status.state.msgid
        part["detail"] = printer_status.detail
        part["ok"] = bool(printer_status.can_print)
    else:
        part["state"] = "unknown"
        part["ok"] = True  # not started in this process (tests, CLI): nothing known to be wrong
    try:
        part["waiting_jobs"] = store.scalar(
            db,
            "SELECT count(*) FROM print_jobs WHERE state IN ('queued', 'printing', 'failed', 'uncertain')",
        )
    except Exception:  # noqa: BLE001 - an old database without a print queue
        part["waiting_jobs"] = None
    if not part["ok"]:
        part["problem"] = f"printer {part['state']}"
    return part


def _sync(db: Database) -> dict[str, Any]:
    """The sync client's last contact with the hub (table ``sync_state``), if enrolled."""
    try:
        row = store.query_one(
            db, "SELECT hub_url, last_success_at, last_error FROM sync_state WHERE id = 1"
        )
    except Exception:  # noqa: BLE001 - a database from before sync
        row = None
    if row is None or not row["hub_url"]:
        return {"enrolled": False, "last_sync_at": None, "ok": True}
    part = {
        "enrolled": True,
        "last_sync_at": row["last_success_at"],
        "last_error": row["last_error"],
        "ok": True,
    }
    return part


def _clock(now: datetime, last_event_at: str | None) -> dict[str, Any]:
    part: dict[str, Any] = {
        "now": now.isoformat(timespec="seconds"),
        "last_event_at": last_event_at,
        "ok": True,
    }
    if last_event_at:
        behind = (clock.parse_iso(last_event_at) - now).total_seconds()
        if behind > CLOCK_TOLERANCE_SECONDS:
            part["ok"] = False
            part["behind_seconds"] = int(behind)
            part["problem"] = "the clock is earlier than the last recorded event; set the time"
    return part


def gather_health(
    db: Database,
    config: Config,
    started_at: float,
    *,
    printer_status=None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the status page and ``/healthz`` show. ``started_at`` is a ``time.time()``."""
    now = now or clock.now()
    database = _database(db, config)
    parts = {
        "database": database,
        "disk": _disk(config),
        "backup": _backup(config, now),
        "printer": _printer(db, config, printer_status),
        "sync": _sync(db),
        "clock": _clock(now, database.get("last_event_at")),
    }
    if not database["ok"]:
        status = "error"
    elif all(part["ok"] for part in parts.values()):
        status = "ok"
    else:
        status = "warning"
    return {
        "status": status,
        "version": __version__,
        "kiosk_id": _kiosk_id(db),
        "uptime_seconds": max(0, int(time.time() - started_at)),
        **parts,
        "problems": [
            f"{name}: {part['problem']}" for name, part in parts.items() if "problem" in part
        ],
    }


def _kiosk_id(db: Database) -> str | None:
    try:
        return store.get_meta(db, "kiosk_id")
    except Exception:  # noqa: BLE001
        return None
