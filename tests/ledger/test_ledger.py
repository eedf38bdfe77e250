"""The CEEC ledger: double entry, limits, reversals; property tests on random histories."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import clock, store
from kiosk.config import make_config
from kiosk.errors import (
    AboveCeiling,
    AlreadyReversed,
    AmountTooLarge,
    BelowFloor,
    InvalidAmount,
    InvalidInput,
    KioskError,
    NotReversible,
    ResidentNotActive,
    SelfPayment,
)
from kiosk.ledger import exchanges, ledger, reversals
from kiosk.money import minutes_to_amount, parse_amount, parse_duration
from kiosk.residents import residents
from kiosk.vouchers import vouchers
from printing.queue import list_jobs


def exchange(db, config, payer, payee, **kwargs):
    kwargs.setdefault("description", "Réparer un robinet")
    kwargs.setdefault("category", "diy")
    return exchanges.record_exchange(db, config, payer_id=payer.id, payee_id=payee.id, **kwargs)


def balance(db, resident):
    return residents.get(db, resident.id).balance


def test_an_hour_and_a_half_moves_fifteen_ceec(db, config, building):
    transfer = exchange(db, config, building.paul, building.jeanne, minutes=90)
    assert transfer.amount == 1500
    assert balance(db, building.paul) == -1500
    assert balance(db, building.jeanne) == 1500
    assert transfer.reference.endswith("-" + transfer.reference.split("-")[-1])


def test_a_quarter_of_an_hour_is_two_and_a_half_ceec():
    assert minutes_to_amount(15, 10) == 250
    assert minutes_to_amount(1, 10) == 17  # 16.67 rounded to the nearest hundredth
    assert minutes_to_amount(60, 10) == 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 1200), ("2,5", 250), ("2.50", 250), (" 0,01 ", 1), ("1\u202f000", 100000)],
)
def test_amounts_typed_on_the_numpad_are_parsed_to_hundredths(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "0,00", "-5", "abc", "1,234", "1e3", "12,5,0", "∞", "NaN"]
)
def test_bad_amounts_are_refused(text):
    with pytest.raises((InvalidAmount, InvalidInput)):
        parse_amount(text)


@pytest.mark.parametrize(
    ("hours", "minutes"), [("", ""), ("0", "0"), ("1", "60"), ("x", ""), ("-1", ""), ("1000", "")]
)
def test_bad_durations_are_refused(hours, minutes):
    with pytest.raises(InvalidInput):
        parse_duration(hours, minutes)


def test_paying_oneself_is_refused(db, config, building):
    with pytest.raises(SelfPayment):
        exchange(db, config, building.paul, building.paul, minutes=30)


@pytest.mark.parametrize("who", ["pending", "suspended"])
def test_pending_and_suspended_residents_cannot_exchange(db, config, building, who):
    other = getattr(building, who)
    with pytest.raises(ResidentNotActive):
        exchange(db, config, building.paul, other, minutes=30)
    with pytest.raises(ResidentNotActive):
        exchange(db, config, other, building.paul, minutes=30)


def test_amounts_above_the_maximum_are_refused(db, config, building):
    with pytest.raises(AmountTooLarge):
        exchange(
            db, config, building.paul, building.jeanne, amount=config.amount("max_exchange") + 1
        )


def test_the_credit_floor_is_never_crossed(db, config, building):
    # default floor -100 CEEC: 100 CEEC is fine, one hundredth more is not
    exchange(db, config, building.paul, building.jeanne, amount=10000)
    with pytest.raises(BelowFloor) as info:
        exchange(db, config, building.paul, building.admin, amount=1)
    assert info.value.params["name"] == "Paul Durand"
    assert balance(db, building.paul) == -10000


def test_the_ceiling_is_never_crossed(tmp_path, building, db):
    config = make_config(
        {"storage": {"data_dir": str(tmp_path)}, "currency": {"credit_ceiling": 10}}
    )
    exchange(db, config, building.paul, building.jeanne, amount=1000)
    with pytest.raises(AboveCeiling):
        exchange(db, config, building.admin, building.jeanne, amount=1)


def test_a_reversal_points_to_the_original_and_restores_balances(db, config, building):
    original = exchange(db, config, building.paul, building.jeanne, minutes=60)
    reversal = reversals.reverse_transfer(
        db, config, original.id, admin_id=building.admin.id, reason="Saisie en double"
    )
    assert reversal.kind == "reversal"
    assert reversal.reverses_reference == original.reference
    assert ledger.get_transfer(db, original.id).reversed_by_reference == reversal.reference
    assert balance(db, building.paul) == 0 and balance(db, building.jeanne) == 0
    with pytest.raises(AlreadyReversed):
        reversals.reverse_transfer(
            db, config, original.id, admin_id=building.admin.id, reason="encore"
        )
    with pytest.raises(NotReversible):
        reversals.reverse_transfer(
            db, config, reversal.id, admin_id=building.admin.id, reason="encore"
        )


def test_transfers_cannot_be_edited_or_deleted_in_the_log(db, config, building):
    exchange(db, config, building.paul, building.jeanne, minutes=60)

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET payload = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events")


def test_an_exchange_queues_its_receipt_in_the_same_transaction(db, config, building):
    transfer = exchange(db, config, building.paul, building.jeanne, minutes=90)

    jobs = list_jobs(db, reference=transfer.reference)
    assert len(jobs) == 1 and jobs[0].layout == "receipt" and jobs[0].state == "queued"
    payload = jobs[0].payload
    assert payload["payer"]["apartment"] == "A-101" and payload["payee"]["name"] == "Jeanne Martin"
    assert payload["amount"] == 1500 and payload["minutes"] == 90
    assert payload["category_label"] == "Bricolage et petite plomberie"
    assert payload["payer"]["balance_after"] == -1500


def test_a_refused_exchange_queues_no_receipt(db, config, building):
    with pytest.raises(KioskError):
        exchange(db, config, building.paul, building.jeanne, amount=10**9)
    assert store.scalar(db, "SELECT COUNT(*) FROM print_jobs") == 0


def test_statement_filters_by_month_in_the_building_time_zone(db, config, building):

    # 31 October 23:30 UTC is already 1 November in Paris
    clock.shift((clock.parse_iso("2026-10-31T23:30:00Z") - clock.now()).total_seconds())
    exchange(db, config, building.paul, building.jeanne, minutes=30)
    clock.reset()
    st = ledger.statement(db, config, building.jeanne.id, month="2026-11")
    assert [line.signed_amount for line in st.lines] == [500]
    assert ledger.statement(db, config, building.jeanne.id, month="2026-10").lines == []


# --- property tests ---------------------------------------------------------------------------


def _fresh_ledger(n_residents: int):
    db = store.connect(":memory:")
    people = [
        residents.register(db, apartment=f"A-{i:03d}", name=f"Voisin {i}", pin=None)
        for i in range(n_residents)
    ]
    return db, people


operation = st.one_of(
    st.tuples(st.just("exchange"), st.integers(0, 3), st.integers(0, 3), st.integers(-500, 25_000)),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.integers(0, 3), st.just(0)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=30))
def test_random_histories_keep_the_books_balanced(ops):
    config = make_config(
        {"currency": {"credit_floor": -50, "credit_ceiling": 120, "max_exchange": 200}}
    )
    db, people = _fresh_ledger(4)
    floor, ceiling = config.amount("credit_floor"), config.amount("credit_ceiling")
    recorded: list[str] = []
    for kind, a, b, amount in ops:
        before = store.projection_snapshot(db)
        events_before = store.scalar(db, "SELECT COUNT(*) FROM events")
        try:
            if kind == "exchange":
                t = exchanges.record_exchange(
                    db,
                    config,
                    payer_id=people[a].id,
                    payee_id=people[b].id,
                    description="service",
                    category="other",
                    amount=amount,
                )
                recorded.append(t.id)
            elif recorded:
                reversals.reverse_transfer(
                    db, config, recorded[a % len(recorded)], admin_id=people[b].id, reason="erreur"
                )
        except KioskError:
            # a refused operation changes nothing at all
            assert store.projection_snapshot(db) == before
            assert store.scalar(db, "SELECT COUNT(*) FROM events") == events_before
        assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
        for person in people:
            assert floor <= residents.get(db, person.id).balance <= ceiling
    # and the log alone rebuilds the same books

    with tempfile.TemporaryDirectory() as tmp:
        rebuilt = store.rebuild(db, Path(tmp) / "rebuilt.sqlite3")
        assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
        rebuilt.close()


def test_voucher_movements_cannot_be_reversed_as_exchanges(db, config, building):

    exchange(db, config, building.paul, building.jeanne, amount=4000)
    (voucher,) = vouchers.issue_vouchers(
        db, config, resident_id=building.jeanne.id, counts={500: 1}
    )
    issue = [t for t in ledger.recent_transfers(db) if t.kind == "voucher_issue"][0]
    with pytest.raises(NotReversible):
        reversals.reverse_transfer(
            db, config, issue.id, admin_id=building.admin.id, reason="erreur"
        )
