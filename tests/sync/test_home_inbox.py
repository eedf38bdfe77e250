"""Acting from home, with a real hub and two kiosks of one building: a phone linked at the lobby
kiosk posts, votes and orders; whichever kiosk takes a request applies it with the kiosk's own
rules, once per building, and the hub tells the phone what came of it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from departure_scene import purchase
from device_keys import Device
from sync_fixtures import sync_until_quiet

from kiosk import clock, store
from kiosk.board import board
from kiosk.community import polls
from kiosk.projects import purchases as group_purchases
from kiosk.residents import contact, devices, residents
from sync import home_inbox

BUILDING = "Résidence des Tilleuls"

pytestmark = pytest.mark.both_stores  # the hub's letter box on SQLite and PostgreSQL


def send_from_phone(hub, wire) -> tuple[int, dict]:
    request = urllib.request.Request(
        hub.url + "/home/api/requests",
        data=json.dumps(wire).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def status_at_hub(hub, wire) -> dict:
    request_id = json.loads(wire["request"])["id"]
    with urllib.request.urlopen(f"{hub.url}/home/api/requests/{request_id}", timeout=10) as got:
        return json.loads(got.read())


@pytest.fixture
def scene(hub, make_kiosk):
    """Two kiosks of the building at one hub; Jeanne's phone linked at the lobby."""
    lobby = make_kiosk("lobby", enrol_at=hub)
    room = make_kiosk("room", enrol_at=hub)
    admin = residents.register(lobby.db, apartment="A-001", name="Claire Petit", role="admin")
    jeanne = residents.register(lobby.db, apartment="B-204", name="Jeanne Martin")
    sync_until_quiet([lobby, room])
    offer = devices.make_offer(lobby.db, jeanne.id)
    phone = Device()
    wire = phone.pair(BUILDING, lobby.origin, offer.id, offer.secret)
    assert send_from_phone(hub, wire)[0] == 200
    assert status_at_hub(hub, wire)["status"] == "waiting"
    sync_until_quiet([lobby, room])
    assert status_at_hub(hub, wire)["status"] == "applied"
    for kiosk in (lobby, room):
        (linked,) = devices.devices_of(kiosk.db, jeanne.id)
        assert linked.device_id == phone.id
    return lobby, room, admin, jeanne, phone


def posts(kiosk, resident) -> list:
    return board.posts_of(kiosk.db, kiosk.config, resident.id)


def test_a_post_from_the_phone_is_on_the_board_of_both_kiosks_once(hub, scene):
    lobby, room, _admin, jeanne, phone = scene
    wire = phone.action(
        BUILDING,
        jeanne.id,
        "board.post",
        {
            "direction": "offer",
            "kind": "service",
            "category": "sewing",
            "title": "Ourlets de pantalons",
            "description": "Le soir après 18 h",
            "price_mode": "per_hour",
            "price": 1000,
        },
    )
    assert send_from_phone(hub, wire) == (
        200,
        {"id": json.loads(wire["request"])["id"], "status": "waiting"},
    )
    room.sync()  # the room's kiosk takes it (the hub hands it to one kiosk)
    sync_until_quiet([lobby, room])
    answer = status_at_hub(hub, wire)
    assert (answer["status"], answer["message"], answer["params"]) == ("applied", "", {})
    for kiosk in (lobby, room):
        (post,) = posts(kiosk, jeanne)
        assert post.title == "Ourlets de pantalons" and post.poster_id == jeanne.id
    # The phone sends it again, the hub replays it, another kiosk is handed it: still once.
    assert send_from_phone(hub, wire)[0] == 200
    assert home_inbox.take(lobby.db, lobby.config, wire) == "done"
    sync_until_quiet([lobby, room])
    for kiosk in (lobby, room):
        assert len(posts(kiosk, jeanne)) == 1
        assert store.scalar(kiosk.db, "SELECT COUNT(*) FROM home_requests_answered") == 2


