"""Vouchers across buildings: a voucher of Les Tilleuls is redeemed at Les Lilas, and the same
voucher redeemed at two kiosks while they were offline is decided by the hub (the first
redemption it committed wins), put right by a compensating event, and seen by everyone."""

from __future__ import annotations

import re

import pytest
from app_fixtures import PIN, login, text_of
from sync_fixtures import (
    dashboard,
    network_vouchers,
    shared_events,
    shared_snapshot,
    sync_until_quiet,
)

from kiosk import store
from kiosk.admin import moving_out
from kiosk.app import create_app
from kiosk.ledger import exchanges, ledger, transfers
from kiosk.residents import residents
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import conflicts as voucher_conflicts
from kiosk.vouchers import errors as voucher_errors
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import reports as voucher_reports
from kiosk.vouchers import vouchers
from sync.errors import HubUnreachable
from sync.hub import dashboard as hub_dashboard
from sync.hub.vouchers import VERDICT_TYPE

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = [pytest.mark.both_stores, pytest.mark.hub_processes]  # PostgreSQL: two OS processes

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"


def balance(kiosk, who) -> int:
    return residents.get(kiosk.db, who.id).balance


def account(kiosk, account_id) -> int:
    return store.scalar(kiosk.db, "SELECT balance FROM accounts WHERE id = ?", (account_id,)) or 0


def a_voucher_of_jeanne(kiosk, amount=2000):
    """Jeanne sewed for Paul; she prints a voucher of what he paid her."""
    jeanne = residents.register(kiosk.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(kiosk.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        kiosk.db,
        kiosk.config,
        payer_id=paul.id,
        payee_id=jeanne.id,
        description="Ourlets",
        amount=amount,
    )
    (voucher,) = vouchers.issue_vouchers(
        kiosk.db, kiosk.config, resident_id=jeanne.id, counts={amount: 1}
    )
    return jeanne, paul, voucher


@pytest.fixture
def network(hub, make_kiosk, request):
    """Two kiosks at Les Tilleuls and one at Les Lilas, all enrolled; a voucher of Jeanne's
    known everywhere; Louise lives at Les Lilas."""
    policy = getattr(request, "param", "reverse")
    tilleuls = make_kiosk(
        "tilleuls", TILLEULS, enrol_at=hub, sync={"voucher_conflict_policy": policy}
    )
    hall = make_kiosk("hall", TILLEULS, enrol_at=hub, sync={"voucher_conflict_policy": policy})
    lilas = make_kiosk("lilas", LILAS, enrol_at=hub, sync={"voucher_conflict_policy": policy})
    jeanne, paul, voucher = a_voucher_of_jeanne(tilleuls)
    louise = residents.register(lilas.db, apartment="C-3", name="Louise Bernard", pin=PIN)
    sync_until_quiet([tilleuls, hall, lilas])
    return tilleuls, hall, lilas, jeanne, paul, louise, voucher


def test_a_voucher_of_les_tilleuls_is_redeemed_at_les_lilas(network):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    voucher_redeeming.redeem_voucher(
        lilas.db, lilas.config, voucher.qr, resident_id=louise.id
    )  # checked with Tilleuls' key
    sync_until_quiet([tilleuls, hall, lilas])
    assert balance(lilas, louise) == 2000
    assert account(lilas, transfers.CIRCULATION_ACCOUNT) == -2000  # Les Lilas paid it...
    assert (
        account(tilleuls, transfers.CIRCULATION_ACCOUNT) == 2000
    )  # ...Les Tilleuls still holds it
    for kiosk in (tilleuls, hall, lilas):
        assert vouchers.get_voucher(kiosk.db, voucher.serial).outcome == "redeemed"
        assert voucher_reports.circulation_check(kiosk.db).ok
    with pytest.raises(voucher_errors.AlreadyRedeemed):
        voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)


