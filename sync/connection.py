"""The HTTP connection to a hub: standard library, timeouts and CA bundle from config, kept
open during a run, one retry when a kept connection turns out closed."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kiosk.config import Config
from sync import protocol
from sync.errors import HubRefused, HubUnreachable, NotEnrolled, SyncError


class HubConnection:
    """HTTP/1.1 to one hub with the standard library: timeouts and CA bundle from config.

    Inside ``kept_open()`` the connection stays open between requests (a push or a pull is
    hundreds of requests; a new TCP and TLS handshake for each would cost more than the request
    on a hub far away); outside, it is closed after each request. A kept connection the hub has
    closed meanwhile fails before any answer: the request then goes once more on a new
    connection. If the hub had in fact handled it, the resent request is refused as replayed,
    which ``HubSession.signed`` already handles. Any other failure closes the connection, so the
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
