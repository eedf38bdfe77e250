"""The home site from a resident's own device, over HTTP against a real hub and two kiosks of
the building: the replica shows what the kiosks show, and a session needs the device's key."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
import uuid

import pytest
from device_keys import Device
from home_fixtures import BUILDING, Browser, pair, remove, small_building
from sync_fixtures import inject_at_hub, sync_until_quiet

from home import replica, sessions
from kiosk import clock, store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from sync import protocol

pytestmark = pytest.mark.both_stores  # a city's hub serves the home site from PostgreSQL


@pytest.fixture
def building(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    jeanne, paul = small_building(a, b)
    return a, b, jeanne, paul


def logged_in(hub, resident_id: str, language: str = "fr") -> tuple[Browser, Device]:
    phone = Browser(hub, language)
    device = pair(hub, resident_id)
    assert phone.open_session(device) == 200
    return phone, device


def replica_file(hub):
    return replica.replica_path(hub.files or hub.path, BUILDING)


def test_the_home_page_shows_the_balance_the_kiosks_show_after_a_sync(hub, building):
    a, b, jeanne, paul = building
    phone, _device = logged_in(hub, paul.id)
    status, page = phone.get("/home/")
    assert status == 200
    assert "15,00 CEEC" in page  # 90 minutes at 10 CEEC an hour, as on both kiosks
    assert residents.get(b.db, paul.id).balance == residents.get(a.db, paul.id).balance == 1500
    assert "Données de la borne du" in page

    # A new exchange at kiosk b reaches the page once b has synced, and only then.
    exchanges.record_exchange(
        b.db, b.config, payer_id=jeanne.id, payee_id=paul.id, description="Courses", minutes=30
    )
    assert "15,00 CEEC" in phone.get("/home/")[1]
    sync_until_quiet([a, b])
    assert "20,00 CEEC" in phone.get("/home/")[1]
    assert "20,00 CEEC" in phone.get("/home/statement")[1]


def test_a_deleted_replica_is_made_again_from_the_hubs_events(hub, building):
    _a, _b, _jeanne, paul = building
    phone, _device = logged_in(hub, paul.id)
    assert "15,00 CEEC" in phone.get("/home/")[1]
    shutil.rmtree(replica_file(hub).parent)
    status, page = phone.get("/home/")
    assert status == 200 and "15,00 CEEC" in page
    assert replica_file(hub).exists()


def test_an_event_the_hub_refused_never_reaches_the_replica(hub, building):
    """A kiosk signs correctly but the hub refused its event (outside its authority): the home
    site computes nothing from it."""
    a, _b, _jeanne, paul = building
    event = {
        "id": str(uuid.uuid4()),
        "origin": a.origin,
        "seq": 10_000,
        "type": "resident.updated",
        "scope": "building",
        "payload": {"resident_id": paul.id, "name": "Usurpateur"},
        "created_at": "2026-01-01T00:00:00Z",
    }
    protocol.check_wire_event(event)
    hub_seq = inject_at_hub(hub, event, BUILDING)
    db = hub.db
    try:
        with store.write(db):
            db.execute(
                "INSERT INTO hub_refused (hub_seq, origin, seq, type, reason, refused_at) "
                "VALUES (?, ?, 10000, 'resident.updated', 'test', '2026-01-01T00:00:00Z')",
                [hub_seq, a.origin],
            )
    finally:
        db.close()
    phone, _device = logged_in(hub, paul.id)
    page = phone.get("/home/")[1]
    assert "Paul Durand" in page and "Usurpateur" not in page


def test_concurrent_views_apply_each_event_once(hub, building):
    a, _b, _jeanne, paul = building
    phone, _device = logged_in(hub, paul.id)
    results: list[int] = []

    def view() -> None:
        results.append(phone.get("/home/")[0])

    threads = [threading.Thread(target=view) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 6
    db = store.connect(replica_file(hub))
    try:
        held = store.scalar(db, "SELECT COUNT(*) FROM events")
        twice = store.scalar(
            db, "SELECT COUNT(*) FROM (SELECT id FROM events GROUP BY id HAVING COUNT(*) > 1)"
        )
    finally:
        db.close()
    shared = store.scalar(a.db, "SELECT COUNT(*) FROM events WHERE scope <> 'private'")
    assert twice == 0 and held >= shared


def test_a_replayed_nonce_opens_no_second_session(hub, building):
    _a, _b, _jeanne, paul = building
    device = pair(hub, paul.id)
    phone, thief = Browser(hub), Browser(hub)
    nonce = phone.nonce()
    assert phone.open_session(device, nonce=nonce) == 200
    assert thief.open_session(device, nonce=nonce) == 403  # the same signed nonce, seen on the wire
    assert thief.session_cookie() is None
    assert "Relier" not in phone.get("/home/")[1]


def test_an_old_nonce_is_refused(hub, building):
    _a, _b, _jeanne, paul = building
    device = pair(hub, paul.id)
    phone = Browser(hub)
    nonce = phone.nonce()
    clock.shift(121)
    try:
        assert phone.open_session(device, nonce=nonce) == 403
    finally:
        clock.reset()


def test_asking_for_nonces_writes_nothing_and_a_forged_one_is_refused(hub, building):
    """Nonces cost the hub nothing to hand out (a stranger cannot fill its database), and one
    the hub did not make, or whose expiry was pushed back, opens nothing."""
    _a, _b, _jeanne, paul = building
    device = pair(hub, paul.id)
    phone = Browser(hub)
    nonces = {phone.nonce() for _ in range(50)}
    assert len(nonces) == 50
    db = hub.db
    try:
        assert store.scalar(db, "SELECT COUNT(*) FROM home_nonces") == 0
    finally:
        db.close()
    expiry, rest = next(iter(nonces)).split(".", 1)
    for forged in (f"{int(expiry) + 3600}.{rest}", "1.2.3", "x" * 300, f"{expiry}.{rest}x"):
        assert phone.open_session(device, nonce=forged) == 403
    assert phone.open_session(device, nonce=next(iter(nonces))) == 200


def test_another_devices_signature_or_an_unpaired_device_gets_no_session(hub, building):
    _a, _b, jeanne, paul = building
    pauls = pair(hub, paul.id)
    jeannes = pair(hub, jeanne.id)
    attacker = Browser(hub)
    assert attacker.open_session(pauls, signer=jeannes) == 403  # Jeanne's key, Paul's device
    assert attacker.open_session(Device()) == 403  # a key no kiosk paired
    assert attacker.session_cookie() is None
    status, page = attacker.get("/home/statement")
    assert status == 200 and "15,00 CEEC" not in page and "borne" in page


def test_a_removed_device_is_logged_out_with_words(hub, building):
    _a, _b, _jeanne, paul = building
    phone, device = logged_in(hub, paul.id)
    assert "15,00 CEEC" in phone.get("/home/")[1]
    remove(hub, device, paul.id)
    status, page = phone.get("/home/")
    assert status == 403
    assert "retiré" in page and "15,00 CEEC" not in page
    assert phone.open_session(device) == 403  # and it cannot open a new one


def test_the_session_cookie_is_http_only_and_same_site(hub, building):
    _a, _b, _jeanne, paul = building
    device = pair(hub, paul.id)
    nonce = Browser(hub).nonce()
    body = {
        "nonce": nonce,
        "device": device.id,
        "signature": device.sign(sessions.session_text(nonce, device.id)),
    }
    request = urllib.request.Request(
        hub.url + "/home/api/session",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/home" in cookie


@pytest.mark.parametrize("body", [None, [], {"nonce": 1}, {"nonce": "x", "device": "y"}])
def test_junk_at_the_session_door_is_a_json_4xx(hub, body):
    phone = Browser(hub)
    status, answer = phone.post_json("/home/api/session", body)
    assert 400 <= status < 500 and "error" in answer


def test_every_page_in_both_languages(hub, building):
    _a, _b, _jeanne, paul = building
    for language, word in (("fr", "Mon solde"), ("en", "My balance")):
        phone, _device = logged_in(hub, paul.id, language)
        for path in (
            "/home/",
            "/home/statement",
            "/home/board",
            "/home/board/new",
            "/home/lending",
            "/home/projects",
            "/home/polls",
            "/home/payments",
            "/home/papers",
            "/home/requests",
            "/home/told",
            "/home/pair",
            "/home/board?q=etagere",
        ):
            status, page = phone.get(path)
            assert status == 200, (path, page[-500:])
            assert f'lang="{language}"' in page
        assert word in phone.get("/home/")[1]


BAD_ADDRESSES = (
    "/home/statement?month=2026-13",
    "/home/statement?month=%00%ff",
    "/home/board?page=-3",
    "/home/board?page=abc",
    "/home/board?page=99999999999999999999999",
    "/home/board?direction=sideways",
    "/home/board?q=" + "%C3%A9" * 3000,
    "/home/board?q=%25%27%22%3Cscript%3E",
    "/home/api/requests/" + "x" * 65,
    "/home/api/answer/%00",
    "/home/nope",
)


@pytest.mark.parametrize("hub", ["sqlite"], indirect=True)  # pages, not the store
def test_bad_addresses_never_crash_a_page(hub, building):
    _a, _b, _jeanne, paul = building
    phone, _device = logged_in(hub, paul.id)
    for path in BAD_ADDRESSES:
        status, page = phone.get(path)
        assert status < 500, (path, page[-300:])
        assert "<script>" not in page
