"""Group purchases: opening, ordering until the deadline, closing itself, the pick-up and the
organiser's CEEC fees; euros that always add up; a random history that rebuilds the same."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import clock, store
from kiosk.admin import moving_out
from kiosk.config import make_config
from kiosk.errors import InvalidInput, KioskError
from kiosk.ledger import exchanges
from kiosk.projects import fund as project_fund
from kiosk.projects import projects, purchase_orders, purchase_reports, volunteering
from kiosk.projects import purchase_distribution as distribution
from kiosk.projects import purchases as group_purchases
from kiosk.projects import reads as project_reads
from kiosk.projects.errors import (
    AlreadyDistributed,
    BeyondStock,
    DeadlineInPast,
    FeeBelowFloor,
    HouseholdAlreadyPaid,
    NotConfirmed,
    NotCoordinator,
    OrdersClosed,
    WholeUnitsOnly,
)
from kiosk.projects.purchase_deadlines import run_deadline_check, schedule
from kiosk.projects.purchase_numbers import line_amount, parse_euros, parse_quantity
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents
from kiosk.store import reads

DAY = 86400


def open_pellets(
    db,
    config,
    organiser,
    *,
    fee_kind="per_participant",
    fee_amount=200,
    minimum_total=5000,
    minimum_quantity=None,
    stock=None,
):
    project = projects.propose(
        db,
        resident_id=organiser.id,
        title="Granulés de bois",
        description="",
        kind="group_purchase",
    )
    now = clock.now()
    return group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=organiser.id,
        supplier="Bois du Lyonnais",
        deadline=now + timedelta(days=2),
        pickup_place="Local vélos",
        pickup_at=now + timedelta(days=5),
        products=[
            ProductDraft("Sac de 15 kg", "sac", 599, True, stock, 750),
            ProductDraft("Miel", "kg", 1299, False, None, None),
        ],
        minimum_total=minimum_total,
        minimum_quantity=minimum_quantity,
        fee_kind=fee_kind,
        fee_amount=fee_amount,
    )


def order(db, config, purchase, resident, bags=0, honey=0):
    bag, honey_product = purchase.products
    return purchase_orders.place_order(
        db, config, purchase.project_id, resident.id, {bag.id: bags * 1000, honey_product.id: honey}
    )


def balance(db, resident):
    return residents.get(db, resident.id).balance


def test_two_neighbours_order_the_purchase_closes_confirmed_and_the_organiser_is_paid(
    db, config, building
):
    purchase = open_pellets(db, config, building.admin)
    order(db, config, purchase, building.jeanne, bags=6, honey=500)
    order(db, config, purchase, building.paul, bags=4)
    clock.shift(3 * DAY)
    assert run_deadline_check(config) == {purchase.project_id: "confirmed"}
    purchase = group_purchases.get_purchase(db, purchase.project_id)
    assert purchase.state == "confirmed" and purchase.order_total == 10 * 599 + 650
    assert projects.get(db, purchase.project_id).status == "running"
    distribution.mark_paid(db, purchase.project_id, "B-204", method="cheque", by=building.admin.id)
    distribution.mark_picked_up(db, purchase.project_id, "B-204", by=building.admin.id)
    distribution.mark_distributed(db, config, purchase.project_id, by=building.admin.id)
    assert balance(db, building.admin) == 400
    assert balance(db, building.jeanne) == -200 and balance(db, building.paul) == -200
    assert reads.balances_sum(db) == 0
    assert projects.get(db, purchase.project_id).status == "closed"
    with pytest.raises(AlreadyDistributed):
        distribution.mark_distributed(db, config, purchase.project_id, by=building.admin.id)


def test_the_deadline_job_cancels_a_purchase_below_its_minimum(db, config, building):
    purchase = open_pellets(db, config, building.admin, minimum_total=100_00)
    order(db, config, purchase, building.jeanne, bags=2)
    assert run_deadline_check(config) == {}  # not yet
    clock.shift(3 * DAY)
    assert run_deadline_check(config) == {purchase.project_id: "cancelled"}
    assert run_deadline_check(config) == {}  # idempotent: closed once
    assert group_purchases.get_purchase(db, purchase.project_id).state == "cancelled"
    assert projects.get(db, purchase.project_id).status == "closed"
    with pytest.raises(NotConfirmed):
        distribution.mark_distributed(db, config, purchase.project_id, by=building.admin.id)
    closings = store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'purchase.closed'")
    assert closings == 1


def test_a_minimum_quantity_decides_too(db, config, building):
    purchase = open_pellets(db, config, building.admin, minimum_total=None, minimum_quantity=5000)
    order(db, config, purchase, building.jeanne, bags=5)
    clock.shift(3 * DAY)
    assert group_purchases.close_due_purchases(db) == {purchase.project_id: "confirmed"}


def test_a_purchase_past_its_deadline_closes_when_read_even_before_the_job(db, config, building):
    purchase = open_pellets(db, config, building.admin, minimum_total=None)
    clock.shift(3 * DAY)
    assert (
        group_purchases.get_purchase(db, purchase.project_id).state == "cancelled"
    )  # nobody ordered


def test_the_job_is_scheduled_at_the_configured_interval(config):

    scheduler = BackgroundScheduler()
    schedule(scheduler, config)
    [job] = scheduler.get_jobs()
    assert job.id == "purchase-deadlines"
    assert job.trigger.interval == timedelta(minutes=config["projects"]["deadline_check_minutes"])


def test_orders_after_the_deadline_are_refused_and_change_nothing(db, config, building):
    purchase = open_pellets(db, config, building.admin)
    order(db, config, purchase, building.jeanne, bags=2)
    clock.shift(3 * DAY)
    group_purchases.get_purchase(db, purchase.project_id)  # closes it
    before = store.projection_snapshot(db)
    with pytest.raises(OrdersClosed):
        order(db, config, purchase, building.jeanne, bags=9)
    with pytest.raises(OrdersClosed):
        purchase_orders.cancel_order(db, config, purchase.project_id, building.jeanne.id)
    assert store.projection_snapshot(db) == before


def test_changing_and_cancelling_an_order_before_the_deadline(db, config, building):
    purchase = open_pellets(db, config, building.admin)
    order(db, config, purchase, building.jeanne, bags=2)
    order(db, config, purchase, building.jeanne, bags=3, honey=250)
    bag, honey = purchase.products
    assert group_purchases.order_of(db, purchase.project_id, building.jeanne.id) == {
        bag.id: 3000,
        honey.id: 250,
    }
    purchase_orders.cancel_order(db, config, purchase.project_id, building.jeanne.id)
    assert group_purchases.order_of(db, purchase.project_id, building.jeanne.id) == {}


@pytest.mark.parametrize(
    ("bags", "honey", "error"),
    [
        (0, -500, InvalidInput),  # negative
        (0, 2_000_000, InvalidInput),  # absurd
    ],
)
def test_bad_quantities_are_refused(db, config, building, bags, honey, error):
    purchase = open_pellets(db, config, building.admin)
    with pytest.raises(error):
        order(db, config, purchase, building.jeanne, bags=bags, honey=honey)


def test_a_fraction_of_a_whole_unit_is_refused(db, config, building):
    purchase = open_pellets(db, config, building.admin)
    bag, _honey = purchase.products
    with pytest.raises(WholeUnitsOnly):
        purchase_orders.place_order(
            db, config, purchase.project_id, building.jeanne.id, {bag.id: 1500}
        )


def test_nobody_orders_beyond_the_stock_not_even_the_organiser(db, config, building):
    purchase = open_pellets(db, config, building.admin, stock=10_000)
    order(db, config, purchase, building.jeanne, bags=7)
    with pytest.raises(BeyondStock) as refused:
        order(db, config, purchase, building.admin, bags=4)
    assert refused.value.params["left"] == "3 sacs"
    order(db, config, purchase, building.admin, bags=3)
    order(db, config, purchase, building.jeanne, bags=7)  # her own order does not count against her


def test_a_participant_whose_fee_would_cross_the_floor_is_told_when_ordering(db, config, building):
    floor = config.amount("credit_floor")
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Déménagement",
        category="moving",
        amount=-floor - 100,
    )
    purchase = open_pellets(db, config, building.admin, fee_amount=200)
    assert group_purchases.fee_would_break_floor(db, config, purchase, building.paul.id)
    with pytest.raises(FeeBelowFloor):
        order(db, config, purchase, building.paul, bags=1)
    assert group_purchases.order_of(db, purchase.project_id, building.paul.id) == {}


def test_each_fee_is_paid_or_refused_on_its_own_with_its_true_reason(db, config, building):
    purchase = open_pellets(db, config, building.admin, fee_amount=200, minimum_total=None)
    order(db, config, purchase, building.jeanne, bags=1)
    order(db, config, purchase, building.paul, bags=1)
    # after ordering, Paul spends down to the floor
    floor = config.amount("credit_floor")
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Déménagement",
        category="moving",
        amount=-floor,
    )
    clock.shift(3 * DAY)
    group_purchases.get_purchase(db, purchase.project_id)
    jeanne_before = balance(db, building.jeanne)
    outcome = distribution.mark_distributed(db, config, purchase.project_id, by=building.admin.id)
    assert [(f["resident_id"], f["amount"]) for f in outcome["fees"]] == [(building.jeanne.id, 200)]
    assert outcome["refused"] == [
        {"resident_id": building.paul.id, "amount": 200, "reason": "below_floor"}
    ]
    assert balance(db, building.jeanne) == jeanne_before - 200
    assert balance(db, building.paul) == floor
    assert group_purchases.get_purchase(db, purchase.project_id).state == "distributed"
    refusals = project_reads.fee_refusals(db, purchase.project_id)
    assert [(r["name"], r["reason"]) for r in refusals] == [("Paul Durand", "below_floor")]


def test_an_organiser_who_moved_out_takes_no_fee_and_the_reason_names_the_organiser(
    db, config, building
):
    purchase = open_pellets(db, config, building.jeanne, fee_amount=200, minimum_total=None)
    order(db, config, purchase, building.paul, bags=1)
    order(db, config, purchase, building.admin, bags=1)
    clock.shift(3 * DAY)
    group_purchases.get_purchase(db, purchase.project_id)
    moving_out.close_resident(
        db, config, resident_id=building.jeanne.id, admin_id=building.admin.id
    )
    outcome = distribution.mark_distributed(db, config, purchase.project_id, by=building.admin.id)
    assert outcome["fees"] == []
    assert {r["reason"] for r in outcome["refused"]} == {"organiser_inactive"}
    assert balance(db, building.paul) == 0 and balance(db, building.jeanne) == 0
    assert group_purchases.get_purchase(db, purchase.project_id).state == "distributed"
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0


def test_a_fixed_fee_is_shared_and_the_organiser_pays_no_fee_to_themself(db, config, building):
    purchase = open_pellets(
        db, config, building.admin, fee_kind="fixed", fee_amount=501, minimum_total=None
    )
    for person in (building.jeanne, building.paul, building.admin):
        order(db, config, purchase, person, bags=1)
    clock.shift(3 * DAY)
    group_purchases.get_purchase(db, purchase.project_id)
    distribution.mark_distributed(db, config, purchase.project_id, by=building.admin.id)
    assert balance(db, building.admin) == 501
    assert sorted([balance(db, building.jeanne), balance(db, building.paul)]) == [-251, -250]


def test_double_marking_as_paid_is_refused(db, config, building):
    purchase = open_pellets(db, config, building.admin, minimum_total=None)
    order(db, config, purchase, building.jeanne, bags=1)
    with pytest.raises(NotConfirmed):  # not before the deadline
        distribution.mark_paid(
            db, purchase.project_id, "B-204", method="cash", by=building.admin.id
        )
    clock.shift(3 * DAY)
    distribution.mark_paid(db, purchase.project_id, "B-204", method="cash", by=building.admin.id)
    before = store.projection_snapshot(db)
    with pytest.raises(HouseholdAlreadyPaid):
        distribution.mark_paid(
            db, purchase.project_id, "B-204", method="cheque", by=building.admin.id
        )
    with pytest.raises(NotCoordinator):
        distribution.mark_picked_up(db, purchase.project_id, "B-204", by=building.paul.id)
    assert store.projection_snapshot(db) == before


def test_opening_refuses_a_deadline_in_the_past_a_zero_price_and_a_non_coordinator(
    db, config, building
):
    project = projects.propose(
        db, resident_id=building.admin.id, title="Vin", description="", kind="group_purchase"
    )
    now = clock.now()
    good = {
        "supplier": "Cave",
        "pickup_place": "Hall",
        "deadline": now + timedelta(days=1),
        "pickup_at": now + timedelta(days=2),
        "products": [ProductDraft("Rouge", "bouteille", 650)],
    }
    with pytest.raises(DeadlineInPast):
        group_purchases.open_purchase(
            db,
            config,
            project.id,
            by=building.admin.id,
            **{**good, "deadline": now - timedelta(hours=1)},
        )
    with pytest.raises(InvalidInput):
        group_purchases.open_purchase(
            db,
            config,
            project.id,
            by=building.admin.id,
            **{**good, "products": [ProductDraft("Rouge", "bouteille", 0)]},
        )
    with pytest.raises(NotCoordinator):
        group_purchases.open_purchase(db, config, project.id, by=building.paul.id, **good)
    assert not group_purchases.has_purchase(db, project.id)


@pytest.mark.parametrize("text", ["0", "0,00", "-3", "abc", "1,234", ""])
def test_bad_euro_prices_are_refused(text):
    with pytest.raises(InvalidInput):
        parse_euros(text, what="Miel")


@pytest.mark.parametrize(("text", "expected"), [("2", 2000), ("0,5", 500), ("1.25", 1250), ("", 0)])
def test_quantities_are_thousandths(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["-1", "1,2345", "deux", "1e3"])
def test_bad_quantities_typed_are_refused(text):
    with pytest.raises(InvalidInput):
        parse_quantity(text)


def test_reports_add_up_and_show_the_savings(db, config, building):
    purchase = open_pellets(db, config, building.admin, minimum_total=None)
    order(db, config, purchase, building.jeanne, bags=3, honey=333)
    order(db, config, purchase, building.paul, bags=2)
    purchase = group_purchases.get_purchase(db, purchase.project_id)
    households = purchase_reports.households(db, purchase)
    assert {h.apartment: h.owed for h in households} == {"B-204": 3 * 599 + 433, "A-101": 2 * 599}
    assert purchase_reports.order_total(db, purchase) == sum(h.owed for h in households)
    rows, total = purchase_reports.savings(db, purchase)
    assert dict(rows) == {"B-204": 3 * 151, "A-101": 2 * 151} and total == 5 * 151
    csv_text = purchase_reports.purchase_csv(db, config, purchase)
    assert csv_text.startswith("\ufeffpurchase;supplier;apartment")
    assert ";22,30;" in csv_text  # 3 x 5,99 + 0,333 kg x 12,99 (4,33)
    assert "TOTAL;;;34,28;0,00" in csv_text


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prices=st.lists(st.integers(1, 100_000), min_size=1, max_size=4),
    orders=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 50_000)), max_size=12
    ),
    fee_kind=st.sampled_from(["none", "per_participant", "fixed"]),
    fee_amount=st.integers(1, 5000),
)
def test_euros_always_add_up_to_the_supplier_order_and_fees_keep_the_ledger_at_zero(
    tmp_path_factory, prices, orders, fee_kind, fee_amount
):
    clock.reset()
    config = make_config({"storage": {"data_dir": str(tmp_path_factory.mktemp("gp"))}})
    db = store.connect(config.database_path)
    people = [
        residents.register(db, apartment=apartment, name=f"Voisin {i}")
        for i, apartment in enumerate(["A-1", "A-1", "B-2", "C-3"])
    ]
    project = projects.propose(
        db, resident_id=people[0].id, title="Achat", description="", kind="group_purchase"
    )
    purchase = group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=people[0].id,
        supplier="Fournisseur",
        deadline=clock.now() + timedelta(days=1),
        pickup_place="Hall",
        pickup_at=clock.now() + timedelta(days=2),
        products=[ProductDraft(f"P{i}", "kg", price, False) for i, price in enumerate(prices)],
        fee_kind=fee_kind,
        fee_amount=0 if fee_kind == "none" else fee_amount,
    )
    for who, which, quantity in orders:
        product = purchase.products[which % len(purchase.products)]
        try:
            purchase_orders.place_order(
                db, config, project.id, people[who].id, {product.id: quantity}
            )
        except KioskError:
            pass
    clock.shift(2 * DAY)
    purchase = group_purchases.get_purchase(db, project.id)
    households = purchase_reports.households(db, purchase)
    products = purchase_reports.supplier_order(db, purchase)
    assert sum(h.owed for h in households) == sum(p.amount for p in products)
    assert purchase.order_total == sum(p.amount for p in products)
    assert all(h.owed == sum(i.amount for i in h.items) for h in households)
    if purchase.state == "confirmed":
        try:
            distribution.mark_distributed(db, config, project.id, by=people[0].id)
        except KioskError:
            pass
    assert reads.balances_sum(db) == 0
    floor = config.amount("credit_floor")
    assert all(residents.get(db, p.id).balance >= floor for p in people)
    db.close()
    clock.reset()


def test_line_amounts_round_half_up_to_the_cent():
    assert line_amount(333, 1299) == 433  # 4.3257 -> 4,33
    assert line_amount(500, 1) == 1  # half a cent -> 1
    assert line_amount(3000, 599) == 1797


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.sampled_from(
            [
                "order",
                "order2",
                "cancel",
                "close",
                "pay",
                "pickup",
                "distribute",
                "join",
                "task",
                "contribute",
            ]
        ),
        max_size=15,
    )
)
def test_a_random_purchase_history_rebuilds_the_same_projections(tmp_path_factory, steps):
    clock.reset()
    config = make_config({"storage": {"data_dir": str(tmp_path_factory.mktemp("rb"))}})
    db = store.connect(config.database_path)
    org = residents.register(db, apartment="A-1", name="Org")
    ann = residents.register(db, apartment="B-2", name="Ann")
    bob = residents.register(db, apartment="C-3", name="Bob")
    purchase = open_pellets(db, config, org, minimum_total=None)
    bag, honey = purchase.products
    for step in steps:
        try:
            if step == "order":
                purchase_orders.place_order(
                    db, config, purchase.project_id, ann.id, {bag.id: 2000, honey.id: 125}
                )
            elif step == "order2":
                purchase_orders.place_order(db, config, purchase.project_id, bob.id, {bag.id: 1000})
            elif step == "cancel":
                purchase_orders.cancel_order(db, config, purchase.project_id, ann.id)
            elif step == "close":
                clock.shift(3 * DAY)
                group_purchases.close_due_purchases(db)
            elif step == "pay":
                distribution.mark_paid(db, purchase.project_id, "B-2", method="cash", by=org.id)
            elif step == "pickup":
                distribution.mark_picked_up(db, purchase.project_id, "C-3", by=org.id)
            elif step == "distribute":
                distribution.mark_distributed(db, config, purchase.project_id, by=org.id)
            elif step == "join":
                projects.join(db, purchase.project_id, bob.id)
            elif step == "task":
                task_id = volunteering.add_task(
                    db, purchase.project_id, by=org.id, title="Décharger", when_label="", slots=2
                )
                volunteering.sign_up(db, task_id, ann.id)
            elif step == "contribute":
                project_fund.contribute(db, config, purchase.project_id, ann.id, 100)
        except KioskError:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        rebuilt = store.rebuild(db, Path(tmp) / "rebuilt.sqlite3")
        assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
        rebuilt.close()
    db.close()
    clock.reset()
