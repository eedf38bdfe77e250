"""What the admin page (and the status bar) call: plain functions, no Flask.

jobs = list_jobs(db)                              # newest first, PrintJob objects
job_state_label(job.state, "fr")                  # "Imprimé"
job_document_label(job.layout, "fr")              # "Reçu d’échange" (never the layout id)
job_error_label(job.last_error, "fr")             # the error in words (never Python's text)
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
    SECRET_FIELDS,
    SECRET_UNTIL_PRINTED,
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
    "job_document_label",
    "job_error_label",
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


DOCUMENT_LABELS = {
    "receipt": N_("Exchange receipt"),
    "voucher": N_("Voucher"),
    "member_card": N_("Member card"),
    "statement": N_("Account statement"),
    "board_sheet": N_("Weekly board sheet"),
    "board_message": N_("Board message"),
    "payment_request": N_("Payment request"),
    "mailbox_slip": N_("Mailbox slip"),
    "test_page": N_("Test page"),
    "project_sheet": N_("Project sheet"),
    "purchase_order": N_("Supplier order"),
    "distribution_list": N_("Distribution list"),
    "dues_list": N_("Dues list"),
    "alert": N_("Alert"),
    "notice": N_("Notice"),
    "poll_results": N_("Poll results"),
}


def job_document_label(layout: str, language: str) -> str:
    """What a job prints, in words (a layout the kiosk no longer knows: "Document")."""
    return translations(language).gettext(DOCUMENT_LABELS.get(layout, N_("Document")))


# A job's last error is the worker's text (printing.worker, printing.transports); the page shows
# what it means for the volunteer. First match wins; anything else is "unexpected".
ERROR_LABELS = (
    (
        ("bad payload", "unknown layout"),
        N_("The kiosk could not make this document from its data. Tell the kiosk's maintainers."),
    ),
    (
        ("interrupted while printing",),
        N_(
            "Interrupted while printing: check the paper. If it did not come out, reprint it as a COPY."
        ),
    ),
    (("paper_out", "paper out"), N_("The printer has no paper.")),
    (
        ("needs the python package", "unknown printer kind"),
        N_("The printer is not set up on this kiosk (see its settings)."),
    ),
    (
        ("cannot connect", "cannot write", "no answer from the printer", "not found", "offline"),
        N_("The kiosk cannot reach the printer: check that it is on and connected."),
    ),
    (("did not answer", "time-out", "timed out"), N_("The printer did not answer in time.")),
    (
        ("closed the connection", "connection to the printer lost", "stopped taking data"),
        N_("The printer broke off while receiving the document."),
    ),
)
UNEXPECTED_ERROR = N_("An unexpected error stopped this document (details in the kiosk's log).")


def job_error_label(error: str | None, language: str) -> str:
    """A job's last error in words for the volunteer; "" when there is none."""
    if not error:
        return ""
    text = error.lower()
    for fragments, label in ERROR_LABELS:
        if any(fragment in text for fragment in fragments):
            return translations(language).gettext(label)
    return translations(language).gettext(UNEXPECTED_ERROR)


def job_preview_png(db, job_id: int, settings: PrintSettings) -> bytes:
    """The job as the paper shows it, but for the credential it carries (a member card's token,
    a mailbox code, a voucher's secret): never drawn on a screen, even before it prints."""
    job = get_job(db, job_id)
    payload = dict(job.payload)
    for name in SECRET_FIELDS.get(job.layout, ()) + SECRET_UNTIL_PRINTED.get(job.layout, ()):
        payload[name] = None
    document = build_document(job.layout, payload, settings, is_copy=job.is_copy)
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
