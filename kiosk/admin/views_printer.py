"""The printer's admin page: its state, the queue, previews, reprint as COPY, cancel, test page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale

from kiosk.web.formatting import gettext
from kiosk.web.page_cache import LRUCache
from kiosk.web.session_state import admin_required, db
from printing import admin as printer
from printing.settings import PrintSettings

PREVIEWS_KEPT = 64  # a page of the queue shows up to 60 jobs

bp = Blueprint("printer_admin", __name__, template_folder="templates", url_prefix="/admin/printer")


def print_worker():
    """The running print worker (``kiosk serve``), or None (tests, or the worker not started)."""
    return current_app.extensions.get("print_worker")


def print_settings() -> PrintSettings:
    settings = current_app.extensions.get("print_settings")
    if settings is None:
        settings = PrintSettings.from_config(g.config.values, g.config.preview_dir)
        current_app.extensions["print_settings"] = settings
    return settings


def printer_status():
    worker = print_worker()
    return worker.status if worker is not None else None


def wake_worker() -> None:
    worker = print_worker()
    if worker is not None:
        worker.wake()


@bp.get("/")
@admin_required
def queue():
    language = str(get_locale())
    jobs = printer.list_jobs(db(), limit=60)
    status = printer_status()
    return render_template(
        "admin/printer.html",
        jobs=jobs,
        counts=printer.count_jobs(db()),
        status_label=status.label(language)
        if status
        else gettext("The print worker is not running."),
        status_ok=bool(status and status.can_print),
        state_label=lambda state: printer.job_state_label(state, language),
        document_label=lambda layout: printer.job_document_label(layout, language),
        error_label=lambda error: printer.job_error_label(error, language),
        settings=print_settings(),
    )


@bp.get("/jobs/<int:job_id>/")
@admin_required
def job(job_id: int):
    """One job's preview in a page of the kiosk (a way back, the idle log-out), never the bare
    image on the lobby screen."""
    language = str(get_locale())
    try:
        found = printer.get_job(db(), job_id)
    except printer.JobNotFound:
        abort(404)
    return render_template(
        "admin/printer_job.html",
        job=found,
        document=printer.job_document_label(found.layout, language),
        state=printer.job_state_label(found.state, language),
        error=printer.job_error_label(found.last_error, language) if found.state != "done" else "",
    )


@bp.get("/jobs/<int:job_id>/preview.png")
@admin_required
def preview(job_id: int):
    """Drawn once per job and kept in memory: what a preview shows never changes (a job's
    payload only loses the secrets a preview never draws). Drawing one costs 50-200 ms of the
    kiosk's CPU, which the queue page's previews took from the taps that followed."""
    previews = current_app.extensions.setdefault("printer_previews", LRUCache(PREVIEWS_KEPT))
    try:
        png = previews.get_or_make(
            job_id, lambda: printer.job_preview_png(db(), job_id, print_settings())
        )
    except printer.JobNotFound:
        abort(404)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/jobs/<int:job_id>/copy")
@admin_required
def copy(job_id: int):
    try:
        printer.reprint_as_copy(db(), job_id)
    except printer.CopyRefused:
        flash(
            gettext("A member card cannot be copied: print a new card from the resident's page."),
            "error",
        )
    except printer.JobNotFound:
        abort(404)
    else:
        wake_worker()
        flash(gettext("A copy marked COPY is queued."), "success")
    return redirect(url_for("printer_admin.queue"))


@bp.post("/jobs/<int:job_id>/cancel")
@admin_required
def cancel(job_id: int):
    try:
        printer.cancel_job(db(), job_id)
    except printer.JobStateError:
        flash(gettext("This job was already printed or cancelled."), "error")
    except printer.JobNotFound:
        abort(404)
    else:
        flash(gettext("The job is cancelled."), "success")
    return redirect(url_for("printer_admin.queue"))


@bp.post("/jobs/<int:job_id>/retry")
@admin_required
def retry(job_id: int):
    try:
        printer.retry_failed_job(db(), job_id)
    except printer.JobStateError:
        flash(gettext("Only a job that failed can be tried again."), "error")
    except printer.JobNotFound:
        abort(404)
    else:
        wake_worker()
        flash(gettext("The job will be tried again."), "success")
    return redirect(url_for("printer_admin.queue"))


@bp.post("/test-page")
@admin_required
def test_page():
    printer.queue_test_page(db())
    wake_worker()
    flash(gettext("A test page is queued."), "success")
    return redirect(url_for("printer_admin.queue"))
