"""One tap, one record on every other form that moves money or creates something: the same form
(same one-time key) sent a second time, as a double tap or a replay does, records nothing more
and answers with the first answer's page (kiosk/web/once.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from app_fixtures import PIN, login, once_key, post

from kiosk import clock, store
from kiosk.board import payment_requests
from kiosk.ledger import exchanges
from kiosk.projects import projects
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft


def events_of(db, event_type: str) -> int:
    return store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = ?", (event_type,))


def paul_earned(db, config, building) -> None:
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.jeanne.id,
        payee_id=building.paul.id,
        description="Ourlets",
        amount=5000,
    )


def board_post(client, db, config, building):
    login(client, building.jeanne)
    form = {
        "direction": "offer",
        "kind": "service",
        "category": "diy",
        "title": "Petits travaux",
        "description": "Prises, interrupteurs.",
        "availability": "Le samedi",
        "price_mode": "per_hour",
        "price": "10",
        "ends_in": "30",
    }
    return "/board/new", form, "board.post_published"


def loan(client, db, config, building):
    login(client, building.jeanne)
    form = {"item": "Perceuse", "borrower": building.paul.id, "due_in": "7", "rate_mode": "none"}
    return "/loans/new", form, "loan.recorded"


def payment_request(client, db, config, building):
    login(client, building.jeanne)
    draft = {"direction": "earned", "neighbour": building.paul.id, "description": "Ourlet"}
    draft |= {"category": "sewing", "hours": "", "minutes": "45", "amount": ""}
    assert post(client, "/exchange/new", draft).status_code == 302
    return "/requests/from-draft", {}, "payment.requested"


def acceptance(client, db, config, building):
    paul_earned(db, config, building)
    item = payment_requests.request_payment(
        db,
        config,
        provider_id=building.jeanne.id,
        payer_id=building.paul.id,
        description="Ourlet",
        category="sewing",
        minutes=45,
        amount=None,
        created_by=building.jeanne.id,
    )
    login(client, building.paul)
    return f"/requests/{item.id}", {"pin": PIN}, "payment.request_accepted"


def reversal(client, db, config, building):
    transfer = exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Pain",
        amount=500,
    )
    login(client, building.admin)
    path = f"/admin/transfers/{transfer.reference}/reverse"
    return path, {"reason": "Saisie en double"}, "transfer.recorded"


def _purchase(db, config, building):
    project = projects.propose(
        db, resident_id=building.admin.id, title="Granulés", description="", kind="group_purchase"
    )
    now = clock.now()
    return group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=building.admin.id,
        supplier="Bois du Lyonnais",
        deadline=now + timedelta(days=2),
        pickup_place="Local vélos",
        pickup_at=now + timedelta(days=5),
        fee_kind="per_participant",
        fee_amount=200,
        products=[ProductDraft("Sac de 15 kg", "sac", 599, True, 20_000, 750)],
    )


def group_order(client, db, config, building):
    purchase = _purchase(db, config, building)
    login(client, building.jeanne)
    path = f"/purchases/{purchase.project_id}/order"
    return path, {f"qty_{purchase.products[0].id}": "3"}, "purchase.ordered"


def contribution(client, db, config, building):
    paul_earned(db, config, building)
    purchase = _purchase(db, config, building)
    login(client, building.paul)
    return f"/projects/{purchase.project_id}/contribute", {"amount": "5"}, "transfer.recorded"


@pytest.mark.parametrize(
    "form_of",
    [board_post, loan, payment_request, acceptance, reversal, group_order, contribution],
)
def test_the_same_form_sent_twice_records_once_and_answers_the_same(
    client, db, config, building, form_of
):
    path, form, event_type = form_of(client, db, config, building)
    before = events_of(db, event_type)
    form = {**form, "once_key": once_key(client)}

    first = post(client, path, form)
    second = post(client, path, form)  # the double tap, or the request replayed later

    assert first.status_code == 302, first.get_data(as_text=True)
    assert (second.status_code, second.location) == (302, first.location)
    assert events_of(db, event_type) == before + 1
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0


def test_a_board_post_with_a_neighbours_key_is_refused(client, db, config, building):
    path, form, event_type = board_post(client, db, config, building)
    response = post(client, path, {**form, "once_key": once_key(client, building.paul.id)})
    assert response.status_code == 400 and events_of(db, event_type) == 0
