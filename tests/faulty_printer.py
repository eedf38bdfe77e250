"""A port-9100 printer on 127.0.0.1 that fails on purpose, and a reader of what reached its paper.

``FaultyPrinter(fault, n)`` answers ``DLE EOT`` status requests sent before a document and
keeps, per connection, exactly the bytes it read (what its paper got). Faults:

- ``ok``: reads everything, answers every status request, closes when the kiosk closes;
- ``close_after``: reads ``n`` bytes of the document, then closes (unread bytes: a reset);
- ``no_final_answer``: reads everything, closes instead of answering a status request sent
  after the document;
- ``pause_after``: reads ``n`` bytes of the document, waits ``PAUSE`` seconds, reads on (ok);
- ``stall_after``: reads ``n`` bytes of the document, then never reads again nor closes
  (``n = 0`` with status reading: it never answers the first status either); its receive
  buffer is small (``SO_RCVBUF``) so the kiosk's sends fill it quickly.

``refuse()`` closes the listener (nothing listening on the port). ``papers(original, copy)``
sorts what each connection received: the whole original, a part of it, the whole copy, a
part of it, or nothing (status requests only). Every loop is bounded (time-outs, ``stop``).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

STATUS_ANSWER = {1: 0x12, 4: 0x12}  # printer on line, paper present
SMALL_RCVBUF = 2048
PAUSE = 0.8


@dataclass
class Paper:
    kind: str  # "original", "copy", "part of original", "part of copy", "nothing"
    size: int


class FaultyPrinter:
    def __init__(self, fault: str = "ok", n: int = 0):
        assert fault in ("ok", "close_after", "no_final_answer", "stall_after", "pause_after")
        self.fault, self.n = fault, n
        self.received: list[bytes] = []  # per finished connection, the document bytes read
        self._open: dict[int, bytearray] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RCVBUF)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(4)
        self._listener.settimeout(0.05)
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def set_fault(self, fault: str, n: int = 0) -> None:
        self.fault, self.n = fault, n

    def refuse(self) -> None:
        """Nothing listens on the port any more (until ``listen_again``)."""
        self._listener.close()
        self._accepting.join(2)

    def listen_again(self, fault: str = "ok") -> None:
        self.set_fault(fault)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(4)
        self._listener.settimeout(0.05)
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in [self._accepting, *self._threads]:
            thread.join(3)
        try:
            self._listener.close()
        except OSError:
            pass

    def all_received(self, timeout: float = 5.0) -> list[bytes]:
        """What every connection's paper got, once no connection is still being read (a stalled
        one counts with what it read)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = any(t.is_alive() for t in self._threads if t.name != "stalled")
            if not busy:
                break
            time.sleep(0.02)
        with self._lock:
            return self.received + [bytes(data) for data in self._open.values()]

    def papers(self, original: bytes, copy: bytes) -> list[Paper]:
        found = []
        for data in self.all_received():
            if not data:
                found.append(Paper("nothing", 0))
            elif data == original:
                found.append(Paper("original", len(data)))
            elif data == copy:
                found.append(Paper("copy", len(data)))
            elif original.startswith(data) and not copy.startswith(data):
                found.append(Paper("part of original", len(data)))
            elif copy.startswith(data) and not original.startswith(data):
                found.append(Paper("part of copy", len(data)))
            else:
                assert original.startswith(data), f"unknown bytes on paper: {data[:40]!r}"
                found.append(Paper("part of original", len(data)))  # a common first part
        return found

    # --- the server ---------------------------------------------------------------------------

    def _accept(self) -> None:
        listener = self._listener
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by refuse()
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _recv(self, conn: socket.socket, size: int, flags: int = 0) -> bytes | None:
        """Up to ``size`` bytes; None when the wait should go on, b"" at the end."""
        try:
            return conn.recv(size, flags)
        except TimeoutError:
            return None
        except OSError:
            return b""

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        document = bytearray()
        with self._lock:
            self._open[id(conn)] = document
        fault, n = self.fault, self.n
        try:
            # Status requests before the document: answered (unless stalled from the start).
            while not self._stop.is_set():
                if fault == "stall_after" and n == 0:
                    threading.current_thread().name = "stalled"
                    self._stop.wait()
                    return
                head = self._recv(conn, 3, socket.MSG_PEEK)
                if head is None:
                    continue
                if not head:
                    return
                if head[:1] != b"\x10":
                    break
                if len(head) < 3:
                    continue
                conn.recv(3)
                conn.sendall(bytes([STATUS_ANSWER.get(head[2], 0x12)]))
            if fault == "close_after" and n == 0:
                return
            while not self._stop.is_set():
                want = 4096
                if fault == "pause_after" and len(document) >= n:
                    time.sleep(PAUSE)
                    fault = "ok"
                elif fault == "pause_after":
                    want = min(want, n - len(document))
                if fault in ("close_after", "stall_after"):
                    want = min(want, n - len(document))
                    if want <= 0:
                        if fault == "stall_after":
                            threading.current_thread().name = "stalled"
                            self._stop.wait()
                        return
                chunk = self._recv(conn, want)
                if chunk is None:
                    continue
                if not chunk:
                    return
                document += chunk
                while True:  # a status request after the document
                    at = _trailing_status(document)
                    if at is None:
                        break
                    if fault == "no_final_answer":
                        while (at := _trailing_status(document)) is not None:
                            del document[at:]
                        return
                    request = document[at + 2]
                    del document[at:]
                    conn.sendall(bytes([STATUS_ANSWER.get(request, 0x12)]))
        finally:
            with self._lock:
                self._open.pop(id(conn), None)
                self.received.append(bytes(document))
            conn.close()


def _trailing_status(document: bytearray) -> int | None:
    """Where a status request the kiosk sent after its document starts (the document ends with
    a cut, so a ``DLE EOT n`` at the very end is a request, not data)."""
    if len(document) >= 3 and document[-3] == 0x10 and document[-2] == 0x04:
        return len(document) - 3
    return None
