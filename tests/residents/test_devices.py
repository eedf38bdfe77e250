"""A resident's own devices at the kiosk: linking a phone with the one-time QR code, the list of
linked devices and their removal (by the resident, the volunteer, a suspension, a move-out).
Each test plays the phone (tests/device_keys.py) or a hostile one against the kiosk's page and
its inbox (sync/home_inbox.py), as the hub would hand the requests over."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote

import pytest
from app_fixtures import login, post, text_of
from device_keys import Device

from kiosk import clock, store
from kiosk.admin import moving_out
from kiosk.residents import devices, residents
from sync import home_inbox

BUILDING = "Résidence des Tilleuls"


@pytest.fixture
def hub_enrolled(db):
    """The kiosk as `kiosk enrol` leaves it (the hub itself is not needed here)."""
    with store.write(db):
        db.execute(
            "UPDATE sync_state SET hub_url = 'https://hub.example.org', building = ?, "
            "enrolled_at = '2026-01-01T00:00:00Z' WHERE id = 1",
            [BUILDING],
        )


def shown_offer(client) -> dict[str, str]:
    """Press "Link my phone" and read what the QR code holds, from the page's offer."""
    answer = post(client, "/me/devices/pair")
    assert answer.status_code == 302, text_of(answer)
    page = client.get(answer.location)
    assert 'data-testid="pair-qr"' in text_of(page)  # the code is drawn
    offer_id = answer.location.rstrip("/").rsplit("/", 1)[-1]
    return {"page": answer.location, "offer": offer_id}


def fragment_of(db, config, offer_id: str) -> dict[str, str]:
    url = devices.pair_url(db, config, devices.offer_of(db, offer_id))
    assert url.startswith("https://hub.example.org/home/pair#")
    return {k: unquote(v[0]) for k, v in parse_qs(url.split("#", 1)[1]).items()}


def phone_pairs(db, config, offer_id: str, phone: Device | None = None, **change):
    """The phone read the QR code and sent its pairing; the kiosk takes it."""
    phone = phone or Device()
    qr = {**fragment_of(db, config, offer_id), **change}
    wire = phone.pair(qr["b"], qr["k"], qr["p"], qr["s"])
    return phone, home_inbox.take(db, config, wire)


def paired_events(db) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'device.paired'")


def test_without_a_hub_the_page_says_linking_needs_one_and_offers_nothing(client, building):
    login(client, building.jeanne)
    page = text_of(client.get("/me/"))
    assert "My devices" in page or "Mes appareils" in page
    page = text_of(client.get("/me/devices/"))
    assert 'data-testid="pair-needs-hub"' in page and "pair-form" not in page
    refused = post(client, "/me/devices/pair")
    assert refused.status_code == 400
    assert "hub" in text_of(refused)


def test_the_right_proof_links_the_phone_and_the_page_says_so(
    client, db, config, building, hub_enrolled
):
    login(client, building.jeanne)
    shown = shown_offer(client)
    qr = fragment_of(db, config, shown["offer"])
    assert qr["b"] == BUILDING and qr["k"] == store.kiosk_id(db)
    phone, outcome = phone_pairs(db, config, shown["offer"])
    assert outcome == "applied"
    assert client.get(shown["page"] + "/state").get_json() == {"paired": True, "expired": False}
    page = text_of(client.get(shown["page"]))
    assert 'data-testid="pair-done"' in page and "Téléphone de Jeanne" in page
    listed = text_of(client.get("/me/devices/"))
    assert "Téléphone de Jeanne" in listed
    (device,) = devices.devices_of(db, building.jeanne.id)
    assert device.device_id == phone.id
    answer = store.query_one(db, "SELECT * FROM home_requests_answered")
    assert answer["outcome"] == "applied" and answer["action"] == "pair"


@pytest.mark.parametrize("attack", ["wrong_proof", "expired", "used", "other_kiosk", "unknown"])
def test_a_bad_pairing_is_dismissed_and_nothing_is_recorded(
    client, db, config, building, hub_enrolled, attack
):
    login(client, building.jeanne)
    shown = shown_offer(client)
    change = {}
    if attack == "wrong_proof":
        change = {"s": "a-guessed-secret"}
    elif attack == "expired":
        clock.shift(11 * 60)
    elif attack == "used":
        assert phone_pairs(db, config, shown["offer"])[1] == "applied"
    elif attack == "other_kiosk":
        change = {"k": "another-kiosk-origin"}
    elif attack == "unknown":
        change = {"p": "0190aaaa-0000-7000-8000-000000000000"}
    before = paired_events(db)
    phone, outcome = phone_pairs(db, config, shown["offer"], **change)
    if attack == "other_kiosk":
        assert outcome is None  # that kiosk's to answer: this one leaves it alone
    elif attack == "expired":
        assert outcome["message"] == "This pairing code has expired: make a new one at the kiosk."
    else:
        assert outcome["message"] == "This pairing code is unknown or was already used."
    assert paired_events(db) == before
    assert devices.active_device(db, phone.id) is None
    assert not store.scalar(
        db,
        "SELECT COUNT(*) FROM events WHERE type = 'home.request_answered' AND payload LIKE ?",
        [f"%{phone.id}%"],
    )


def test_a_pairing_signed_by_another_key_than_it_carries_is_dismissed(
    client, db, config, building, hub_enrolled
):
    login(client, building.jeanne)
    shown = shown_offer(client)
    qr = fragment_of(db, config, shown["offer"])
    phone, thief = Device(), Device()
    wire = phone.pair(qr["b"], qr["k"], qr["p"], qr["s"])
    wire["signature"] = thief.sign(wire["request"])
    assert home_inbox.take(db, config, wire)["message"].startswith("This pairing code")
    assert paired_events(db) == 0


