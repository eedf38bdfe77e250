"""The lending register: Jeanne lends her drill to Paul; overdue loans show on both home
screens and in the admin view; a rate becomes a payment request at the return."""

from __future__ import annotations

import pytest
from app_fixtures import login, post, text_of

from kiosk import clock, store
from kiosk.board import lending, payment_requests
from kiosk.board.errors import LoanAlreadyReturned, NotTheLender


def lend(client, building, **fields):
    form = {
        "item": "Perceuse Bosch",
        "borrower": building.paul.id,
        "due_in": "7",
        "rate_mode": "none",
        "rate": "",
    }
    form.update(fields)
    return post(client, "/loans/new", form)


def test_jeanne_lends_her_drill_and_marks_it_returned(client, db, config, building):
    login(client, building.jeanne)
    response = lend(client, building)
    assert response.status_code == 302
    page = text_of(client.get("/loans/"))
    assert (
        "Perceuse Bosch" in page and "prêté par Jeanne Martin (B-204) à Paul Durand (A-101)" in page
    )
    [loan] = lending.loans_of(db, config, building.jeanne.id)
    assert loan.due_on == lending.due_date(config, 7).isoformat()
    response = post(client, f"/loans/{loan.id}/returned", follow_redirects=True)
    assert "Marqué comme rendu." in text_of(response)
    assert lending.get_loan(db, config, loan.id).returned_at is not None
    with pytest.raises(LoanAlreadyReturned):
        lending.mark_returned(db, config, loan.id, actor=building.jeanne)


def test_only_the_lender_or_an_admin_marks_it_returned(client, db, config, building):
    loan = lending.lend(
        db, config, lender_id=building.jeanne.id, borrower_id=building.paul.id, item="Escabeau"
    )
    with pytest.raises(NotTheLender):
        lending.mark_returned(db, config, loan.id, actor=building.paul)
    lending.mark_returned(db, config, loan.id, actor=building.admin)
    assert lending.get_loan(db, config, loan.id).returned_at is not None


def test_an_overdue_loan_shows_on_both_home_screens_and_for_the_admin(client, db, config, building):
    loan = lending.lend(
        db,
        config,
        lender_id=building.jeanne.id,
        borrower_id=building.paul.id,
        item="Tondeuse",
        due_on=lending.due_date(config, 3),
    )
    for person in (building.jeanne, building.paul):
        login(client, person)
        assert "Prêts en retard" not in text_of(client.get("/me/"))
        client.post("/logout")
    clock.shift(5 * 24 * 3600)
    for person in (building.jeanne, building.paul):
        login(client, person)
        home = text_of(client.get("/me/"))
        assert (
            "Prêts en retard" in home
            and "« Tondeuse », prêté par Jeanne Martin à Paul Durand" in home
        )
        client.post("/logout")
    login(client, building.admin)
    assert "Prêts en retard" not in text_of(client.get("/me/"))  # not the admin's own loan
    admin = text_of(client.get("/loans/admin"))
    assert "Tondeuse" in admin and "En retard : à rendre le" in admin
    lending.mark_returned(db, config, loan.id, actor=building.jeanne)
    assert lending.overdue(db, config) == []


def test_a_rate_per_day_becomes_a_payment_request_at_the_return(client, db, config, building):
    login(client, building.jeanne)
    lend(client, building, item="Remorque", rate_mode="per_day", rate="2")
    [loan] = lending.loans_of(db, config, building.jeanne.id)
    clock.shift(3 * 24 * 3600 + 60)
    response = post(client, f"/loans/{loan.id}/returned", follow_redirects=True)
    assert "Une demande de paiement de 6,00\u00a0CEEC a été envoyée à Paul Durand" in text_of(
        response
    )
    [request] = payment_requests.requests_of(db, building.paul.id)
    assert (
        request.amount == 600
        and request.provider_id == building.jeanne.id
        and request.loan_id == loan.id
    )
    assert request.status == "pending"


def test_a_rate_per_loan(db, config, building):
    loan = lending.lend(
        db,
        config,
        lender_id=building.jeanne.id,
        borrower_id=building.paul.id,
        item="Appareil à raclette",
        rate_mode="per_loan",
        rate=300,
    )
    loan = lending.mark_returned(db, config, loan.id, actor=building.jeanne)
    assert loan.request_amount == 300


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"item": ""}, "Dites ce que vous prêtez"),
        ({"item": "x" * 81}, "au plus 80 caractères"),
        ({"item": "<script>alert(1)</script>", "borrower": "nobody"}, "n'existe pas"),
        ({"due_in": "-2"}, "quand l'objet revient"),
        ({"rate_mode": "per_day", "rate": ""}, "supérieur à zéro"),
        ({"rate_mode": "weekly"}, "gratuit ou payant"),
    ],
)
def test_bad_loans_are_refused_and_change_nothing(client, db, building, fields, message):
    login(client, building.jeanne)
    before = store.scalar(db, "SELECT COUNT(*) FROM events")
    response = lend(client, building, **fields)
    assert response.status_code == 400 and message in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == before


def test_lending_to_oneself_is_refused(client, db, building):
    login(client, building.jeanne)
    response = lend(client, building, borrower=building.jeanne.id)
    assert response.status_code == 400 and "vous prêter à vous-même" in text_of(response)


def test_html_in_a_loan_is_shown_as_text(client, db, config, building):
    login(client, building.jeanne)
    lend(client, building, item="<script>alert(1)</script>")
    html = client.get("/loans/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
