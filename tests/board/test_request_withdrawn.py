"""The sender of a payment request withdraws it while it is pending, over HTTP: Jeanne asked
Paul to pay, then takes it back with a note; Paul reads the note, his "to answer" badge drops,
his PIN no longer pays it. Only the sender withdraws, once (a double tap is one event), and only
a pending request. A request to or from a neighbour who moved out no longer waits for an
answer, whatever the move-out did with it."""

from __future__ import annotations

from app_fixtures import PIN, csrf_token, login, once_key, post, text_of

from kiosk import store
from kiosk.board import payment_requests
from kiosk.residents import residents
from kiosk.web import once
from printing import queue as print_queue
from printing.layouts import build_document
from printing.settings import PrintSettings


def ask(db, config, provider, payer, what="Ourlet d'un pantalon"):
    return payment_requests.request_payment(
        db,
        config,
        provider_id=provider.id,
        payer_id=payer.id,
        description=what,
        category="sewing",
        minutes=45,
    )


def badge(client) -> str:
    return client.get("/me/").get_data(as_text=True)


def withdrawals(db) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'payment.request_withdrawn'")


def test_jeanne_withdraws_her_request_paul_reads_why_and_can_no_longer_pay(
    client, db, config, building
):
    request = ask(db, config, building.jeanne, building.paul)
    login(client, building.paul)
    assert "1 en attente de réponse" in badge(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, building.jeanne)
    page = text_of(client.get(f"/requests/{request.id}"))
    bar = page[page.index('data-testid="action-bar"') :]
    assert "Retirer la demande" in bar and 'form="withdraw-form"' in bar
    response = post(
        client,
        f"/requests/{request.id}/withdraw",
        {"note": "Finalement c'est <b>offert</b>"},
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Vous avez retiré la demande : Paul Durand ne peut plus la payer" in page
    assert "retirée par Jeanne Martin" in page
    assert "Retirer la demande" not in page  # nothing left to withdraw
    assert "&lt;b&gt;offert&lt;/b&gt;" in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, building.paul)
    assert "en attente de réponse" not in badge(client)
    listing = text_of(client.get("/requests/"))
    assert "retirée par Jeanne Martin" in listing and "Finalement c'est <b>offert</b>" in listing
    page = text_of(client.get(f"/requests/{request.id}"))
    assert "mot de Jeanne Martin : Finalement c'est <b>offert</b>" in page
    assert "tapez votre code pour accepter" not in page  # no PIN pad offered
    response = post(client, f"/requests/{request.id}", {"pin": PIN})
    assert response.status_code == 400
    assert "Jeanne Martin a retiré cette demande de paiement" in text_of(response)
    response = post(client, f"/requests/{request.id}/decline", {"reason": "non"})
    assert response.status_code == 400
    assert residents.get(db, building.paul.id).balance == 0
    assert residents.get(db, building.jeanne.id).balance == 0
    assert payment_requests.get_request(db, request.id).status == "withdrawn"


def test_a_double_tap_on_withdraw_records_one_event(client, db, config, building):
    request = ask(db, config, building.jeanne, building.paul)
    login(client, building.jeanne)
    form = {"csrf_token": csrf_token(client), once.FIELD: once_key(client), "note": "Oubli"}
    path = f"/requests/{request.id}/withdraw"
    first, second = client.post(path, data=form), client.post(path, data=form)
    assert first.status_code == second.status_code == 302
    assert withdrawals(db) == 1
    # a fresh form on the withdrawn request is refused with words, and records nothing
    response = post(client, path, {"note": "encore"})
    assert response.status_code == 400 and "a retiré cette demande" in text_of(response)
    assert withdrawals(db) == 1


def test_only_the_sender_withdraws_and_only_while_pending(client, db, config, building):
    request = ask(db, config, building.jeanne, building.paul)
    for someone in (building.paul, building.admin):
        login(client, someone)
        response = post(client, f"/requests/{request.id}/withdraw", {"note": ""})
        assert response.status_code == 400
        assert "Seul le voisin qui a envoyé cette demande peut la retirer" in text_of(response)
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert withdrawals(db) == 0
    payment_requests.accept(db, config, request.id, payer=building.paul)
    login(client, building.jeanne)
    response = post(client, f"/requests/{request.id}/withdraw", {"note": ""})
    assert response.status_code == 400 and "a déjà reçu une réponse" in text_of(response)
    assert withdrawals(db) == 0
    assert residents.get(db, building.jeanne.id).balance == 750  # the payment stands


