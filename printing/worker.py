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
from printing.transports import MissingExtra, Printer, PrinterError, PrinterNotReady, make_printer

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
STATUS_REFRESH_SECONDS = 60.0


def print_job(job: queue.PrintJob, printer: Printer, settings: PrintSettings) -> str | None:
    """Build and print one job; returns its preview path, if the printer made one."""
    document = build_document(job.layout, job.payload, settings, is_copy=job.is_copy)
    return printer.print_document(document, job.file_name)


def print_pending(
    db, printer: Printer, settings: PrintSettings, *, now: datetime | None = None, on_status=None
) -> int:
    """Print queued jobs in order until the queue is empty or the printer fails.

    Returns how many jobs were printed. A printer error puts the job back in the queue with a
    backoff and stops the pass; a job whose document cannot be made is marked failed and the
    pass goes on. ``on_status(PrinterStatus)`` hears about the printer after each attempt.
    """
    printed = 0
    while True:
        job = queue.claim_next_job(db, now=now)
        if job is None:
            return printed
        try:
            preview_path = print_job(job, printer, settings)
        except LayoutError as exc:
            log.error("print job %s cannot be printed: %s", job.id, exc)
            queue.mark_failed(db, job.id, str(exc))
            continue
        except PrinterError as exc:
            retry_at = queue.mark_attempt_failed(
                db, job.id, str(exc), retry_max_seconds=settings.retry_max_seconds, now=now
            )
            log.warning("print job %s not printed (%s); next try at %s", job.id, exc, retry_at)
            if on_status:
                on_status(
                    exc.status
                    if isinstance(exc, PrinterNotReady)
                    else PrinterStatus(PrinterState.OFFLINE, str(exc))
                )
            if isinstance(exc, MissingExtra):
                log.error("%s", exc)
            return printed
        except Exception as exc:  # a bug must not leave the job 'printing' for ever
            log.exception("print job %s failed unexpectedly", job.id)
            queue.mark_attempt_failed(
                db,
                job.id,
                f"{type(exc).__name__}: {exc}",
                retry_max_seconds=settings.retry_max_seconds,
                now=now,
            )
            return printed
        queue.mark_done(db, job.id, preview_path=preview_path)
        printed += 1
        if on_status and printer.last_status is not None:
            on_status(printer.last_status)


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
        """Mark jobs cut off by a crash 'uncertain', then print in a daemon thread."""
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

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the job in hand (bounded by the printer time-out) and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, db) -> None:
        try:
            try:
                printer = make_printer(self.settings)
            except PrinterError as exc:
                log.error("printer unusable: %s", exc)
                self._set_status(PrinterStatus(PrinterState.OFFLINE, str(exc)))
                return
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
                    print_pending(db, printer, self.settings, on_status=self._set_status)
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
