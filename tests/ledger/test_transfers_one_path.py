"""One write path for money: every movement of CEEC is recorded by
``kiosk.ledger.transfers.record_transfer``, which keeps the books whatever happens.

A refused transfer changes nothing; the rules settled where copies had drifted; system
accounts are opened once, even by two kiosks of one building; and no other module records a
transfer. Random histories: tests/test_transfers_properties.py.
"""

from __future__ import annotations

import ast

import pytest
from app_fixtures import ROOT
from sync_fixtures import sync_until_quiet

from kiosk import store
from kiosk.admin import moving_out
from kiosk.errors import (
    AboveCeiling,
    AccountClosed,
    BelowFloor,
    FundsTooLow,
    InvalidAmount,
    NotFound,
    ResidentNotActive,
    SelfPayment,
)
from kiosk.ledger import exchanges, ledger, reversals, transfers
from kiosk.projects import fund as project_fund
from kiosk.projects import projects
from kiosk.residents import residents
from kiosk.store import events
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import vouchers

# --------------------------------------------------------------------------- refusals


def _state(db) -> tuple:
    """What a refused transfer must leave as it was: the log and every projection."""
    return store.scalar(db, "SELECT COUNT(*) FROM events"), events.projection_snapshot(db)


@pytest.fixture
def jeanne_has_80(db, config, building):
    """Paul owes Jeanne 80 CEEC for her sewing (the floor is -100, the ceiling 300)."""
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        amount=8000,
    )
    return building


def test_every_refused_transfer_changes_nothing(db, config, jeanne_has_80):
    b = jeanne_has_80
    jeanne, paul = b.jeanne.account_id, b.paul.account_id
    project = projects.propose(
        db, resident_id=b.jeanne.id, title="Wifi partagé", description="", kind="other"
    )
    fund = transfers.COMMON_FUND_ACCOUNT
    refusals = [
        (InvalidAmount, "exchange", jeanne, paul, 0),
        (InvalidAmount, "exchange", jeanne, paul, -5),
        (InvalidAmount, "exchange", jeanne, paul, 2.5),
        (InvalidAmount, "exchange", jeanne, paul, True),
        (SelfPayment, "exchange", jeanne, jeanne, 100),
        (NotFound, "exchange", jeanne, "resident:nobody", 100),
        (BelowFloor, "exchange", paul, jeanne, 2001),  # Paul would owe 100.01
        (AboveCeiling, "settlement", fund, jeanne, 22001),  # Jeanne would hold 300.01
        (ResidentNotActive, "exchange", jeanne, b.suspended.account_id, 100),
        (ResidentNotActive, "project_contribution", b.pending.account_id, project.account_id, 1),
        (FundsTooLow, "project_payment", project.account_id, jeanne, 100),
    ]
    for error, kind, debit, credit, amount in refusals:
        before = _state(db)
        with pytest.raises(error):
            transfers.record_transfer(
                db,
                config,
                kind=kind,
                debit_account=debit,
                credit_account=credit,
                amount=amount,
                description="Refusé",
            )
        assert _state(db) == before, (error, kind)
    assert residents.get(db, b.jeanne.id).balance == 8000
    assert residents.get(db, b.paul.id).balance == -8000


def test_a_refused_exchange_through_the_domain_changes_nothing(db, config, jeanne_has_80):
    b = jeanne_has_80
    before = _state(db)
    with pytest.raises(BelowFloor, match="Paul Durand"):
        exchanges.record_exchange(
            db, config, payer_id=b.paul.id, payee_id=b.jeanne.id, description="Ourlet", amount=2001
        )
    with pytest.raises(ResidentNotActive, match="Ancien Voisin"):
        exchanges.record_exchange(
            db, config, payer_id=b.jeanne.id, payee_id=b.suspended.id, description="Aide", amount=1
        )
    assert _state(db) == before  # no transfer, no receipt queued