@pytest.mark.parametrize("first", ["lilas", "tilleuls"])
def test_the_same_voucher_redeemed_offline_at_two_kiosks_one_wins_and_every_node_converges(
    network, hub, first
):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    # The network is down: Paul redeems the voucher at the hall kiosk, Louise at Les Lilas.
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    assert balance(hall, paul) == 0 and balance(lilas, louise) == 2000  # both credited, for now
    winner, loser = (lilas, hall) if first == "lilas" else (hall, lilas)
    winner.sync()  # the network is back: the hub commits this redemption first
    sync_until_quiet([loser, tilleuls, hall, lilas])

    if first == "lilas":  # Paul's credit is taken back by his home kiosk (Les Tilleuls' first)
        assert (balance(tilleuls, paul), balance(lilas, louise)) == (-2000, 2000)
    else:
        assert (balance(tilleuls, paul), balance(lilas, louise)) == (0, 0)
    db = hub.db
    (conflict,) = store.query(db, "SELECT * FROM conflicts WHERE kind = 'voucher'")
    db.close()
    assert voucher.serial in conflict["detail"] and conflict["origin"] == loser.origin
    db = hub.db
    hub_dashboard.set_dashboard_password(db, "correct horse battery")
    db.close()
    page = dashboard(hub, "admin", "correct horse battery", language="fr")
    assert (
        f"Le bon {voucher.serial} a été réglé deux fois. La borne {loser.origin} (échange) est arrivée "
        f"en second : son règlement est rejeté. Celui de la borne {winner.origin} (échange) compte."
    ) in page
    for kiosk in (tilleuls, hall, lilas):
        settled = vouchers.get_voucher(kiosk.db, voucher.serial)
        assert settled.settled_origin == winner.origin  # exactly one wins, the same everywhere
        assert voucher_reports.circulation_check(kiosk.db).ok
        assert store.scalar(kiosk.db, "SELECT SUM(balance) FROM accounts") == 0
        (seen,) = voucher_conflicts.conflicts(kiosk.db)
        assert seen.policy == "reverse" and seen.serial == voucher.serial
    assert network_vouchers(tilleuls.db) == network_vouchers(hall.db) == network_vouchers(lilas.db)
    assert shared_snapshot(tilleuls.db) == shared_snapshot(hall.db)
    assert shared_events(tilleuls.db) == shared_events(hall.db)
    # History is never rewritten: both redemptions and their transfers stay in every log.
    for kiosk in (tilleuls, hall, lilas):
        assert (
            store.scalar(kiosk.db, "SELECT COUNT(*) FROM events WHERE type = 'voucher.redeemed'")
            == 2
        )


@pytest.mark.parametrize("network", ["loss_fund"], indirect=True)
def test_with_the_loss_fund_policy_the_second_bearer_keeps_the_credit(network):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    lilas.sync()
    sync_until_quiet([tilleuls, hall, lilas])
    assert balance(tilleuls, paul) == 0 and balance(lilas, louise) == 2000
    assert account(tilleuls, transfers.LOSS_FUND_ACCOUNT) == -2000
    for kiosk in (tilleuls, hall, lilas):
        assert voucher_reports.circulation_check(kiosk.db).ok
        assert voucher_conflicts.conflicts(kiosk.db)[0].policy == "loss_fund"


def test_the_floor_holds_when_the_credit_taken_back_was_already_spent(network):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    voucher_redeeming.redeem_voucher(tilleuls.db, tilleuls.config, voucher.qr, resident_id=paul.id)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    lilas.sync()  # Louise's redemption reaches the hub first
    exchanges.record_exchange(
        tilleuls.db,
        tilleuls.config,
        payer_id=paul.id,
        payee_id=jeanne.id,
        description="Déménagement",
        amount=9000,
    )  # still offline, Paul spends it
    sync_until_quiet([tilleuls, hall, lilas])
    assert balance(tilleuls, paul) == -9000  # -110 would be below the floor of -100
    (conflict,) = voucher_conflicts.conflicts(tilleuls.db)
    assert conflict.policy == "loss_fund"
    assert account(tilleuls, transfers.LOSS_FUND_ACCOUNT) == -2000
    for kiosk in (tilleuls, hall, lilas):
        assert voucher_reports.circulation_check(kiosk.db).ok


def test_a_credit_that_reached_a_closed_account_is_taken_back_to_zero(network):
    """Paul moved out at his home kiosk while the hall kiosk, cut off, let him redeem a voucher
    Louise had already redeemed: his closed account may go back to zero, not away from it."""
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    admin = residents.register(
        tilleuls.db, apartment="Loge", name="Claire Petit", pin=PIN, role="admin"
    )
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    moving_out.close_resident(tilleuls.db, tilleuls.config, resident_id=paul.id, admin_id=admin.id)
    lilas.sync()  # Louise's redemption reaches the hub first
    sync_until_quiet([tilleuls, hall, lilas])
    (conflict,) = voucher_conflicts.conflicts(tilleuls.db)
    assert conflict.policy == "reverse"
    for kiosk in (tilleuls, hall, lilas):
        assert voucher_reports.circulation_check(kiosk.db).ok
    assert balance(tilleuls, paul) == 0 and balance(lilas, louise) == 2000
    assert residents.get(tilleuls.db, paul.id).moved_out


