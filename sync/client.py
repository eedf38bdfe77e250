"""The kiosk's side of sync: enrol once, then push own events and pull the network's.

Push sends this kiosk's ``building`` and ``network`` events above the hub's acknowledged seq,
in batches covering ``from_seq``..``to_seq`` (private events inside the range are simply not
sent); SQLite writes each batch's JSON from the stored rows (``json_object``), payloads are not
parsed again. Pull applies each page with one ``apply_foreign_many`` (held (origin, seq) found
in one query, new events inserted in bulk, then projected in page order) and moves the cursor
in the same transaction. Everything is idempotent: after a cut-off at any point the next run
resends or re-pulls, and what is already held changes nothing.

After the pull, the hub's verdicts on vouchers settled twice that fall to this kiosk are
compensated (kiosk/voucher_conflicts.py) and, if any, pushed at once.

The kiosk never waits on this: ``SyncRunner`` runs it from the scheduler or a "sync now"
thread, one run at a time, backing off exponentially while the hub cannot be reached.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import sqlite3
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlite_utils import Database

from kiosk import clock, ids, keys, store
from kiosk.config import Config
from kiosk.store import events as eventlog
from kiosk.store.projections import KIOSK_RESTORED
from kiosk.store.registry import registry
from kiosk.vouchers import conflicts as voucher_conflicts
from sync import protocol

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 30
MAX_GAP_RESENDS = 3


class SyncError(Exception):
    """Sync could not be done; the message says why in plain words."""


class HubUnreachable(SyncError):
    """No answer, a cut answer or a 5xx: try again later (with back-off)."""


class HubRefused(SyncError):
    """A 4xx answer: the hub refused this request and would refuse it again."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        self.status = status
        self.code = str(answer.get("error", "refused"))
        self.answer = answer
        super().__init__(f"hub refused ({status} {self.code}): {answer.get('message', '')}")


class EventNotApplicable(SyncError):
    """A pulled event that this kiosk's projections refuse (e.g. a voucher settled twice):
    the page is rolled back and the cursor stays before it, so nothing is skipped."""


class BackupTooOld(SyncError):
    """Restored from a backup while the hub was out of reach, and the hub holds more events of
    this kiosk than the numbering jump left room for: an administrator must act."""


class NotEnrolled(SyncError):
    """This kiosk has no hub yet: `kiosk enrol URL CODE`."""


def error_kind(exc: SyncError) -> str:
    """What the admin page says about a failed sync: ``unreachable`` (it retries by itself),
    ``refused`` (the hub said no: its administrator can tell why), ``backup_too_old`` or
    ``not_applicable`` (someone must act on this kiosk)."""
    if isinstance(exc, BackupTooOld):
        return "backup_too_old"
    if isinstance(exc, EventNotApplicable):
        return "not_applicable"
    if isinstance(exc, HubRefused):
        return "refused"
    return "unreachable"


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    applied: int = 0
    acked_seq: int = 0
    pull_cursor: int = 0


# --------------------------------------------------------------------------- state


def state(db: Database) -> dict[str, Any]:
    return dict(store.query_one(db, "SELECT * FROM sync_state WHERE id = 1"))


def is_enrolled(db: Database) -> bool:
    return bool(state(db)["enrolled_at"])


def hub_url(db: Database, config: Config) -> str:
    return (config["sync"]["hub_url"] or state(db)["hub_url"]).rstrip("/")


def pending_count(db: Database) -> int:
    """This kiosk's shared events the hub has not acknowledged yet."""
    return store.scalar(
        db,
        "SELECT COUNT(*) FROM events WHERE origin = ? AND scope <> 'private' "
        "AND seq > (SELECT acked_seq FROM sync_state WHERE id = 1)",
        (store.kiosk_id(db),),
    )


