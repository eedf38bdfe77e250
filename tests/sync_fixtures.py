"""Sync test rig: a real hub served by waitress on 127.0.0.1 (with a fault-injecting WSGI layer
that can cut a request before or after the hub commits), and kiosks as separate databases, data
folders and keys in temporary directories.

The ``hub`` fixture runs on SQLite; a test module marked ``pytest.mark.both_stores`` (or one
test) runs each of its tests twice, ``[sqlite]`` and ``[postgresql]`` (tests/conftest.py). On
PostgreSQL the hub is two hub apps on one database, each with its own connections, served
alternately request by request (``TwoHubs``), on a real server started once per test session
(tests/pg_server.py), each test on a database of its own. A test (module) also
marked ``hub_processes`` gets, as its ``[postgresql]`` hub, two hub OS processes (``kiosk hub
serve``) behind an in-process proxy (tests/hub_processes.py): about 2 s more a test, for their
start-up. The others keep two apps in this process, which also lets a test change the hub's code
(a test action, a newer event type, a spy, the clock)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
from app_fixtures import make_test_config
from browser import LiveServer
from hub_processes import HubProcesses
from pg_server import PostgresServer, pg_bin

from kiosk import store
from kiosk.config import Config
from kiosk.residents import residents
from kiosk.serving import create_server
from kiosk.store import events as eventlog
from kiosk.store import keys
from sync import protocol, seals
from sync import state as sync_state
from sync.client import SyncClient, SyncResult
from sync.enrolment import enrol
from sync.errors import HubRefused
from sync.hub import routes as hub_routes
from sync.hub.app import create_hub_app
from sync.hub.db import is_postgresql
from sync.hub.kiosks import create_enrol_code
from sync.hub.schema import connect_hub

SHARED_TABLES_EXCLUDED = ("credentials", "revoked_cards")  # fed by private events


class FaultyNetwork:
    """WSGI middleware: the next requests to a path can be cut before the hub sees them
    ("cut_before"), or after it answered and committed ("cut_after": the answer is lost)."""

    def __init__(self, app) -> None:
        self.app = app
        self._plan: list[list] = []
        self._lock = threading.Lock()
        self.requests: list[str] = []
        self.client_ports: list[int] = []  # the kiosk's end of the connection, per request

    def cut(self, path: str, mode: str, *, skip: int = 0) -> None:
        """Cut the next request to ``path`` after letting ``skip`` of them through."""
        assert mode in ("cut_before", "cut_after")
        with self._lock:
            self._plan.append([path, mode, skip])

    def _take(self, path: str) -> str | None:
        with self._lock:
            self.requests.append(path)
            for i, plan in enumerate(self._plan):
                if path.startswith(plan[0]):
                    if plan[2]:
                        plan[2] -= 1
                        return None
                    del self._plan[i]
                    return plan[1]
        return None

    def __call__(self, environ, start_response):
        self.client_ports.append(int(environ.get("REMOTE_PORT") or 0))
        mode = self._take(environ.get("PATH_INFO", ""))
        if mode is None:
            return self.app(environ, start_response)
        if mode == "cut_before":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0) // 2)
            return self._cut_answer(start_response, b"x" * 64)
        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))  # the hub does all its work and commits
        return self._cut_answer(start_response, body)

    @staticmethod
    def _cut_answer(start_response, body: bytes):
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body) + 10))],
        )

        def cut_stream():
            yield body[: len(body) // 2]
            raise ConnectionAbortedError("test: connection cut")  # waitress drops the socket

        return cut_stream()


class TwoHubs:
    """Two hub apps on one PostgreSQL database, answering requests in turn: what a reverse
    proxy in front of two hub processes does (each app has its own pool of connections)."""

    def __init__(self, apps: list) -> None:
        self.apps = apps
        self.extensions = {
            hub_routes.POOL: _AllPools([app.extensions[hub_routes.POOL] for app in apps])
        }
        self._turn = itertools.count()

    def __call__(self, environ, start_response):
        return self.apps[next(self._turn) % len(self.apps)](environ, start_response)


class _AllPools:
    def __init__(self, pools: list) -> None:
        self.pools = pools

    def close_all(self) -> None:
        for pool in self.pools:
            pool.close_all()


@dataclass
class Hub:
    path: Path | str  # a SQLite file or a postgresql:// URL
    network: FaultyNetwork
    server: LiveServer | None = None
    port: int = 0
    files: Path | None = None  # PostgreSQL: where the hub's key and mail secret live

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> str:
        return "postgresql" if is_postgresql(self.path) else "sqlite"

    @property
    def db(self):
        return connect_hub(self.path, files=self.files)

    def _serve(self) -> None:
        server = create_server(
            self.network, host="127.0.0.1", port=self.port, threads=2, ident="hub-test"
        )
        self.port = int(server.effective_port)

        def run() -> None:
            try:
                server.run()
            finally:
                server.task_dispatcher.shutdown()

        thread = threading.Thread(target=run, name=f"hub-{self.port}", daemon=True)
        self.server = LiveServer(server=server, thread=thread, port=self.port)
        thread.start()

    def start(self) -> None:
        if isinstance(self.network.app, HubProcesses):
            self.network.app.start()  # the hub's machines come up, then the proxy
        self._serve()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if isinstance(self.network.app, HubProcesses):
            self.network.app.stop()
            return
        # The app's connections, one per server thread: closed now, not whenever the garbage
        # collector gets to the app (hundreds of hubs in one run would run out of descriptors).
        self.network.app.extensions[hub_routes.POOL].close_all()

    def enrol_code(self, building: str, restore_origin: str | None = None) -> str:
        db = self.db
        try:
            return create_enrol_code(db, building, restore_origin=restore_origin)
        finally:
            db.close()


@dataclass
class Kiosk:
    """One kiosk of the test network: its own data folder, database and key."""

    name: str
    config: Config
    db: Any
    hub: Hub | None = None
    results: list = field(default_factory=list)

    @property
    def origin(self) -> str:
        return store.kiosk_id(self.db)

    def enrol(self, hub: Hub) -> None:
        self.hub = hub
        enrol(self.db, self.config, hub.url, hub.enrol_code(self.config["building"]["name"]))

    def client(self) -> SyncClient:
        return SyncClient(self.db, self.config)

    def sync(self) -> SyncResult:
        result = self.client().sync()
        self.results.append(result)
        return result

    def state(self) -> dict:
        return sync_state.state(self.db)


def shared_snapshot(db) -> dict[str, list[tuple]]:
    """Projections fed by shared events (private ones, PIN and card hashes, differ by design)."""
    snapshot = store.projection_snapshot(db)
    for table in SHARED_TABLES_EXCLUDED:
        snapshot.pop(table, None)
    return snapshot


SHARED_EVENTS_SQL = "SELECT * FROM events WHERE scope <> 'private'"


def shared_events(db) -> set[tuple]:
    return {
        (r["id"], r["origin"], r["seq"], r["type"], r["scope"], r["payload"])
        for r in store.query(db, SHARED_EVENTS_SQL)
    }


def shared_event_page(db) -> list:
    """Every shared event of ``db`` as ``Event`` objects, as a pulled page would carry them."""
    return [eventlog.Event.from_row(r) for r in store.query(db, SHARED_EVENTS_SQL)]


# Voucher state every kiosk of the network must agree on (columns naming a building's own
# transfers are left out: they are NULL in the other buildings by design).
NETWORK_VOUCHER_QUERIES = {
    "vouchers": "SELECT serial, issuer_origin, voucher_seq, amount, issued_on, expires_on, building, "
    "signature, commitment, issuer_resident_id, issue_event, issued_at FROM vouchers",
    "voucher_settlements": "SELECT serial, outcome, reason, credit_account, resident_id, decided_by, "
    "honoured_expired, origin, event_id, settled_at FROM voucher_settlements",
    "voucher_rival_settlements": "SELECT serial, outcome, reason, credit_account, resident_id, decided_by, "
    "honoured_expired, origin, event_id, settled_at "
    "FROM voucher_rival_settlements",
    "voucher_conflicts": "SELECT losing_event_id, serial, amount, losing_origin, losing_type, winning_event_id, "
    "winning_origin, winning_type, verdict_event, decided_at, policy, "
    "compensating_origin, compensation_event, debited_account, compensated_at "
    "FROM voucher_conflicts",
}


def network_vouchers(db) -> dict[str, list[tuple]]:
    return {
        name: sorted(tuple(r) for r in store.query(db, sql))
        for name, sql in NETWORK_VOUCHER_QUERIES.items()
    }


def sync_until_quiet(kiosks, *, rounds: int = 4) -> int:
    """Sync every kiosk in turn until a whole round moves nothing; the number of rounds."""
    for done in range(1, rounds + 1):
        moved = 0
        for kiosk in kiosks:
            result = kiosk.sync()
            moved += result.pushed + result.applied
        if not moved:
            return done
    raise AssertionError(f"still syncing after {rounds} rounds")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (this worker's), started at the first test that
    asks for it. Not installed: the test is skipped, unless KIOSK_TEST_POSTGRESQL=required
    (``.ci/run``)."""
    if pg_bin() is None:
        if os.environ.get("KIOSK_TEST_POSTGRESQL") == "required":
            pytest.fail("PostgreSQL is not installed: apt-get install postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer().start()
    yield server
    server.stop()


def make_hub(
    request, tmp_path: Path, store: str = "sqlite", *, extensions=(), processes: bool = False
) -> Hub:
    """A hub (not started) on ``store``: a SQLite file, or two apps on a new PostgreSQL
    database; ``extensions``: what is served beside it (``home.attach``: the home site).
    ``processes`` (PostgreSQL): two ``kiosk hub serve`` processes instead of two apps in this
    one (they serve the home site beside the hub, as that command does)."""
    if store == "sqlite":
        path = tmp_path / "hub" / "hub.sqlite3"
        return Hub(path=path, network=FaultyNetwork(create_hub_app(path, extensions=extensions)))
    assert store == "postgresql", store
    url = request.getfixturevalue("postgres").new_database()
    if processes:
        front = HubProcesses(url, tmp_path / "hub")
        return Hub(path=url, network=FaultyNetwork(front), files=front.files)
    files = tmp_path / "hub" / "hub"
    files.parent.mkdir(parents=True, exist_ok=True)
    apps = [create_hub_app(url, files=files, extensions=extensions) for _ in range(2)]
    return Hub(path=url, network=FaultyNetwork(TwoHubs(apps)), files=files)


@pytest.fixture
def hub(request, tmp_path) -> Iterator[Hub]:
    processes = request.node.get_closest_marker("hub_processes") is not None
    running = make_hub(request, tmp_path, getattr(request, "param", "sqlite"), processes=processes)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def make_kiosk(tmp_path) -> Iterator[Callable[..., Kiosk]]:
    made: list[Kiosk] = []

    def make(
        name: str,
        building: str = "Résidence des Tilleuls",
        *,
        batch_size: int = 500,
        enrol_at: Hub | None = None,
        sync: dict | None = None,
    ) -> Kiosk:
        config = make_test_config(
            tmp_path / name,
            building={"name": building},
            sync={"batch_size": batch_size, "timeout_seconds": 10, **(sync or {})},
        )
        db = store.connect(config.database_path)
        keys.publish_public_key(db, config)
        kiosk = Kiosk(name=name, config=config, db=db)
        if enrol_at is not None:
            kiosk.enrol(enrol_at)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.db.close()


def dashboard(
    hub, user: str | None = None, password: str | None = None, language: str = "en"
) -> str:

    request = Request(hub.url + "/", headers={"Accept-Language": language})
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urlopen(request, timeout=5) as response:
        return response.read().decode()


def record_notes(kiosk, count: int, start: int = 0) -> None:
    """Many building events in one transaction: a resident's name changed ``count`` times."""
    db = kiosk.db
    person = store.query_one(
        db, "SELECT id FROM residents WHERE home_origin = ? LIMIT 1", (kiosk.origin,)
    )
    if person is None:
        person = {
            "id": residents.register(db, apartment="A-001", name="Claire Petit", pin="2580").id
        }
    with store.write(db):
        for i in range(start, start + count):
            store.record(
                db, "resident.updated", {"resident_id": person["id"], "name": f"Claire {i}"}
            )


def a_page_of_notes(make_kiosk, count: int):
    """Kiosk ``a`` with ``count`` name changes, a fresh kiosk ``b``, and ``a``'s shared events as
    a pulled page would carry them: ``(a, b, page)``."""
    a = make_kiosk("a")
    b = make_kiosk("b")
    record_notes(a, count)
    return a, b, shared_event_page(a.db)


def own_batch(kiosk, from_seq: int, to_seq: int, *, sealed: bool = False) -> dict:
    """The kiosk's shared events ``from_seq``..``to_seq`` as a batch (with the kiosk's seal
    when ``sealed``: the hub then serves them as a kiosk's own push)."""
    rows = store.query(
        kiosk.db,
        "SELECT * FROM events WHERE origin = ? AND seq BETWEEN ? AND ? AND scope <> 'private' ORDER BY seq",
        (kiosk.origin, from_seq, to_seq),
    )
    batch = {
        "from_seq": from_seq,
        "to_seq": to_seq,
        "events": [protocol.event_to_wire(eventlog.Event.from_row(r)) for r in rows],
    }
    if sealed:
        wires = batch["events"]
        batch["seal"] = seals.make_seal(
            kiosk.client().key,
            kiosk.origin,
            [w["seq"] for w in wires],
            [seals.event_digest(w) for w in wires],
        )
    return batch


def send(kiosk, method: str, path: str, body: bytes = b"", *, key=None, counter=None, headers=None):
    """A hand-made signed request (the tests' way to send what a kiosk would never send)."""
    client = kiosk.client()
    counter = counter if counter is not None else client.next_counter()
    signed = protocol.sign_request(key or client.key, method, path, body, kiosk.origin, counter)
    signed.update(headers or {})
    return client.connection.send(method, path, body if method == "POST" else None, signed)


def hub_rows(hub) -> int:
    """How many events of kiosks the hub holds (its own, the keys it introduced, left out)."""
    db = hub.db
    try:
        return store.scalar(db, "SELECT COUNT(*) FROM events WHERE origin <> 'HUB'")
    finally:
        db.close()


def assert_batch_refused_whole(hub, make_kiosk, change, message: str) -> None:
    """A kiosk's batch of 5 seqs, changed by ``change``, is refused (400, naming ``message``)
    and nothing of it is stored."""
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 3)
    batch = own_batch(a, 1, 5)
    change(batch)
    with pytest.raises(HubRefused) as refused:
        send(a, "POST", "/api/push", protocol.encode_body(batch))
    assert refused.value.status == 400 and message in refused.value.answer["message"]
    assert hub_rows(hub) == 0


def inject_at_hub(hub, event: dict, building: str) -> int:
    """Store ``event`` (wire form) straight into the hub's database, bypassing push and its
    checks: what a compromised or newer hub would serve. Returns its hub_seq."""
    body = protocol.canonical_json(event)
    db = hub.db
    try:
        with store.write(db):
            db.execute(
                "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                [
                    event["id"],
                    event["origin"],
                    event["seq"],
                    event["type"],
                    event["scope"],
                    building,
                    body,
                    hashlib.sha256(body.encode("utf-8")).hexdigest(),
                ],
            )
        return store.scalar(db, "SELECT MAX(hub_seq) FROM events")
    finally:
        db.close()
