"""The hub as the letter box of requests from residents' devices (sync/hub/home_requests.py):
it keeps junk and forgeries away from the building's kiosks, hands each request to one kiosk
only, and tells the device what became of it. Real hub over HTTP, two kiosks of the building
and one of another."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from device_keys import Device
from sync_fixtures import send

from kiosk import clock, store
from kiosk import home_requests as hr
from sync import protocol
from sync.errors import HubRefused
from sync.hub import home_requests

BUILDING = "Résidence des Tilleuls"
OTHER = "Les Érables"

pytestmark = pytest.mark.both_stores  # the hub's letter box on SQLite and PostgreSQL


def post(hub, data, raw: bytes | None = None) -> tuple[int, dict]:
    body = raw if raw is not None else json.dumps(data).encode()
    request = urllib.request.Request(
        hub.url + "/home/api/requests",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def status(hub, request_id: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(
            f"{hub.url}/home/api/requests/{request_id}", timeout=10
        ) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def claim(kiosk) -> list[dict]:
    return send(kiosk, "GET", "/api/home-requests?limit=50")["requests"]


def ids(wires: list[dict]) -> set[str]:
    return {json.loads(wire["request"])["id"] for wire in wires}


def request_id(wire: dict) -> str:
    return json.loads(wire["request"])["id"]


def pair_device_at_hub(hub, device: Device, resident: str, building: str = BUILDING) -> None:
    """What the hub learns from an accepted ``device.paired`` event (the feed itself)."""
    db = hub.db
    try:
        with store.write(db):
            home_requests.note_events(
                db,
                [(None, None, 1, "device.paired", None, building)],
                {
                    1: {
                        "payload": {
                            "device_id": device.id,
                            "resident_id": resident,
                            "public_key": device.public_key,
                            "label": device.label,
                        }
                    }
                },
                set(),
            )
    finally:
        db.close()


def remove_device_at_hub(hub, device: Device, resident: str) -> None:
    db = hub.db
    try:
        with store.write(db):
            home_requests.note_events(
                db,
                [(None, None, 1, "device.removed", None, BUILDING)],
                {1: {"payload": {"device_id": device.id, "resident_id": resident}}},
                set(),
            )
    finally:
        db.close()


ACTION = "test.withdraw"  # an action of this test's own, shaped as the board's withdrawal


@pytest.fixture(autouse=True)
def declared_action():
    """A declared action, whatever the features declare (the hub checks only its shape)."""
    hr.ACTIONS.names()  # the features' own declarations first
    dict.__setitem__(hr.ACTIONS, ACTION, hr.HomeAction(ACTION, {"post_id": str}))
    yield
    dict.__delitem__(hr.ACTIONS, ACTION)


@pytest.fixture
def building(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    c = make_kiosk("c", OTHER, enrol_at=hub)
    return a, b, c


def test_a_pairing_goes_to_the_kiosk_that_showed_the_code_and_no_other(hub, building):
    a, b, c = building
    wire = Device().pair(BUILDING, a.origin, "offer-1", "secret")
    assert post(hub, wire) == (200, {"id": request_id(wire), "status": "waiting"})
    assert claim(b) == [] and claim(c) == []
    assert ids(claim(a)) == {request_id(wire)}
    assert ids(claim(a)) == {request_id(wire)}  # taken, not answered: handed again to a only
    assert status(hub, request_id(wire))[1]["status"] == "waiting"


def test_a_pairing_naming_a_kiosk_of_another_building_or_none_is_refused(hub, building):
    a, _b, c = building
    for kiosk in (c.origin, "no-such-kiosk"):
        code, answer = post(hub, Device().pair(BUILDING, kiosk, "p", "s"))
        assert code == 404 and answer["error"] == "not_found"
    code, answer = post(hub, Device().pair("Nowhere", a.origin, "p", "s"))
    assert code == 404
    assert claim(a) == []


def test_a_pairing_signed_by_another_key_than_the_one_it_brings_is_refused(hub, building):
    a, _b, _c = building
    honest, thief = Device(), Device()
    wire = honest.pair(BUILDING, a.origin, "p", "s")
    wire["signature"] = thief.sign(wire["request"])
    code, answer = post(hub, wire)
    assert code == 401 and answer["reason"] == "bad_signature"
    assert claim(a) == []


def test_the_same_request_twice_is_one_and_another_text_under_its_id_is_refused(hub, building):
    a, _b, _c = building
    device = Device()
    wire = device.pair(BUILDING, a.origin, "p", "s")
    assert post(hub, wire)[0] == 200
    assert post(hub, wire) == (200, {"id": request_id(wire), "status": "waiting"})
    body = json.loads(wire["request"])
    body["label"] = "autre"
    code, answer = post(hub, device.wire(body))
    assert code == 409 and answer["error"] == "conflict"
    assert len(claim(a)) == 1


JUNK = (
    b"not json",
    b"[]",
    b'{"request": "{}", "signature": ""}',
    b'{"request": 5, "signature": "x"}',
    json.dumps({"request": "x" * 40000, "signature": "x"}).encode(),
    b"{" * 5000,
)


def test_junk_is_a_json_4xx_and_reaches_no_kiosk(hub, building):
    a, _b, _c = building
    for raw in JUNK:
        code, answer = post(hub, None, raw=raw)
        assert 400 <= code < 500 and answer["error"], raw[:40]
    assert claim(a) == []


def test_a_stranger_cannot_flood_a_kiosk_with_pairings(hub, building):
    a, _b, _c = building
    for _ in range(home_requests.PENDING_PAIRINGS):
        assert post(hub, Device().pair(BUILDING, a.origin, "p", "s"))[0] == 200
    code, answer = post(hub, Device().pair(BUILDING, a.origin, "p", "s"))
    assert code == 429 and answer["error"] == "too_many"
    # The kiosk's word on the junk frees the room.
    waiting = claim(a)
    done = send(
        a,
        "POST",
        "/api/home-requests/dismiss",
        _gzip(
            {
                "answers": [
                    {"id": request_id(w), "message": next(iter(home_requests.DISMISS_MESSAGES))}
                    for w in waiting
                ]
            }
        ),
    )
    assert done == {"dismissed": home_requests.PENDING_PAIRINGS}
    assert post(hub, Device().pair(BUILDING, a.origin, "p", "s"))[0] == 200
    refused = status(hub, request_id(waiting[0]))[1]
    assert refused["status"] == "refused" and refused["message"] in home_requests.DISMISS_MESSAGES


def _gzip(value) -> bytes:
    return protocol.encode_body(value)


def test_only_the_named_kiosk_can_dismiss_a_pairing_and_never_an_action(hub, building):
    a, b, _c = building
    device = Device()
    pairing = device.pair(BUILDING, a.origin, "p", "s")
    post(hub, pairing)
    pair_device_at_hub(hub, device, "r-jeanne")
    action = device.action(BUILDING, "r-jeanne", ACTION, {"post_id": "x"})
    assert post(hub, action)[0] == 200
    message = next(iter(home_requests.DISMISS_MESSAGES))
    answers = [{"id": request_id(w), "message": message} for w in (pairing, action)]
    assert send(b, "POST", "/api/home-requests/dismiss", _gzip({"answers": answers})) == {
        "dismissed": 0
    }
    assert send(a, "POST", "/api/home-requests/dismiss", _gzip({"answers": answers})) == {
        "dismissed": 1
    }
    assert status(hub, request_id(action))[1]["status"] == "waiting"
    with pytest.raises(HubRefused) as refused:
        send(
            a,
            "POST",
            "/api/home-requests/dismiss",
            _gzip({"answers": [{"id": "x", "message": "I say so"}]}),
        )
    assert refused.value.status == 400


def test_an_action_needs_a_device_the_building_paired_for_that_resident(hub, building):
    a, b, _c = building
    device, stranger = Device(), Device()
    wire = device.action(BUILDING, "r-jeanne", ACTION, {"post_id": "p1"})
    assert post(hub, wire)[0] == 401  # not paired yet
    pair_device_at_hub(hub, device, "r-jeanne")
    # Another resident's name, another building, another key: refused.
    for forged in (
        device.action(BUILDING, "r-paul", ACTION, {"post_id": "p1"}),
        device.action(OTHER, "r-jeanne", ACTION, {"post_id": "p1"}),
    ):
        assert post(hub, forged)[0] in (401, 404)
    stolen = device.action(BUILDING, "r-jeanne", ACTION, {"post_id": "p1"})
    stolen["signature"] = stranger.sign(stolen["request"])
    assert post(hub, stolen)[0] == 401
    altered = dict(wire)
    altered["request"] = wire["request"].replace("p1", "p2")
    assert post(hub, altered)[0] == 401
    # Unknown actions and fields of the wrong type never get in.
    assert post(hub, device.action(BUILDING, "r-jeanne", "ledger.pay", {}))[0] == 400
    assert post(hub, device.action(BUILDING, "r-jeanne", ACTION, {"post_id": 5}))[0] == 400
    assert post(hub, wire) == (200, {"id": request_id(wire), "status": "waiting"})
    remove_device_at_hub(hub, device, "r-jeanne")
    assert post(hub, device.action(BUILDING, "r-jeanne", ACTION, {"post_id": "p3"}))[0] == 401
    assert ids(claim(a) + claim(b)) == {request_id(wire)}


def test_two_kiosks_asking_at_once_never_both_get_a_request(hub, building):
    a, b, _c = building
    device = Device()
    pair_device_at_hub(hub, device, "r-jeanne")
    sent = set()
    for number in range(30):
        wire = device.action(BUILDING, "r-jeanne", ACTION, {"post_id": f"p{number}"})
        assert post(hub, wire)[0] == 200
        sent.add(request_id(wire))
    got: dict[str, set[str]] = {}

    def take(kiosk) -> None:
        got[kiosk.name] = ids(claim(kiosk))

    threads = [threading.Thread(target=take, args=(k,)) for k in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not (got["a"] & got["b"])
    assert got["a"] | got["b"] == sent
    # Each gets its own again (a lost answer), never the other's.
    assert ids(claim(a)) == got["a"] and ids(claim(b)) == got["b"]


def test_an_answer_event_from_the_building_answers_the_request_once(hub, building):
    a, _b, _c = building
    device = Device()
    pair_device_at_hub(hub, device, "r-jeanne")
    wire = device.action(BUILDING, "r-jeanne", ACTION, {"post_id": "p1"})
    post(hub, wire)
    claim(a)
    db = hub.db
    try:
        answer = {
            "request_id": request_id(wire),
            "outcome": "refused",
            "message": "Deadline passed on %(date)s.",
            "params": {"date": "1 déc."},
        }
        with store.write(db):
            home_requests.note_events(
                db,
                [(None, None, 1, "home.request_answered", None, OTHER)],  # another building
                {1: {"payload": {**answer, "outcome": "applied"}}},
                set(),
            )
            home_requests.note_events(
                db,
                [(None, None, 2, "home.request_answered", None, BUILDING)],
                {2: {"payload": answer}},
                {3},
            )
            home_requests.note_events(
                db,
                [(None, None, 3, "home.request_answered", None, BUILDING)],
                {3: {"payload": {**answer, "outcome": "applied"}}},
                set(),
            )
    finally:
        db.close()
    told = status(hub, request_id(wire))[1]
    assert (told["status"], told["message"], told["params"]) == (
        "refused",
        "Deadline passed on %(date)s.",
        {"date": "1 déc."},
    )
    assert claim(a) == []


def test_a_kiosk_request_not_signed_gets_nothing(hub, building):
    a, _b, _c = building
    request = urllib.request.Request(hub.url + "/api/home-requests")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    refused.value.close()
    code, answer = status(hub, "nope")
    assert code == 404 and answer["error"] == "not_found"


def test_a_pairing_no_kiosk_answers_is_told_expired_and_frees_its_place(hub, building):
    """The kiosk that showed the code is off (no network): after twice a code's life the phone
    is told the code expired instead of waiting for ever, and stale pairings no longer count
    against the kiosk's flood limit."""
    a, _b, _c = building
    waiting = [
        Device().pair(BUILDING, a.origin, "p", "s") for _ in range(home_requests.PENDING_PAIRINGS)
    ]
    for wire in waiting:
        assert post(hub, wire)[0] == 200
    assert post(hub, Device().pair(BUILDING, a.origin, "p", "s"))[0] == 429
    clock.shift(home_requests.PAIRING_WAIT.total_seconds() + 60)
    try:
        told = status(hub, request_id(waiting[0]))[1]
        assert (told["status"], told["message"]) == ("refused", home_requests.EXPIRED)
        assert post(hub, Device().pair(BUILDING, a.origin, "p", "s"))[0] == 200
    finally:
        clock.shift(-(home_requests.PAIRING_WAIT.total_seconds() + 60))
