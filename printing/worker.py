"""The print worker: one thread that owns the printer and empties the queue in order.

``print_pending`` does one pass synchronously (tests call it); ``PrintWorker`` runs it in a
daemon thread that sleeps on a ``threading.Event``: ``wake()`` after a commit that queued a job,
or every ``POLL_SECONDS`` to retry and to refresh the printer's status. Nobody else talks to
the printer, so the web layer reads ``worker.status`` instead of asking the device.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from printing import queue
from printing.layouts import LayoutError, build_document
from printing.settings import PrintSettings
from printing.status import PrinterState, PrinterStatus
from printing.transports import (
    MissingExtra,
    Printer,
    PrinterError,
    PrinterInterrupted,
    PrinterNotReady,
    make_printer,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
STATUS_REFRESH_SECONDS = 60.0


def print_job(
    job: queue.PrintJob, printer: Printer, settings: PrintSettings, db=None
) -> str | None:
    """Build and print one job; returns its preview path, if the printer made one. With
    ``db``, the moment its document starts to leave is recorded (a crash after it: uncertain)."""
    document = build_document(job.layout, job.payload, settings, is_copy=job.is_copy)
    on_first_byte = (lambda: queue.mark_document_started(db, job.id)) if db is not None else None
    return printer.print_document(document, job.file_name, on_first_byte=on_first_byte)


def print_pending(
    db,
    printer: Printer,
    settings: PrintSettings,
    *,
    now: datetime | None = None,
    on_status=None,
    stopping: threading.Event | None = None,
) -> int:
    """Print queued jobs in order until the queue is empty, the printer fails or ``stopping``.

    Returns how many jobs were printed. A printer error before any document byte puts the job
    back in the queue with a backoff; one after some document bytes makes it uncertain (it may
    be on paper); either stops the pass. A job whose document cannot be made is marked failed
    and the pass goes on. A stop asked before a job's document started hands it back untouched.
    ``on_status(PrinterStatus)`` hears about the printer after each attempt.
    """
    printed = 0
    while stopping is None or not stopping.is_set():
        job = queue.claim_next_job(db, now=now)
        if job is None:
            return printed
        try:
            preview_path = print_job(job, printer, settings, db)
        except LayoutError as exc:
            log.error("print job %s cannot be printed: %s", job.id, exc)
            queue.mark_failed(db, job.id, str(exc))
            continue
        except PrinterError as exc:
            _printer_failed(db, job, exc, printer, settings, now, on_status, stopping)
            return printed
        except Exception as exc:  # a bug must not leave the job 'printing' for ever
            log.exception("print job %s failed unexpectedly", job.id)
            error = PrinterError(
                f"{type(exc).__name__}: {exc}", document_bytes_sent=int(printer.document_started)
            )
            _printer_failed(db, job, error, printer, settings, now, None, stopping)
            return printed
        queue.mark_done(db, job.id, preview_path=preview_path)
        printed += 1
        if on_status and printer.last_status is not None:
            on_status(printer.last_status)
    return printed


def _printer_failed(db, job, exc, printer, settings, now, on_status, stopping) -> None:
    if not exc.may_be_on_paper and (
        isinstance(exc, PrinterInterrupted) or (stopping is not None and stopping.is_set())
    ):
        queue.hand_back(db, job.id)
        log.info("print job %s handed back untouched: the kiosk is stopping", job.id)
        return
    if exc.may_be_on_paper:
        queue.mark_uncertain(db, job.id, str(exc))
        log.warning("print job %s may be partly on paper (%s): uncertain", job.id, exc)
    else:
        retry_at = queue.mark_attempt_failed(
            db, job.id, str(exc), retry_max_seconds=settings.retry_max_seconds, now=now
        )
        log.warning("print job %s not printed (%s); next try at %s", job.id, exc, retry_at)
    status = (
        exc.status
        if isinstance(exc, PrinterNotReady)
        else PrinterStatus(PrinterState.OFFLINE, str(exc))
    )
    printer.last_status = status  # what a printer without status reading reports next
    if on_status:
        on_status(status)
    if isinstance(exc, MissingExtra):
        log.error("%s", exc)


class PrintWorker:
    """``PrintWorker(db_path, settings).start()`` in ``kiosk serve``; ``.stop()`` at exit."""

    def __init__(
        self, db_path: str | Path, settings: PrintSettings, *, poll_seconds: float = POLL_SECONDS
    ):
        self.db_path = Path(db_path)
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = PrinterStatus(PrinterState.UNKNOWN, "not checked yet")
        self._status_lock = threading.Lock()
        self._status_wanted = threading.Event()
        self.uncertain_at_start: list[int] = []
        self._passes = 0
        self._busy = False
        self._finished = False
        self._passes_changed = threading.Condition()
        self._printer: Printer | None = None

    @property
    def status(self) -> PrinterStatus:
        """The printer's last known status (never blocks on the device)."""
        with self._status_lock:
            return self._status

    def _set_status(self, status: PrinterStatus) -> None:
        with self._status_lock:
            came_back = (
                self._status.state in (PrinterState.OFFLINE, PrinterState.PAPER_OUT)
                and status.can_print
            )
            self._status = status
        if came_back:
            self._wake.set()

    def wake(self) -> None:
        """A job was queued (after the commit): print it soon."""
        self._wake.set()

    def request_status(self) -> None:
        """Ask for a fresh status; a request while one is pending is merged with it."""
        self._status_wanted.set()
        self._wake.set()

    def wait_for_pass(self, timeout: float = 10.0) -> bool:
        """Wake the worker and wait until it has gone through the queue once more."""
        with self._passes_changed:
            # A pass under way may have missed the newest job: then wait for the next one too.
            target = self._passes + (2 if self._busy else 1)
            self._wake.set()
            return self._passes_changed.wait_for(
                lambda: self._passes >= target or self._finished, timeout
            )

    def start(self) -> None:
        """Settle jobs cut off by a crash (queued again if no document byte had left, else
        'uncertain'), then print in a daemon thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        db = self._connect()
        self.uncertain_at_start = queue.mark_interrupted_uncertain(db)
        if self.uncertain_at_start:
            log.warning(
                "print jobs %s were interrupted by a restart: marked uncertain",
                self.uncertain_at_start,
            )
        self._stop.clear()
        self._finished = False
        self._thread = threading.Thread(
            target=self._run, args=(db,), name="print-worker", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the job on the wire or hand it back untouched, and stop.

        A job whose document has not started (connecting, waiting for the first status answer)
        is cut off and queued again as it was; one whose document is leaving finishes, bounded
        by the printer time-out (connect, send, answer, close: four waits at most)."""
        self._stop.set()
        self._wake.set()
        printer = self._printer
        if printer is not None:
            printer.interrupt()
        if timeout is None:
            timeout = 4 * float(self.settings.timeout_seconds) + 2
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("print worker did not stop within %.0f s", timeout)
            self._thread = None

    def _run(self, db) -> None:
        try:
            try:
                printer = self._printer = make_printer(self.settings)
            except PrinterError as exc:
                log.error("printer unusable: %s", exc)
                self._set_status(PrinterStatus(PrinterState.OFFLINE, str(exc)))
                return
            if self._stop.is_set():
                printer.interrupt()
            last_check = 0.0
            while not self._stop.is_set():
                with self._passes_changed:
                    self._busy = True
                    self._wake.clear()  # a wake during the pass keeps the next wait short
                now = time.monotonic()
                if self._status_wanted.is_set() or now - last_check >= STATUS_REFRESH_SECONDS:
                    self._status_wanted.clear()
                    last_check = now
                    self._refresh_status(db, printer)
                try:
                    print_pending(
                        db,
                        printer,
                        self.settings,
                        on_status=self._set_status,
                        stopping=self._stop,
                    )
                except Exception:  # the worker must outlive a locked database or a bug
                    log.exception("print worker pass failed")
                with self._passes_changed:
                    self._passes += 1
                    self._busy = False
                    self._passes_changed.notify_all()
                self._wake.wait(self.poll_seconds)
        finally:
            db.conn.close()
            with self._passes_changed:
                self._finished = True
                self._passes_changed.notify_all()

    def _refresh_status(self, db, printer: Printer) -> None:
        before = self.status
        status = printer.status()
        self._set_status(status)
        if status.can_print and not before.can_print:
            queue.retry_now(db)  # the printer is back: no need to wait for the backoff

    def _connect(self):
        conn = sqlite3.connect(
            str(self.db_path), timeout=5, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return Database(conn)
