"""What every printer transport shares: the errors that say how far a job went, the optional
extras, and the ``Printer`` base class (printing/transports.py makes the one configured).

A transport's ``send`` calls ``_begin_document()`` just before the first byte of the document:
before it, a failure means nothing can be on paper (the queue retries the job); after it, some
bytes may be (the job becomes ``uncertain``). ``interrupt()`` (a normal stop) refuses to start
a new document.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable

from printing.document import Document
from printing.escpos_render import render_escpos
from printing.settings import PrintSettings
from printing.status import PrinterState, PrinterStatus


class PrinterError(Exception):
    """The job was not certainly taken by the printer. ``document_bytes_sent``: how many bytes
    of the document were handed to the device (0: none can have reached it, retry it)."""

    def __init__(self, message: str, *, document_bytes_sent: int = 0):
        super().__init__(message)
        self.document_bytes_sent = document_bytes_sent

    @property
    def may_be_on_paper(self) -> bool:
        return self.document_bytes_sent > 0


class PrinterInterrupted(PrinterError):
    """The kiosk is stopping and the job's document had not started: handed back untouched."""


class PrinterNotReady(PrinterError):
    """The printer answered, but cannot print now (paper out, off-line)."""

    def __init__(self, status: PrinterStatus):
        super().__init__(f"{status.state.value}: {status.detail}")
        self.status = status


class MissingExtra(PrinterError):
    """An optional package the configured printer kind needs is not installed."""


EXTRAS = {
    "usb": ("usb", "pyusb", "usb", "python3-usb"),
    "serial": ("serial", "pyserial", "serial", "python3-serial"),
    "cups": ("cups", "pycups", "cups", "python3-cups"),
}


def require_extra(kind: str) -> None:
    module, package, extra, debian = EXTRAS[kind]
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(
            f"printer kind {kind!r} needs the Python package {package}: "
            f"pip install 'building-kiosk[{extra}]' (or apt install {debian})"
        )


class Printer:
    """A printer reached through one transport. Subclasses implement ``send``."""

    kind = "abstract"

    def __init__(self, settings: PrintSettings):
        self.settings = settings
        self.last_status: PrinterStatus | None = None  # what the last job's exchange showed

        self._on_first_byte: Callable[[], None] | None = None
        self._interrupted = threading.Event()
        self.document_started = False  # the last job's document began to leave

    def print_document(
        self, document: Document, name: str, *, on_first_byte: Callable[[], None] | None = None
    ) -> str | None:
        """Print ``document``; returns the preview file's path when there is one.
        ``on_first_byte()`` runs just before the first byte of the document leaves."""
        data = render_escpos(document, self.settings)
        self._start_job(on_first_byte)
        self.send(data)
        return None

    def _start_job(self, on_first_byte: Callable[[], None] | None) -> None:
        self._on_first_byte = on_first_byte
        self.document_started = False

    def _begin_document(self) -> None:
        """Called by ``send`` just before the first document byte: past here, a failure leaves
        the job uncertain. A stop asked before it hands the job back untouched."""
        if self._interrupted.is_set():
            raise PrinterInterrupted("the kiosk is stopping: the job was not started")
        if self._on_first_byte is not None:
            self._on_first_byte()
        self.document_started = True

    def interrupt(self) -> None:
        """From another thread (a normal stop): no new document starts; see ``NetworkPrinter``
        for one waiting on the printer before its document."""
        self._interrupted.set()

    def send(self, data: bytes) -> None:
        raise NotImplementedError

    def status(self) -> PrinterStatus:
        """The printer's state now; transports that cannot ask say what the last job showed
        (taken whole, or the fault), or UNKNOWN before any job."""
        if self.last_status is not None:
            return self.last_status
        return PrinterStatus(PrinterState.UNKNOWN, f"{self.kind} printers cannot report status")

    def describe(self) -> str:
        return self.kind
