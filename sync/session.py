"""Signed requests to the hub: a request counter stored before each use, requests run in
their own thread while the kiosk prepares or applies the next batch (``InFlight``), and a stale
counter moved above the hub's once (``HubSession.signed``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.store import keys
from sync import key_rotation, protocol
from sync.connection import HubConnection
from sync.errors import HubRefused
from sync.state import hub_url

Then = Callable[[Any], Any] | None  # makes a decoded answer into what a request returns


class InFlight:
    """One request running in its own (daemon) thread: the kiosk prepares or applies the next
    batch meanwhile. ``result()`` waits and returns the answer or raises what the request raised."""

    def __init__(self, counter: int, send: Callable[[], Any]) -> None:
        self.counter = counter
        self._outcome: tuple[bool, Any] = (False, None)
        self._thread = threading.Thread(
            target=self._run, args=(send,), name="sync-request", daemon=True
        )
        self._thread.start()

    def _run(self, send: Callable[[], Any]) -> None:
        try:
            self._outcome = (True, send())
        except BaseException as exc:  # noqa: BLE001 (handed to the caller by result(), which raises it)
            self._outcome = (False, exc)

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        done, value = self._outcome
        if not done:
            raise value
        return value


class HubSession:
    """Signed requests of one kiosk database to its hub, each with a request counter stored
    before it is used; not thread-safe (``SyncRunner`` serialises)."""

    def __init__(
        self, db: Database, config: Config, *, connection: HubConnection | None = None
    ) -> None:
        self.db = db
        self.config = config
        self.origin = store.kiosk_id(db)
        self.key = keys.load_or_create_signing_key(config)
        self.batch_size = config["sync"]["batch_size"]
        self.connection = connection or HubConnection.from_config(hub_url(db, config), config)
        self.last_counter = 0  # the highest counter this client has sent
        # Seal pushed batches and check pulled events' signatures: False only for the
        # benchmark's baseline (bench/bench_sync.py), never in a kiosk.
        self.seal_events = True
        self.check_signatures = True
        self.refused_events = 0  # pulled events refused for their signature, this session
        self.request_key = self.key
        self.rotation = key_rotation.pending_rotation(db, config)
        if self.rotation is not None:  # the hub knows only the previous key yet
            self.request_key = self.rotation[0]

    def sealing_key(self, first_seq: int):
        """The key that seals this kiosk's events from ``first_seq`` on."""
        if self.rotation is not None and first_seq < self.rotation[1]:
            return self.rotation[0]
        return self.key

    def acknowledged(self, acked_seq: int) -> None:
        """The hub holds this kiosk's events up to ``acked_seq``: a key handed over at or below
        it now signs requests (``sync.key_rotation``)."""
        if self.rotation is not None and acked_seq >= self.rotation[1]:
            self.rotation = None
            self.request_key = self.key
            key_rotation.pending_rotation(self.db, self.config)  # forgets the previous key

    def next_counter(self, **state_values: Any) -> int:
        """The next request counter, stored before it is used (with ``state_values``, in the
        same transaction: one commit per request); joins the caller's transaction if any."""
        sets = "".join(f", {name} = ?" for name in state_values)
        with store.write(self.db):
            self.db.conn.execute(
                f"UPDATE sync_state SET request_counter = request_counter + 1{sets} WHERE id = 1",  # noqa: S608
                list(state_values.values()),
            )
            return store.scalar(self.db, "SELECT request_counter FROM sync_state WHERE id = 1")

    def request(
        self, method: str, path: str, body: bytes | None, counter: int, then: Then = None
    ) -> Any:
        """Sign and send one request with ``counter``, and return the answer, or what ``then``
        makes of it; touches no database (so it may run in an ``InFlight`` thread while the
        kiosk reads or applies)."""
        headers = protocol.sign_request(
            self.request_key, method, path, body or b"", self.origin, counter
        )
        self.last_counter = max(self.last_counter, counter)
        answer = self.connection.send(method, path, body, headers)
        return answer if then is None else then(answer)

    def start(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        counter: int | None = None,
        then: Then = None,
        **state_values: Any,
    ) -> InFlight:
        """A request under way in its own thread, with ``counter`` (stored earlier) or one taken
        and stored now."""
        if counter is None:
            counter = self.next_counter(**state_values)
        return InFlight(counter, lambda: self.request(method, path, body, counter, then))

    def signed(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        under_way: InFlight | None = None,
        then: Then = None,
        **state_values: Any,
    ) -> Any:
        """One signed request; a stale counter (e.g. a database restored from a backup) is
        moved above the hub's and the request signed again, once. ``under_way``: the first try,
        already sent (``start``, with the same ``then``); ``then``: makes the answer into what
        is returned (in the request's thread); ``state_values``: ``sync_state`` columns stored
        with the counter."""
        for attempt in range(2):
            counter = under_way.counter if under_way is not None and not attempt else None
            try:
                if counter is not None:
                    return under_way.result()
                counter = self.next_counter(**state_values)
                return self.request(method, path, body, counter, then)
            except HubRefused as exc:
                last = exc.answer.get("last_counter")
                if exc.code != "replayed" or attempt or not isinstance(last, int):
                    raise
                with store.write(self.db):  # never lower: a counter may already be taken ahead
                    self.db.execute(
                        "UPDATE sync_state SET request_counter = MAX(request_counter, ?) WHERE id = 1",
                        [max(last, counter)],
                    )
