"""The raw TCP (port 9100) printer, and when a job sent to it counts as taken.

With ``read_status``, the printer's answer to the status request sent after the document
confirms it: it answers in order, so it has every byte before it. Without it, the job is taken
when every byte was handed to the socket, the kiosk closed its side and the printer closed its
own after acknowledging every byte (a printer that closes with bytes unread resets the
connection instead): the printer's network side has read the whole job. Nothing then says the
paper came out (no status reading): that is what ``done`` means for such a printer. A send that
waits past ``timeout_seconds`` is a stalled printer.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import termios
import threading
import time

from printing.printer import Printer, PrinterError, PrinterInterrupted, PrinterNotReady
from printing.settings import PrintSettings
from printing.status import (
    STATUS_PAPER,
    STATUS_PRINTER,
    PrinterState,
    PrinterStatus,
    status_from_bytes,
)


class NetworkPrinter(Printer):
    """Raw TCP (port 9100). With ``read_status``, each job asks ``DLE EOT`` before sending
    (paper out: not sent) and after (the printer's answer confirms it received the job).
    Without it, the job is taken when the printer closes its side after every byte (module
    docstring). Every wait (connect, each send, each answer, the close) is bounded by
    ``timeout_seconds``."""

    kind = "network"

    def __init__(self, settings: PrintSettings):
        super().__init__(settings)
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()

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

    def _query(self, sock: socket.socket, sent: int = 0) -> PrinterStatus:
        try:
            sock.sendall(STATUS_PRINTER + STATUS_PAPER)
            answer = b""
            deadline = time.monotonic() + self.settings.timeout_seconds
            while len(answer) < 2:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(2 - len(answer))
                if not chunk:
                    raise PrinterError(
                        "the printer closed the connection before answering its status",
                        document_bytes_sent=sent,
                    )
                answer += chunk
        except TimeoutError as exc:
            raise PrinterError(
                f"the printer did not answer within {self.settings.timeout_seconds} s",
                document_bytes_sent=sent,
            ) from exc
        except OSError as exc:
            raise PrinterError(
                f"connection to the printer lost: {exc.strerror or exc}", document_bytes_sent=sent
            ) from exc
        finally:
            sock.settimeout(self.settings.timeout_seconds)
        return status_from_bytes(answer[0], answer[1])

    def _send_document(self, sock: socket.socket, data: bytes) -> None:
        """Every byte handed to the socket, counted: a send that waits past the time-out is a
        stalled printer."""
        view, sent = memoryview(data), 0
        self._begin_document()
        try:
            while sent < len(data):
                sent += sock.send(view[sent : sent + 65536])
        except TimeoutError as exc:
            raise PrinterError(
                f"the printer stopped taking data after {sent} of {len(data)} bytes (time-out)",
                document_bytes_sent=sent,
            ) from exc
        except OSError as exc:
            raise PrinterError(
                f"connection to the printer lost after {sent} of {len(data)} bytes: "
                f"{exc.strerror or exc}",
                document_bytes_sent=sent,
            ) from exc

    def _close_orderly(self, sock: socket.socket, size: int) -> None:
        """No status reading: close our side and wait for the printer to close its own after
        acknowledging every byte. Anything else (a reset, bytes left unacknowledged, no close
        within the time-out) leaves the job uncertain."""
        deadline = time.monotonic() + self.settings.timeout_seconds
        try:
            sock.shutdown(socket.SHUT_WR)
            while True:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                if not sock.recv(4096):  # the printer closed its side: check it took every byte
                    break
        except TimeoutError as exc:
            raise PrinterError(
                "the printer did not close the connection after the job "
                f"({_unacknowledged(sock)} of {size} bytes not acknowledged)",
                document_bytes_sent=size,
            ) from exc
        except OSError as exc:
            raise PrinterError(
                f"the printer reset the connection after the job: {exc.strerror or exc}",
                document_bytes_sent=size,
            ) from exc
        while (left := _unacknowledged(sock)) and time.monotonic() < deadline:
            time.sleep(0.01)
        if left:
            raise PrinterError(
                f"the printer closed the connection with {left} of {size} bytes not taken",
                document_bytes_sent=size,
            )

    def send(self, data: bytes) -> None:
        with self._connect() as sock:
            with self._sock_lock:
                self._sock = sock
            try:
                if self._interrupted.is_set():
                    raise PrinterInterrupted("the kiosk is stopping: the job was not started")
                if self.settings.read_status:
                    before = self.last_status = self._query(sock)
                    if not before.can_print:
                        raise PrinterNotReady(before)
                with self._sock_lock:
                    self._send_document(sock, data)
                if self.settings.read_status:
                    # Answered after the job's bytes: the printer has them.
                    self.last_status = self._query(sock, len(data))
                else:
                    self._close_orderly(sock, len(data))
                    self.last_status = PrinterStatus(
                        PrinterState.ONLINE, f"took the last job whole ({len(data)} bytes)"
                    )
            except PrinterError as exc:
                if self._interrupted.is_set() and not exc.may_be_on_paper:
                    raise PrinterInterrupted(f"the kiosk is stopping ({exc})") from exc
                raise
            finally:
                with self._sock_lock:
                    self._sock = None

    def interrupt(self) -> None:
        """A normal stop: a job waiting for the printer's first status answer is cut off (no
        document byte sent); a document on the wire finishes (bounded by the time-out)."""
        super().interrupt()
        if self._sock_lock.acquire(timeout=0.5):
            try:
                if self._sock is not None and not self.document_started:
                    try:
                        self._sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            finally:
                self._sock_lock.release()

    def status(self) -> PrinterStatus:
        if not self.settings.read_status:
            return super().status()
        try:
            with self._connect() as sock:
                return self._query(sock)
        except PrinterError as exc:
            return PrinterStatus(PrinterState.OFFLINE, str(exc))


def _unacknowledged(sock: socket.socket) -> int:
    """Bytes of ours the printer's TCP has not acknowledged yet (Linux ``SIOCOUTQ``); 0 where
    the call is missing (the printer's close is then the only evidence)."""
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    except OSError:
        return 0
    return struct.unpack("i", raw)[0]
