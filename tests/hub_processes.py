"""Two hub OS processes on one PostgreSQL database, behind a small in-process reverse proxy.

``HubProcesses`` starts each hub as the administrator would: ``kiosk hub serve`` with a config
file naming the database (``[hub] database``) and the data folder (its key and mail secret, the
same for both), each on its own port of 127.0.0.1. It is itself a WSGI app: each request it is
given goes over HTTP to the next process in turn (what a reverse proxy in front of several hub
processes does), so ``FaultyNetwork`` in front of it keeps cutting requests before the hubs see
them or after one of them committed. Bounded waits everywhere; the processes die with the test
process (``PR_SET_PDEATHSIG``) and are stopped by ``stop`` (the fixture's teardown) and at exit.
"""

from __future__ import annotations

import atexit
import ctypes
import http.client
import itertools
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sync.hub import signing
from sync.hub.schema import connect_hub

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 30
STOP_SECONDS = 10
REQUEST_SECONDS = 60
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}
SERVE = "from kiosk.cli import main; main()"

_running: set[subprocess.Popen] = set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def write_config(folder: Path, database: str) -> Path:
    """A hub's config file: the store ``database`` and the data folder ``folder`` (where
    ``kiosk hub serve`` keeps ``hub-key.pem``: ``sync.cli.hub_files``)."""
    path = folder / "hub.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{folder}"\n[hub]\ndatabase = "{database}"\n'
        '[sync]\nhub_host = "127.0.0.1"\n',
        encoding="utf-8",
    )
    return path


class HubProcess:
    """One ``kiosk hub serve`` process on a free port of 127.0.0.1 (its output in a log)."""

    def __init__(self, config: Path, name: str, *, threads: int = 2) -> None:
        self.config, self.name, self.threads = config, name, threads
        self.log = config.parent / f"{name}.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def launch(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-c", SERVE, "--config", str(self.config), "hub", "serve"]
        command += ["--port", str(self.port), "--threads", str(self.threads)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # prctl only: takes no lock
            )
        _running.add(self.process)

    def wait_ready(self, deadline: float) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"hub process {self.name} did not start:\n{tail}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(STOP_SECONDS)
        finally:
            _running.discard(process)

    def peak_mb(self) -> float:
        """The process's peak resident memory (VmHWM), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


class HubProcesses:
    """``count`` hub processes on the PostgreSQL ``database`` (key and mail secret in
    ``folder``), served in turn request by request: a WSGI app for ``FaultyNetwork``."""

    def __init__(self, database: str, folder: Path, *, count: int = 2, threads: int = 2) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.database, self.folder = database, folder
        # Migrated and keyed once, here: two processes never race to make the hub's key.
        db = connect_hub(database, files=folder / "hub")
        try:
            signing.prepare(db)
        finally:
            db.close()
        config = write_config(folder, database)
        self.processes = [HubProcess(config, f"hub-{n}", threads=threads) for n in range(count)]
        self._turn = itertools.count()

    @property
    def files(self) -> Path:
        return self.folder / "hub"

    def start(self) -> HubProcesses:
        try:
            for process in self.processes:
                process.launch()  # all start at once; then each is waited for
            deadline = time.monotonic() + START_SECONDS
            for process in self.processes:
                process.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def __call__(self, environ, start_response):
        process = self.processes[next(self._turn) % len(self.processes)]
        path = environ.get("PATH_INFO", "") or "/"
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=REQUEST_SECONDS)
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            status = f"{response.status} {response.reason}"
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        finally:
            connection.close()
        kept = [(k, v) for k, v in kept if k.lower() != "content-length"]
        start_response(status, [*kept, ("Content-Length", str(len(answer)))])
        return [answer]


@atexit.register
def _stop_all() -> None:
    for process in list(_running):
        if process.poll() is None:
            process.kill()
            process.wait(STOP_SECONDS)
