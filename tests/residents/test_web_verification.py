"""Newcomers at the kiosk: registering, being vouched for by two neighbours, the mailbox code,
the admin who saw a proof of address, and every refusal (nothing changed, a clear message)."""

from __future__ import annotations

import json

import pytest
from app_fixtures import PIN, login, make_test_config, post, text_of

from kiosk import clock, store
from kiosk.app import create_app
from kiosk.residents import residents, verification
from kiosk.residents.errors import WrongMailboxCode
from printing import queue as print_queue


def register_newcomer(client, apartment="D-401", name="Lucie Nouvelle", pin="1357"):
    return post(
        client, "/join", {"apartment": apartment, "name": name, "pin": pin, "pin_again": pin}
    )


def newcomer_in(db, apartment="D-401"):
    [person] = residents.in_apartment(db, apartment)
    return person


def count_events(db) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM events")


def test_a_newcomer_registers_at_the_kiosk_and_starts_pending(client, db, building):
    response = register_newcomer(client)
    assert response.status_code == 302 and response.location.endswith("/verification")
    lucie = newcomer_in(db)
    assert lucie.status == "pending" and lucie.apartment == "D-401"
    html = text_of(client.get("/verification"))
    assert "Voisins garants : 0 sur 2" in html
    # a pending resident may browse but not post, vote or exchange
    assert client.get("/community/").status_code == 200
    refused = post(
        client,
        "/community/notices/new",
        {"title": "Bonjour", "category": "information", "start": "0", "length": "7"},
    )
    assert refused.status_code == 400 and "pas encore vérifié" in text_of(refused)


@pytest.mark.parametrize(
    "form, message",
    [
        (
            {"apartment": "D-401", "name": "Lucie", "pin": "1357", "pin_again": "7531"},
            "Les deux codes sont différents",
        ),
        (
            {"apartment": "", "name": "Lucie", "pin": "1357", "pin_again": "1357"},
            "Un appartement s",
        ),
        ({"apartment": "D-401", "name": "", "pin": "1357", "pin_again": "1357"}, "Indiquez un nom"),
        ({"apartment": "D-401", "name": "Lucie", "pin": "12", "pin_again": "12"}, "4 à 6 chiffres"),
    ],
)
def test_bad_registrations_are_refused_and_change_nothing(client, db, building, form, message):
    before = count_events(db)
    response = post(client, "/join", form)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count_events(db) == before


def test_self_registration_can_be_turned_off(tmp_path):

    app = create_app(make_test_config(tmp_path, community={"self_registration": False}))
    client = app.test_client()
    assert "Inscrivez-vous" not in text_of(client.get("/"))
    assert client.get("/join").status_code == 302


def test_two_neighbours_vouch_and_the_newcomer_is_verified(client, db, building):
    register_newcomer(client)
    lucie = newcomer_in(db)
    response = post(client, "/verification/vouch", {"voucher_id": building.jeanne.id, "pin": PIN})
    assert response.status_code == 302
    assert residents.get(db, lucie.id).status == "pending"
    assert "Voisins garants : 1 sur 2" in text_of(client.get("/verification"))
    response = post(
        client,
        "/verification/vouch",
        {"voucher_id": building.paul.id, "pin": PIN},
        follow_redirects=True,
    )
    assert "maintenant vérifié" in text_of(response)
    assert residents.get(db, lucie.id).status == "verified"
    [record] = verification.verifications_of(db, lucie.id)
    assert record["method"] == "vouches"
    assert sorted(json.loads(record["by_ids"])) == sorted([building.jeanne.id, building.paul.id])


def test_the_neighbour_is_chosen_first_then_types_a_pin_asked_in_their_name(client, db, building):
    """One field for one thing: the status page asks for no PIN at all; the next step names the
    neighbour whose secret code it asks for, and a wrong one says whose tries are counted."""
    register_newcomer(client)
    status = client.get("/verification").get_data(as_text=True)
    assert 'name="pin"' not in status
    step = client.get(f"/verification/vouch?voucher_id={building.paul.id}")
    page = step.get_data(as_text=True)
    assert step.status_code == 200 and "Code secret de Paul Durand" in text_of(step)
    assert 'type="password"' in page and page.count('class="numpad"') == 1
    wrong = post(client, "/verification/vouch", {"voucher_id": building.paul.id, "pin": "9999"})
    assert wrong.status_code == 400
    assert "Code secret de Paul Durand" in text_of(wrong)
    assert "Encore 4 essais erronés et le compte de Paul Durand sera bloqué" in text_of(wrong)
    # a neighbour who may not vouch is refused before typing anything
    same = client.get(f"/verification/vouch?voucher_id={building.pending.id}")
    assert same.status_code == 400 and "pas encore vérifié·e" in text_of(same)


