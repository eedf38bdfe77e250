"""A hostile peer at the hub: a kiosk that signs correctly but sends numbers SQLite cannot hold
or JSON nested thousands deep, a stranger who sends a compressed bomb to be inflated before any
check, and a guesser at the dashboard's password. Every answer is a JSON 4xx (429 for the
guesser), never a 500, and nothing unsigned is decompressed."""

from __future__ import annotations

import base64
import gzip
import json
import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from sync_fixtures import (
    dashboard,
    own_batch,
    record_notes,
    send,
    shared_snapshot,
    sync_until_quiet,
)

from sync import protocol
from sync.errors import HubRefused
from sync.hub import dashboard as hub_dashboard

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = pytest.mark.both_stores

PASSWORD = "correct horse battery"


def raw_post(hub, path: str, body: bytes, headers: dict[str, str] | None = None):
    request = Request(
        hub.url + path,
        data=body,
        method="POST",
        headers={
            "Content-Type": protocol.CONTENT_TYPE,
            "Content-Encoding": "gzip",
            **(headers or {}),
        },
    )
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.mark.parametrize(
    "query",
    [
        "after=100000000000000000000000000000",
        "after=9223372036854775808",
        "after=-1",
        "limit=100000000000000000000000000000",
        "limit=-5",
        "after=1e9",
    ],
)
def test_a_signed_pull_with_numbers_beyond_sqlite_is_a_json_400(hub, make_kiosk, query):
    a = make_kiosk("a", enrol_at=hub)
    with pytest.raises(HubRefused) as refused:
        send(a, "GET", f"/api/pull?{query}")
    assert refused.value.status == 400 and refused.value.code == "bad_request"
    assert "whole numbers" in refused.value.answer["message"]
    a.sync()  # the kiosk goes on syncing


@pytest.mark.parametrize("depth", [900, 5_000, 200_000])
def test_a_signed_push_nested_thousands_deep_is_a_json_400(hub, make_kiosk, depth):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 3)
    batch = own_batch(a, 1, 3, sealed=True)
    nested = "[" * depth + "]" * depth
    text = json.dumps(batch).replace('"events": [', f'"deep": {nested}, "events": [', 1)
    try:  # a depth JSON readers take is read, and the hub ignores what it does not know
        answer = send(a, "POST", "/api/push", gzip.compress(text.encode()))
    except HubRefused as refused:
        assert refused.status == 400 and "nested too deeply" in str(refused)
    else:
        assert depth <= 1000 and answer["acked_seq"] == 3
    sync_until_quiet([a, b])  # the hub still serves the building, and a's real events reach b
    assert shared_snapshot(b.db) == shared_snapshot(a.db)


def test_nothing_unsigned_is_decompressed(hub, make_kiosk, monkeypatch):
    a = make_kiosk("a", enrol_at=hub)
    inflated: list[int] = []
    real_decode = protocol.decode_body

    def spy(data, max_bytes=protocol.MAX_DECODED_BYTES):
        inflated.append(max_bytes)
        return real_decode(data, max_bytes)

    monkeypatch.setattr(protocol, "decode_body", spy)
    bomb = gzip.compress(b"[" + b"0," * 20_000_000 + b"0]", 9)  # 40 MB of JSON in ~40 KB
    status, _headers, body = raw_post(hub, "/api/push", bomb)
    assert status == 401 and json.loads(body)["error"] == "unauthenticated"
    forged = protocol.sign_request(
        protocol.Ed25519PrivateKey.generate(), "POST", "/api/push", bomb, a.origin, 999
    )
    status, _headers, body = raw_post(hub, "/api/push", bomb, forged)
    assert status == 401 and json.loads(body)["error"] == "unauthenticated"
    status, _headers, body = raw_post(hub, "/api/enrol", bomb)
    assert status == 401 and json.loads(body)["error"] == "unauthenticated"
    assert inflated == []
    # A signed-looking enrolment is read only as far as an enrolment can be long.
    status, _headers, body = raw_post(
        hub, "/api/enrol", bomb, {protocol.HEADER_SIGNATURE: base64.b64encode(b"x" * 64).decode()}
    )
    assert status == 400 and "above 65536 bytes" in json.loads(body)["message"]
    assert inflated == [64 * 1024]


def test_unknown_paths_and_methods_at_the_hub_answer_json(hub):
    status, _headers, body = raw_post(hub, "/api/nope", b"")
    assert status in (404, 405) and "error" in json.loads(body)
    status, _headers, body = raw_post(hub, "/api/pull", b"")
    assert status == 405 and json.loads(body)["error"] == "method_not_allowed"


def test_the_dashboard_password_cannot_be_guessed_at_speed(hub):
    db = hub.db
    hub_dashboard.set_dashboard_password(db, PASSWORD)
    db.close()
    answers = []
    for guess in range(8):
        try:
            dashboard(hub, "admin", f"guess-{guess:04d}")
        except HTTPError as exc:
            answers.append(exc.code)
            retry_after = exc.headers.get("Retry-After")
    assert answers == [401] * 5 + [429] * 3
    assert retry_after and 200 <= int(retry_after) <= 301
    with pytest.raises(HTTPError) as still:  # even the right password waits: it would tell
        dashboard(hub, "admin", PASSWORD)
    assert still.value.code == 429 and "réessayez dans" in still.value.read().decode()


def test_the_throttle_forgets_old_failures_and_counts_every_address(hub):
    throttle = hub_dashboard.PasswordThrottle(per_address=2, in_all=3, window=0.2)
    db, other_process = hub.db, hub.db  # the failures are the store's, not a process's
    try:
        throttle.failed(db, "10.0.0.1")
        assert throttle.wait_seconds(other_process, "10.0.0.1") == 0
        throttle.failed(other_process, "10.0.0.1")
        assert throttle.wait_seconds(db, "10.0.0.1") >= 1
        assert throttle.wait_seconds(db, "10.0.0.2") == 0
        throttle.failed(db, "10.0.0.3")
        assert throttle.wait_seconds(other_process, "10.0.0.2") >= 1  # three in all: all wait
        time.sleep(0.25)
        assert throttle.wait_seconds(db, "10.0.0.1") == 0
        assert throttle.wait_seconds(db, "10.0.0.2") == 0
    finally:
        db.close()
        other_process.close()
