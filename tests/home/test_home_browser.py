"""The home site in Chromium, as a resident's phone (390x844) and computer (1280x800): every
page in French and English is accessible (axe-core) and never scrolls sideways; the pairing
page makes the device's key, sends the signed pairing, waits for the kiosk and opens the
session; an action from home is signed by that key and shown waiting in "Mes demandes"."""

from __future__ import annotations

import json

import pytest
from browser import assert_accessible
from home_fixtures import BUILDING, Browser, feed, pair, small_building

from kiosk import home_requests as hr
from kiosk.board import board

PHONE = {"width": 390, "height": 844}
COMPUTER = {"width": 1280, "height": 800}
PAGES = (
    "/home/",
    "/home/statement",
    "/home/board",
    "/home/board/new",
    "/home/lending",
    "/home/projects",
    "/home/polls",
    "/home/payments",
    "/home/papers",
    "/home/requests",
    "/home/told",
)


@pytest.fixture
def building(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    jeanne, paul = small_building(a, b)
    board.publish(
        a.db,
        a.config,
        poster_id=jeanne.id,
        direction="offer",
        kind="service",
        category="diy",
        title="Réparer une étagère",
    )
    a.sync()
    return a, b, jeanne, paul


def tab(browser, viewport, locale):
    context = browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def no_sideways_overflow(page) -> None:
    wide = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"{page.url} scrolls sideways by {wide} px"


@pytest.mark.parametrize("viewport", [PHONE, COMPUTER], ids=["phone", "computer"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_fits_and_is_accessible(browser, hub, building, viewport, language):
    _a, _b, _jeanne, paul = building
    phone = Browser(hub, language)
    device = pair(hub, paul.id)
    assert phone.open_session(device) == 200
    context, page, errors = tab(browser, viewport, language)
    try:
        context.add_cookies(
            [{"name": "home_session", "value": phone.session_cookie(), "url": hub.url + "/home/"}]
        )
        for path in (*PAGES, "/home/board?q=etagere"):
            page.goto(hub.url + path)
            assert page.locator("html").get_attribute("lang") == language
            no_sideways_overflow(page)
            assert_accessible(page)
        assert "etagere" in page.url and page.locator("[data-testid=post]").count() == 1
        context.clear_cookies()
        page.goto(hub.url + "/home/")
        no_sideways_overflow(page)
        assert_accessible(page)
    finally:
        context.close()
    assert errors == []


@pytest.fixture
def board_answer():
    """The board's answer as the kiosk declares it (declared here until the kiosk's part is
    merged; the hub checks only its shape)."""
    hr.ACTIONS.names()
    added = "board.answer" not in hr.ACTIONS
    if added:
        action = hr.HomeAction("board.answer", {"post_id": str}, {"body": str})
        dict.__setitem__(hr.ACTIONS, "board.answer", action)
    yield
    if added:
        dict.__delitem__(hr.ACTIONS, "board.answer")


def test_the_pairing_page_waits_for_the_kiosk_then_opens_the_session(
    browser, hub, building, board_answer
):
    a, _b, _jeanne, paul = building
    context, page, errors = tab(browser, PHONE, "fr")
    try:
        page.goto(f"{hub.url}/home/pair#b={BUILDING}&k={a.origin}&p=offer-1&s=secret-1")
        assert "#" not in page.url  # the secret leaves the address bar at once
        assert_accessible(page)
        page.fill("#label", "Téléphone de Paul")
        page.click("#pair-form button")
        page.get_by_text("En attente de la borne").wait_for()
        db = hub.db
        try:
            row = db.conn.execute("SELECT id, text FROM home_requests").fetchone()
        finally:
            db.close()
        sent = json.loads(row[1])
        assert sent["kind"] == "pair" and sent["label"] == "Téléphone de Paul"
        assert sent["proof"] == hr.pair_proof("secret-1", "offer-1", sent["public_key"])
        # The kiosk checks the proof and records the device (its events, as the hub learns
        # them from an accepted batch).
        device_id = hr.device_id(sent["public_key"])
        feed(
            hub,
            "device.paired",
            {
                "device_id": device_id,
                "resident_id": paul.id,
                "public_key": sent["public_key"],
                "label": sent["label"],
            },
        )
        feed(
            hub,
            "home.request_answered",
            {
                "request_id": row[0],
                "resident_id": paul.id,
                "device_id": device_id,
                "action": "pair",
                "outcome": "applied",
                "message": "",
                "params": {},
            },
        )
        page.wait_for_url(hub.url + "/home/")
        assert "15,00" in page.locator("[data-testid=balance]").inner_text()

        # An action from home: signed by the key the page made, shown waiting.
        page.goto(hub.url + "/home/board")
        page.locator("form.act[data-action='board.answer'] button").first.click()
        page.wait_for_url(hub.url + "/home/requests")
        assert "En attente de la borne" in page.locator("main").inner_text()
        db = hub.db
        try:
            action = db.conn.execute(
                "SELECT text, signature, device_id FROM home_requests WHERE kind = 'action'"
            ).fetchone()
        finally:
            db.close()
        hr.verify(sent["public_key"], action[0], action[1])
        assert action[2] == device_id and json.loads(action[0])["resident"] == paul.id
    finally:
        context.close()
    assert errors == []