@pytest.mark.parametrize(
    "who, message",
    [
        ("self", "vous-même"),
        ("twice", "déjà porté·e garant·e"),
        ("same_apartment", "même logement"),
        ("pending", "pas encore vérifié·e"),
        (
            "wrong_pin",
            "Code erroné pour Paul Durand. Encore 4 essais erronés et le compte de Paul Durand",
        ),
    ],
)
def test_bad_vouches_are_refused(client, db, building, who, message):
    register_newcomer(client, apartment="B-204" if who == "same_apartment" else "D-401")
    lucie = residents.in_apartment(db, "B-204" if who == "same_apartment" else "D-401")[-1]
    if who == "same_apartment":
        lucie = next(p for p in residents.in_apartment(db, "B-204") if p.status == "pending")
    if who == "twice":
        post(client, "/verification/vouch", {"voucher_id": building.jeanne.id, "pin": PIN})
    voucher = {
        "self": lucie,
        "twice": building.jeanne,
        "same_apartment": building.jeanne,
        "pending": building.pending,
        "wrong_pin": building.paul,
    }[who]
    before = store.scalar(db, "SELECT COUNT(*) FROM vouches")
    response = post(
        client,
        "/verification/vouch",
        {"voucher_id": voucher.id, "pin": "9999" if who == "wrong_pin" else PIN},
    )
    assert response.status_code == 400
    assert message in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM vouches") == before
    assert residents.get(db, lucie.id).status == "pending"


def test_the_admin_prints_a_mailbox_slip_and_the_newcomer_types_the_code(
    client, db, building, config
):
    login(client, building.admin)
    response = post(
        client, "/admin/verification/slip", {"apartment": "c-301"}, follow_redirects=True
    )
    assert "s'imprime" in text_of(response)
    job = next(j for j in print_queue.list_jobs(db) if j.layout == "mailbox_slip")
    code = job.payload["code"]
    assert job.payload["apartment"] == "C-301" and len(code) == 6
    # only a hash is kept: the clear code is in no event and no table but the print job
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE payload LIKE ?", (f"%{code}%",)) == 0
    [row] = store.query(db, "SELECT scope FROM events WHERE type = 'mailbox_code.issued'")
    assert row["scope"] == "private"
    post(client, "/logout")
    login(client, building.pending)
    wrong = "000000" if code != "000000" else "111111"
    response = post(client, "/verification/code", {"code": wrong})
    assert response.status_code == 400
    assert "pas le code du papier de l'appartement C-301. Il reste 4 essais" in text_of(response)
    response = post(client, "/verification/code", {"code": code})
    assert response.status_code == 302
    assert residents.get(db, building.pending.id).status == "verified"
    # used once: the code does not verify anyone else
    row = store.query(db, "SELECT closed_why FROM mailbox_codes")[0]
    assert row["closed_why"] == "used"


def issue_code(db, config, building, apartment="C-301") -> str:
    verification.issue_mailbox_code(db, config, apartment=apartment, admin_id=building.admin.id)
    return max(
        (j for j in print_queue.list_jobs(db) if j.layout == "mailbox_slip"), key=lambda j: j.id
    ).payload["code"]


def test_a_mailbox_code_expires(client, db, building, config):
    code = issue_code(db, config, building)
    clock.shift(73 * 3600)
    login(client, building.pending)
    response = post(client, "/verification/code", {"code": code})
    assert response.status_code == 400 and "pas de code valable" in text_of(response)
    assert residents.get(db, building.pending.id).status == "pending"


def test_a_mailbox_code_closes_after_too_many_wrong_tries(client, db, building, config):
    code = issue_code(db, config, building)
    login(client, building.pending)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        assert f"Il reste {left} essai" in text_of(
            post(client, "/verification/code", {"code": wrong})
        )
    assert "pas de code valable" in text_of(post(client, "/verification/code", {"code": wrong}))
    # even the right code no longer works
    assert "pas de code valable" in text_of(post(client, "/verification/code", {"code": code}))
    assert residents.get(db, building.pending.id).status == "pending"


def test_a_new_slip_replaces_the_previous_code(db, building, config):
    first = issue_code(db, config, building)
    second = issue_code(db, config, building)
    assert store.scalar(db, "SELECT COUNT(*) FROM mailbox_codes WHERE closed_at IS NULL") == 1
    if first != second:
        with pytest.raises(WrongMailboxCode):
            verification.enter_mailbox_code(db, config, resident_id=building.pending.id, code=first)
    verification.enter_mailbox_code(db, config, resident_id=building.pending.id, code=second)
    assert residents.get(db, building.pending.id).status == "verified"


def test_an_admin_verifies_with_a_proof_of_address_kept_as_name_and_date_only(client, db, building):
    login(client, building.admin)
    response = post(
        client,
        f"/admin/verification/{building.pending.id}/proof",
        {"proof_kind": ""},
        follow_redirects=True,
    )
    assert "Choisissez le justificatif" in text_of(response)
    assert residents.get(db, building.pending.id).status == "pending"
    post(client, f"/admin/verification/{building.pending.id}/proof", {"proof_kind": "lease"})
    assert residents.get(db, building.pending.id).status == "verified"
    [record] = verification.verifications_of(db, building.pending.id)
    assert record["method"] == "proof_of_address" and record["admin_name"] == "Claire Petit"
    assert record["proof_kind"] == "lease" and record["seen_on"]
    html = text_of(client.get("/admin/verification"))
    assert "Nouveau Voisin" in html and "vu par Claire Petit" in html


def test_only_admins_open_the_verification_page(client, building):
    login(client, building.jeanne)
    assert client.get("/admin/verification").status_code == 403
