"""What the admin page (and the status bar) call: plain functions, no Flask.

jobs = list_jobs(db)                              # newest first, PrintJob objects
job_state_label(job.state, "fr")                  # "Imprimé"
png = job_preview_png(db, job.id, settings)       # bytes for <img src>, as the paper shows
new_id = reprint_as_copy(db, job.id)              # CopyRefused for member cards
cancel_job(db, job.id)                            # JobStateError once printed
job_id = queue_test_page(db)            # then worker.wake()
worker.status.label("fr"); printer_ready_for_vouchers(worker.status)
"""

from __future__ import annotations

from datetime import UTC, datetime

from printing.i18n import N_, translations
from printing.layouts import build_document
from printing.preview import render_preview_png
from printing.queue import (
    CopyRefused,
    JobNotFound,
    JobStateError,
    PrintJob,
    QueueError,
    _transaction,
    cancel_job,
    count_jobs,
    count_waiting,
    enqueue,
    get_job,
    list_jobs,
    reprint_as_copy,
    retry_failed_job,
    retry_now,
)
from printing.settings import PrintSettings
from printing.status import PrinterState, PrinterStatus, printer_ready_for_vouchers

__all__ = [
    "CopyRefused",
    "JobNotFound",
    "JobStateError",
    "PrintJob",
    "PrinterState",
    "PrinterStatus",
    "QueueError",
    "cancel_job",
    "count_jobs",
    "count_waiting",
    "get_job",
    "job_preview_png",
    "job_state_label",
    "layout_preview_png",
    "list_jobs",
    "printer_ready_for_vouchers",
    "queue_test_page",
    "reprint_as_copy",
    "retry_failed_job",
    "retry_now",
]

JOB_STATE_LABELS = {
    "queued": N_("Waiting for the printer"),
    "printing": N_("Printing"),
    "done": N_("Printed"),
    "failed": N_("Cannot be printed"),
    "uncertain": N_("Interrupted: check the paper"),
    "cancelled": N_("Cancelled"),
}


def job_state_label(state: str, language: str) -> str:
    """A job's state in words, for the admin page."""
    return translations(language).gettext(JOB_STATE_LABELS[state])


def job_preview_png(db, job_id: int, settings: PrintSettings) -> bytes:
    """The job as the paper shows it (a printed member card shows no code: it was erased)."""
    job = get_job(db, job_id)
    document = build_document(job.layout, job.payload, settings, is_copy=job.is_copy)
    return render_preview_png(document, settings)


def layout_preview_png(layout: str, payload: dict, settings: PrintSettings) -> bytes:
    """Any layout with any payload, e.g. ``printing.samples.SAMPLE_PAYLOADS[layout]``."""
    return render_preview_png(build_document(layout, payload, settings), settings)


def queue_test_page(db, *, note: str | None = None) -> int:
    """Queue a test page (its own transaction, or the caller's). Wake the worker afterwards."""
    payload = {
        "requested_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    }
    if note:
        payload["note"] = note
    with _transaction(db):
        return enqueue(db, "test_page", payload)
