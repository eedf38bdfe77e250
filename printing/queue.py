"""The persistent print queue (table ``print_jobs`` in the kiosk's database).

``enqueue`` runs inside the caller's write transaction, so a job exists if and only if the
exchange that asked for it was committed. A worker prints jobs later; the kiosk never waits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def enqueue(db, layout: str, payload: dict[str, Any], *, reference: str | None = None) -> int:
    """Queue one document for printing; returns the job id. Call inside a write transaction."""
    cursor = db.conn.execute(
        "INSERT INTO print_jobs (layout, payload, reference, state, created_at) "
        "VALUES (?, ?, ?, 'queued', ?)",
        (layout, json.dumps(payload, ensure_ascii=False, sort_keys=True), reference, _now_iso()),
    )
    return cursor.lastrowid
