"""A resident's whole visit in a real Chromium: scan the card, PIN on the numpad, record an
exchange of 1 h 30 with the on-screen keyboards, see both balances and the receipt's preview.
Every page visited is checked with axe-core, and screenshots are taken at 800x480 in French."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fixtures import PIN
from browser import assert_accessible, osk_type, pick_person, tap_numpad
from playwright.sync_api import expect

from kiosk.ledger import exchanges
from kiosk.residents import residents
from printing import queue as print_queue
from printing.settings import PrintSettings
from printing.worker import PrintWorker

pytestmark = pytest.mark.browser


@pytest.fixture
def kiosk(app, config, building, live_server):
    worker = PrintWorker(
        config.database_path,
        PrintSettings.from_config(config.values, config.preview_dir),
        poll_seconds=0.2,
    )
    worker.start()
    app.extensions["print_worker"] = worker
    server = live_server(app)
    yield server
    worker.stop()


def check(page, screenshot, name: str, sizes=((800, 480),)) -> None:
    assert_accessible(page)
    screenshot(page, name, sizes=sizes)


def test_paul_scans_his_card_and_pays_jeanne_an_hour_and_a_half(
    page, kiosk, db, building, screenshot
):

    token = residents.issue_card(db, building.paul.id, print_it=False)
    page.goto(kiosk.url_for("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue à la borne de l'immeuble")
    check(page, screenshot, "01-welcome")

    # the USB scanner types the card's token very fast, then Enter
    page.wait_for_function("() => window.KioskScanner !== undefined")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_url("**/login/pin")
    expect(page.get_by_text("Paul Durand")).to_be_visible()
    check(page, screenshot, "02-pin")
    tap_numpad(page, PIN)
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/me/")
    expect(page.get_by_test_id("balance")).to_have_text("0,00\u00a0CEEC")
    check(page, screenshot, "03-home", sizes=((800, 480), (1024, 600), (1920, 1080)))

    page.get_by_role("link", name="Enregistrer un échange").tap()
    page.wait_for_url("**/exchange/new")
    page.get_by_label("Un voisin m'a aidé : je paie").check()
    pick_person(page, "neighbour", "B-204", "Jeanne Martin")
    page.locator("#description").tap()
    osk_type(page, "Fuite sous evier")
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_label("Catégorie").select_option("diy")
    page.locator("#hours").tap()
    page.locator('.osk button[data-char="1"]').tap()
    page.locator('.osk button[data-action="ok"]').tap()
    page.locator("#minutes").tap()
    page.locator('.osk button[data-char="3"]').tap()
    page.locator('.osk button[data-char="0"]').tap()
    page.locator('.osk button[data-action="ok"]').tap()
    expect(page.locator("#description")).to_have_value("Fuite sous evier")
    expect(page.locator("#hours")).to_have_value("1")
    expect(page.locator("#minutes")).to_have_value("30")
    check(page, screenshot, "04-exchange-form", sizes=((800, 480), (1024, 600), (1920, 1080)))
    page.get_by_role("button", name="Continuer").tap()

    page.wait_for_url("**/exchange/confirm")
    expect(page.locator(".summary-amount")).to_contain_text("15,00\u00a0CEEC")
    check(page, screenshot, "05-confirm")
    tap_numpad(page, PIN)
    page.locator('.numpad button[data-key="ok"]').tap()

    page.wait_for_url("**/exchange/done/**")
    expect(page.get_by_test_id("payee-balance")).to_have_text("+15,00\u00a0CEEC")
    expect(page.get_by_test_id("payer-balance")).to_have_text("-15,00\u00a0CEEC")
    check(page, screenshot, "06-done")

    # the receipt was printed by the worker to the preview printer
    [job] = print_queue.list_jobs(db, reference=page.url.rsplit("/", 1)[-1])
    for _ in range(50):
        job = print_queue.get_job(db, job.id)
        if job.state == "done":
            break
        page.wait_for_timeout(100)
    assert job.state == "done" and job.preview_path

    assert Path(job.preview_path).stat().st_size > 1000
    page.reload()
    expect(page.get_by_test_id("receipt-state")).to_have_text("Votre reçu a été imprimé.")


def test_the_statement_and_admin_pages_are_accessible(
    page, kiosk, db, config, building, screenshot
):

    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.admin.id,
        description="Couture d'un ourlet",
        category="sewing",
        minutes=45,
    )
    page.goto(kiosk.url_for("/login/apartments"))
    check(page, screenshot, "10-apartments")
    page.get_by_role("link", name="A-001").tap()
    page.wait_for_url("**/login/apartments/A-001")
    check(page, screenshot, "11-names")
    page.get_by_role("button", name="Claire Petit").tap()
    page.wait_for_url("**/login/pin")
    tap_numpad(page, PIN)
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/me/")
    for path, name in [
        ("/me/statement", "12-statement"),
        ("/admin/", "13-admin"),
        ("/admin/residents", "14-residents"),
        (f"/admin/residents/{building.jeanne.id}", "15-resident"),
        ("/admin/transfers", "16-transfers"),
        ("/admin/printer/", "17-printer"),
        ("/admin/residents/new", "18-new-resident"),
    ]:
        page.goto(kiosk.url_for(path))
        check(page, screenshot, name)
