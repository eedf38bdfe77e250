"""The sync admin page (hub, last sync, events waiting, events refused from the network with
their reasons, "Sync now", enrolment, a restore from the hub under way) and the status bar's
sync item. Nothing here waits on the network except enrolment, done once."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kiosk import signals
from kiosk.store import refused, restoring
from kiosk.web.formatting import gettext
from kiosk.web.session_state import admin_required, db
from sync import enrolment
from sync import state as sync_state
from sync.errors import HubRefused, SyncError
from sync.scheduler import runner_for

REFUSED_SHOWN = 20  # the latest events kept aside, on the page

bp = Blueprint("sync_admin", __name__, template_folder="templates", url_prefix="/admin/sync")


@signals.sync_soon.connect
def _sync_soon(_sender, *, config, **_kwargs) -> None:
    """A page waits on the hub (kiosk/signals.py): a run now, in the background."""
    runner_for(config).start_now()


def sync_status() -> dict | None:
    """What the status bar shows about sync, from the database only; None without a hub."""
    state = sync_state.state(db())
    if not state["enrolled_at"]:
        return None
    return {
        "last_success_at": state["last_success_at"],
        "pending": sync_state.pending_count(db()),
        "ok": not state["last_error"],
    }


@bp.app_context_processor
def sync_status_context() -> dict:
    return {"sync_status": sync_status if "config" in g else (lambda: None)}


@bp.get("/")
@admin_required
def page():
    state = sync_state.state(db())
    return render_template(
        "admin/sync.html",
        state=state,
        hub_url=sync_state.hub_url(db(), g.config) if state["enrolled_at"] else "",
        pending=sync_state.pending_count(db()),
        refused_events=refused.refused_events(db(), limit=REFUSED_SHOWN),
        refused_total=refused.refused_count(db()),
        form=request.args,
        restore=restoring.progress(db()),
    )


@bp.post("/now")
@admin_required
def now():
    if not sync_state.is_enrolled(db()):
        flash(gettext("This kiosk is not connected to a hub yet."), "error")
    else:
        runner_for(g.config).start_now()
        flash(gettext("Sync started. The result shows here in a moment."), "success")
    return redirect(url_for("sync_admin.page"))


@bp.post("/enrol")
@admin_required
def enrol():
    url = (request.form.get("url") or "").strip()
    code = (request.form.get("code") or "").strip()
    if not url.startswith(("http://", "https://")) or not code:
        flash(
            gettext("Type the hub's address (starting with https://) and the enrolment code."),
            "error",
        )
        return redirect(url_for("sync_admin.page"))
    try:
        enrolment.enrol(db(), g.config, url, code)
    except HubRefused:
        flash(
            gettext("The hub refused this enrolment code. Ask its administrator for a new one."),
            "error",
        )
    except SyncError:
        flash(
            gettext(
                "The hub cannot be reached at this address. Check it and the network, then try again."
            ),
            "error",
        )
    else:
        flash(gettext("This kiosk is now connected to the hub."), "success")
    return redirect(url_for("sync_admin.page"))
