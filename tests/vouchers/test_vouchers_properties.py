"""Random histories of issuing, redeeming, cancelling and expiring vouchers keep the books:
the sum of all balances is zero and "vouchers in circulation" holds what is outstanding."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import clock, store
from kiosk.config import make_config
from kiosk.errors import KioskError
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import reports as voucher_reports
from kiosk.vouchers import vouchers

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["issue", "redeem", "redeem", "lost", "not_printed", "expire", "settle"]),
        st.integers(0, 3),
        st.integers(0, 50),
        st.sampled_from([500, 1000, 2000]),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_voucher_histories_keep_the_books(actions):
    with tempfile.TemporaryDirectory() as folder:
        config = make_config({"storage": {"data_dir": folder}, "vouchers": {"validity_days": 30}})
        db = store.connect(Path(folder) / "k.sqlite3")
        try:
            people = [
                residents.register(db, apartment=f"B-{i}", name=f"Voisin {i}") for i in range(4)
            ]
            admin = residents.register(db, apartment="A-0", name="Admin", role="admin")
            exchanges.record_exchange(
                db,
                config,
                payer_id=people[0].id,
                payee_id=people[1].id,
                description="Jardinage",
                amount=9000,
            )
            issued: list[vouchers.Voucher] = []
            for action, who, pick, value, count in actions:
                person = people[who]
                try:
                    if action == "issue":
                        issued += vouchers.issue_vouchers(
                            db, config, resident_id=person.id, counts={value: count}
                        )
                    elif action == "expire":
                        clock.shift(pick * 86400)
                    elif issued:
                        voucher = issued[pick % len(issued)]
                        if action == "redeem":
                            voucher_redeeming.redeem_voucher(
                                db, config, voucher.qr, resident_id=person.id
                            )
                        elif action == "settle":
                            voucher_cancel.cancel_vouchers(
                                db,
                                config,
                                [voucher.serial],
                                by_id=admin.id,
                                reason="expired",
                                refund_to="common_fund" if pick % 2 else "issuer",
                            )
                        else:
                            by = admin.id if action == "lost" else voucher.issuer_resident_id
                            voucher_cancel.cancel_vouchers(
                                db, config, [voucher.serial], by_id=by, reason=action
                            )
                except KioskError:
                    pass
                assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
                check = voucher_reports.circulation_check(db)
                assert check.ok and check.balance == check.outstanding_total
        finally:
            db.close()
            clock.reset()
