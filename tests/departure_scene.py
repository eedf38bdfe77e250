"""A resident who leaves one of every kind of item open (tests of the move-out, on one kiosk and
synced to a second one): ``leave_everything_open``."""

from __future__ import annotations

from datetime import timedelta

from app_fixtures import PIN

from kiosk import clock
from kiosk.board import lending, payment_requests
from kiosk.ledger import exchanges
from kiosk.projects import dues as project_dues
from kiosk.projects import projects, purchase_orders
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import verification
from kiosk.vouchers import vouchers

DAY = 86400


def purchase(db, config, organiser, title, *, deadline_days=2):
    project = projects.propose(
        db, resident_id=organiser.id, title=title, description="", kind="group_purchase"
    )
    now = clock.now()
    return group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=organiser.id,
        supplier="Bois du Lyonnais",
        deadline=now + timedelta(days=deadline_days),
        pickup_place="Local vélos",
        pickup_at=now + timedelta(days=deadline_days + 3),
        products=[ProductDraft("Sac de 15 kg", "sac", 599, True, None, None)],
    )


def order(db, config, bought, resident, bags):
    (bag,) = bought.products
    purchase_orders.place_order(db, config, bought.project_id, resident.id, {bag.id: bags * 1000})


def leave_everything_open(db, config, building):
    """Paul (A-101) holds one of every kind of open item; returns what the test checks."""
    paul, jeanne, claire = building.paul, building.jeanne, building.admin
    exchanges.record_exchange(
        db, config, payer_id=jeanne.id, payee_id=paul.id, description="Peinture", amount=3000
    )
    # A purchase whose orders closed (confirmed) and one still open.
    closed = purchase(db, config, claire, "Granulés de bois")
    order(db, config, closed, paul, 2)
    order(db, config, closed, jeanne, 3)
    clock.shift(3 * DAY)
    assert group_purchases.close_if_due(db, closed.project_id) == "confirmed"
    still_open = purchase(db, config, claire, "Miel du Pilat")
    order(db, config, still_open, paul, 1)
    loans = {
        "lent_free": lending.lend(
            db, config, lender_id=paul.id, borrower_id=jeanne.id, item="Escabeau"
        ),
        "lent_fee": lending.lend(
            db,
            config,
            lender_id=paul.id,
            borrower_id=jeanne.id,
            item="Perceuse",
            rate_mode="per_loan",
            rate=300,
        ),
        "borrowed_free": lending.lend(
            db, config, lender_id=jeanne.id, borrower_id=paul.id, item="Tente"
        ),
        "borrowed_fee": lending.lend(
            db,
            config,
            lender_id=jeanne.id,
            borrower_id=paul.id,
            item="Appareil à raclette",
            rate_mode="per_loan",
            rate=200,
        ),
    }
    # A priced loan already returned: its fee waits as a request to Paul.
    sledge = lending.lend(
        db,
        config,
        lender_id=jeanne.id,
        borrower_id=paul.id,
        item="Luge",
        rate_mode="per_loan",
        rate=100,
    )
    loans["returned_fee_waiting"] = lending.mark_returned(db, config, sledge.id, actor=jeanne)
    requests = {
        "loan_fee": payment_requests.get_request(db, loans["returned_fee_waiting"].request_id),
        "to_pay": payment_requests.request_payment(
            db, config, provider_id=jeanne.id, payer_id=paul.id, description="Ourlet", amount=400
        ),
        "sent": payment_requests.request_payment(
            db,
            config,
            provider_id=paul.id,
            payer_id=jeanne.id,
            description="Cours de guitare",
            amount=600,
        ),
    }
    wifi = projects.propose(
        db, resident_id=jeanne.id, title="Wifi partagé", description="", kind="shared_equipment"
    )
    projects.join(db, wifi.id, paul.id)
    project_dues.set_dues(
        db, wifi.id, by=jeanne.id, currency="ceec", amount=1000, period="month", payee_id=None
    )
    verification.vouch(db, config, newcomer_id=building.pending.id, voucher_id=paul.id, pin=PIN)
    (voucher,) = vouchers.issue_vouchers(db, config, resident_id=paul.id, counts={500: 1})
    return closed, still_open, loans, requests, wifi, voucher
