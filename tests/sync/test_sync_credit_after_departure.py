"""A credit that reaches a closed account after its departure: Paul asked Jeanne to pay him,
the lobby kiosk was cut off while the hall kiosk moved Paul out, and Jeanne accepted at the
lobby. After the sync Paul's closed account holds the payment on both kiosks; the volunteer
sees it on Paul's moving-out page, settles it with the common fund in one tap (twice tapped:
once), and both kiosks agree again: Paul at zero, the balances summing to zero, Paul can be
brought back only once settled."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of
from sync_fixtures import shared_snapshot, sync_until_quiet

from kiosk.admin import moving_out, returning
from kiosk.admin.errors import BalanceNotSettled
from kiosk.app import create_app
from kiosk.board import payment_requests
from kiosk.ledger.exchanges import record_exchange
from kiosk.residents import residents
from kiosk.store import reads


def test_a_payment_accepted_offline_after_a_move_out_is_settled_on_both_kiosks(hub, make_kiosk):
    hall = make_kiosk("hall", enrol_at=hub)
    lobby = make_kiosk("lobby", enrol_at=hub)
    db, config = hall.db, hall.config
    admin = residents.register(db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin")
    jeanne = residents.register(db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(db, apartment="A-101", name="Paul Durand", pin=PIN)
    record_exchange(
        db, config, payer_id=paul.id, payee_id=jeanne.id, description="Ourlets", minutes=60
    )
    asked = payment_requests.request_payment(
        db, config, provider_id=paul.id, payer_id=jeanne.id, description="Arrosage", minutes=36
    )
    sync_until_quiet([hall, lobby])

    # The lobby is cut off: the hall moves Paul out (his request is cancelled there)...
    moving_out.close_resident(db, config, resident_id=paul.id, admin_id=admin.id)
    # ...while Jeanne accepts it at the lobby, which has not heard of the departure.
    payment_requests.accept(
        lobby.db, lobby.config, asked.id, payer=residents.get(lobby.db, jeanne.id)
    )
    sync_until_quiet([hall, lobby])
    credit = residents.get(db, paul.id).balance
    assert credit == 600 and residents.get(lobby.db, paul.id).balance == 600
    assert residents.get(db, paul.id).moved_out
    with pytest.raises(BalanceNotSettled):
        returning.bring_back(
            db, config, resident_id=paul.id, admin_id=admin.id, reason="Revenu", pin="2468"
        )

    # The volunteer settles what arrived, from the moving-out page (one tap, sent twice).
    client = create_app(hall.config).test_client()
    login(client, residents.get(db, admin.id))
    page = client.get(f"/admin/residents/{paul.id}/move-out")
    assert "+6,00" in text_of(page) and "fonds commun" in text_of(page)
    form = post(client, f"/admin/residents/{paul.id}/settle-after-departure")
    assert form.status_code == 302
    fund_before = reads.balances_sum(db)
    again = post(client, f"/admin/residents/{paul.id}/settle-after-departure")
    assert again.status_code in (302, 400)
    assert residents.get(db, paul.id).balance == 0
    assert reads.balances_sum(db) == fund_before == 0
    sync_until_quiet([hall, lobby])
    for kiosk in (hall, lobby):
        assert residents.get(kiosk.db, paul.id).balance == 0
        assert residents.get(kiosk.db, paul.id).moved_out
        assert reads.balances_sum(kiosk.db) == 0
    assert shared_snapshot(lobby.db) == shared_snapshot(db)
