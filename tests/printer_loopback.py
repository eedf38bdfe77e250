"""A loopback ESC/POS network printer for tests, and a decoder of ESC/POS byte streams.

``LoopbackPrinter`` listens on 127.0.0.1 (ephemeral port) like a port-9100 printer: it keeps
every connection's bytes, answers ``DLE EOT`` status requests, and can misbehave on demand
(``refuse``, ``close_mid_job``, ``stall``). Its loop is bounded (select time-out, a maximum
lifetime) and stops by itself.

``decode(data, code_pages)`` reads a stream back: text with its code-page switches, QR payloads
from ``GS ( k``, Code128 data from ``GS k``, cuts, raster images (as printed: scaled by their
``GS v 0`` mode, with the alignment in effect) and status requests.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
from PIL import Image

from printing.settings import PrintSettings
from printing.text import PYTHON_CODECS

# --- decoding ---------------------------------------------------------------------------------

_ESC_ONE_ARG = set(b"EatdJ!-M3G{V")
_GS_ONE_ARG = set(b"!hwHfBr")
_GS_TWO_ARGS = set(b"LW")


class Incomplete(Exception):
    """The stream stops in the middle of a command (more bytes to come)."""


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise Incomplete


def parse(data: bytes, pos: int = 0) -> tuple[list[tuple], int]:
    """Commands in ``data`` from ``pos``: ``[(name, value), ...]`` and where parsing stopped
    (before an incomplete command at the end)."""
    commands: list[tuple] = []
    while pos < len(data):
        start = pos
        try:
            byte = data[pos]
            if byte == 0x10:  # DLE EOT n
                _need(data, pos + 3)
                commands.append(("status", data[pos + 2]))
                pos += 3
            elif byte == 0x1B:
                _need(data, pos + 2)
                op = data[pos + 1]
                if op == ord("@"):
                    commands.append(("init", None))
                    pos += 2
                elif op == ord("t"):
                    _need(data, pos + 3)
                    commands.append(("codepage", data[pos + 2]))
                    pos += 3
                elif op == ord("2"):
                    pos += 2
                elif op == ord("p"):
                    _need(data, pos + 5)
                    pos += 5
                elif op == ord("*"):
                    _need(data, pos + 5)
                    m, n = data[pos + 2], data[pos + 3] | data[pos + 4] << 8
                    size = n * (3 if m in (32, 33) else 1)
                    _need(data, pos + 5 + size)
                    commands.append(("image", size))
                    pos += 5 + size
                elif op in _ESC_ONE_ARG:
                    _need(data, pos + 3)
                    commands.append(("esc " + chr(op), data[pos + 2]))
                    pos += 3
                else:
                    raise ValueError(f"unknown ESC {op:#x} at {pos}")
            elif byte == 0x1D:
                _need(data, pos + 2)
                op = data[pos + 1]
                if op == ord("V"):
                    _need(data, pos + 3)
                    m = data[pos + 2]
                    pos += 4 if m in (65, 66) else 3
                    _need(data, pos)
                    commands.append(("cut", m))
                elif op == ord("k"):
                    _need(data, pos + 3)
                    m = data[pos + 2]
                    if m >= 65:
                        _need(data, pos + 4)
                        n = data[pos + 3]
                        _need(data, pos + 4 + n)
                        code = data[pos + 4 : pos + 4 + n]
                        pos += 4 + n
                    else:
                        end = data.index(0, pos + 3) if 0 in data[pos + 3 :] else -1
                        if end < 0:
                            raise Incomplete
                        code, pos = data[pos + 3 : end], end + 1
                    commands.append(("barcode", code.decode("ascii")))
                elif op == ord("("):
                    _need(data, pos + 5)
                    kind = data[pos + 2]
                    length = data[pos + 3] | data[pos + 4] << 8
                    _need(data, pos + 5 + length)
                    body = data[pos + 5 : pos + 5 + length]
                    if kind == ord("k") and body[:2] == b"1P":  # QR: store the data
                        commands.append(("qr_data", body[3:].decode("utf-8")))
                    elif kind == ord("k") and body[:2] == b"1Q":  # QR: print it
                        commands.append(("qr_print", None))
                    else:
                        commands.append(("gs(" + chr(kind), body))
                    pos += 5 + length
                elif op == ord("v"):
                    _need(data, pos + 8)
                    mode = data[pos + 3] % 48  # 0 normal, 1 double width, 2 double height, 3 both
                    width = data[pos + 4] | data[pos + 5] << 8
                    height = data[pos + 6] | data[pos + 7] << 8
                    _need(data, pos + 8 + width * height)
                    bits = data[pos + 8 : pos + 8 + width * height]
                    commands.append(("raster", (mode, width, height, bits)))
                    pos += 8 + width * height
                elif op in _GS_TWO_ARGS:
                    _need(data, pos + 4)
                    pos += 4
                elif op in _GS_ONE_ARG:
                    _need(data, pos + 3)
                    commands.append(("gs " + chr(op), data[pos + 2]))
                    pos += 3
                else:
                    raise ValueError(f"unknown GS {op:#x} at {pos}")
            elif byte == 0x0A:
                commands.append(("lf", None))
                pos += 1
            else:
                commands.append(("byte", byte))
                pos += 1
        except Incomplete:
            return commands, start
    return commands, pos


@dataclass
class RasterImage:
    """A raster image as printed (scaled by its mode), and the alignment it was printed with."""

    image: Image.Image  # mode "1", one pixel per printed dot
    align: int  # ESC a in effect: 0 left, 1 centre, 2 right
    sent: tuple[int, int]  # dots sent: width (whole bytes), height

    def on_paper(self, dots: int, margin: int = 0) -> Image.Image:
        """The image where the printer puts it on a white paper ``dots`` wide, with ``margin``
        white dots above and below (the paper fed around it)."""
        image = self.image
        left = {0: 0, 1: (dots - image.width) // 2, 2: dots - image.width}[self.align]
        paper = Image.new("L", (dots, image.height + 2 * margin), 255)
        paper.paste(image.convert("L"), (max(0, left), margin))
        return paper


def _raster_image(mode: int, width_bytes: int, height: int, bits: bytes) -> Image.Image:
    image = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in bits))
    scale_x, scale_y = (2 if mode & 1 else 1), (2 if mode & 2 else 1)
    if (scale_x, scale_y) == (1, 1):
        return image
    return image.resize((image.width * scale_x, height * scale_y), Image.Resampling.NEAREST)


@dataclass
class Printout:
    """What a stream puts on paper."""

    lines: list[str] = field(default_factory=list)
    styles: list[tuple[bool, bool, int]] = field(default_factory=list)  # bold, double, align
    qr: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    cuts: int = 0
    rasters: list[tuple[int, int]] = field(default_factory=list)  # printed width, height (dots)
    images: list[RasterImage] = field(default_factory=list)
    code_pages: list[int] = field(default_factory=list)
    status_requests: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def find(self, fragment: str) -> list[str]:
        return [line for line in self.lines if fragment in line]


def decode(data: bytes, code_pages: dict[str, str]) -> Printout:
    """Read ``data`` back; ``code_pages`` is the profile's ``get_code_pages()`` (name -> slot)."""
    slots = {int(slot): name for name, slot in code_pages.items() if name in PYTHON_CODECS}
    commands, end = parse(data)
    assert end == len(data), f"stream ends inside a command at byte {end}"
    out = Printout()
    page, line = None, bytearray()
    bold = double = False
    align, pending_qr = 0, None

    def flush() -> None:
        out.lines.append(_decode_line(bytes(line), segments))
        out.styles.append((bold, double, align))
        line.clear()
        segments.clear()

    segments: list[tuple[int, str | None]] = []  # (offset in line, page) at each switch
    for name, value in commands:
        if name == "byte":
            if value >= 0x80 and (not segments or segments[-1][1] != page):
                segments.append((len(line), page))
            line.append(value)
        elif name == "lf":
            flush()
        elif name == "init":
            page, bold, double, align = None, False, False, 0
        elif name == "codepage":
            out.code_pages.append(value)
            page = slots.get(value)
            assert page, f"ESC t {value}: not a page of this profile we can read"
        elif name == "esc E":
            bold = bool(value)
        elif name == "gs !":
            double = value == 0x11
        elif name == "esc a":
            align = value
        elif name == "qr_data":
            pending_qr = value
        elif name == "qr_print":
            out.qr.append(pending_qr)
        elif name == "barcode":
            out.barcodes.append(value[2:] if value.startswith("{") else value)
        elif name == "cut":
            out.cuts += 1
        elif name == "raster":
            image = _raster_image(*value)
            out.rasters.append(image.size)
            out.images.append(RasterImage(image, align, (value[1] * 8, value[2])))
        elif name == "status":
            out.status_requests.append(value)
        elif name == "esc d":
            for _ in range(value):
                flush()
    if line:
        flush()
    return out


