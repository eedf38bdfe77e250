"""A group purchase end to end in a real Chromium at 800x480, in French, by touch: the organiser
opens it with the on-screen keyboards, two neighbours order, the deadline passes, the organiser
marks it distributed and sees their CEEC balance rise by the fees. Pages checked with axe-core."""

from __future__ import annotations

import pytest
from app_fixtures import PIN
from browser import assert_accessible
from playwright.sync_api import expect

from kiosk import clock
from kiosk.projects import projects
from kiosk.residents import residents

pytestmark = pytest.mark.browser

DAY = 86400


def tap_keys(page, text: str) -> None:
    for char in text:
        if char.isupper():
            page.locator('.osk button[data-action="shift"]').tap()
            char = char.lower()
        page.locator(f'.osk button[data-char="{char}"]').tap()


def fill_by_touch(page, selector: str, text: str) -> None:
    page.locator(selector).tap()
    tap_keys(page, text)
    page.locator('.osk button[data-action="ok"]').tap()


def log_in(page, server, apartment: str, name: str) -> None:
    page.goto(server.url_for("/login/apartments"))
    page.get_by_role("link", name=apartment).tap()
    page.get_by_role("button", name=name).tap()
    page.wait_for_url("**/login/pin")
    for digit in PIN:
        page.locator(f'.numpad button[data-key="{digit}"]').tap()
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/me/")


def log_out(page) -> None:
    page.locator('button[form="logout-form"]').first.tap()
    page.wait_for_url("**/")


def order(page, server, project_id: str, apartment: str, name: str, jars: str) -> None:

    log_in(page, server, apartment, name)
    page.get_by_role("link", name="Projets et achats groupés").tap()
    page.get_by_role("link", name="Miel").tap()
    page.get_by_role("link", name="Commander").tap()
    expect(page.get_by_test_id("fee-notice")).to_contain_text("2,00\u00a0CEEC")
    page.locator("input[name^=qty_]").first.tap()
    tap_keys(page, jars)
    page.locator('.osk button[data-action="ok"]').tap()
    page.get_by_role("button", name="Enregistrer ma commande").tap()
    page.wait_for_url(f"**/projects/{project_id}")
    expect(page.get_by_test_id("my-order-total")).to_contain_text("Ma commande")
    log_out(page)


def test_a_honey_purchase_from_opening_to_the_organisers_fees(
    page, app, db, building, live_server, screenshot
):

    server = live_server(app)
    log_in(page, server, "A-001", "Claire Petit")
    page.get_by_role("link", name="Projets et achats groupés").tap()
    page.get_by_role("link", name="Proposer un projet").tap()
    fill_by_touch(page, "#title", "Miel")
    page.get_by_role("button", name="Proposer").tap()
    page.wait_for_url("**/purchases/*/setup")
    fill_by_touch(page, "#supplier", "Rucher")
    fill_by_touch(page, "#pickup_place", "Hall")
    fill_by_touch(page, "#name_1", "Pot")
    fill_by_touch(page, "#unit_1", "pot")
    fill_by_touch(page, "#price_1", "8")
    fill_by_touch(page, "#retail_1", "11")
    fill_by_touch(page, "#fee_amount", "2")
    assert_accessible(page)
    screenshot(page, "purchase-setup", sizes=((800, 480),))
    page.get_by_role("button", name="Ouvrir les commandes").tap()
    [project] = projects.all_projects(db)
    page.wait_for_url(f"**/projects/{project.id}")
    expect(page.get_by_text("L'achat groupé est ouvert")).to_be_visible()
    log_out(page)

    order(page, server, project.id, "B-204", "Jeanne Martin", "3")
    order(page, server, project.id, "A-101", "Paul Durand", "1")

    clock.shift(8 * DAY)  # past the deadline proposed by the form (7 days ahead)
    log_in(page, server, "A-001", "Claire Petit")
    expect(page.get_by_test_id("balance")).to_have_text("0,00\u00a0CEEC")
    page.goto(server.url_for(f"/projects/{project.id}"))
    expect(page.get_by_test_id("purchase-outcome")).to_contain_text("Confirmé")
    expect(page.locator("svg.chart title")).to_have_text("Euros économisés par foyer")
    assert_accessible(page)
    screenshot(page, "purchase-project", sizes=((800, 480),))
    page.get_by_role("link", name="Page de l'organisateur").tap()
    expect(page.get_by_test_id("order-total")).to_have_text("32,00\u00a0€")
    page.get_by_test_id("household-B-204").get_by_role("button", name="Espèces").tap()
    expect(page.get_by_test_id("household-B-204")).to_contain_text("espèces")
    assert_accessible(page)
    screenshot(page, "purchase-organise", sizes=((800, 480),))
    page.get_by_role("button", name="Marquer l'achat comme distribué").tap()
    expect(page.get_by_text("les frais de l'organisateur ont été payés")).to_be_visible()
    page.goto(server.url_for("/me/"))
    expect(page.get_by_test_id("balance")).to_have_text("+4,00\u00a0CEEC")
    assert residents.get(db, building.jeanne.id).balance == -200
