"""The verification page in Chromium at 800x480: a neighbour who vouches meets one number pad
at a time, bound to the field it fills; their PIN is masked and asked in their name, and a
wrong one says whose tries are counted. The mailbox code is masked as well."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from browser import assert_accessible, pick_person, tap_numpad
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def visible_pads(page) -> int:
    """Number pads on screen: the inline ones and the pop-up panel, whichever are shown."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.numpad, .osk')]
            .filter((pad) => !pad.hidden && pad.getClientRects().length > 0).length"""
    )


def register(page, server) -> None:
    page.goto(server.url_for("/join"))
    page.evaluate(
        """() => {
            document.querySelector('#apartment').value = 'D-401';
            document.querySelector('#name').value = 'Lucie Nouvelle';
            document.querySelector('#pin').value = '1357';
            document.querySelector('#pin_again').value = '1357';
        }"""
    )
    page.get_by_role("button", name="M'inscrire").tap()
    page.wait_for_url("**/verification")


def test_a_neighbour_vouches_on_the_only_pad_with_a_masked_pin_asked_in_their_name(
    page, app, building, live_server, screenshot
):
    server = live_server(app)
    register(page, server)
    assert visible_pads(page) == 1  # the mailbox code's pad; no PIN field here
    assert page.locator("#mailbox-code").get_attribute("type") == "password"
    assert page.locator('input[name="pin"]').count() == 0
    assert_accessible(page)
    screenshot(page, "verification-01-choose")

    pick_person(page, "voucher_id", "A-101", "Paul Durand")
    page.get_by_role("button", name="Continuer").tap()
    page.wait_for_url("**/verification/vouch?*")
    pin = page.get_by_label("Code secret de Paul Durand")
    expect(pin).to_have_attribute("type", "password")
    assert visible_pads(page) == 1
    assert page.locator('.numpad[data-for="voucher-pin"]').count() == 1
    assert_accessible(page)

    tap_numpad(page, "9999")
    expect(pin).to_have_value("9999")  # typed into the PIN field, drawn as dots
    page.get_by_role("button", name="Je garantis que cette personne habite ici").tap()
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_contain_text(
        "Code erroné pour Paul Durand. Encore 4 essais erronés et le compte de Paul Durand"
    )
    expect(page.get_by_label("Code secret de Paul Durand")).to_have_attribute("type", "password")
    assert visible_pads(page) == 1
    assert_accessible(page)
    screenshot(page, "verification-02-wrong-pin")

    tap_numpad(page, PIN)
    page.get_by_role("button", name="Je garantis que cette personne habite ici").tap()
    page.wait_for_url("**/verification")
    expect(page.get_by_test_id("vouch-count")).to_have_text("Voisins garants : 1 sur 2")
