"""Moving out is final unless undone on purpose (issue #19, items 1 and 5's words).

Over HTTP, as the volunteer and the leaver would: saving a moved-out resident's admin form
leaves the account closed; the old card, the apartment list and the PIN page say "Ce compte est
fermé : départ de l'immeuble le …"; a status change by any other path (the form forged, a
verification, an event recorded by a kiosk that skips its own rules) leaves it closed; bringing
the resident back needs a reason, happens once however often it is tapped, and starts from zero.
The same with the app restarted (a new ``create_app`` on the same database) between the steps.
"""

from __future__ import annotations

import json

import pytest
from app_fixtures import PIN, csrf_token, login, once_key, post, text_of

from kiosk import store
from kiosk.admin import moving_out
from kiosk.app import create_app
from kiosk.errors import InvalidInput
from kiosk.ledger import exchanges
from kiosk.residents import residents, verification
from kiosk.residents.errors import StatusOfMovedOut

NEW_PIN = "7391"


def _events(db, event_type: str) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = ?", (event_type,))


def _moved_out_with_a_card(client, db, config, building) -> str:
    """Jeanne earned 15,00, has a card, and the volunteer closes her account: the card's code."""
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        amount=1500,
    )
    token = residents.issue_card(db, building.jeanne.id, print_it=False)
    login(client, building.admin)
    response = post(client, f"/admin/residents/{building.jeanne.id}/move-out")
    assert response.status_code == 302
    post(client, "/logout")
    assert residents.get(db, building.jeanne.id).status == "moved_out"
    return token


def _closing_words(db) -> str:
    """The French words with the day of the departure as the kiosk writes it (dd/mm/yyyy)."""
    left = store.scalar(db, "SELECT created_at FROM departures")
    year, month, day = left[:10].split("-")
    return f"Ce compte est fermé : départ de l'immeuble le {day}/{month}/{year}."


def test_saving_the_form_of_a_moved_out_resident_leaves_the_account_closed(
    client, db, config, building
):
    token = _moved_out_with_a_card(client, db, config, building)
    jeanne = building.jeanne
    login(client, building.admin)
    page = text_of(client.get(f"/admin/residents/{jeanne.id}"))
    assert 'name="status"' not in page  # nothing to choose: the form offers no status
    assert "Le compte reste fermé" in page

    # "Enregistrer" as the page sends it: the name is corrected, the account stays closed.
    form = {"apartment": "B-204", "name": "Jeanne Martin-Roux", "role": "resident"}
    assert post(client, f"/admin/residents/{jeanne.id}", form).status_code == 302
    saved = residents.get(db, jeanne.id)
    assert (saved.name, saved.status) == ("Jeanne Martin-Roux", "moved_out")

    # The form of before (status=verified, as the old page posted) is refused, nothing recorded.
    updates = _events(db, "resident.updated")
    for status in ("verified", "pending", "suspended"):
        response = post(client, f"/admin/residents/{jeanne.id}", form | {"status": status})
        assert response.status_code == 400, status
        assert "ne se change pas ici" in text_of(response)
    assert _events(db, "resident.updated") == updates
    assert residents.get(db, jeanne.id).status == "moved_out"
    post(client, "/logout")

    # Her old card, her name chosen from a page drawn before, her old PIN: the closing words.
    words = _closing_words(db)
    response = post(client, "/scan", {"code": token}, follow_redirects=True)
    assert words in text_of(response) and "suspendu" not in text_of(response)
    response = post(client, "/login/choose", {"resident_id": jeanne.id}, follow_redirects=True)
    assert words in text_of(response)
    assert "B-204" not in text_of(client.get("/login/apartments"))
    with client.session_transaction() as session:  # the PIN page, reached before she left
        session["pending_login"] = jeanne.id
    response = post(client, "/login/pin", {"pin": PIN}, follow_redirects=True)
    assert words in text_of(response)
    with client.session_transaction() as session:
        assert "resident_id" not in session and "pending_login" not in session
    assert store.scalar(db, "SELECT COUNT(*) FROM pin_failures") == 0  # no guess counted

    post(client, "/language", {"lang": "en"})
    response = post(client, "/scan", {"code": token}, follow_redirects=True)
    assert "This account is closed: moved out of the building on" in text_of(response)


def test_a_login_begun_before_the_move_out_cannot_finish(app, client, db, config, building):
    """Jeanne chose her name and is typing her PIN while the volunteer closes her account."""
    post(client, "/login/choose", {"resident_id": building.jeanne.id})
    volunteer = app.test_client()
    login(volunteer, building.admin)
    post(volunteer, f"/admin/residents/{building.jeanne.id}/move-out")
    response = post(client, "/login/pin", {"pin": PIN}, follow_redirects=True)
    assert _closing_words(db) in text_of(response)
    assert client.get("/me/").status_code == 302  # not logged in


def test_no_other_path_changes_a_moved_out_status(client, db, config, building, tmp_path):
    _moved_out_with_a_card(client, db, config, building)
    jeanne = building.jeanne
    with pytest.raises(StatusOfMovedOut):
        residents.update(db, jeanne.id, status="verified")
    with pytest.raises(InvalidInput):  # a proof of address is for a pending newcomer
        verification.verify_with_proof(
            db, config, resident_id=jeanne.id, admin_id=building.admin.id, proof_kind="lease"
        )
    with pytest.raises(InvalidInput):  # moving out has its own step: never a status to set
        residents.update(db, building.paul.id, status="moved_out")
    # Events recorded by a kiosk that skips its rules (what a hostile kiosk would send):
    # applied, they change nothing of the status, now and at every replay of the log.
    with store.write(db):
        store.record(db, "resident.updated", {"resident_id": jeanne.id, "status": "verified"})
        store.record(db, "resident.verified", {"resident_id": jeanne.id, "method": "vouches"})
        store.record(db, "resident.updated", {"resident_id": jeanne.id, "status": "suspended"})
    assert residents.get(db, jeanne.id).status == "moved_out"
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
    rebuilt.close()
    response = post(client, "/login/choose", {"resident_id": jeanne.id}, follow_redirects=True)
    assert _closing_words(db) in text_of(response)


