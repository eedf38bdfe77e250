"""Where the bytes go: one class per ``[printer] kind``, made by ``make_printer(settings)``.

Every transport raises ``PrinterError`` (a message in words, no traceback) when a job was not
certainly taken by the printer. The error says how far the job went: ``document_bytes_sent``
is 0 when no byte of the document can have reached the printer (refused connection, paper out,
no status answer before the document): the queue retries the job. Otherwise some bytes may be
on paper: the job becomes ``uncertain`` and is never printed again as an original.

``print_document(document, name, on_first_byte=...)`` calls ``on_first_byte()`` just before
the first document byte leaves (the worker records it, so a crash after it is known to be
uncertain and a crash before it is not). ``interrupt()`` (from another thread, at a normal
stop) aborts a job whose document has not started; one on the wire finishes.

When a network job counts as taken: printing/network.py. Errors and the base class:
printing/printer.py (re-exported here).

Optional extras (pyusb, pyserial, pycups) are imported only when their kind is configured; a
missing one raises ``MissingExtra`` naming what to install.
"""

from __future__ import annotations

import importlib
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from printing.document import Document
from printing.network import NetworkPrinter
from printing.preview import render_preview_png
from printing.printer import (
    EXTRAS,
    MissingExtra,
    Printer,
    PrinterError,
    PrinterInterrupted,
    PrinterNotReady,
    require_extra,
)
from printing.settings import PrintSettings
from printing.status import (
    STATUS_PAPER,
    STATUS_PRINTER,
    PrinterState,
    PrinterStatus,
    status_from_bytes,
)

__all__ = [
    "EXTRAS",
    "PRINTERS",
    "CupsPrinter",
    "FilePrinter",
    "MissingExtra",
    "NetworkPrinter",
    "PreviewPrinter",
    "Printer",
    "PrinterError",
    "PrinterInterrupted",
    "PrinterNotReady",
    "SerialPrinter",
    "UsbPrinter",
    "make_printer",
    "require_extra",
]