def test_a_redemption_racing_a_cancellation_is_decided_by_the_hub(network):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    admin = residents.register(
        tilleuls.db, apartment="Loge", name="Claire Petit", pin=PIN, role="admin"
    )
    voucher_cancel.cancel_vouchers(
        tilleuls.db, tilleuls.config, [voucher.serial], by_id=admin.id, reason="lost"
    )
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    assert balance(tilleuls, jeanne) == 2000  # refunded: she said she lost it
    lilas.sync()  # but Louise's redemption reaches the hub first
    sync_until_quiet([tilleuls, hall, lilas])
    assert balance(tilleuls, jeanne) == 0 and balance(lilas, louise) == 2000
    for kiosk in (tilleuls, hall, lilas):
        assert vouchers.get_voucher(kiosk.db, voucher.serial).outcome == "redeemed"
        assert voucher_reports.circulation_check(kiosk.db).ok
    (line,) = [
        entry
        for entry in ledger.statement(tilleuls.db, tilleuls.config, jeanne.id).lines
        if entry.transfer.kind == "reversal"
    ]
    assert voucher.serial in line.transfer.description and line.signed_amount == -2000


def test_both_residents_and_both_admins_see_what_happened(network):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    lilas.sync()
    sync_until_quiet([tilleuls, hall, lilas])
    (lost,) = voucher_conflicts.notices_for(tilleuls.db, paul.id)
    (won,) = voucher_conflicts.notices_for(lilas.db, louise.id)
    assert lost.losing_event_id == won.losing_event_id and lost.policy == won.policy == "reverse"
    assert (lost.loser_name, lost.winner_name) == ("Paul Durand", None)  # Louise lives elsewhere
    assert (won.loser_name, won.winner_name) == (None, "Louise Bernard")
    (line,) = [
        entry
        for entry in ledger.statement(hall.db, hall.config, paul.id).lines
        if entry.transfer.kind == "reversal"
    ]
    assert "Les Lilas" in line.transfer.description and line.signed_amount == -2000

    app = create_app(tilleuls.config)  # Paul's PIN is known at his home kiosk only
    app.config["TESTING"] = True
    client = app.test_client()
    login(client, paul)
    home = text_of(client.get("/me/"))
    notice = f"Le bon {voucher.serial} a aussi été utilisé"
    assert notice in home and "repris" in home  # French: "taken back"
    answer = client.post(
        f"/vouchers/notices/{lost.losing_event_id}/read",
        data={"csrf_token": _csrf(client)},
        follow_redirects=True,
    )
    assert answer.status_code == 200 and notice not in text_of(client.get("/me/"))
    tilleuls.sync()
    hall.sync()
    assert voucher_conflicts.notices_for(hall.db, paul.id) == []  # dismissed at every kiosk

    admin = residents.register(lilas.db, apartment="Loge", name="Marc Roux", pin=PIN, role="admin")
    app = create_app(lilas.config)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client, admin)
    report = text_of(client.get("/admin/vouchers"))
    assert voucher.serial in report and "Louise Bernard" in report


def test_a_double_redemption_never_blocks_sync_and_is_judged_once(network, hub):
    tilleuls, hall, lilas, jeanne, paul, louise, voucher = network
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    lilas.sync()
    hub.network.cut("/api/push", "cut_after")  # the verdict is written, the answer lost
    with pytest.raises(HubUnreachable):
        hall.sync()
    sync_until_quiet([tilleuls, hall, lilas])
    db = hub.db
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = ?", (VERDICT_TYPE,)) == 1
    db.close()
    assert all(not k.state()["last_error"] for k in (tilleuls, hall, lilas))
    compensations = store.scalar(
        tilleuls.db, "SELECT COUNT(*) FROM events WHERE type = 'voucher.conflict_compensated'"
    )
    assert compensations == 1


def _csrf(client) -> str:

    return re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/me/").get_data(as_text=True)
    ).group(1)
