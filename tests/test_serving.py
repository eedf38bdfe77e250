"""The HTTP server of ``kiosk serve`` and ``kiosk hub serve`` (kiosk/serving.py): waitress, whose
loop leaves the writing of an answer to the worker that makes it.

What a client must still get: every answer whole and in order, with many clients at once,
answers larger than a socket takes at once, a client that reads slowly past waitress's
high-water mark (where the worker waits for the loop to write), requests sent back to back on
one connection, and a connection closed after its answer. What the machine gets: the loop
turns a few times a request, not hundreds, while the workers contend for the GIL.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from browser import serve
from waitress import wasyncore
from waitress.channel import HTTPChannel

from kiosk.serving import Channel, create_server


def _body(size: int, seed: str) -> bytes:
    """``size`` bytes no two answers share, cheap to check."""
    block = hashlib.sha256(seed.encode()).hexdigest().encode()
    return (block * (size // len(block) + 1))[:size]


def _busy(milliseconds: float) -> None:
    """Python work holding the GIL for about ``milliseconds`` (what the hub's pages do)."""
    deadline = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < deadline:
        sum(range(200))
        time.sleep(0)  # lets the GIL go, as each SQLite call does


def _app(environ, start_response):
    """``/size/<bytes>/<seed>``: that many bytes, after a few ms of Python work;
    ``/stream/<chunks>/<bytes>``: that many chunks, written one after another."""
    _, kind, count, rest = environ["PATH_INFO"].split("/", 3)
    if kind == "stream":
        chunk = _body(int(rest), "stream")
        start_response("200 OK", [("Content-Length", str(int(count) * len(chunk)))])
        return (chunk for _ in range(int(count)))
    _busy(2)
    body = _body(int(count), rest)
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def server():
    live = serve(_app, threads=4)
    yield live
    live.close()


def test_every_listening_socket_makes_the_channel_that_leaves_writing_to_the_worker() -> None:
    made = create_server(_app, listen="127.0.0.1:0 127.0.0.1:0", threads=1, ident="test")
    try:
        servers = [s for s in made.map.values() if hasattr(s, "channel_class")]
        assert len(servers) == 2
        assert all(s.channel_class is Channel for s in servers)
    finally:
        made.close()


def test_many_clients_at_once_each_get_their_whole_answers(server) -> None:
    sizes = [120, 8_000, 300_000, 40, 2_000_000]

    def client(number: int) -> list[bool]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            got = []
            for turn, size in enumerate(sizes * 2):
                seed = f"{number}-{turn}"
                connection.request("GET", f"/size/{size}/{seed}")
                response = connection.getresponse()
                got.append(response.status == 200 and response.read() == _body(size, seed))
            return got
        finally:
            connection.close()

    with ThreadPoolExecutor(24) as pool:
        answers = [ok for got in pool.map(client, range(24)) for ok in got]
    assert len(answers) == 24 * len(sizes) * 2
    assert all(answers)


def test_the_loop_waits_while_a_worker_holds_the_answer_it_sends(monkeypatch) -> None:
    """Waitress's own connection spins here: a worker sending its answer holds the
    connection's buffer (under load it waits there for the GIL; here its send is slowed), and
    once another connection woke the loop, the loop, asked to write, gave up at once and asked
    again: about 900 turns a request here, against 2 with ``Channel`` (accept, read, and the
    worker's wake-up when it is done)."""
    turns = 0
    loop_poll = wasyncore.poll

    def counted_poll(*args, **kwargs):
        nonlocal turns
        turns += 1
        return loop_poll(*args, **kwargs)

    def slow_send(channel, data, do_close=True):
        if threading.current_thread().name.startswith("waitress-"):  # a worker, not the loop
            time.sleep(0.05)
        return HTTPChannel.send(channel, data, do_close=do_close)

    monkeypatch.setattr(wasyncore, "poll", counted_poll)
    monkeypatch.setattr(Channel, "send", slow_send)
    live = serve(_app, threads=4)  # a loop started after the patches: it counts its turns
    try:

        def client(number: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
            try:
                for turn in range(4):
                    connection.request("GET", f"/size/20000/{number}-{turn}")
                    assert connection.getresponse().read() == _body(20000, f"{number}-{turn}")
            finally:
                connection.close()

        before = turns
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(client, range(4)))  # each wakes the loop while others send
        per_request = (turns - before) / 16
    finally:
        live.close()
    assert per_request < 10, f"the loop turned {per_request:.0f} times a request"


def test_a_slow_reader_gets_a_streamed_answer_past_the_high_water_mark() -> None:
    """Past ``outbuf_high_watermark`` the worker waits for the loop to write: the loop must
    write then, even though a request is running."""
    live = serve(_app, threads=2, outbuf_high_watermark=64 * 1024)
    # the connection it accepts takes the listening socket's small send buffer: what the
    # kernel holds for a slow reader is soon full, and the rest waits in waitress's buffers
    live.server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 * 1024)
    try:
        chunks, size = 40, 64 * 1024
        expected = _body(size, "stream") * chunks
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            sock.sendall(f"GET /stream/{chunks}/{size} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            received = b""
            head_end = -1
            while head_end < 0 or len(received) - head_end - 4 < len(expected):
                data = sock.recv(16 * 1024)
                assert data, "the server closed before the whole answer"
                received += data
                head_end = received.find(b"\r\n\r\n")
                time.sleep(0.002)  # a slow reader: the server's buffer fills up
        assert received[head_end + 4 :] == expected
    finally:
        live.close()


def test_requests_sent_back_to_back_are_answered_in_order_then_closed(server) -> None:
    requests = b"".join(
        f"GET /size/{size}/pipe-{n} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()
        for n, (size, extra) in enumerate([(5000, ""), (70_000, ""), (10, "Connection: close\r\n")])
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(requests)
        received = b""
        while data := sock.recv(65536):  # the server closes after the third answer
            received += data
    bodies = []
    for size in (5000, 70_000, 10):
        head, _, rest = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        bodies.append(rest[:size])
        received = rest[size:]
    assert bodies == [_body(5000, "pipe-0"), _body(70_000, "pipe-1"), _body(10, "pipe-2")]
    assert received == b""


def test_a_client_gone_mid_answer_leaves_the_server_serving() -> None:
    # outbuf_overflow: what is not sent stays in memory (waitress moves it to a temporary
    # file past 1 MB, which it leaves to the garbage collector when the client is gone)
    live = serve(_app, threads=4, outbuf_overflow=64 * 1024 * 1024)
    try:
        with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
            sock.sendall(b"GET /stream/200/65536 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
        try:
            connection.request("GET", "/size/300/after")
            assert connection.getresponse().read() == _body(300, "after")
        finally:
            connection.close()
    finally:
        live.close()
