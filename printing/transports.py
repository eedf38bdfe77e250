"""Where the bytes go: one class per ``[printer] kind``, made by ``make_printer(settings)``.

Every transport raises ``PrinterError`` (a message in words, no traceback) when the job did not
reach the printer; the queue then keeps the job and retries it. Optional extras (pyusb,
pyserial, pycups) are imported only when their kind is configured; a missing one raises
``MissingExtra`` naming what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import tempfile
import time
import warnings
from pathlib import Path

from printing.document import Document
from printing.escpos_render import render_escpos
from printing.preview import render_preview_png
from printing.settings import PrintSettings
from printing.status import (
    STATUS_PAPER,
    STATUS_PRINTER,
    PrinterState,
    PrinterStatus,
    status_from_bytes,
)


class PrinterError(Exception):
    """The job did not (certainly) reach the printer; it stays queued."""


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

    def print_document(self, document: Document, name: str) -> str | None:
        """Print ``document``; returns the preview file's path when there is one."""
        self.send(render_escpos(document, self.settings))
        return None

    def send(self, data: bytes) -> None:
        raise NotImplementedError

    def status(self) -> PrinterStatus:
        """The printer's state now; transports that cannot ask say UNKNOWN."""
        return PrinterStatus(PrinterState.UNKNOWN, f"{self.kind} printers cannot report status")

    def describe(self) -> str:
        return self.kind


class PreviewPrinter(Printer):
    """No printer: one PNG per job in ``preview_dir`` (the default, so a laptop works)."""

    kind = "preview"

    def print_document(self, document: Document, name: str) -> str | None:
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


class NetworkPrinter(Printer):
    """Raw TCP (port 9100). With ``read_status``, each job asks ``DLE EOT`` before sending
    (paper out: not sent) and after (the printer's answer confirms it received the job)."""

    kind = "network"

    def describe(self) -> str:
        return f"network {self.settings.host}:{self.settings.port}"

    def _connect(self) -> socket.socket:
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            sock = socket.create_connection(
                (self.settings.host, self.settings.port), timeout=self.settings.timeout_seconds
            )
        except TimeoutError as exc:
            raise PrinterError(f"no answer from the printer at {where} (time-out)") from exc
        except OSError as exc:
            raise PrinterError(
                f"cannot connect to the printer at {where}: {exc.strerror or exc}"
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _query(self, sock: socket.socket) -> PrinterStatus:
        try:
            sock.sendall(STATUS_PRINTER + STATUS_PAPER)
            answer = b""
            deadline = time.monotonic() + self.settings.timeout_seconds
            while len(answer) < 2:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(2 - len(answer))
                if not chunk:
                    raise PrinterError("the printer closed the connection")
                answer += chunk
        except TimeoutError as exc:
            raise PrinterError(
                f"the printer did not answer within {self.settings.timeout_seconds} s"
            ) from exc
        except OSError as exc:
            raise PrinterError(f"connection to the printer lost: {exc.strerror or exc}") from exc
        finally:
            sock.settimeout(self.settings.timeout_seconds)
        return status_from_bytes(answer[0], answer[1])

    def send(self, data: bytes) -> None:
        with self._connect() as sock:
            if self.settings.read_status:
                before = self.last_status = self._query(sock)
                if not before.can_print:
                    raise PrinterNotReady(before)
            try:
                sock.sendall(data)
            except TimeoutError as exc:
                raise PrinterError("the printer stopped taking data (time-out)") from exc
            except OSError as exc:
                raise PrinterError(
                    f"connection to the printer lost: {exc.strerror or exc}"
                ) from exc
            if self.settings.read_status:
                # Answered after the job's bytes: the printer has them.
                self.last_status = self._query(sock)

    def status(self) -> PrinterStatus:
        if not self.settings.read_status:
            return super().status()
        try:
            with self._connect() as sock:
                return self._query(sock)
        except PrinterError as exc:
            return PrinterStatus(PrinterState.OFFLINE, str(exc))


class FilePrinter(Printer):
    """A device file (``/dev/usb/lp0``) or any file: bytes written, no status."""

    kind = "file"

    def describe(self) -> str:
        return f"file {self.settings.file_path}"

    def send(self, data: bytes) -> None:
        try:
            with open(self.settings.file_path, "ab") as device:
                device.write(data)
        except OSError as exc:
            raise PrinterError(
                f"cannot write to {self.settings.file_path}: {exc.strerror or exc}"
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
        except Exception as exc:  # pyusb/pyserial raise many kinds; all mean "not printed"
            raise PrinterError(f"{self.describe()}: {exc}") from exc

    def send(self, data: bytes) -> None:
        def job(device):
            if self.settings.read_status:
                before = self.last_status = self._read_status(device)
                if not before.can_print:
                    raise PrinterNotReady(before)
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
                connection.printFile(queue, job_file.name, "building kiosk", {"raw": "true"})
            except Exception as exc:  # cups.IPPError, RuntimeError...
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
