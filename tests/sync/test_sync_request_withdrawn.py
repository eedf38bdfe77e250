"""Withdrawing a payment request across kiosks: Jeanne's withdrawal on one kiosk of Les Tilleuls
reaches the other, where Paul's PIN no longer pays it. A kiosk of Les Lilas, enrolled and
signing correctly, cannot withdraw a Tilleuls request: pushed, the hub refuses it (registry
authority: the event is about the provider, a Tilleuls resident); forged straight into the
hub's database, both Tilleuls kiosks refuse it on pull. A Tilleuls kiosk naming a provider who
did not send the request changes nothing anywhere."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from sync_fixtures import inject_at_hub, shared_snapshot, sync_until_quiet

from kiosk import ids, store
from kiosk.board import payment_requests
from kiosk.board.errors import RequestWithdrawn
from kiosk.residents import residents

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"


@pytest.fixture
def two_buildings(hub, make_kiosk):
    a1 = make_kiosk("a1", TILLEULS, enrol_at=hub)
    a2 = make_kiosk("a2", TILLEULS, enrol_at=hub)
    b = make_kiosk("b", LILAS, enrol_at=hub)
    jeanne = residents.register(a1.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(a1.db, apartment="A-101", name="Paul Durand", pin=PIN)
    carole = residents.register(b.db, apartment="L-1", name="Carole Blanc", pin=PIN)
    request = payment_requests.request_payment(
        a1.db,
        a1.config,
        provider_id=jeanne.id,
        payer_id=paul.id,
        description="Ourlet",
        category="sewing",
        minutes=45,
    )
    sync_until_quiet([a1, a2, b])
    return {
        "a1": a1,
        "a2": a2,
        "b": b,
        "jeanne": jeanne,
        "paul": paul,
        "carole": carole,
        "request": request,
    }


def hub_refused(hub) -> dict[str, str]:
    """{event id: type} of what the hub refused at push."""
    db = hub.db
    try:
        rows = store.query(
            db, "SELECT e.id, r.type FROM hub_refused r JOIN events e ON e.hub_seq = r.hub_seq"
        )
        return {row["id"]: row["type"] for row in rows}
    finally:
        db.close()


def status_on(kiosk, request_id: str) -> str:
    return payment_requests.get_request(kiosk.db, request_id).status


def withdraw_as(kiosk, request_id: str, provider_id: str) -> str:
    """``kiosk`` records a withdrawal in its own log, bypassing the domain's checks (what a
    hostile kiosk, signing correctly, would do); returns the event's id."""
    with store.write(kiosk.db):
        event = store.record(
            kiosk.db,
            "payment.request_withdrawn",
            {"request_id": request_id, "provider_id": provider_id, "note": "forged"},
        )
    return event.id


def test_a_withdrawal_reaches_the_other_kiosk_and_the_payer_can_no_longer_pay(two_buildings):
    a1, a2 = two_buildings["a1"], two_buildings["a2"]
    request, jeanne, paul = (two_buildings[k] for k in ("request", "jeanne", "paul"))
    payment_requests.withdraw(
        a1.db, request.id, provider=residents.get(a1.db, jeanne.id), note="Offert"
    )
    sync_until_quiet([a1, a2])
    assert status_on(a2, request.id) == "withdrawn"
    assert payment_requests.get_request(a2.db, request.id).reason == "Offert"
    assert payment_requests.pending_count(a2.db, paul.id) == 0
    with pytest.raises(RequestWithdrawn):
        payment_requests.accept(a2.db, a2.config, request.id, payer=residents.get(a2.db, paul.id))
    assert residents.get(a2.db, paul.id).balance == 0
    assert shared_snapshot(a1.db) == shared_snapshot(a2.db)


def test_a_kiosk_of_another_building_cannot_withdraw_a_request(hub, two_buildings):
    a1, a2, b = two_buildings["a1"], two_buildings["a2"], two_buildings["b"]
    request, jeanne, paul = (two_buildings[k] for k in ("request", "jeanne", "paul"))
    # pushed by Les Lilas in Jeanne's name: the hub refuses it, no Tilleuls kiosk gets it
    pushed = withdraw_as(b, request.id, jeanne.id)
    # pushed in the name of its own Carole: within its authority, but not her request
    own = withdraw_as(b, request.id, two_buildings["carole"].id)
    # forged into the hub's database under Tilleuls: each Tilleuls kiosk refuses it on pull
    forged = {
        "id": ids.uuid7(),
        "origin": b.origin,
        "seq": store.events.last_seq(b.db, b.origin) + 1,
        "type": "payment.request_withdrawn",
        "scope": "building",
        "payload": {"request_id": request.id, "provider_id": jeanne.id, "note": "forged"},
        "created_at": "2026-03-01T10:00:00Z",
    }
    sync_until_quiet([b])
    assert hub_refused(hub) == {pushed: "payment.request_withdrawn"}  # Carole's passes
    inject_at_hub(hub, forged, TILLEULS)
    sync_until_quiet([a1, a2])
    for kiosk in (a1, a2):
        held = {r["id"] for r in store.query(kiosk.db, "SELECT id FROM events")}
        assert not held & {pushed, own, forged["id"]}
        kept = {r["id"] for r in store.query(kiosk.db, "SELECT id FROM refused_events")}
        assert forged["id"] in kept
        assert status_on(kiosk, request.id) == "pending"
        assert payment_requests.pending_count(kiosk.db, paul.id) == 1
    # Paul still pays it on the second kiosk
    payment_requests.accept(a2.db, a2.config, request.id, payer=residents.get(a2.db, paul.id))
    sync_until_quiet([a2, a1])
    assert status_on(a1, request.id) == "accepted"
    assert residents.get(a1.db, jeanne.id).balance == 750
    assert shared_snapshot(a1.db) == shared_snapshot(a2.db)


def test_a_withdrawal_naming_someone_who_did_not_send_it_changes_nothing(two_buildings):
    a1, a2 = two_buildings["a1"], two_buildings["a2"]
    request, paul = two_buildings["request"], two_buildings["paul"]
    withdraw_as(a2, request.id, paul.id)  # the payer, pretending to be the sender
    sync_until_quiet([a2, a1])
    for kiosk in (a1, a2):
        assert status_on(kiosk, request.id) == "pending"
    exchanges_before = store.scalar(a1.db, "SELECT COUNT(*) FROM transfers")
    payment_requests.accept(a1.db, a1.config, request.id, payer=residents.get(a1.db, paul.id))
    assert store.scalar(a1.db, "SELECT COUNT(*) FROM transfers") == exchanges_before + 1
