"""A real PostgreSQL server for the tests: Debian's postgresql (``/usr/lib/postgresql/<v>/bin``)
started in a temporary folder as an unprivileged user (initdb refuses root: as root, the
``postgres`` user via ``runuser``), listening on 127.0.0.1 and a free port only, with bounded
waits, stopped and removed at the end. Each test gets a database of its own
(``new_database``). No server installed: the tests that need one are skipped (``.ci/run``
installs it)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import psycopg

START_SECONDS = 30
STOP_SECONDS = 30


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``durable``: the server's defaults (fsync, synchronous commit, full pages), as a hub's
    server runs; otherwise (the tests) it never waits for the disk."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._count = 0
        self._lock = threading.Lock()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.folder.chmod(0o700)

    def _run(self, *command: str, timeout: float) -> None:
        subprocess.run(
            [*self._as_user, *command],
            check=True,
            timeout=timeout,
            capture_output=True,
            cwd=self.folder,
        )

    def start(self) -> PostgresServer:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            timeout=START_SECONDS,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder} -c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            str(START_SECONDS),
            "start",
            timeout=START_SECONDS + 5,
        )
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        with self._lock:
            self._count += 1
            name = f"hub_{os.getpid()}_{self._count}"
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "-t",
                str(STOP_SECONDS),
                "stop",
                timeout=STOP_SECONDS + 5,
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
