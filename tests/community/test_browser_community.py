"""A newcomer's first day in a real Chromium: register at the kiosk with the on-screen
keyboards, be vouched for by two neighbours typing their PINs, vote in a poll, log out and see
the urgent alert on the idle screen. Pages are checked with axe-core, at 800x480 in French."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from browser import assert_accessible, pick_person, tap_numpad
from playwright.sync_api import expect

from kiosk.community import alerts, polls

pytestmark = pytest.mark.browser


def tap_osk(page, keys: str) -> None:
    for char in keys:
        if char == " ":
            page.locator('.osk button[data-action="space"]').tap()
        else:
            page.locator(f'.osk button[data-char="{char}"]').tap()


def osk_ok(page) -> None:
    page.locator('.osk button[data-action="ok"]').tap()


def type_pin(page, field: str, pin: str) -> None:
    page.locator(field).tap()
    tap_osk(page, pin)
    osk_ok(page)


def test_a_newcomer_is_vouched_for_votes_and_sees_the_alert_after_logging_out(
    page, app, config, db, building, live_server, screenshot
):

    today = polls.today(config)
    poll = polls.open_poll(
        db,
        config,
        creator_id=building.admin.id,
        question="Fête des voisins en juin ?",
        options=["Oui", "Non"],
        opens_on=today,
        closes_on=today,
    )
    server = live_server(app)
    page.goto(server.url_for("/"))
    expect(
        page.get_by_role("link", name="Passez votre carte ou touchez pour commencer")
    ).to_be_visible()
    page.get_by_role("link", name="Nouveau dans l'immeuble ? Inscrivez-vous").tap()
    page.wait_for_url("**/join")

    page.locator("#apartment").tap()
    tap_osk(page, "d")
    page.locator('.osk button[data-action="symbols"]').tap()
    tap_osk(page, "-401")
    osk_ok(page)
    page.locator("#name").tap()
    page.locator('.osk button[data-action="shift"]').tap()
    tap_osk(page, "lucie")
    osk_ok(page)
    type_pin(page, "#pin", "1357")
    type_pin(page, "#pin_again", "1357")
    expect(page.locator("#apartment")).to_have_value("d-401")
    assert_accessible(page)
    screenshot(page, "community-01-join")
    page.get_by_role("button", name="M'inscrire").tap()

    page.wait_for_url("**/verification")
    expect(page.get_by_test_id("vouch-count")).to_have_text("Voisins garants : 0 sur 2")
    assert_accessible(page)
    screenshot(page, "community-02-verification")
    for apartment, neighbour in (("B-204", "Jeanne Martin"), ("A-101", "Paul Durand")):
        pick_person(page, "voucher_id", apartment, neighbour)
        page.get_by_role("button", name="Continuer").tap()
        page.wait_for_url("**/verification/vouch?*")
        tap_numpad(page, PIN)
        page.get_by_role("button", name="Je garantis que cette personne habite ici").tap()
        if neighbour == "Jeanne Martin":  # the page comes back with one neighbour counted
            expect(page.get_by_test_id("vouch-count")).to_have_text("Voisins garants : 1 sur 2")
    page.wait_for_url("**/me/")
    expect(page.get_by_text("Votre compte est maintenant vérifié", exact=False)).to_be_visible()

    page.get_by_role("link", name="Annonces et sondages").tap()
    page.get_by_role("link", name="Sondages").tap()
    page.get_by_role("link", name="Fête des voisins en juin ?").tap()
    page.get_by_role("radio", name="Oui").check()
    page.get_by_role("button", name="Voter").tap()
    expect(page.get_by_text("Votre vote est enregistré", exact=False)).to_be_visible()
    expect(page.get_by_test_id("votes-0")).to_have_text("1")
    assert_accessible(page)
    screenshot(page, "community-03-poll")
    assert polls.get_poll(db, config, poll.id).counts == [1, 0]

    # meanwhile, the caretaker raises an alert: it shows after logging out, on the idle screen
    alerts.raise_alert(
        db, config, raiser_id=building.admin.id, kind="flood", text="Fuite d'eau au 3e étage"
    )
    page.get_by_role("button", name="Se déconnecter").first.tap()
    page.wait_for_url(server.url_for("/"))
    banner = page.get_by_test_id("alert-banner")
    expect(banner).to_contain_text("Fuite d'eau au 3e étage")
    expect(
        page.get_by_role("link", name="Passez votre carte ou touchez pour commencer")
    ).to_be_visible()
    expect(page.locator(".idle-panel")).to_contain_text("Fête des voisins en juin ?")
    assert "CEEC" not in page.content()
    assert_accessible(page)
    screenshot(page, "community-04-idle-alert")
