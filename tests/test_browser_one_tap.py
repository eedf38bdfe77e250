"""A double tap in a real Chromium records once: the page sends one request (js/forms.js), and
with that script blocked the server still records once (kiosk/web/once.py). Tried on paying a
neighbour, redeeming a voucher and voting: two taps 60 ms apart on the same button."""

from __future__ import annotations

import re
import time

import pytest
from app_fixtures import PIN, jeanne_prints_a_voucher
from browser import log_in, pick_person, tap_numpad
from flask import request
from playwright.sync_api import expect

from kiosk import store
from kiosk.community import polls
from kiosk.residents import residents

pytestmark = pytest.mark.browser


SLOW_ANSWER_S = 0.3  # a Pi busy printing: the second tap lands while the first is on its way


@pytest.fixture
def kiosk(app, building, live_server):
    @app.before_request
    def busy_pi() -> None:
        if request.method == "POST":
            time.sleep(SLOW_ANSWER_S)

    return live_server(app)


@pytest.fixture(params=["with the page's script", "script blocked"])
def guard(request, page):
    """Each story twice: as the kiosk serves it, and with js/forms.js blocked (the server alone)."""
    if request.param == "script blocked":
        page.route("**/js/forms.js*", lambda route: route.abort())
    return request.param


def posts_to(page, path: str) -> list[str]:
    """The POST requests the page sends to ``path`` from now on (a list that fills)."""
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith(path) else None,
    )
    return sent


def double_tap(page, locator) -> None:
    """Two taps 60 ms apart at the button's place, as an impatient finger does (the second one
    does not wait for the button to be enabled)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(60)
    page.touchscreen.tap(x, y)


def test_a_double_tap_on_pay_records_one_exchange(page, kiosk, db, building, guard):
    log_in(page, kiosk, "A-101", "Paul Durand")
    page.goto(kiosk.url_for(f"/exchange/new?neighbour={building.jeanne.id}"))
    page.get_by_label("Un voisin m'a aidé : je paie").check()
    pick_person(page, "neighbour", "B-204", "Jeanne Martin")
    page.locator("#description").fill("Fuite sous l'évier")
    page.get_by_label("Catégorie").select_option("diy")
    page.locator("#hours").fill("1")
    page.locator('.osk button[data-action="ok"]').tap()  # the on-screen keyboard closes
    page.get_by_role("button", name="Continuer").tap()
    page.wait_for_url("**/exchange/confirm")
    tap_numpad(page, PIN)
    sent = posts_to(page, "/exchange/confirm")

    double_tap(page, page.locator('.numpad button[data-key="ok"]'))

    # Polled, not awaited: without the script the second tap aborts the first navigation.
    expect(page).to_have_url(re.compile(r".*/exchange/done/.+"))
    expect(page.get_by_test_id("payee-balance")).to_have_text("+10,00\u00a0CEEC")
    page.wait_for_timeout(300)  # a second answer would have come by now
    assert store.scalar(db, "SELECT COUNT(*) FROM transfers") == 1
    assert residents.get(db, building.jeanne.id).balance == 1000
    assert len(sent) == (1 if guard == "with the page's script" else 2), sent


def test_a_double_tap_on_credit_my_account_redeems_once(page, kiosk, db, config, building, guard):
    voucher = jeanne_prints_a_voucher(db, config, building, earned=3000, amount=2000)
    log_in(page, kiosk, "A-101", "Paul Durand")
    page.goto(kiosk.url_for("/vouchers/redeem"))
    page.locator("#code").fill(voucher.qr)  # as the scanner types it
    page.locator('.osk button[data-action="ok"]').click()  # the keyboard closes
    page.get_by_role("button", name="Vérifier le bon").click()
    page.wait_for_url("**/vouchers/check")
    sent = posts_to(page, "/vouchers/redeem")

    double_tap(page, page.get_by_role("button", name="Créditer mon compte"))

    expect(page).to_have_url(re.compile(rf".*/vouchers/redeemed/{voucher.serial}$"))
    page.wait_for_timeout(300)
    assert residents.get(db, building.paul.id).balance == -3000 + 2000
    assert store.scalar(db, "SELECT COUNT(*) FROM voucher_settlements") == 1
    assert len(sent) == (1 if guard == "with the page's script" else 2), sent


def test_a_double_tap_on_vote_votes_once(page, kiosk, db, config, building, guard):
    today = polls.today(config)
    poll = polls.open_poll(
        db,
        config,
        creator_id=building.admin.id,
        question="Repeindre le hall en vert ?",
        options=["Oui", "Non"],
        opens_on=today,
        closes_on=today,
    )
    log_in(page, kiosk, "A-101", "Paul Durand")
    page.goto(kiosk.url_for(f"/polls/{poll.id}"))
    page.get_by_role("radio", name="Oui").check()
    sent = posts_to(page, f"/polls/{poll.id}/vote")

    double_tap(page, page.get_by_role("button", name="Voter"))

    expect(page.get_by_text("Votre vote est enregistré")).to_be_visible()
    page.wait_for_timeout(300)
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'poll.voted'") == 1
    assert len(sent) == (1 if guard == "with the page's script" else 2), sent