def test_a_long_note_is_refused_with_words(client, db, config, building):
    request = ask(db, config, building.jeanne, building.paul)
    login(client, building.jeanne)
    response = post(client, f"/requests/{request.id}/withdraw", {"note": "x" * 201})
    assert response.status_code == 400 and "200 caractères" in text_of(response)
    assert payment_requests.get_request(db, request.id).status == "pending"


def test_requests_to_and_from_a_moved_out_neighbour_no_longer_wait_for_an_answer(
    client, db, config, building
):
    from_paul = ask(db, config, building.paul, building.jeanne, "Arrosage")
    to_paul = ask(db, config, building.jeanne, building.paul, "Ourlet")
    ask(db, config, building.admin, building.jeanne, "Cours")  # stays pending
    login(client, building.jeanne)
    assert "2 en attente de réponse" in badge(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, building.admin)
    post(client, f"/admin/residents/{building.paul.id}/move-out")
    assert residents.get(db, building.paul.id).moved_out
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, building.jeanne)
    assert "1 en attente de réponse" in badge(client)
    for request in (from_paul, to_paul):
        assert payment_requests.get_request(db, request.id).status != "pending"
    response = post(client, f"/requests/{from_paul.id}", {"pin": PIN})
    assert response.status_code == 400
    assert residents.get(db, building.jeanne.id).balance == 0


def test_a_move_out_that_left_requests_pending_still_closes_them_when_read(
    client, db, config, building
):
    """A move-out recorded without closing its requests (an older kiosk of the building, or
    the status set by another path): the reads alone keep the neighbour from waiting."""
    from_paul = ask(db, config, building.paul, building.jeanne, "Arrosage")
    # the departure as an older kiosk recorded it: the event alone, its requests left pending
    with store.write(db):
        store.record(
            db,
            "resident.moved_out",
            {"resident_id": building.paul.id, "closed_by": building.admin.id, "balance_left": 0},
        )
    assert (
        store.scalar(db, "SELECT status FROM payment_requests WHERE id = ?", (from_paul.id,))
        == "pending"
    )
    login(client, building.jeanne)
    assert "en attente de réponse" not in badge(client)
    assert "close : Paul Durand a quitté l'immeuble" in text_of(client.get("/requests/"))
    response = post(client, f"/requests/{from_paul.id}", {"pin": PIN})
    assert response.status_code == 400
    assert "Paul Durand a quitté l'immeuble : cette demande de paiement est close" in text_of(
        response
    )
    assert residents.get(db, building.jeanne.id).balance == 0


def test_a_withdrawn_and_a_closed_request_print_what_happened(client, db, config, building):
    withdrawn = ask(db, config, building.jeanne, building.paul)
    payment_requests.withdraw(db, withdrawn.id, provider=building.jeanne, note="Offert")
    closed = ask(db, config, building.paul, building.jeanne, "Arrosage")
    # the departure as an older kiosk recorded it: the event alone, its requests left pending
    with store.write(db):
        store.record(
            db,
            "resident.moved_out",
            {"resident_id": building.paul.id, "closed_by": building.admin.id, "balance_left": 0},
        )
    login(client, building.jeanne)
    printed = {}
    for request in (withdrawn, closed):
        response = post(client, f"/requests/{request.id}/print", follow_redirects=True)
        assert "en cours d'impression" in text_of(response)
        [job] = [
            j
            for j in print_queue.list_jobs(db, reference=request.reference)
            if j.layout == "payment_request"
        ]
        document = build_document(
            job.layout, job.payload, PrintSettings.from_config(config.values, config.preview_dir)
        )
        printed[request.id] = "\n".join(getattr(block, "text", "") for block in document.blocks)
    assert "Retirée par le voisin qui l’a envoyée" in printed[withdrawn.id]
    assert "Mot de l’envoyeur : Offert" in printed[withdrawn.id]
    assert "Close : un voisin a quitté l’immeuble" in printed[closed.id]