def test_a_voucher_refund_keeps_the_issuer_within_the_ceiling_or_goes_to_the_common_fund(
    db, config, jeanne_has_80
):
    """Cancelling a lost voucher used to credit its issuer without looking at the ceiling."""
    b = jeanne_has_80
    (voucher,) = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={2000: 1})
    for n, amount in enumerate((10000, 10000, 3000)):  # Jeanne sews for three more neighbours
        client = residents.register(db, apartment=f"D-{n}", name=f"Cliente {n}")
        exchanges.record_exchange(
            db, config, payer_id=client.id, payee_id=b.jeanne.id, description="Robe", amount=amount
        )
    assert residents.get(db, b.jeanne.id).balance == 29000
    before = _state(db)
    with pytest.raises(AboveCeiling, match="Jeanne Martin"):
        voucher_cancel.cancel_vouchers(
            db, config, [voucher.serial], by_id=b.admin.id, reason="lost", refund_to="issuer"
        )
    assert _state(db) == before
    voucher_cancel.cancel_vouchers(
        db, config, [voucher.serial], by_id=b.admin.id, reason="lost", refund_to="common_fund"
    )
    assert residents.get(db, b.jeanne.id).balance == 29000
    assert store.scalar(db, "SELECT balance FROM accounts WHERE id = 'system:common_fund'") == 2000


def test_a_reversal_does_not_move_a_closed_account_away_from_zero(db, config, jeanne_has_80):
    """Reversing an exchange used to reach a resident who had moved out, leaving a balance on a
    closed account; now the correction is refused and the settlement stands."""
    b = jeanne_has_80
    exchange = exchanges.record_exchange(
        db, config, payer_id=b.jeanne.id, payee_id=b.paul.id, description="Plomberie", amount=5000
    )
    moving_out.close_resident(db, config, resident_id=b.paul.id, admin_id=b.admin.id)
    before = _state(db)
    with pytest.raises(AccountClosed, match="Paul Durand"):
        reversals.reverse_transfer(db, config, exchange.id, admin_id=b.admin.id, reason="Erreur")
    assert _state(db) == before
    assert residents.get(db, b.paul.id).balance == 0


def test_a_lost_voucher_of_someone_who_moved_out_is_refunded_to_the_common_fund(
    db, config, jeanne_has_80
):
    b = jeanne_has_80
    (voucher,) = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={2000: 1})
    moving_out.close_resident(db, config, resident_id=b.jeanne.id, admin_id=b.admin.id)
    before = _state(db)
    with pytest.raises(AccountClosed, match="Jeanne Martin"):
        voucher_cancel.cancel_vouchers(
            db, config, [voucher.serial], by_id=b.admin.id, reason="lost", refund_to="issuer"
        )
    assert _state(db) == before
    voucher_cancel.cancel_vouchers(
        db, config, [voucher.serial], by_id=b.admin.id, reason="lost", refund_to="common_fund"
    )
    assert residents.get(db, b.jeanne.id).balance == 0
    fund = store.scalar(db, "SELECT balance FROM accounts WHERE id = 'system:common_fund'")
    assert fund == 6000 + 2000  # her settled balance, then the voucher's value


def test_a_correction_still_reaches_a_suspended_resident(db, config, building):
    b = building
    exchange = exchanges.record_exchange(
        db, config, payer_id=b.jeanne.id, payee_id=b.paul.id, description="Peinture", amount=3000
    )
    residents.update(db, b.paul.id, status="suspended")
    reversals.reverse_transfer(db, config, exchange.id, admin_id=b.admin.id, reason="Erreur")
    assert residents.get(db, b.paul.id).balance == 0
    assert residents.get(db, b.jeanne.id).balance == 0


# --------------------------------------------------------------------------- system accounts


def _openings(db, account_id: str) -> int:
    return store.scalar(
        db,
        "SELECT COUNT(*) FROM events WHERE type = 'account.opened' "
        "AND json_extract(payload, '$.account_id') = ?",
        (account_id,),
    )


def test_opening_a_system_account_twice_leaves_one_account(db, config, building):
    transfers.open_system_account(db, transfers.COMMON_FUND_ACCOUNT)
    before = _state(db)
    transfers.open_system_account(db, transfers.COMMON_FUND_ACCOUNT)
    assert _state(db) == before
    (row,) = store.query(db, "SELECT * FROM accounts WHERE id = 'system:common_fund'")
    assert (row["kind"], row["label"], row["balance"]) == ("system", "Common fund", 0)
    # Used again and again by the association, it is still opened once.
    project = projects.propose(
        db, resident_id=building.jeanne.id, title="Fête", description="", kind="event"
    )
    for _ in range(2):
        project_fund.fund_from_association(db, config, project.id, 1000, admin_id=building.admin.id)
    assert _openings(db, transfers.COMMON_FUND_ACCOUNT) == 1
    assert store.scalar(db, "SELECT balance FROM accounts WHERE id = 'system:common_fund'") == -2000