def action(phone: Device, resident_id: str, name="board.withdraw", fields=None) -> dict:
    return phone.action(BUILDING, resident_id, name, fields or {"post_id": "nothing"})


def answer_of(db, wire) -> dict:
    request_id = re.search(r'"id": "([^"]+)"', wire["request"]).group(1)
    return dict(
        store.query_one(
            db, "SELECT * FROM home_requests_answered WHERE request_id = ?", [request_id]
        )
    )


@pytest.mark.parametrize("how", ["resident", "volunteer", "suspension", "move_out"])
def test_a_removed_device_is_refused_with_words(client, db, config, building, hub_enrolled, how):
    login(client, building.jeanne)
    phone, _ = phone_pairs(db, config, shown_offer(client)["offer"])
    if how == "resident":
        page = text_of(client.get("/me/devices/"))
        assert "Remove" in page or "Retirer" in page
        assert post(client, f"/me/devices/{phone.id}/remove").status_code == 302
        assert "Téléphone de Jeanne" not in text_of(client.get("/me/devices/"))
    elif how == "volunteer":
        client.post("/logout")
        login(client, building.admin)
        page = text_of(client.get(f"/admin/residents/{building.jeanne.id}"))
        assert "Téléphone de Jeanne" in page
        url = f"/admin/residents/{building.jeanne.id}/devices/{phone.id}/remove"
        assert post(client, url).status_code == 302
    elif how == "suspension":
        residents.update(db, building.jeanne.id, status="suspended")
    else:
        moving_out.close_resident(
            db, config, resident_id=building.jeanne.id, admin_id=building.admin.id
        )
    removed = store.query_one(db, "SELECT * FROM devices WHERE device_id = ?", [phone.id])
    reason = {"suspension": "suspended", "move_out": "moved_out"}.get(how, how)
    assert removed["removed_why"] == reason
    wire = action(phone, building.jeanne.id)
    assert home_inbox.take(db, config, wire) == "refused"
    answer = answer_of(db, wire)
    assert answer["message"] == "This device is not paired with the kiosk any more."


def test_a_request_altered_after_signing_or_by_another_paired_device_is_refused(
    client, db, config, building, hub_enrolled
):
    login(client, building.jeanne)
    phone, _ = phone_pairs(db, config, shown_offer(client)["offer"])
    client.post("/logout")
    login(client, building.paul)
    pauls, _ = phone_pairs(db, config, shown_offer(client)["offer"], Device("Paul"))
    wire = action(phone, building.jeanne.id, "board.answer", {"post_id": "p1", "body": "Oui"})
    wire["request"] = wire["request"].replace('"Oui"', '"Non"')  # the hub changes a field
    assert home_inbox.take(db, config, wire) == "refused"
    assert "changed after it was signed" in answer_of(db, wire)["message"]
    # Paul's own paired device claims to be Jeanne's: not paired to her
    forged = pauls.action(BUILDING, building.jeanne.id, "board.withdraw", {"post_id": "p"})
    assert home_inbox.take(db, config, forged) == "refused"
    assert answer_of(db, forged)["message"] == "This device is not paired with the kiosk any more."
    # ... or names Jeanne's device but signs with its own key
    body = action(phone, building.jeanne.id)["request"]
    resigned = {"request": body, "signature": pauls.sign(body)}
    assert home_inbox.take(db, config, resigned) == "refused"
    assert "changed after it was signed" in answer_of(db, resigned)["message"]
    assert store.scalar(db, "SELECT COUNT(*) FROM home_requests_answered") == 5  # 2 pairs + 3


def test_at_most_five_devices_and_the_same_request_is_answered_once(
    client, db, config, building, hub_enrolled
):
    login(client, building.jeanne)
    for _ in range(devices.MAX_DEVICES):
        assert phone_pairs(db, config, shown_offer(client)["offer"])[1] == "applied"
    page = text_of(client.get("/me/devices/"))
    assert 'data-testid="devices-full"' in page
    assert post(client, "/me/devices/pair").status_code == 400
    phone = Device()
    wire = action(phone, building.jeanne.id)
    assert home_inbox.take(db, config, wire) == "refused"
    assert home_inbox.take(db, config, wire) == "done"  # replayed: answered once


def test_an_action_this_kiosk_does_not_know_is_refused_in_words_not_left_waiting(
    client, db, config, building, hub_enrolled
):
    """A home site newer than the kiosk asks for an action the kiosk does not declare: the
    request is answered (refused, "not yet"), so the phone is told instead of waiting forever;
    the same action altered on the way is refused as altered."""
    login(client, building.jeanne)
    phone, _ = phone_pairs(db, config, shown_offer(client)["offer"])
    wire = phone.action(BUILDING, building.jeanne.id, "loan.extend", {"loan_id": "l1"})
    assert home_inbox.take(db, config, wire) == "refused"
    assert answer_of(db, wire)["message"] == "This kiosk cannot do this yet."
    assert home_inbox.take(db, config, wire) == "done"
    forged = phone.action(BUILDING, building.jeanne.id, "loan.extend", {"loan_id": "l2"})
    forged["request"] = forged["request"].replace("l2", "l3")  # altered after signing
    assert home_inbox.take(db, config, forged) == "refused"
    assert "changed after it was signed" in answer_of(db, forged)["message"]
