"""``/healthz`` (JSON for monitoring) and the volunteer's kiosk status page."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, render_template

from kiosk.admin.health import gather_health
from kiosk.web.session_state import admin_required, db

bp = Blueprint("health", __name__, template_folder="templates")


def _health() -> dict:
    worker = current_app.extensions.get("print_worker")  # set by `kiosk serve` (background.py)
    return gather_health(
        db(),
        current_app.config["KIOSK"],
        current_app.config.get("STARTED_AT", time.time()),
        printer_status=worker.status if worker is not None else None,
    )


@bp.get("/healthz")
def healthz():
    """Machine-readable health: 200 when the kiosk can serve, 503 when its database cannot."""
    health = _health()
    health["database"].pop("path", None)
    return jsonify(health), (503 if health["status"] == "error" else 200)


@bp.get("/admin/status")
@admin_required
def status():
    return render_template("admin/status.html", health=_health())
