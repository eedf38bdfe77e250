"""The HTTP server of ``kiosk serve`` and ``kiosk hub serve``: waitress, without its busy loop.

waitress answers each request in a worker thread and keeps one loop thread that reads
requests and writes answers for every connection. Its loop asks to write to a connection as
long as anything of an answer is buffered there, and its write gives up at once when the
worker holds the connection's buffer (``_flush_some_if_lockable``). A worker holds it while it
sends its own answer, and under load it waits there for the GIL, which the loop takes back on
every turn: the loop spins, turn after turn, until the worker gets the GIL again. Measured on
the hub (bench/bench_hub.py, 4 threads, 32 kiosks pulling at once on two cores): about 130
turns of the loop for each answer, the loop thread using twice the CPU of all the workers
together, and pulls 2-5 times slower than with one worker, from one run to the next.

``Channel`` is waitress's connection but for one rule: while a worker answers a request on
the connection, the loop does not ask to write to it. The worker sends what it writes
itself (waitress's ``send_bytes`` is 1: every write is sent at once) and wakes the loop when
the socket takes no more (``write_soon`` pulls the trigger) or when it is done (``service``
does); the loop writes what is left once the request is over. It still writes during a
request whose buffer reaches ``outbuf_high_watermark``, where the worker waits for it, and
when the connection is closing. ``create_server`` makes waitress's server with this
connection on every socket it listens on; ``serve`` runs it, as ``waitress.serve`` does.
"""

from __future__ import annotations

import logging
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.server import create_server as waitress_create_server


class Channel(HTTPChannel):
    """waitress's connection, whose loop leaves the writing to the worker that answers."""

    def writable(self) -> bool:
        if (
            self.requests
            and not (self.will_close or self.close_when_flushed)
            and self.total_outbufs_len < self.adj.outbuf_high_watermark
        ):
            return False  # a worker answers, and sends its answer itself
        return bool(super().writable())


def create_server(app: Any, **adjustments: Any) -> Any:
    """waitress's ``create_server(app, **adjustments)`` (host, port, threads, ident...), each
    of its listening servers making ``Channel`` connections."""
    socket_map: dict = {}  # each listening server registers itself there
    server = waitress_create_server(app, map=socket_map, **adjustments)
    for listening in socket_map.values():
        if isinstance(listening, BaseWSGIServer):
            listening.channel_class = Channel
    return server


def serve(app: Any, **adjustments: Any) -> None:
    """Serve ``app`` until interrupted, as ``waitress.serve`` does, with ``create_server``."""
    logging.basicConfig()  # idempotent: waitress's own warnings go to stderr
    server = create_server(app, **adjustments)
    server.print_listen("Serving on http://{}:{}")
    server.run()
