"""Two kiosks of one building that cannot reach each other both let a resident pay: the rule of
kiosk/ledger/overruns.py. Nothing recorded is refused after the fact; both kiosks converge on
the same balance below the floor, the resident and the volunteer are told, and the resident may
be paid but not pay until the balance is back at the floor."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of
from browser import assert_accessible, log_in
from playwright.sync_api import expect
from sync_fixtures import shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.app import create_app
from kiosk.errors import BelowFloor
from kiosk.ledger import exchanges, overruns
from kiosk.residents import residents
from printing.text import plain_spaces


def pay(kiosk, payer, payee, amount: int, what: str):
    return exchanges.record_exchange(
        kiosk.db,
        kiosk.config,
        payer_id=payer.id,
        payee_id=payee.id,
        description=what,
        amount=amount,
    )


def web(kiosk, resident):
    app = create_app(kiosk.config)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client, resident)
    return client


def read(client, path: str) -> str:
    """A page's text with the no-break spaces French typography puts in amounts made plain."""
    return plain_spaces(text_of(client.get(path)))


@pytest.fixture
def tilleuls(hub, make_kiosk):
    """The lobby kiosk and the community room's, both of Les Tilleuls, synced once."""
    lobby = make_kiosk("lobby", enrol_at=hub)
    room = make_kiosk("room", enrol_at=hub)
    people = {
        name: residents.register(lobby.db, apartment=apartment, name=name, pin=PIN, role=role)
        for name, apartment, role in (
            ("Jeanne Martin", "B-204", "resident"),
            ("Paul Durand", "A-101", "resident"),
            ("Eric Moreau", "C-12", "resident"),
            ("Claire Petit", "Loge", "admin"),
        )
    }
    sync_until_quiet([lobby, room])
    return lobby, room, people


def test_paying_at_both_kiosks_while_apart_ends_below_the_floor_told_and_settled(tilleuls, hub):
    lobby, room, people = tilleuls
    jeanne, paul, eric = people["Jeanne Martin"], people["Paul Durand"], people["Eric Moreau"]
    # The hub is out of reach: each kiosk sees Jeanne at 0 with a floor of -100 CEEC.
    pay(lobby, jeanne, paul, 8000, "Ménage")
    pay(room, jeanne, eric, 7000, "Repassage")
    with pytest.raises(BelowFloor):  # each kiosk still keeps to the floor it can see
        pay(room, jeanne, eric, 4000, "Courses")
    sync_until_quiet([lobby, room])

    snapshots = [shared_snapshot(kiosk.db) for kiosk in (lobby, room)]
    assert snapshots[0] == snapshots[1]
    for kiosk in (lobby, room):
        assert residents.get(kiosk.db, jeanne.id).balance == -15000
        assert store.scalar(kiosk.db, "SELECT SUM(balance) FROM accounts") == 0
        (overrun,) = overruns.below_floor(kiosk.db, kiosk.config)
        assert (overrun.resident_id, overrun.shortfall, overrun.cause) == (
            jeanne.id,
            5000,
            overruns.OFFLINE,
        )
        assert overrun.kiosks == tuple(sorted((lobby.origin, room.origin)))

    home = read(web(lobby, jeanne), "/me/")  # her PIN is known at her home kiosk
    assert "50,00 CEEC en dessous du plancher de -100,00 CEEC" in home
    assert "deux bornes" in home

    admin_home = read(web(lobby, people["Claire Petit"]), "/admin/")
    assert "Soldes sous le plancher" in admin_home and "B-204 · Jeanne Martin" in admin_home
    assert lobby.origin in admin_home and room.origin in admin_home

    # Settled in the open: Jeanne may not pay more, at either kiosk, through the page either...
    client = web(lobby, jeanne)
    before = store.scalar(lobby.db, "SELECT COUNT(*) FROM transfers")
    for kiosk in (lobby, room):
        with pytest.raises(BelowFloor):
            pay(kiosk, jeanne, paul, 100, "Pain")
    drafted = post(
        client,
        "/exchange/new",
        {
            "direction": "paid",
            "neighbour": paul.id,
            "description": "Pain",
            "category": "other",
            "amount": "1",
        },
    )
    assert drafted.status_code == 302
    refused = post(client, "/exchange/confirm", {"pin": PIN})
    assert refused.status_code == 400 and "plancher" in text_of(refused)
    assert store.scalar(lobby.db, "SELECT COUNT(*) FROM transfers") == before
    # ...she may be paid, and once back at the floor the notice goes and she may pay again.
    pay(room, paul, jeanne, 6000, "Garde d'enfants")
    sync_until_quiet([lobby, room])
    for kiosk in (lobby, room):
        assert overruns.below_floor(kiosk.db, kiosk.config) == []
    assert "plancher" not in read(web(lobby, jeanne), "/me/")
    pay(lobby, jeanne, paul, 100, "Pain")


def test_a_floor_raised_in_the_configuration_is_not_blamed_on_the_kiosks(tilleuls):
    lobby, _room, people = tilleuls
    jeanne, paul = people["Jeanne Martin"], people["Paul Durand"]
    pay(lobby, jeanne, paul, 9000, "Peinture")
    lobby.config["currency"]["credit_floor"] = -50
    (overrun,) = overruns.below_floor(lobby.db, lobby.config)
    assert (overrun.shortfall, overrun.cause, overrun.kiosks) == (
        4000,
        overruns.OTHER,
        (lobby.origin,),
    )
    home = read(web(lobby, jeanne), "/me/")
    assert "après une correction ou un changement du plancher" in home


@pytest.mark.browser
def test_the_notice_and_the_volunteers_list_read_on_the_lobby_screen(
    page, app, db, config, building, live_server, screenshot
):
    """A balance below the floor, in Chromium at 800x480 in French: the resident's notice and
    the volunteer's list are shown, readable and accessible (axe-core)."""
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.jeanne.id,
        payee_id=building.paul.id,
        description="Peinture",
        amount=9000,
    )
    config["currency"]["credit_floor"] = -50  # the association raised the floor since
    server = live_server(app)
    for resident, path, testid in (
        (building.jeanne, "/me/", "overrun"),
        (building.admin, "/admin/", "overruns"),
    ):
        page.context.clear_cookies()
        log_in(page, server, resident.apartment, resident.name)
        page.goto(server.url_for(path))
        shown = page.get_by_test_id(testid)
        expect(shown).to_be_visible()
        assert "40,00 CEEC" in plain_spaces(shown.inner_text())
        assert_accessible(page)
        (shot,) = screenshot(page, f"overrun-{testid}", sizes=((800, 480),))
        assert shot.stat().st_size > 0
