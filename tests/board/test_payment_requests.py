"""Payment requests: Jeanne asks Paul to pay for a service; Paul accepts with his PIN or
declines with a reason; nothing moves before; a request expires; both outcomes print."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of

from kiosk import clock, store
from kiosk.board import board, payment_requests
from kiosk.board.errors import RequestAlreadyDecided, RequestExpired
from kiosk.errors import BelowFloor, InvalidAmount, InvalidInput, SelfPayment
from kiosk.ledger import exchanges, ledger
from kiosk.residents import residents
from printing import queue as print_queue
from printing.layouts import build_document
from printing.settings import PrintSettings


def ask(db, config, building, **fields):
    values = {"description": "Ourlet d'un pantalon", "category": "sewing", "minutes": 45}
    values.update(fields)
    return payment_requests.request_payment(
        db, config, provider_id=building.jeanne.id, payer_id=building.paul.id, **values
    )


def test_the_provider_sends_the_exchange_as_a_request_from_the_exchange_form(client, db, building):
    login(client, building.jeanne)
    post(
        client,
        "/exchange/new",
        {
            "direction": "earned",
            "neighbour": building.paul.id,
            "description": "Ourlet",
            "category": "sewing",
            "hours": "",
            "minutes": "45",
            "amount": "",
        },
    )
    confirm = text_of(client.get("/exchange/confirm"))
    assert "Paul Durand n'est pas là : envoyer plutôt une demande de paiement" in confirm
    response = post(client, "/requests/from-draft", follow_redirects=True)
    assert "Paul Durand la verra à sa prochaine connexion" in text_of(response)
    assert residents.get(db, building.paul.id).balance == 0  # nothing moves yet
    [request] = payment_requests.requests_of(db, building.paul.id)
    assert request.status == "pending" and request.amount == 750 and request.minutes == 45


def test_only_the_provider_may_turn_a_draft_into_a_request(client, db, building):
    login(client, building.paul)
    post(
        client,
        "/exchange/new",
        {
            "direction": "paid",
            "neighbour": building.jeanne.id,
            "description": "Ourlet",
            "category": "sewing",
            "hours": "1",
            "minutes": "",
            "amount": "",
        },
    )
    assert "demande de paiement" not in text_of(client.get("/exchange/confirm"))
    response = post(client, "/requests/from-draft", follow_redirects=True)
    assert "Seul le voisin qui a rendu le service" in text_of(response)
    assert payment_requests.requests_of(db, building.paul.id) == []


def test_paul_sees_the_request_at_his_next_login_and_accepts_with_his_pin(
    client, db, config, building
):
    item = board.publish(
        db,
        config,
        poster_id=building.jeanne.id,
        direction="offer",
        kind="service",
        category="sewing",
        title="Retouches",
        price_mode="per_hour",
        price=1000,
    )
    request = ask(db, config, building, post_id=item.id)
    login(client, building.paul)
    home = client.get("/me/").get_data(as_text=True)
    assert 'data-testid="requests-tile"' in home and "1 en attente de réponse" in home
    page = text_of(client.get(f"/requests/{request.id}"))
    assert "Jeanne Martin (B-204) demande à Paul Durand (A-101) de payer" in page
    response = post(client, f"/requests/{request.id}", {"pin": "0000"})
    assert response.status_code == 400 and "Code erroné" in text_of(response)
    assert residents.get(db, building.paul.id).balance == 0
    response = post(client, f"/requests/{request.id}", {"pin": PIN})
    assert response.status_code == 302 and "/exchange/done/" in response.location
    assert residents.get(db, building.paul.id).balance == -750
    assert residents.get(db, building.jeanne.id).balance == 750
    request = payment_requests.get_request(db, request.id)
    assert request.status == "accepted" and request.transfer_reference
    transfer = ledger.find_transfer(db, request.transfer_reference)
    assert transfer.post_id == item.id  # the transfer keeps the post's id
    assert "1 en attente" not in client.get("/me/").get_data(as_text=True)


def test_accepting_a_request_twice_changes_nothing(client, db, config, building):
    request = ask(db, config, building)
    payment_requests.accept(db, config, request.id, payer=building.paul)
    with pytest.raises(RequestAlreadyDecided):
        payment_requests.accept(db, config, request.id, payer=building.paul)
    login(client, building.paul)
    response = post(client, f"/requests/{request.id}", {"pin": PIN})
    assert response.status_code == 400 and "a déjà reçu une réponse" in text_of(response)
    assert residents.get(db, building.paul.id).balance == -750


def test_paul_declines_with_a_reason_and_nothing_moves(client, db, config, building):
    request = ask(db, config, building)
    login(client, building.paul)
    response = post(client, f"/requests/{request.id}/decline", {"reason": ""})
    assert response.status_code == 400 and "pourquoi vous refusez" in text_of(response)
    response = post(
        client,
        f"/requests/{request.id}/decline",
        {"reason": "Pas encore <b>fait</b>"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "refusée" in page and "&lt;b&gt;fait&lt;/b&gt;" in page
    assert residents.get(db, building.paul.id).balance == 0
    response = post(client, f"/requests/{request.id}", {"pin": PIN})
    assert response.status_code == 400 and "a déjà reçu une réponse" in text_of(response)
    assert residents.get(db, building.paul.id).balance == 0


def test_only_the_payer_answers(client, db, config, building):
    request = ask(db, config, building)
    login(client, building.jeanne)
    response = post(client, f"/requests/{request.id}", {"pin": PIN})
    assert (
        response.status_code == 400
        and "Seul le voisin à qui le paiement est demandé" in text_of(response)
    )
    client.post("/logout")
    login(client, building.admin)
    assert client.get(f"/requests/{request.id}").status_code == 200  # admins may look
    assert residents.get(db, building.paul.id).balance == 0


def test_a_request_expires_after_the_configured_days(client, db, config, building):
    request = ask(db, config, building)
    clock.shift((config["board"]["request_expiry_days"] * 24 + 1) * 3600)
    assert payment_requests.get_request(db, request.id).status == "expired"
    assert payment_requests.pending_count(db, building.paul.id) == 0
    with pytest.raises(RequestExpired):
        payment_requests.accept(db, config, request.id, payer=building.paul)
    login(client, building.paul)
    response = post(client, f"/requests/{request.id}/decline", {"reason": "trop tard"})
    assert response.status_code == 400 and "a expiré" in text_of(response)


def test_a_payer_below_the_floor_meanwhile_is_refused_and_nothing_changes(db, config, building):
    request = ask(db, config, building, minutes=None, amount=5000)
    # Paul spends meanwhile: 50 CEEC more would take him below the floor of -100
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.admin.id,
        description="Déménagement",
        category="moving",
        amount=9000,
    )
    events_before = store.scalar(db, "SELECT COUNT(*) FROM events")
    with pytest.raises(BelowFloor):
        payment_requests.accept(db, config, request.id, payer=building.paul)
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == events_before
    assert payment_requests.get_request(db, request.id).status == "pending"
    assert residents.get(db, building.paul.id).balance == -9000


def test_bad_requests_are_refused(db, config, building):

    with pytest.raises(SelfPayment):
        payment_requests.request_payment(
            db,
            config,
            provider_id=building.paul.id,
            payer_id=building.paul.id,
            description="x",
            minutes=10,
        )
    with pytest.raises(InvalidInput):
        ask(db, config, building, category="astrology")
    with pytest.raises(InvalidAmount):
        ask(db, config, building, minutes=None, amount=0)
    assert store.scalar(db, "SELECT COUNT(*) FROM payment_requests") == 0


@pytest.mark.parametrize("outcome", ["accepted", "declined"])
def test_both_outcomes_print_on_request(client, db, config, building, outcome):
    request = ask(db, config, building)
    if outcome == "accepted":
        payment_requests.accept(db, config, request.id, payer=building.paul)
    else:
        payment_requests.decline(db, request.id, payer=building.paul, reason="Pas fait")
    login(client, building.jeanne)
    response = post(client, f"/requests/{request.id}/print", follow_redirects=True)
    assert "en cours d'impression" in text_of(response)
    [job] = [
        j
        for j in print_queue.list_jobs(db, reference=request.reference)
        if j.layout == "payment_request"
    ]
    assert job.payload["status"] == outcome

    document = build_document(
        job.layout, job.payload, PrintSettings.from_config(config.values, config.preview_dir)
    )
    text = "\n".join(getattr(block, "text", "") for block in document.blocks)
    assert ("Acceptée et payée" if outcome == "accepted" else "Motif : Pas fait") in text
