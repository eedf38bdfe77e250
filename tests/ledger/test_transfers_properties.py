"""Random histories of every money movement, through the public domain functions (exchanges and
reversals, vouchers issued, redeemed and refunded, project contributions, dues, payments and
funding, a group purchase's fees, moving out), keep the books: the sum of all balances is zero,
every resident stays within the floor and ceiling, a project's fund never goes below zero and
a resident who moved out keeps a zero balance."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import clock, store
from kiosk.admin import moving_out
from kiosk.config import make_config
from kiosk.errors import KioskError
from kiosk.ledger import exchanges, reversals, transfers
from kiosk.projects import dues as project_dues
from kiosk.projects import fund as project_fund
from kiosk.projects import projects, purchase_orders, volunteering
from kiosk.projects import purchase_distribution as distribution
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import vouchers

MOVES = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "exchange",
                "exchange",
                "reverse",
                "issue",
                "issue",
                "redeem",
                "redeem",
                "lost",
                "contribute",
                "fund",
                "pay",
                "move_out",
                "dues",
                "order",
                "distribute",
                "next_month",
            ]
        ),
        st.integers(0, 3),
        st.integers(0, 3),
        st.sampled_from([500, 2000, 9000, 20000]),
    ),
    min_size=5,
    max_size=30,
)


def _every_account_within_its_limits(db, config) -> None:
    floor, ceiling = config.amount("credit_floor"), config.amount("credit_ceiling")
    for row in store.query(
        db,
        "SELECT a.id, a.balance, r.status FROM accounts a "
        "LEFT JOIN residents r ON r.id = a.resident_id",
    ):
        if row["status"] is not None:
            assert floor <= row["balance"] <= ceiling, dict(row)
            if row["status"] == "moved_out":
                assert row["balance"] == 0  # settled when leaving, closed since
        elif row["id"] not in transfers.SYSTEM_ACCOUNTS:
            assert row["balance"] >= 0, dict(row)  # a project's fund spends what it holds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MOVES)
def test_any_history_of_money_movements_keeps_the_books(moves):
    with tempfile.TemporaryDirectory() as folder:
        config = make_config({"storage": {"data_dir": folder}})
        db = store.connect(Path(folder) / "k.sqlite3")
        try:
            people = [
                residents.register(db, apartment=f"B-{i}", name=f"Voisin {i}") for i in range(4)
            ]
            admin = residents.register(db, apartment="A-0", name="Admin", role="admin")
            for payer, payee in ((0, 1), (2, 3)):  # two of them start with 90 CEEC to spend
                exchanges.record_exchange(
                    db,
                    config,
                    payer_id=people[payer].id,
                    payee_id=people[payee].id,
                    description="Déménagement",
                    amount=9000,
                )
            project = projects.propose(
                db, resident_id=people[0].id, title="Composteur", description="", kind="other"
            )
            for person in people[1:]:
                projects.join(db, project.id, person.id)
            project_dues.set_dues(  # 12 CEEC a month shared by the four members
                db,
                project.id,
                by=people[0].id,
                currency="ceec",
                amount=1200,
                period="month",
                payee_id=None,
            )
            pellets = group_purchases.open_purchase(  # 5 CEEC from each participant
                db,
                config,
                projects.propose(
                    db,
                    resident_id=people[2].id,
                    title="Granulés",
                    description="",
                    kind="group_purchase",
                ).id,
                by=people[2].id,
                supplier="Bois du Lyonnais",
                deadline=clock.now() + timedelta(days=2),
                pickup_place="Local vélos",
                pickup_at=clock.now() + timedelta(days=5),
                products=[ProductDraft("Sac de 15 kg", "sac", 599)],
                minimum_total=599,
                minimum_quantity=None,
                fee_kind="per_participant",
                fee_amount=500,
            )
            (bag,) = pellets.products
            purchase_orders.place_order(
                db, config, pellets.project_id, people[3].id, {bag.id: 1000}
            )
            issued = vouchers.issue_vouchers(db, config, resident_id=people[1].id, counts={1000: 2})
            for move, one, other, amount in moves:
                payer, payee = people[one], people[other]
                try:
                    if move == "exchange":
                        exchanges.record_exchange(
                            db,
                            config,
                            payer_id=payer.id,
                            payee_id=payee.id,
                            description="Coup de main",
                            amount=amount,
                        )
                    elif move == "reverse":
                        done = store.query(
                            db, "SELECT id FROM transfers WHERE kind = 'exchange' ORDER BY id"
                        )
                        if done:
                            reversals.reverse_transfer(
                                db,
                                config,
                                done[(one + other) % len(done)]["id"],
                                admin_id=admin.id,
                                reason="Erreur",
                            )
                    elif move == "issue":
                        issued += vouchers.issue_vouchers(
                            db, config, resident_id=payer.id, counts={min(amount, 2000): 1}
                        )
                    elif move == "redeem" and issued:
                        voucher = issued[other % len(issued)]
                        voucher_redeeming.redeem_voucher(
                            db, config, voucher.qr, resident_id=payee.id
                        )
                    elif move == "lost" and issued:
                        voucher = issued[other % len(issued)]
                        voucher_cancel.cancel_vouchers(
                            db,
                            config,
                            [voucher.serial],
                            by_id=admin.id,
                            reason="lost",
                            refund_to="issuer" if one % 2 else "common_fund",
                        )
                    elif move == "contribute":
                        project_fund.contribute(db, config, project.id, payer.id, amount)
                    elif move == "fund":
                        project_fund.fund_from_association(
                            db, config, project.id, amount, admin_id=admin.id
                        )
                    elif move == "pay":
                        task_id = volunteering.add_task(
                            db,
                            project.id,
                            by=people[0].id,
                            title=f"Tâche {len(moves)}-{one}-{other}",
                            when_label="",
                            slots=1,
                        )
                        volunteering.sign_up(db, task_id, payee.id)
                        volunteering.pay_volunteer(
                            db, config, task_id, payee.id, minutes=amount // 100, by=people[0].id
                        )
                    elif move == "dues":
                        project_dues.pay_ceec_share(db, config, project.id, payer.id)
                    elif move == "order":
                        purchase_orders.place_order(
                            db, config, pellets.project_id, payer.id, {bag.id: 1000 * (one + 1)}
                        )
                    elif move == "distribute":
                        clock.shift(3 * 86400)
                        group_purchases.close_due_purchases(db)
                        distribution.mark_distributed(
                            db, config, pellets.project_id, by=people[2].id
                        )
                    elif move == "next_month":
                        clock.shift(31 * 86400)
                    elif move == "move_out" and one == 3:
                        moving_out.close_resident(
                            db, config, resident_id=payer.id, admin_id=admin.id
                        )
                except KioskError:
                    pass
                assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
                _every_account_within_its_limits(db, config)
        finally:
            db.close()
            clock.reset()
