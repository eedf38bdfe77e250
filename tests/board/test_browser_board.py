"""The board in a real Chromium at 800x480: Jeanne posts an offer typed on the on-screen
keyboard, Paul finds it by searching without accents, answers it, and records the exchange
from the post. Every board page visited is checked with axe-core."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from browser import assert_accessible, log_in, osk_type, tap_numpad
from playwright.sync_api import expect

from kiosk.board import board
from kiosk.board import messages as board_messages
from kiosk.ledger import ledger

pytestmark = pytest.mark.browser


def test_an_offer_typed_on_screen_is_found_without_accents_answered_and_paid(
    page, app, db, config, building, live_server, screenshot
):

    server = live_server(app)
    log_in(page, server, "B-204", "Jeanne Martin")
    page.get_by_role("link", name="Le tableau").tap()
    page.wait_for_url("**/board/")
    page.get_by_role("link", name="Publier une offre ou une demande").tap()
    page.wait_for_url("**/board/new")
    page.get_by_label("Bricolage et petite plomberie", exact=False)  # the select is there
    page.get_by_label("Catégorie").select_option("diy")
    page.locator("#title").tap()
    osk_type(page, "Petite électricité")
    page.locator('.osk button[data-action="ok"]').tap()
    expect(page.locator("#title")).to_have_value("Petite électricité")
    assert_accessible(page)
    screenshot(page, "board-01-new", sizes=((800, 480),))
    page.get_by_role("button", name="Publier", exact=True).tap()
    page.wait_for_url("**/board/post/**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Petite électricité")
    expect(page.get_by_test_id("price")).to_have_text("10,00\u00a0CEEC par heure")
    assert_accessible(page)
    page.locator('button[form="logout-form"]').first.tap()
    page.wait_for_url("**/")

    log_in(page, server, "A-101", "Paul Durand")
    page.goto(server.url_for("/board/"))
    page.locator("#q").tap()
    osk_type(page, "electricite")
    page.locator('.osk button[data-action="ok"]').tap()  # data-ok="submit": searches
    page.wait_for_url("**/board/?**q=electricite**")
    expect(page.get_by_test_id("posts").locator("li")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "board-02-search", sizes=((800, 480), (1024, 600)))
    page.get_by_role("link", name="Petite électricité").tap()
    page.wait_for_url("**/board/post/**")
    page.locator("#body").tap()
    osk_type(page, "samedi")
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_role("button", name="Ça m’intéresse").tap()
    expect(page.locator(".flash-success")).to_contain_text("prochaine connexion")
    assert_accessible(page)
    screenshot(page, "board-03-answered", sizes=((800, 480),))
    [message] = board_messages.messages_for(db, building.jeanne.id)
    assert message.sender_id == building.paul.id and message.body == "samedi"

    page.get_by_role("link", name="Enregistrer l'échange").tap()
    page.wait_for_url("**/exchange/new?**")
    expect(page.locator(f'#picker-neighbour input[value="{building.jeanne.id}"]')).to_be_checked()
    expect(page.locator("#picker-neighbour [data-picker-chosen-name]")).to_have_text(
        "Jeanne Martin · B-204"
    )
    expect(page.locator("#hours")).to_have_value("1")
    expect(page.locator("#description")).to_have_value("Petite électricité")
    page.get_by_role("button", name="Continuer").tap()
    page.wait_for_url("**/exchange/confirm")
    tap_numpad(page, PIN)
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/exchange/done/**")
    [transfer] = ledger.recent_transfers(db)
    [post] = board.browse(db, config).posts
    assert transfer.post_id == post.id and transfer.amount == 1000
    assert transfer.payer_id == building.paul.id and transfer.payee_id == building.jeanne.id