class PreviewPrinter(Printer):
    """No printer: one PNG per job in ``preview_dir`` (the default, so a laptop works)."""

    kind = "preview"

    def print_document(
        self, document: Document, name: str, *, on_first_byte: Callable[[], None] | None = None
    ) -> str | None:
        folder = Path(self.settings.preview_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        data = render_preview_png(document, self.settings)
        self.last_status = self.status()
        # Written aside then renamed: a reader never sees half a file. Mode 0600: a member
        # card's preview holds the card's QR code, like the paper would.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".png")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(path)

    def send(self, data: bytes) -> None:  # pragma: no cover - preview never sends bytes
        raise PrinterError("the preview printer takes documents, not bytes")

    def status(self) -> PrinterStatus:
        return PrinterStatus(PrinterState.ONLINE, f"previews in {self.settings.preview_dir}")

    def describe(self) -> str:
        return f"preview ({self.settings.preview_dir})"


class FilePrinter(Printer):
    """A device file (``/dev/usb/lp0``) or any file: bytes written, no status."""

    kind = "file"

    def describe(self) -> str:
        return f"file {self.settings.file_path}"

    def send(self, data: bytes) -> None:
        try:
            device = open(self.settings.file_path, "ab")
        except OSError as exc:
            raise PrinterError(
                f"cannot write to {self.settings.file_path}: {exc.strerror or exc}"
            ) from exc
        try:
            with device:
                self._begin_document()
                device.write(data)
        except OSError as exc:  # some bytes may have gone: uncertain
            raise PrinterError(
                f"cannot write to {self.settings.file_path}: {exc.strerror or exc}",
                document_bytes_sent=len(data),
            ) from exc


class _EscposDevicePrinter(Printer):
    """USB and serial printers, through python-escpos' own device classes."""

    def _open(self):
        raise NotImplementedError

    def _with_device(self, action):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                device = self._open()
                device.open()
            try:
                return action(device)
            finally:
                device.close()
        except PrinterError:
            raise
        except Exception as exc:  # pyusb/pyserial raise many kinds
            # Before the document: not printed; during it, some bytes may be on paper.
            sent = 1 if self.document_started else 0
            raise PrinterError(f"{self.describe()}: {exc}", document_bytes_sent=sent) from exc

    def send(self, data: bytes) -> None:
        def job(device):
            if self.settings.read_status:
                before = self.last_status = self._read_status(device)
                if not before.can_print:
                    raise PrinterNotReady(before)
            self._begin_document()
            device._raw(data)

        self._with_device(job)

    def _read_status(self, device) -> PrinterStatus:
        printer = device.query_status(STATUS_PRINTER)
        paper = device.query_status(STATUS_PAPER)
        if not printer or not paper:
            return PrinterStatus(PrinterState.UNKNOWN, "no status answer")
        return status_from_bytes(printer[0], paper[0])

    def status(self) -> PrinterStatus:
        if not self.settings.read_status:
            return super().status()
        try:
            return self._with_device(self._read_status)
        except PrinterError as exc:
            return PrinterStatus(PrinterState.OFFLINE, str(exc))


class UsbPrinter(_EscposDevicePrinter):
    kind = "usb"

    def describe(self) -> str:
        return f"usb {self.settings.usb_vendor_id:04x}:{self.settings.usb_product_id:04x}"

    def _open(self):
        require_extra("usb")
        from escpos.printer import Usb  # noqa: PLC0415 (an optional extra, checked above)

        return Usb(
            self.settings.usb_vendor_id,
            self.settings.usb_product_id,
            timeout=int(self.settings.timeout_seconds * 1000),
            profile=self.settings.profile,
        )


class SerialPrinter(_EscposDevicePrinter):
    kind = "serial"

    def describe(self) -> str:
        return f"serial {self.settings.serial_device} at {self.settings.serial_baudrate} baud"

    def _open(self):
        require_extra("serial")
        from escpos.printer import Serial  # noqa: PLC0415 (an optional extra, checked above)

        return Serial(
            self.settings.serial_device,
            baudrate=self.settings.serial_baudrate,
            timeout=self.settings.timeout_seconds,
            profile=self.settings.profile,
        )


class CupsPrinter(Printer):
    """A CUPS queue, sent raw (the queue must pass ESC/POS through unchanged)."""

    kind = "cups"

    def describe(self) -> str:
        return f"cups {self.settings.cups_queue or '(default queue)'}"

    def send(self, data: bytes) -> None:
        require_extra("cups")
        cups = importlib.import_module("cups")
        with tempfile.NamedTemporaryFile(suffix=".bin") as job_file:
            job_file.write(data)
            job_file.flush()
            try:
                connection = cups.Connection()
                queue = self.settings.cups_queue or connection.getDefault()
                self._begin_document()
                connection.printFile(queue, job_file.name, "building kiosk", {"raw": "true"})
            except PrinterError:
                raise
            except Exception as exc:  # cups.IPPError, RuntimeError: CUPS refused the job whole
                raise PrinterError(f"{self.describe()}: {exc}") from exc


PRINTERS: dict[str, type[Printer]] = {
    "preview": PreviewPrinter,
    "network": NetworkPrinter,
    "usb": UsbPrinter,
    "serial": SerialPrinter,
    "file": FilePrinter,
    "cups": CupsPrinter,
}


def make_printer(settings: PrintSettings) -> Printer:
    """The printer for ``settings.kind``; raises ``MissingExtra`` if its package is missing."""
    try:
        cls = PRINTERS[settings.kind]
    except KeyError:
        raise PrinterError(
            f"unknown printer kind {settings.kind!r} (one of {', '.join(PRINTERS)})"
        ) from None
    if settings.kind in EXTRAS:
        require_extra(settings.kind)
    return cls(settings)