def _set_state(db: Database, **values: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    with store.write(db):
        db.execute(f"UPDATE sync_state SET {assignments} WHERE id = 1", list(values.values()))  # noqa: S608


# --------------------------------------------------------------------------- HTTP


class HubConnection:
    """HTTP/1.1 to one hub with the standard library: timeouts and CA bundle from config.

    Inside ``kept_open()`` the connection stays open between requests (a push or a pull is
    hundreds of requests; a new TCP and TLS handshake for each would cost more than the request
    on a hub far away); outside, it is closed after each request. A kept connection the hub has
    closed meanwhile fails before any answer: the request then goes once more on a new
    connection. If the hub had in fact handled it, the resent request is refused as replayed,
    which ``SyncClient.signed`` already handles. Any other failure closes the connection, so the
    next request starts afresh. One request at a time.
    """

    def __init__(self, url: str, *, timeout: float, ca_bundle: str = "") -> None:
        if not url.startswith(("http://", "https://")):
            raise NotEnrolled("no hub address: run `kiosk enrol URL CODE` first")
        self.url = url.rstrip("/")
        self.timeout = timeout
        try:
            parts = urllib.parse.urlsplit(self.url)
            self._host, self._port, self._base = parts.hostname, parts.port, parts.path
        except ValueError as exc:
            raise SyncError(f"the hub address {url!r} is not valid: {exc}") from None
        if not self._host:
            raise SyncError(f"the hub address {url!r} names no host")
        self._secure = parts.scheme == "https"
        self.context = (
            ssl.create_default_context(cafile=ca_bundle or None) if self._secure else None
        )
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._kept = 0

    @classmethod
    def from_config(cls, url: str, config: Config) -> HubConnection:
        sync = config["sync"]
        return cls(url, timeout=sync["timeout_seconds"], ca_bundle=sync["ca_bundle"])

    def _open(self) -> http.client.HTTPConnection:
        if self._secure:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self.context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    @contextmanager
    def kept_open(self) -> Iterator[HubConnection]:
        """Keep the connection open for the requests made inside (nested uses are fine)."""
        with self._lock:
            self._kept += 1
        try:
            yield self
        finally:
            with self._lock:
                self._kept -= 1
                if not self._kept:
                    self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Any:
        """The decoded JSON answer; ``HubRefused`` on 4xx, ``HubUnreachable`` otherwise."""
        all_headers = {"Accept-Encoding": "gzip", **headers}
        if body is not None:
            all_headers.update({"Content-Type": protocol.CONTENT_TYPE, "Content-Encoding": "gzip"})
        with self._lock:
            try:
                status, raw, answer_headers = self._exchange(
                    method, self._base + path, body, all_headers
                )
            # refused, reset, timeout, cut answer; UnicodeError: a host name IDNA cannot encode
            except (OSError, http.client.HTTPException, UnicodeError) as exc:
                self._drop()
                raise HubUnreachable(f"the hub at {self.url} cannot be reached: {exc}") from None
        if status >= 400:
            try:
                answer = self._decode(raw, answer_headers)
            except SyncError:
                answer = {}
            if 400 <= status < 500:
                raise HubRefused(status, answer if isinstance(answer, dict) else {})
            raise HubUnreachable(f"the hub answered {status}")
        return self._decode(raw, answer_headers)

    def _exchange(self, method: str, target: str, body: bytes | None, headers: dict[str, str]):
        """(status, body, headers) of one request; on a kept connection that turns out closed
        (nothing answered), once more on a new one."""
        for attempt in range(2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = self._open()
            try:
                self._conn.request(method, target, body=body, headers=headers)
                response = self._conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop()
                if reused and not attempt:
                    continue
                raise
            raw = response.read()
            if response.will_close or not self._kept:
                self._drop()
            return response.status, raw, response.headers
        raise AssertionError("unreachable")

    @staticmethod
    def _decode(raw: bytes, headers) -> Any:
        try:
            if headers.get("Content-Encoding") == "gzip":
                return protocol.decode_body(raw)
            return json.loads(raw.decode("utf-8")) if raw else {}
        except (protocol.ProtocolError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HubUnreachable(f"the hub's answer is unreadable: {exc}") from None


# --------------------------------------------------------------------------- client


class Page(NamedTuple):
    events: list[eventlog.Event]  # to apply, in hub order
    values: list  # what inserting them takes (``eventlog.insert_values``)
    received: int  # events in the page (including those left out)
    last_hub_seq: int
    more: bool


def read_page(page: Any, own: str | None) -> Page:
    """The events of a pulled page, and the values that insert them; the events of ``own``
    (this kiosk, unless restoring) and any private one are left out. ``HubUnreachable`` if the
    page cannot be read. Touches no database: runs in the request's thread, while the kiosk
    applies the page before."""
    try:
        items = page["events"]
        last = int(page["last_hub_seq"])
        more = bool(page.get("more"))
        events = []
        from_wire = protocol.event_from_wire
        for hub_seq, wire in items:
            int(hub_seq)
            event = from_wire(wire)
            if event.scope != "private" and event.origin != own:
                events.append(event)
    except (KeyError, TypeError, ValueError) as exc:
        raise HubUnreachable(f"the hub sent a page this kiosk cannot read: {exc}") from None
    return Page(events, eventlog.insert_values(events), len(items), last, more)


class _InFlight:
    """One request running in its own (daemon) thread: the kiosk prepares or applies the next
    batch meanwhile. ``result()`` waits and returns the answer or raises what the request raised."""

    def __init__(self, counter: int, send) -> None:
        self.counter = counter
        self._outcome: tuple[bool, Any] = (False, None)
        self._thread = threading.Thread(
            target=self._run, args=(send,), name="sync-request", daemon=True
        )
        self._thread.start()

    def _run(self, send) -> None:
        try:
            self._outcome = (True, send())
        except BaseException as exc:  # handed to the caller by result()
            self._outcome = (False, exc)

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        done, value = self._outcome
        if not done:
            raise value
        return value


class SyncClient:
    """Push and pull for one kiosk database; not thread-safe (``SyncRunner`` serialises)."""

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

    def _next_counter(self, **state_values: Any) -> int:
        """The next request counter, stored before it is used (with ``state_values``, in the
        same transaction: one commit per request); joins the caller's transaction if any."""
        sets = "".join(f", {name} = ?" for name in state_values)
        with store.write(self.db):
            self.db.conn.execute(
                f"UPDATE sync_state SET request_counter = request_counter + 1{sets} WHERE id = 1",  # noqa: S608
                list(state_values.values()),
            )
            return store.scalar(self.db, "SELECT request_counter FROM sync_state WHERE id = 1")

    def _request(self, method: str, path: str, body: bytes | None, counter: int, then=None) -> Any:
        """Sign and send one request with ``counter``, and return the answer, or what ``then``
        makes of it; touches no database (so it may run in an ``_InFlight`` thread while the
        kiosk reads or applies)."""
        headers = protocol.sign_request(self.key, method, path, body or b"", self.origin, counter)
        self.last_counter = max(self.last_counter, counter)
        answer = self.connection.send(method, path, body, headers)
        return answer if then is None else then(answer)

    def _start(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        counter: int | None = None,
        then=None,
        **state_values: Any,
    ) -> _InFlight:
        """A request under way in its own thread, with ``counter`` (stored earlier) or one taken
        and stored now."""
        if counter is None:
            counter = self._next_counter(**state_values)
        return _InFlight(counter, lambda: self._request(method, path, body, counter, then))

    def signed(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        under_way: _InFlight | None = None,
        then=None,
        **state_values: Any,
    ) -> Any:
        """One signed request; a stale counter (e.g. a database restored from a backup) is
        moved above the hub's and the request signed again, once. ``under_way``: the first try,
        already sent (``_start``, with the same ``then``); ``then``: makes the answer into what
        is returned (in the request's thread); ``state_values``: ``sync_state`` columns stored
        with the counter."""
        for attempt in range(2):
            counter = under_way.counter if under_way is not None and not attempt else None
            try:
                if counter is not None:
                    return under_way.result()
                counter = self._next_counter(**state_values)
                return self._request(method, path, body, counter, then)
            except HubRefused as exc:
                last = exc.answer.get("last_counter")
                if exc.code != "replayed" or attempt or not isinstance(last, int):
                    raise
                with store.write(self.db):  # never lower: a counter may already be taken ahead
                    self.db.execute(
                        "UPDATE sync_state SET request_counter = MAX(request_counter, ?) WHERE id = 1",
                        [max(last, counter)],
                    )
        raise AssertionError("unreachable")

    def _push_batch(self, after: int) -> tuple[bytes, int, int] | None:
        """(gzip body, events in it, to_seq) of the batch of own events above seq ``after``;
        SQLite writes each event's JSON from the stored row (``json_object``)."""
        rows = self.db.conn.execute(
            "SELECT seq, scope, json_object('id', id, 'origin', origin, 'seq', seq, 'type', type, "
            "'scope', scope, 'payload', json(payload), 'created_at', created_at) "
            "FROM events WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
            (self.origin, after, self.batch_size),
        ).fetchall()
        if not rows:
            return None
        wires = [row[2] for row in rows if row[1] != "private"]
        body = protocol.encode_json_text(
            f'{{"from_seq":{after + 1},"to_seq":{rows[-1][0]},"events":[{",".join(wires)}]}}'
        )
        return body, len(wires), rows[-1][0]

    def push(self) -> int:
        """Send every own shared event the hub lacks; returns how many were sent (``_push``)."""
        with self.connection.kept_open():
            return self._push()

    def _push(self) -> int:
        """Send every own shared event the hub lacks; returns how many were sent.

        While the hub stores a batch, the next one is read and compressed (the request runs in
        its own thread); it is sent once the hub acknowledged the one before, or read again
        from the hub's answer if that differs. The seq the hub acknowledged is stored with the
        next request's counter (one commit per batch), and when the push ends, however it
        ends; a crash in between only means the last batch is sent again, which changes
        nothing at the hub."""
        sent = 0
        gaps = 0
        acked = saved = state(self.db)["acked_seq"]
        try:
            batch = self._push_batch(acked)
            while batch is not None:
                body, count, to_seq = batch
                flight = self._start("POST", "/api/push", body, acked_seq=acked)
                saved = acked
                following = self._push_batch(to_seq)  # while the hub works on this one
                try:
                    answer = self.signed(
                        "POST", "/api/push", body, under_way=flight, acked_seq=acked
                    )
                except HubRefused as exc:
                    hub_acked = exc.answer.get("acked_seq")
                    if (
                        exc.code != "gap"
                        or not isinstance(hub_acked, int)
                        or gaps >= MAX_GAP_RESENDS
                    ):
                        raise
                    gaps += 1  # the hub holds less (or more) than we thought: resend from there
                    acked = hub_acked
                    batch = self._push_batch(acked)
                    continue
                gaps = 0
                sent += count
                acked = int(answer["acked_seq"])
                batch = following if acked == to_seq else self._push_batch(acked)
            return sent
        finally:
            if acked != saved:
                _set_state(self.db, acked_seq=acked)

    def _pull_path(self, after: int, include_own: bool) -> str:
        return f"/api/pull?after={after}&limit={self.batch_size}" + (
            "&own=1" if include_own else ""
        )

    def _read_page(self, include_own: bool):
        """The function that reads a pulled page (run in the request's thread)."""
        own = None if include_own else self.origin
        return lambda answer: read_page(answer, own)

    def _start_pull(self, after: int, include_own: bool, counter: int | None = None) -> _InFlight:
        return self._start(
            "GET",
            self._pull_path(after, include_own),
            counter=counter,
            then=self._read_page(include_own),
        )

    def pull(self, *, include_own: bool = False) -> tuple[int, int]:
        """Apply every page the hub has for this kiosk; returns (received, newly applied)
        (``_pull``)."""
        with self.connection.kept_open():
            return self._pull(include_own)

    def _pull(self, include_own: bool) -> tuple[int, int]:
        """Apply every page the hub has for this kiosk; returns (received, newly applied).

        The next page is asked for (in its own thread) as soon as a page has arrived, so the hub
        reads and sends it while this one is applied. Each page is applied, and the cursor
        moved, in one transaction, which also takes the counter of the request after next
        (so a page costs one commit)."""
        received = applied = 0
        banked = None
        cursor = state(self.db)["pull_cursor"]
        flight = self._start_pull(cursor, include_own)
        try:
            while True:
                page = self.signed(
                    "GET",
                    self._pull_path(cursor, include_own),
                    under_way=flight,
                    then=self._read_page(include_own),
                )
                last, more = page.last_hub_seq, page.more
                flight = None
                after = max(cursor, last)
                taken = None
                if more:
                    if banked is not None and banked <= self.last_counter:
                        banked = None  # outrun by a request signed again (a counter gone back)
                    flight = self._start_pull(after, include_own, banked)
                    banked = None
                with store.write(self.db):
                    stored = store.scalar(
                        self.db, "SELECT pull_cursor FROM sync_state WHERE id = 1"
                    )
                    if stored == cursor:
                        applied += self._apply(page)
                        self.db.execute(
                            "UPDATE sync_state SET pull_cursor = ? WHERE id = 1", [after]
                        )
                        if more:
                            taken = self._next_counter()
                if stored != cursor:  # another run applied this page meanwhile: go on from there
                    if flight is not None:
                        flight.wait()
                    cursor = stored
                    flight = self._start_pull(cursor, include_own)
                    continue
                received += page.received
                cursor = after
                if not more:
                    return received, applied
                banked = taken  # committed with the page
        finally:
            if flight is not None:
                flight.wait()  # never leave a request of ours running behind

    def _apply(self, page: Page) -> int:
        """Apply one page in bulk; if the projections refuse it, name the first event refused
        (the caller's transaction then rolls the whole page back)."""
        try:
            with store.write(self.db):  # a savepoint inside the page's transaction
                return eventlog.apply_foreign_many(self.db, page.events, page.values)
        except sqlite3.Error:
            for event in page.events:
                try:
                    with store.write(self.db):
                        eventlog.apply_foreign(self.db, event)
                except sqlite3.Error as exc:
                    raise EventNotApplicable(
                        f"event {event.reference} ({event.type}) cannot be applied here: {exc}"
                    ) from exc
            raise

    def sync(self) -> SyncResult:
        """Push, pull, settle the voucher verdicts that fall to this kiosk (then push those);
        the state records the outcome for the status bar."""
        _set_state(self.db, last_attempt_at=clock.now_iso())
        try:
            with self.connection.kept_open():  # one connection for the whole run
                pushed, received, applied = self._sync()
        except SyncError as exc:
            with store.write(self.db):
                self.db.execute(
                    "UPDATE sync_state SET failures = failures + 1, last_error = ?, last_error_kind = ? WHERE id = 1",
                    [str(exc), error_kind(exc)],
                )
            raise
        _set_state(
            self.db,
            failures=0,
            last_error=None,
            last_error_kind=None,
            last_success_at=clock.now_iso(),
        )
        current = state(self.db)
        return SyncResult(pushed, received, applied, current["acked_seq"], current["pull_cursor"])

    def _sync(self) -> tuple[int, int, int]:
        if needs_catch_up(self.db):  # restored from a backup: fetch back newer own events first
            catch_up_after_restore(self.db, self.config, connection=self.connection)
        pushed = self.push()
        received, applied = self.pull()
        if voucher_conflicts.compensate_conflicts(self.db, self.config):
            pushed += self.push()
        return pushed, received, applied


# --------------------------------------------------------------------------- enrol, restore


def _enrol_request(connection: HubConnection, key, code: str, origin: str, building: str) -> dict:
    body = protocol.encode_body(
        {
            "code": code.strip(),
            "origin": origin,
            "public_key": keys.public_key_b64(key),
            "building": building,
        }
    )
    headers = protocol.sign_request(key, "POST", "/api/enrol", body, origin, 0)
    return connection.send("POST", "/api/enrol", body, headers)


def enrol(db: Database, config: Config, url: str, code: str) -> dict[str, Any]:
    """Enrol this kiosk at the hub at ``url`` with a one-time ``code`` (once per kiosk)."""
    connection = HubConnection.from_config(url, config)
    keys.publish_public_key(db, config)
    key = keys.load_or_create_signing_key(config)
    answer = _enrol_request(connection, key, code, store.kiosk_id(db), config["building"]["name"])
    _set_state(
        db,
        hub_url=connection.url,
        building=answer["building"],
        enrolled_at=clock.now_iso(),
        acked_seq=int(answer["acked_seq"]),
        failures=0,
        last_error=None,
    )
    return answer


@dataclass
class RestoreResult:
    origin: str
    building: str
    events: int
    residents: int
    next_seq: int
    sync: SyncResult = field(default_factory=SyncResult)


def _append_restored(db: Database, origin: str, seq: int, payload: dict) -> int:
    """A ``kiosk.restored`` event at ``seq`` (inside the caller's write): this kiosk's numbering
    continues from there. Returns ``seq``."""
    eventlog.apply_foreign(
        db,
        eventlog.Event(
            id=ids.uuid7(),
            origin=origin,
            seq=seq,
            type=KIOSK_RESTORED,
            scope=registry.get(KIOSK_RESTORED).scope,
            payload=payload,
            created_at=clock.now_iso(),
        ),
    )
    return seq


def _mark_restored(db: Database, origin: str, held: int, hub_acked: int, payload: dict) -> int:
    """The ``kiosk.restored`` event above every seq this kiosk holds and the hub acknowledged."""
    return _append_restored(
        db, origin, max(held, hub_acked) + 1, {**payload, "hub_acked_seq": hub_acked}
    )


def restore_from_hub(db: Database, config: Config, url: str, code: str) -> RestoreResult:
    """Rebuild an empty kiosk database from the hub's copy of its building's events.

    ``code`` is a restore code (``kiosk hub enrol-code --restore ORIGIN``): the kiosk takes back
    its old id with a new key. A ``kiosk.restored`` event above every seq the hub acknowledged
    marks the restore in the log, so the numbering continues without collision. Card and PIN
    hashes never left the kiosk: residents get new cards.
    """
    if store.scalar(db, "SELECT COUNT(*) FROM events"):
        raise SyncError("this database already has events: restore into a new, empty data folder")
    connection = HubConnection.from_config(url, config)
    key = keys.load_or_create_signing_key(config)
    answer = _enrol_request(connection, key, code, "", config["building"]["name"])
    origin = answer["origin"]
    with store.write(db):
        store.set_meta(db, "kiosk_id", origin)
        db.execute(
            "UPDATE sync_state SET hub_url = ?, building = ?, enrolled_at = ?, acked_seq = ?, "
            "pull_cursor = 0, request_counter = 0, failures = 0, last_error = NULL WHERE id = 1",
            [connection.url, answer["building"], clock.now_iso(), int(answer["acked_seq"])],
        )
    client = SyncClient(db, config, connection=connection)
    _received, applied = client.pull(include_own=True)
    with store.write(db):
        held = eventlog.last_seq(db, origin)
        seq = _mark_restored(
            db, origin, held, int(answer["acked_seq"]), {"events_restored": applied}
        )
    keys.publish_public_key(db, config)
    result = client.sync()
    people = store.scalar(db, "SELECT COUNT(*) FROM residents WHERE home_origin = ?", (origin,))
    return RestoreResult(origin, answer["building"], applied, people, seq + 1, result)


RESTORED_FROM_BACKUP = "restored_from_backup"  # kiosk_meta: a backup's name, until caught up


def mark_restored_from_backup(db: Database, backup_name: str) -> None:
    """``kiosk restore FILE`` put an older copy of this kiosk's database in place: the hub may
    hold events this kiosk wrote after the backup. Until they are fetched back
    (``catch_up_after_restore``, tried by every sync first), a new event could take a seq the
    hub already holds for another one. A numbering jump the backup was waiting to catch up on
    (``jump_numbering_after_restore`` before it was taken) is history now: forgotten."""
    with store.write(db):
        store.set_meta(db, RESTORED_FROM_BACKUP, backup_name)
        db.execute("DELETE FROM kiosk_meta WHERE key = ?", [NUMBERING_JUMPED_TO])


# When the hub cannot be reached at the restore, new events are numbered from this far above
# the backup's last seq: a kiosk would have to have sent the hub this many events after the
# backup (about a year of a busy building) for them to meet. The catch-up checks it.
RESTORE_SEQ_JUMP = 100_000
NUMBERING_JUMPED_TO = "restored_numbering_jumped_to"  # kiosk_meta: that seq, until caught up


def jump_numbering_after_restore(db: Database, backup_name: str) -> int:
    """Restored from a backup while the hub cannot be reached: the events written after the
    backup are still at the hub only, and residents may record new ones before the next sync.
    A ``kiosk.restored`` event ``RESTORE_SEQ_JUMP`` above the backup's last seq makes new events
    numbered from there, so none can take a seq the hub holds for another (which the hub would
    refuse as a fork); the catch-up then fetches the others back below. Returns its seq."""
    origin = store.kiosk_id(db)
    with store.write(db):
        held = eventlog.last_seq(db, origin)
        seq = _append_restored(
            db,
            origin,
            held + RESTORE_SEQ_JUMP,
            {"from_backup": backup_name, "numbering_jumped_from": held},
        )
        store.set_meta(db, NUMBERING_JUMPED_TO, str(seq))
    return seq


def needs_catch_up(db: Database) -> str | None:
    """The backup this kiosk was restored from, while its newer events are still at the hub."""
    return store.get_meta(db, RESTORED_FROM_BACKUP) or None


@dataclass
class CatchUp:
    recovered: int  # own events the hub held beyond the backup, now back in the log
    applied: int  # every event applied (neighbours' too)
    next_seq: int


def catch_up_after_restore(
    db: Database, config: Config, *, connection: HubConnection | None = None
) -> CatchUp:
    """Fetch back from the hub the events this kiosk wrote after the backup it was restored
    from, then mark the restore with a ``kiosk.restored`` event above every seq the hub holds,
    as ``restore_from_hub`` does: the numbering continues without collision and nothing
    written since the backup is lost (what the hub had received)."""
    backup_name = needs_catch_up(db) or ""
    client = SyncClient(db, config, connection=connection)
    status = client.signed("GET", "/api/status")
    hub_acked = int(status["acked_seq"])
    hub_held = int(status.get("held_seq", hub_acked))  # a hub before held_seq: its acked seq
    origin = client.origin
    jumped_to = int(store.get_meta(db, NUMBERING_JUMPED_TO) or 0)
    if jumped_to and hub_acked >= jumped_to:
        raise BackupTooOld(
            f"the hub holds events of this kiosk up to number {hub_acked}, but since the restore from "
            f"{backup_name} (the hub was out of reach) this kiosk numbers new events from {jumped_to}: "
            "the backup was too old. Nothing is sent until an administrator restores a newer backup "
            "or this kiosk from the hub (kiosk restore-from-hub)."
        )
    own_events = "SELECT COUNT(*), COALESCE(MAX(CASE WHEN seq <= ? THEN seq END), 0) FROM events WHERE origin = ?"
    before = store.query_one(db, own_events, (hub_acked, origin))[0]
    _received, applied = client.pull(include_own=True)
    after, held = store.query_one(db, own_events, (hub_acked, origin))
    if held < hub_held:
        raise SyncError(
            f"the hub holds this kiosk's events up to {hub_held} but sent them only up to {held}"
        )
    top = eventlog.last_seq(db, origin)
    with store.write(db):
        seq = _mark_restored(
            db,
            origin,
            top,
            hub_acked,
            {"events_restored": after - before, "from_backup": backup_name},
        )
        db.execute("UPDATE sync_state SET acked_seq = ? WHERE id = 1", [hub_acked])
        db.execute(
            "DELETE FROM kiosk_meta WHERE key IN (?, ?)",
            [RESTORED_FROM_BACKUP, NUMBERING_JUMPED_TO],
        )
    return CatchUp(recovered=after - before, applied=applied, next_seq=seq + 1)


# --------------------------------------------------------------------------- runner


class SyncRunner:
    """One sync at a time for one kiosk database, with exponential back-off in between.

    Back-off is kept on the monotonic clock (a Pi's wall clock may jump by years when it
    finally finds a time server); only the count of failures is stored.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._next_due = 0.0
        self.last_result: SyncResult | None = None
        self.thread: threading.Thread | None = None  # the last "sync now"

    def backoff_seconds(self, failures: int) -> float:
        limit = self.config["sync"]["backoff_max_seconds"]
        delay = min(limit, BACKOFF_FIRST_SECONDS * 2 ** max(0, failures - 1))
        return delay * random.uniform(0.8, 1.0)

    def run_now(self) -> SyncResult | None:
        """Sync now unless a run is under way (then None). Errors are logged and stored."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            db = store.connect(
                self.config.database_path, busy_timeout_ms=self.config["storage"]["busy_timeout_ms"]
            )
            try:
                if not is_enrolled(db):
                    return None
                try:
                    self.last_result = SyncClient(db, self.config).sync()
                except HubRefused as exc:
                    log.error(
                        "sync refused by the hub: %s", exc
                    )  # will be refused again: wait long
                    self._next_due = time.monotonic() + self.config["sync"]["backoff_max_seconds"]
                    return None
                except SyncError as exc:
                    failures = state(db)["failures"]
                    delay = self.backoff_seconds(failures)
                    log.warning("sync failed (%s); next attempt in %.0f s", exc, delay)
                    self._next_due = time.monotonic() + delay
                    return None
                self._next_due = time.monotonic() + self.config["sync"]["interval_minutes"] * 60
                return self.last_result
            finally:
                db.close()
        finally:
            self._lock.release()

    def tick(self) -> None:
        """The scheduled job: sync when due (interval after a success, back-off after a failure)."""
        if time.monotonic() >= self._next_due:
            self.run_now()

    def start_now(self) -> threading.Thread:
        """ "Sync now" from the admin page: a thread, so the page never waits on the network."""
        self._next_due = 0.0
        thread = threading.Thread(target=self.run_now, name="sync-now", daemon=True)
        thread.start()
        self.thread = thread
        return thread


_runners: dict[Path, SyncRunner] = {}
_runners_lock = threading.Lock()


def runner_for(config: Config) -> SyncRunner:
    """The process's runner for this kiosk database (shared by the scheduler and the web)."""
    with _runners_lock:
        path = config.database_path.resolve()
        if path not in _runners:
            _runners[path] = SyncRunner(config)
        return _runners[path]


def schedule(scheduler, config: Config) -> None:
    """Add the sync job to an APScheduler 3 scheduler (``kiosk serve`` only): a short tick that
    syncs when due, so back-off can be shorter or longer than the interval."""
    runner = runner_for(config)
    scheduler.add_job(
        runner.tick,
        "interval",
        seconds=min(30, config["sync"]["interval_minutes"] * 60),
        id="sync",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