def test_two_kiosks_of_one_building_open_a_system_account_once(hub, make_kiosk):
    tilleuls = make_kiosk("tilleuls", enrol_at=hub)
    hall = make_kiosk("hall", enrol_at=hub)
    jeanne = residents.register(tilleuls.db, apartment="B-204", name="Jeanne Martin")
    paul = residents.register(tilleuls.db, apartment="A-101", name="Paul Durand")
    exchanges.record_exchange(
        tilleuls.db,
        tilleuls.config,
        payer_id=paul.id,
        payee_id=jeanne.id,
        description="Ourlets",
        amount=2000,
    )
    (voucher,) = vouchers.issue_vouchers(  # opens "vouchers in circulation" at Les Tilleuls
        tilleuls.db, tilleuls.config, resident_id=jeanne.id, counts={2000: 1}
    )
    sync_until_quiet([tilleuls, hall])
    transfers.open_system_account(hall.db, transfers.CIRCULATION_ACCOUNT)
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    sync_until_quiet([tilleuls, hall])
    for kiosk in (tilleuls, hall):
        assert _openings(kiosk.db, transfers.CIRCULATION_ACCOUNT) == 1
        assert (
            store.scalar(kiosk.db, "SELECT balance FROM accounts WHERE id = 'system:vouchers'") == 0
        )
        assert residents.get(kiosk.db, paul.id).balance == 0


# --------------------------------------------------------------------------- one write path


def _record_calls(event_type: str) -> list[str]:
    """Where ``record(db, event_type, ...)`` (``store.record``...) is called in the code."""
    places = []
    for package in ("kiosk", "printing", "sync"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name == "record" and any(
                    isinstance(arg, ast.Constant) and arg.value == event_type for arg in node.args
                ):
                    places.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return places


def test_only_the_one_write_path_records_a_transfer_or_opens_an_account():
    (transfer,) = _record_calls("transfer.recorded")
    assert transfer.startswith("kiosk/ledger/transfers.py:")
    (opening,) = _record_calls("account.opened")
    assert opening.startswith("kiosk/ledger/transfers.py:")


def test_two_kiosks_offline_may_both_open_the_common_fund_and_still_converge(hub, make_kiosk):
    """Each kiosk of the building funds a project from the common fund before they ever meet:
    both record account.opened for it; the second one pulled changes nothing."""
    tilleuls = make_kiosk("tilleuls", enrol_at=hub)
    hall = make_kiosk("hall", enrol_at=hub)
    admin = residents.register(tilleuls.db, apartment="A-001", name="Claire Petit", role="admin")
    jeanne = residents.register(tilleuls.db, apartment="B-204", name="Jeanne Martin")
    project = projects.propose(
        tilleuls.db, resident_id=jeanne.id, title="Fête", description="", kind="event"
    )
    sync_until_quiet([tilleuls, hall])
    for kiosk, amount in ((tilleuls, 1000), (hall, 2500)):  # the network is down
        project_fund.fund_from_association(
            kiosk.db, kiosk.config, project.id, amount, admin_id=admin.id
        )
        assert _openings(kiosk.db, transfers.COMMON_FUND_ACCOUNT) == 1
    sync_until_quiet([tilleuls, hall])
    for kiosk in (tilleuls, hall):
        assert _openings(kiosk.db, transfers.COMMON_FUND_ACCOUNT) == 2  # both kept in the log
        (fund,) = store.query(kiosk.db, "SELECT * FROM accounts WHERE id = 'system:common_fund'")
        assert (fund["label"], fund["balance"]) == ("Common fund", -3500)
        assert projects.get(kiosk.db, project.id).balance == 3500


def test_a_statement_names_the_associations_accounts_in_the_readers_language(
    db, config, jeanne_has_80
):
    b = jeanne_has_80
    french = {"Vouchers in circulation": "Bons en circulation", "Common fund": "Fonds commun"}
    vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={1000: 1})
    project = projects.propose(  # a project's account is named by its title, never translated
        db, resident_id=b.jeanne.id, title="Common fund", description="", kind="other"
    )
    project_fund.contribute(db, config, project.id, b.jeanne.id, 500)
    french = {**french, "Project “%(title)s”": "Projet « %(title)s »"}
    lines = ledger.statement(db, config, b.jeanne.id).lines
    named = [
        transfers.account_name(
            line.counterparty_account, line.counterparty_name, lambda m: french.get(m, m)
        )
        for line in lines
    ]
    assert list(zip(named, [line.signed_amount for line in lines], strict=True)) == [
        ("Projet « Common fund »", -500),
        ("Bons en circulation", -1000),
        ("Paul Durand", 8000),
    ]