def _decode_line(raw: bytes, segments: list[tuple[int, str | None]]) -> str:
    text, page_at = [], dict(segments)
    page = None
    for i, byte in enumerate(raw):
        page = page_at.get(i, page)
        if byte < 0x80:
            text.append(chr(byte))
        else:
            assert page, "a byte above 0x7F before any code page was chosen"
            text.append(bytes([byte]).decode(PYTHON_CODECS[page]))
    return "".join(text)


# --- the loopback printer ---------------------------------------------------------------------

PRINTER_OK = 0x12
PAPER_OK = 0x12
PAPER_NEAR_END = 0x12 | 0x0C
PAPER_OUT = 0x12 | 0x60


class LoopbackPrinter:
    """A port-9100 printer on 127.0.0.1. ``mode``: ok, refuse, close_mid_job, stall."""

    def __init__(self, *, max_lifetime: float = 30.0, close_after: int = 64):
        self.connections: list[bytes] = []  # every finished connection's bytes, in order
        self.paper = PAPER_OK
        self.printer = PRINTER_OK
        self.close_after = close_after
        self.mode = "ok"
        self._wanted: str | None = None
        self._applied = threading.Event()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._quiet_rounds = 0  # server rounds in a row with no client open and none waiting
        self._deadline = time.monotonic() + max_lifetime
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="loopback-printer", daemon=True)

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(4)
        listener.setblocking(False)
        return listener

    def start(self) -> LoopbackPrinter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def set_mode(self, mode: str) -> None:
        """Change behaviour; returns once the server applied it (connections in hand closed)."""
        assert mode in ("ok", "refuse", "close_mid_job", "stall")
        self._applied.clear()
        self._wanted = mode
        assert self._applied.wait(5), "loopback printer did not apply the mode"

    def jobs(self) -> list[bytes]:
        """Connections that carried more than status requests."""
        return [
            data
            for data in self.connections
            if data.replace(b"\x10\x04\x01", b"").replace(b"\x10\x04\x04", b"")
        ]

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> list[bytes]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.connections) >= count, timeout), (
                f"{len(self.connections)} connections, expected {count}"
            )
            return list(self.connections)

    def settled(self, timeout: float = 5.0) -> list[bytes]:
        """Every connection, once the server has read each one to its end.

        A client closing its socket does not mean the server has read its last bytes yet. This
        waits for two quiet rounds (no connection open, none waiting to be accepted) counted from
        now: the first may have looked before the call, the second began after it.
        """
        with self._changed:
            self._quiet_rounds = 0
            assert self._changed.wait_for(lambda: self._quiet_rounds >= 2, timeout), (
                "the loopback printer still has connections open"
            )
            return list(self.connections)

    def _finish(self, data: bytes) -> None:
        with self._changed:
            self.connections.append(data)
            self._changed.notify_all()

    def _serve(self) -> None:
        clients: dict[socket.socket, list] = {}  # socket -> [buffer, parsed up to]
        try:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                if self._wanted is not None:
                    self._apply(self._wanted, clients)
                    self._wanted = None
                    self._applied.set()
                watched = list(clients) if self.mode != "stall" else []
                if self._listener is not None:
                    watched.append(self._listener)
                readable = select.select(watched, [], [], 0.02)[0] if watched else []
                if not watched:
                    self._stop.wait(0.02)
                with self._changed:
                    quiet = not clients and not readable and self.mode != "stall"
                    self._quiet_rounds = self._quiet_rounds + 1 if quiet else 0
                    if quiet:
                        self._changed.notify_all()
                for sock in readable:
                    if sock is self._listener:
                        client, _ = self._listener.accept()
                        client.setblocking(False)
                        clients[client] = [bytearray(), 0]
                        continue
                    self._read(sock, clients)
        finally:
            for sock in list(clients):
                self._close(sock, clients)
            if self._listener is not None:
                self._listener.close()

    def _apply(self, mode: str, clients: dict) -> None:
        for sock in list(clients):
            self._close(sock, clients)
        if mode == "refuse" and self._listener is not None:
            self._listener.close()
            self._listener = None
        elif mode != "refuse" and self._listener is None:
            self._listener = self._listen(self.port)
        self.mode = mode

    def _close(self, sock: socket.socket, clients: dict) -> None:
        buffer, _ = clients.pop(sock)
        sock.close()
        self._finish(bytes(buffer))

    def _read(self, sock: socket.socket, clients: dict) -> None:
        size = 65536
        if self.mode == "close_mid_job":  # take a part of the job only, then hang up
            size = max(1, self.close_after + 1 - len(clients[sock][0]))
        try:
            chunk = sock.recv(size)
        except OSError:
            chunk = b""
        if not chunk:
            self._close(sock, clients)
            return
        state = clients[sock]
        state[0] += chunk
        commands, state[1] = parse(bytes(state[0]), state[1])
        for name, value in commands:
            if name == "status":
                sock.sendall(bytes([self.paper if value == 4 else self.printer]))
        if self.mode == "close_mid_job" and len(state[0]) > self.close_after:
            self._close(sock, clients)


@pytest.fixture
def loopback_printer():
    """A port-9100 printer on 127.0.0.1 that records what it is sent; stopped after the test."""
    printer = LoopbackPrinter().start()
    try:
        yield printer
    finally:
        printer.stop()


def network_settings(printer: LoopbackPrinter, tmp_path, **changes):
    """Settings for the loopback printer: TM-T20II on 80 mm paper, a time-out long enough that a
    busy test machine never fakes a fault (tests of a stalled printer pass a short one)."""

    values = dict(
        kind="network",
        host="127.0.0.1",
        port=printer.port,
        timeout_seconds=5,
        preview_dir=tmp_path / "previews",
        building_name="Résidence des Tilleuls",
        building_address="12 rue des Tilleuls, 69003 Lyon",
        language="fr",
    )
    values.update(changes)
    return PrintSettings(**values)