def test_a_vote_from_the_phone_and_one_at_the_kiosk_count_once(hub, scene):
    lobby, room, admin, jeanne, phone = scene
    today = polls.today(lobby.config)
    poll = polls.open_poll(
        lobby.db,
        lobby.config,
        creator_id=admin.id,
        question="Repeindre le hall en vert ?",
        options=["Oui", "Non"],
        opens_on=today,
        closes_on=today,
        ballot="public",  # a secret one is counted by the kiosk that opened it (its salt)
    )
    sync_until_quiet([lobby, room])
    polls.vote(lobby.db, lobby.config, poll.id, voter_id=jeanne.id, option=0)
    sync_until_quiet([lobby, room])
    wire = phone.action(BUILDING, jeanne.id, "poll.vote", {"poll_id": poll.id, "option": 0})
    send_from_phone(hub, wire)
    sync_until_quiet([lobby, room])
    answer = status_at_hub(hub, wire)
    assert answer["status"] == "refused" and answer["message"]
    for kiosk in (lobby, room):
        assert polls.get_poll(kiosk.db, kiosk.config, poll.id).total == 1


def test_an_order_after_the_deadline_is_refused_with_the_deadlines_words(hub, scene):
    lobby, room, admin, jeanne, phone = scene
    bought = purchase(lobby.db, lobby.config, admin, "Granulés de bois", deadline_days=1)
    sync_until_quiet([lobby, room])
    clock.shift(2 * 86400)
    (bag,) = bought.products
    wire = phone.action(
        BUILDING,
        jeanne.id,
        "purchase.order",
        {"project_id": bought.project_id, "quantities": {bag.id: 2000}},
    )
    send_from_phone(hub, wire)
    sync_until_quiet([lobby, room])
    answer = status_at_hub(hub, wire)
    assert answer["status"] == "refused"
    assert "deadline" in answer["message"].lower() or "closed" in answer["message"].lower()
    for kiosk in (lobby, room):
        assert group_purchases.order_of(kiosk.db, bought.project_id, jeanne.id) == {}


def test_a_vote_in_a_secret_poll_goes_to_the_kiosk_that_opened_it(hub, scene):
    """Only the opening kiosk holds a secret ballot's salt: the hub hands the phone's vote to
    it, even when the other kiosk asks first, and the vote counts once on both."""
    lobby, room, admin, jeanne, phone = scene
    today = polls.today(lobby.config)
    poll = polls.open_poll(
        lobby.db,
        lobby.config,
        creator_id=admin.id,
        question="Un composteur dans la cour ?",
        options=["Oui", "Non"],
        opens_on=today,
        closes_on=today,
    )
    assert poll.ballot == "secret"
    sync_until_quiet([lobby, room])
    wire = phone.action(BUILDING, jeanne.id, "poll.vote", {"poll_id": poll.id, "option": 1})
    assert send_from_phone(hub, wire)[0] == 200
    room.sync()
    assert status_at_hub(hub, wire)["status"] == "waiting"  # not the room's to take
    sync_until_quiet([lobby, room])
    assert status_at_hub(hub, wire)["status"] == "applied"
    for kiosk in (lobby, room):
        assert polls.get_poll(kiosk.db, kiosk.config, poll.id).total == 1


def test_how_to_be_told_chosen_from_home_reaches_both_kiosks(hub, scene):
    """The phone sends the whole choice (contact.set); the kiosk records it with its own
    function, so a number that is not one is refused in words and changes nothing."""
    lobby, room, _admin, jeanne, phone = scene
    chosen = {
        "email": "jeanne@example.org",
        "urgent": True,
        "digest": False,
        "answers": True,
        "language": "fr",
        "phone": "06 12 34 56 78",
        "sms": True,
    }
    wire = phone.action(BUILDING, jeanne.id, "contact.set", chosen)
    assert send_from_phone(hub, wire)[0] == 200
    sync_until_quiet([lobby, room])
    assert status_at_hub(hub, wire)["status"] == "applied"
    for kiosk in (lobby, room):
        told = contact.contact_of(kiosk.db, jeanne.id)
        assert (told.email, told.urgent, told.digest, told.phone, told.sms, told.answers) == (
            "jeanne@example.org",
            True,
            False,
            "+33612345678",
            True,
            True,
        )
    bad = phone.action(BUILDING, jeanne.id, "contact.set", {**chosen, "phone": "0800 CALL ME"})
    send_from_phone(hub, bad)
    sync_until_quiet([lobby, room])
    answer = status_at_hub(hub, bad)
    assert answer["status"] == "refused" and answer["message"]
    for kiosk in (lobby, room):
        assert contact.contact_of(kiosk.db, jeanne.id).phone == "+33612345678"
