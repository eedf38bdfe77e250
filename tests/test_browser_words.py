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
    main = page.locator("main")
    expect(main.get_by_role("button", name="Annuler l'échange")).to_be_visible()
    expect(main.get_by_role("link", name="Revenir")).to_be_visible()
    expect(main.get_by_role("button", name="Annuler", exact=True)).to_have_count(0)
    expect(main.get_by_role("link", name="Annuler", exact=True)).to_have_count(0)
    assert_accessible(page)
    main.get_by_role("link", name="Revenir").tap()
    page.wait_for_url("**/admin/transfers")