def _bring_back_form(client, resident_id: str, **fields) -> dict:
    return {"csrf_token": csrf_token(client, f"/admin/residents/{resident_id}/bring-back")} | fields


def _bring_back_steps(client_at, db, config, building) -> None:
    """The bring-back story; ``client_at(step)`` gives the client of each step (the same one,
    or a fresh app on the same database to restart the kiosk between steps)."""
    jeanne = building.jeanne
    client = client_at("refused")
    login(client, building.admin)
    page = text_of(client.get(f"/admin/residents/{jeanne.id}/move-out"))
    assert "Faire revenir ce résident" in page
    response = post(client, f"/admin/residents/{jeanne.id}/bring-back", {"pin": NEW_PIN})
    assert response.status_code == 400 and "Dites pourquoi le résident revient" in text_of(response)
    response = post(
        client,
        f"/admin/residents/{jeanne.id}/bring-back",
        {"pin": NEW_PIN, "reason": " \t "},
    )
    assert response.status_code == 400
    assert _events(db, "resident.returned") == 0
    assert residents.get(db, jeanne.id).status == "moved_out"

    client = client_at("double tap")
    login(client, building.admin)
    key = once_key(client)
    form = _bring_back_form(
        client, jeanne.id, reason="Revenue après six mois à l'étranger", pin=NEW_PIN
    )
    answers = [
        client.post(f"/admin/residents/{jeanne.id}/bring-back", data=form | {"once_key": key})
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].location == answers[1].location
    assert _events(db, "resident.returned") == 1
    assert _events(db, "card.issued") == 2  # the card of before, and one new
    (card,) = store.query(db, "SELECT payload FROM print_jobs WHERE layout = 'member_card'")
    card = json.loads(card["payload"])
    assert (card["name"], card["apartment"], card["card_number"]) == ("Jeanne Martin", "B-204", 2)

    client = client_at("after")
    login(client, building.admin)
    response = post(  # a third tap, from a page drawn before: refused, nothing more recorded
        client,
        f"/admin/residents/{jeanne.id}/bring-back",
        {"pin": NEW_PIN, "reason": "Encore"},
    )
    assert response.status_code == 400 and "n'a pas quitté l'immeuble" in text_of(response)
    assert _events(db, "resident.returned") == 1
    back = residents.get(db, jeanne.id)
    assert (back.status, back.balance) == ("verified", 0)
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
    departure = store.query_one(db, "SELECT * FROM departures WHERE resident_id = ?", (jeanne.id,))
    assert departure["balance_left"] == 1500 and departure["returned_by"] == building.admin.id
    assert departure["return_reason"] == "Revenue après six mois à l'étranger"
    assert moving_out.departure(db, jeanne.id) is None  # no current departure
    post(client, "/logout")

    client = client_at("login")
    response = post(client, "/login/choose", {"resident_id": jeanne.id})
    response = post(client, "/login/pin", {"pin": PIN})
    assert response.status_code == 400  # the old PIN no longer opens it
    post(client, "/login/cancel")
    login(client, jeanne, pin=NEW_PIN)
    assert "0,00" in text_of(client.get("/me/"))
    post(client, "/logout")

    client = client_at("again")  # she may move out again: a second departure, the first kept
    login(client, building.admin)
    assert post(client, f"/admin/residents/{jeanne.id}/move-out").status_code == 302
    assert (
        store.scalar(db, "SELECT COUNT(*) FROM departures WHERE resident_id = ?", (jeanne.id,)) == 2
    )
    assert residents.get(db, jeanne.id).status == "moved_out"


def test_bringing_a_resident_back(client, db, config, building, tmp_path):
    token = _moved_out_with_a_card(client, db, config, building)
    _bring_back_steps(lambda step: client, db, config, building)
    response = post(client, "/scan", {"code": token}, follow_redirects=True)
    assert _closing_words(db)[:40] in text_of(response)  # the old card: still refused
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
    rebuilt.close()


def test_bringing_a_resident_back_with_the_kiosk_restarted_between_steps(
    client, db, config, building
):
    _moved_out_with_a_card(client, db, config, building)

    def restarted(_step: str):
        app = create_app(config)
        app.config["TESTING"] = True
        return app.test_client()

    _bring_back_steps(restarted, db, config, building)


def test_a_balance_that_moved_after_the_departure_is_not_carried_into_the_return(
    client, db, config, building
):
    """A kiosk that had not heard of the departure recorded an exchange to the leaver: the
    account is not at zero, so she does not come back with it (the treasurer settles first)."""
    _moved_out_with_a_card(client, db, config, building)
    with store.write(db):  # what the other kiosk's exchange does to this kiosk's projections
        db.execute(
            "UPDATE accounts SET balance = balance + 300 WHERE resident_id = ?",
            [building.jeanne.id],
        )
        db.execute(
            "UPDATE accounts SET balance = balance - 300 WHERE resident_id = ?",
            [building.paul.id],
        )
    login(client, building.admin)
    response = post(
        client,
        f"/admin/residents/{building.jeanne.id}/bring-back",
        {"pin": NEW_PIN, "reason": "Revenue"},
    )
    assert response.status_code == 400 and "pas zéro" in text_of(response)
    assert residents.get(db, building.jeanne.id).status == "moved_out"
    assert _events(db, "resident.returned") == 0
