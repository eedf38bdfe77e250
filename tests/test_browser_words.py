"""Words a resident understands, in Chromium at 800x480 in French: "Utiliser un bon" for
redeeming a voucher, and buttons that say what they do (the reversal form's "Annuler
l'échange" and "Revenir", never two buttons both called "Annuler")."""

from __future__ import annotations

import pytest
from browser import assert_accessible, log_in
from playwright.sync_api import expect

from kiosk.ledger import exchanges

pytestmark = pytest.mark.browser


def test_redeeming_a_voucher_is_called_utiliser_un_bon(page, app, building, live_server):
    server = live_server(app)
    log_in(page, server, "B-204", "Jeanne Martin")
    page.goto(server.url_for("/vouchers/"))
    expect(page.get_by_role("link", name="Utiliser un bon")).to_be_visible()
    assert "changer un bon" not in page.content()
    page.get_by_role("link", name="Utiliser un bon").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Utiliser un bon")
    expect(page.get_by_label("Code du bon", exact=False)).to_be_visible()
    assert_accessible(page)


def test_the_reversal_form_says_what_each_button_does(page, app, db, config, building, live_server):
    transfer = exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        category="sewing",
        minutes=60,
    )
    server = live_server(app)
    log_in(page, server, "A-001", "Claire Petit")
    page.goto(server.url_for(f"/admin/transfers/{transfer.reference}/reverse"))
    # The form's buttons sit in the page's action bar, below the page.
    bar = page.get_by_test_id("action-bar")
    expect(bar.get_by_role("button", name="Annuler l'échange")).to_be_visible()
    expect(bar.get_by_role("link", name="Revenir")).to_be_visible()
    for role in ("button", "link"):
        expect(page.get_by_role(role, name="Annuler", exact=True)).to_have_count(0)
    assert_accessible(page)
    bar.get_by_role("link", name="Revenir").tap()
    page.wait_for_url("**/admin/transfers")


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_wrong_pins_never_push_ok_off_screen_and_the_lock_says_until_when_and_who_helps(
    page, app, building, live_server
):
    server = live_server(app)
    page.goto(server.url_for("/login/apartments"))
    page.get_by_role("link", name="B-204").tap()
    page.get_by_role("button", name="Jeanne Martin").tap()
    page.wait_for_url("**/login/pin")
    for tried in range(1, 5):
        for digit in "9999":
            page.locator(f'.numpad button[data-key="{digit}"]').tap()
        page.locator('.numpad button[data-key="ok"]').tap()
        # The answer to this try (the page before it said "Code erroné" too): its count.
        expect(page.get_by_role("alert")).to_contain_text(
            f"Code erroné. Essais restants avant le blocage du compte : {5 - tried}"
        )
        ok = page.locator('.numpad button[data-key="ok"]')
        assert in_viewport(page, ok), ok.bounding_box()
        assert page.evaluate("() => window.scrollY") == 0
        assert no_sideways_scroll(page)
    for digit in "9999":
        page.locator(f'.numpad button[data-key="{digit}"]').tap()
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("bloqué jusqu")
    expect(alert).to_contain_text("bénévole")
    assert in_viewport(page, alert)
    expect(page.locator("main").get_by_role("button")).to_have_text(["Retour à l'accueil"])
    assert_accessible(page)
