"""A move-out at one kiosk of the building reaches the other: every item the leaver left open
is resolved there too (loans closed, requests cancelled with their note, the open order
cancelled, the membership ended), the neighbours' "to answer" badges are empty and accepting
an old request at the other kiosk is refused; the two kiosks hold the same shared state and
the balances still sum to zero."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, Building
from departure_scene import leave_everything_open
from sync_fixtures import shared_snapshot, sync_until_quiet

from kiosk.admin import moving_out
from kiosk.board import lending, payment_requests
from kiosk.board.errors import RequestCancelled
from kiosk.projects import projects
from kiosk.projects import purchases as group_purchases
from kiosk.residents import residents
from kiosk.store import reads


def test_a_move_out_synced_to_the_second_kiosk_leaves_nothing_open_there(hub, make_kiosk):
    hall = make_kiosk("hall", enrol_at=hub)
    lobby = make_kiosk("lobby", enrol_at=hub)
    db, config = hall.db, hall.config
    building = Building(
        admin=residents.register(db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"),
        jeanne=residents.register(db, apartment="B-204", name="Jeanne Martin", pin=PIN),
        paul=residents.register(db, apartment="A-101", name="Paul Durand", pin=PIN),
        pending=residents.register(
            db, apartment="C-301", name="Nouveau Voisin", pin=PIN, status="pending"
        ),
        suspended=residents.register(
            db, apartment="C-302", name="Ancien Voisin", pin=PIN, status="suspended"
        ),
    )
    closed, still_open, loans, requests, wifi, _voucher = leave_everything_open(
        db, config, building
    )
    sync_until_quiet([hall, lobby])
    jeanne, paul = building.jeanne, building.paul
    assert payment_requests.pending_count(lobby.db, jeanne.id) == 1

    moving_out.close_resident(db, config, resident_id=paul.id, admin_id=building.admin.id)
    sync_until_quiet([hall, lobby])

    other = lobby.db
    assert residents.get(other, paul.id).moved_out
    assert residents.get(other, paul.id).balance == 0
    assert payment_requests.pending_count(other, jeanne.id) == 0
    for loan in loans.values():
        assert lending.get_loan(other, lobby.config, loan.id).returned_at is not None
    with pytest.raises(RequestCancelled):
        payment_requests.accept(
            other, lobby.config, requests["sent"].id, payer=residents.get(other, jeanne.id)
        )
    assert group_purchases.order_of(other, still_open.project_id, paul.id) == {}
    assert group_purchases.order_of(other, closed.project_id, paul.id)
    assert not projects.is_member(other, wifi.id, paul.id)
    assert reads.balances_sum(other) == 0
    assert shared_snapshot(other) == shared_snapshot(db)
