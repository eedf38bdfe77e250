"""The hub's dashboard in a real Chromium, as its administrator sees it: closed until a
password is set, then behind HTTP basic authentication; in French (English for a browser that
prefers it), with a conflict told in words; no WCAG 2.2 AA violation at either screen size."""

from __future__ import annotations

import pytest
from browser import KIOSK_VIEWPORT, assert_accessible, log_in
from playwright.sync_api import expect
from sync_fixtures import own_batch, record_notes, send

from kiosk import store
from sync import protocol
from sync.errors import HubRefused
from sync.hub import dashboard as hub_dashboard

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def a_hub_with_a_fork(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    make_kiosk("b", building="Les Lilas", enrol_at=hub)
    record_notes(a, 5)
    a.sync()
    batch = own_batch(a, 3, 4)
    batch["events"][0]["payload"]["name"] = "Quelqu'un d'autre"
    with pytest.raises(HubRefused):
        send(a, "POST", "/api/push", protocol.encode_body(batch))
    return a, batch["events"][0]["seq"]


def test_the_hub_dashboard_in_french_is_readable_and_accessible(
    hub, make_kiosk, browser, screenshot
):
    a, seq = a_hub_with_a_fork(hub, make_kiosk)
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(hub.url + "/")  # no password set yet: closed, and says how to open it
        assert "kiosk hub dashboard-password" in page.inner_text("body")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert_accessible(page)
    finally:
        context.close()
    db = hub.db
    hub_dashboard.set_dashboard_password(db, PASSWORD)
    db.close()
    context = browser.new_context(
        viewport=KIOSK_VIEWPORT,
        locale="fr-FR",
        http_credentials={"username": "admin", "password": PASSWORD},
    )
    try:
        page = context.new_page()
        response = page.goto(hub.url + "/")
        assert response.status == 200
        text = page.inner_text("body")
        assert "Les Lilas" in text and "Résidence des Tilleuls" in text
        assert "Autre événement, même numéro" in text
        assert f"La borne {a.origin} a envoyé un autre événement sous le numéro {seq}" in text
        assert_accessible(page)
        for path in screenshot(page, "hub-dashboard-fr"):
            assert path.stat().st_size > 0
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= KIOSK_VIEWPORT["width"]  # no sideways scrolling on a small screen
    finally:
        context.close()


def test_the_hub_dashboard_asks_for_its_password_and_speaks_english_when_preferred(
    hub, make_kiosk, browser
):
    a, seq = a_hub_with_a_fork(hub, make_kiosk)
    db = hub.db
    hub_dashboard.set_dashboard_password(db, PASSWORD)
    assert store.scalar(db, "SELECT COUNT(*) FROM conflicts") == 1
    db.close()
    context = browser.new_context(
        viewport=KIOSK_VIEWPORT,
        locale="en-GB",
        http_credentials={"username": "admin", "password": "not the password"},
    )
    try:
        assert context.new_page().goto(hub.url + "/").status == 401
    finally:
        context.close()
    context = browser.new_context(
        viewport=KIOSK_VIEWPORT,
        locale="en-GB",
        http_credentials={"username": "admin", "password": PASSWORD},
    )
    try:
        page = context.new_page()
        page.goto(hub.url + "/")
        assert f"Kiosk {a.origin} sent another event under number {seq}" in page.inner_text("body")
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["backup_too_old", "refused"])
def test_the_kiosks_sync_page_says_what_to_do_after_a_failure(
    page, app, db, building, live_server, screenshot, kind
):

    with store.write(db):  # enrolled, and the last sync failed in a way retrying will not mend
        db.execute(
            "UPDATE sync_state SET hub_url = 'https://hub.example.org', building = 'Résidence des Tilleuls', "
            "enrolled_at = '2026-11-01T10:00:00Z', last_attempt_at = '2026-11-23T05:00:00Z', "
            "last_error = 'the hub refused: details for support', last_error_kind = ? WHERE id = 1",
            [kind],
        )
    server = live_server(app)
    log_in(page, server, "A-001", "Claire Petit")
    page.goto(server.url_for("/admin/sync/"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("La borne continue de fonctionner seule")
    expect(alert).to_contain_text("details for support")
    expect(alert).not_to_contain_text("réessaie d'elle-même")
    # The status bar may shorten "never synced" on this narrow screen, never the count waiting.
    item, count = (
        page.get_by_test_id("status-sync"),
        page.get_by_test_id("status-sync").locator(".status-count"),
    )
    expect(count).to_have_text(" · 5 à envoyer")
    assert (
        count.bounding_box()["x"] + count.bounding_box()["width"]
        <= item.bounding_box()["x"] + item.bounding_box()["width"] + 1
    )
    assert item.bounding_box()["x"] + item.bounding_box()["width"] <= 800
    logout = page.get_by_role("button", name="Se déconnecter").bounding_box()
    beyond = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 800.5).map(e => e.tagName + '.' + e.className)""")
    assert logout["x"] + logout["width"] <= 800 and beyond == []
    assert_accessible(page)
    screenshot(page, f"sync-admin-{kind}")
