"""Vouchers in a real Chromium: Jeanne prints two vouchers with her PIN on the numpad; Paul
scans one at the kiosk and is credited; scanned again, it is refused."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, jeanne_prints_a_voucher
from browser import assert_accessible
from playwright.sync_api import expect

from kiosk import store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from printing import queue as print_queue

pytestmark = pytest.mark.browser


def log_in_with_card(page, server, db, resident) -> None:
    token = residents.issue_card(db, resident.id, print_it=False)
    page.goto(server.url_for("/"))
    page.wait_for_function("() => window.KioskScanner !== undefined")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_url("**/login/pin")
    for digit in PIN:
        page.locator(f'.numpad button[data-key="{digit}"]').tap()
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/me/")


def scan(page, code: str) -> None:
    """What scanner.js does when a burst of keys ends with Enter and forms a code."""
    page.wait_for_function("() => window.KioskScanner !== undefined")
    page.evaluate("(code) => window.KioskScanner.deliver(code)", code)


def test_jeanne_issues_two_vouchers_and_paul_redeems_one_once(
    page, app, db, config, building, live_server, screenshot
):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        amount=4000,
    )
    server = live_server(app)

    log_in_with_card(page, server, db, building.jeanne)
    page.get_by_role("link", name="Bons", exact=True).tap()
    page.get_by_role("link", name="Imprimer des bons").tap()
    page.locator("#count_1000").tap()
    page.locator('.osk button[data-char="2"]').tap()
    page.locator('.osk button[data-action="ok"]').tap()
    expect(page.locator("#count_1000")).to_have_value("2")
    assert_accessible(page)
    page.get_by_role("button", name="Continuer").tap()
    page.wait_for_url("**/vouchers/issue/confirm")
    expect(page.locator(".summary-amount")).to_contain_text("20,00")
    for digit in PIN:
        page.locator(f'.numpad button[data-key="{digit}"]').tap()
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/vouchers/")
    expect(page.get_by_text("2 bons sont en cours d'impression")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "vouchers-home", sizes=((800, 480),))
    # The paper: what the print job holds for the printer (the kiosk keeps no copy of it).
    first = store.scalar(db, "SELECT serial FROM vouchers ORDER BY voucher_seq LIMIT 1")
    qr = print_queue.list_jobs(db, reference=first)[0].payload["qr"]
    page.get_by_role("button", name="Se déconnecter").first.tap()
    page.wait_for_url(server.url_for("/"))

    log_in_with_card(page, server, db, building.paul)
    scan(page, qr)
    page.wait_for_url("**/vouchers/check")
    expect(page.get_by_test_id("voucher-summary")).to_contain_text("10,00")
    assert_accessible(page)
    page.get_by_role("button", name="Créditer mon compte").tap()
    page.wait_for_url("**/vouchers/redeemed/*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bon utilisé")
    assert residents.get(db, building.paul.id).balance == -4000 + 1000

    scan(page, qr)
    page.wait_for_url("**/vouchers/check")
    expect(page.locator("#form-error")).to_contain_text("a déjà été utilisé")
    assert_accessible(page)
    assert residents.get(db, building.paul.id).balance == -3000


def test_a_full_length_voucher_qr_typed_by_the_scanner_reaches_the_kiosk(
    page, app, db, config, building, live_server
):

    voucher = jeanne_prints_a_voucher(db, config, building, earned=4000, amount=500)
    server = live_server(app)
    log_in_with_card(page, server, db, building.paul)
    page.keyboard.type(voucher.qr)
    page.keyboard.press("Enter")
    page.wait_for_url("**/vouchers/check")
    expect(page.get_by_test_id("voucher-summary")).to_contain_text("5,00")


def code_type(page, text: str) -> None:
    """Type on the code keyboard: figures and the code's capital letters, space between."""
    for char in text:
        if char == " ":
            page.locator('.osk button[data-action="space"]').tap()
        else:
            page.locator(f'.osk button[data-char="{char}"]').tap()


def test_paul_types_the_code_under_the_qr_on_the_touchscreen(
    page, app, db, config, building, live_server
):
    """The QR code will not scan: the code under it, typed on the code keyboard (figures and
    capitals on one layer, no shift), redeems the voucher; the number alone is refused with a
    reason, and so is a typo."""
    voucher = jeanne_prints_a_voucher(db, config, building, earned=4000, amount=500)
    server = live_server(app)
    page.set_viewport_size({"width": 800, "height": 480})
    log_in_with_card(page, server, db, building.paul)
    page.goto(server.url_for("/vouchers/redeem"))
    page.locator("#code").tap()
    expect(page.locator('.osk button[data-action="shift"]')).to_have_count(0)
    assert page.locator(".osk button[data-char]").count() == 10 + 19 + 1  # figures, letters, -
    code_type(page, voucher.serial.replace("-", " "))
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_role("button", name="Vérifier le bon").tap()
    page.wait_for_url("**/vouchers/check")
    expect(page.locator("#form-error")).to_contain_text("que le numéro du bon")
    assert_accessible(page)
    typed = voucher.typed_code.replace("-", " ")
    expect(page.locator("#code")).to_have_value(voucher.serial.replace("-", " "))
    page.locator("#code").tap()
    page.locator('.osk button[data-action="clear"]').tap()
    code_type(page, typed[:-1] + ("3" if typed[-1] != "3" else "4"))
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_role("button", name="Vérifier le bon").tap()
    page.wait_for_url("**/vouchers/check")
    expect(page.locator("#form-error")).to_contain_text("ne correspond pas")
    page.locator("#code").tap()
    page.locator('.osk button[data-action="back"]').tap()  # one character to correct
    code_type(page, typed[-1])
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_role("button", name="Vérifier le bon").tap()
    page.wait_for_url("**/vouchers/check")
    expect(page.get_by_test_id("voucher-summary")).to_contain_text("5,00")
    page.get_by_role("button", name="Créditer mon compte").tap()
    page.wait_for_url("**/vouchers/redeemed/*")
    assert residents.get(db, building.paul.id).balance == -4000 + 500
