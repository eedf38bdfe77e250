"""Choosing a person by touch in a real Chromium at 800x480 (issue #18): Jeanne records that
Paul helped her, choosing him by staircase and apartment, then again by typing "pau" on the
on-screen keyboard; the exchange is recorded with Paul. axe-core checks every step."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from browser import assert_accessible, log_in, osk_type, tap_numpad
from playwright.sync_api import expect

from kiosk.residents import residents

pytestmark = pytest.mark.browser


@pytest.fixture
def kiosk(app, db, building, live_server):
    # Two staircases among Jeanne's neighbours, and a second "Pau…" for the search.
    residents.register(db, apartment="B-102", name="Lucas Blanc", pin=PIN)
    residents.register(db, apartment="B-301", name="Paulette Morel", pin=PIN)
    return live_server(app)


def test_jeanne_picks_paul_by_staircase_apartment_and_search_and_pays_him(page, kiosk, screenshot):
    log_in(page, kiosk, "B-204", "Jeanne Martin")
    page.goto(kiosk.url_for("/exchange/new"))
    picker = page.locator("#picker-neighbour")
    expect(picker.locator("select")).to_have_count(0)
    assert page.locator("select#neighbour").count() == 0
    assert_accessible(page)
    screenshot(page, "picker-01-stairs", sizes=((800, 480),))

    # By staircase, then apartment, then name: as on the login screen.
    picker.get_by_role("button", name="Escalier A").tap()
    expect(picker.get_by_role("button", name="Escalier A")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(picker.get_by_role("button", name="B-301")).to_be_hidden()
    picker.get_by_role("button", name="A-101").tap()
    expect(picker.get_by_role("radio", name="Paulette Morel")).to_be_hidden()
    assert_accessible(page)
    screenshot(page, "picker-02-apartment", sizes=((800, 480),))
    for box in (
        picker.get_by_role("button", name="A-101"),
        picker.locator("label", has_text="Paul Durand"),
    ):
        assert box.bounding_box()["height"] >= 48
    picker.locator("label", has_text="Paul Durand").tap()
    expect(picker.locator("label", has_text="Paul Durand").locator("input")).to_be_checked()
    expect(picker.locator("[data-picker-chosen-name]")).to_have_text("Paul Durand · A-101")
    assert_accessible(page)

    # Again, by search on the on-screen keyboard: "pau" finds Paul and Paulette, not the others.
    picker.get_by_role("button", name="Choisir une autre personne").tap()
    picker.get_by_label("Chercher un nom").tap()
    osk_type(page, "pau")
    expect(picker.locator(".picker-person:visible")).to_have_count(2)
    expect(picker.get_by_role("radio", name="Lucas Blanc")).to_be_hidden()
    assert_accessible(page)
    screenshot(page, "picker-03-search", sizes=((800, 480),))
    picker.locator("label", has_text="Paul Durand").tap()
    expect(picker.locator("label", has_text="Paul Durand").locator("input")).to_be_checked()
    expect(picker.locator("[data-picker-chosen-name]")).to_have_text("Paul Durand · A-101")

    page.get_by_label("Un voisin m'a aidé : je paie").check()
    page.locator("#description").tap()
    osk_type(page, "Courses")
    page.locator('.osk button[data-action="ok"]').tap()
    page.locator("#hours").tap()
    page.locator('.osk button[data-char="1"]').tap()
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_role("button", name="Continuer").tap()
    page.wait_for_url("**/exchange/confirm")
    expect(page.locator("main")).to_contain_text("Paul Durand")
    tap_numpad(page, PIN)
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/exchange/done/**")
    expect(page.locator("tr", has_text="Paul Durand").get_by_test_id("payee-balance")).to_have_text(
        "+10,00\u00a0CEEC"
    )
