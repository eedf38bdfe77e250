"""From the lobby to a phone and back, with nothing played: a real hub serving the home site,
two kiosks of the building, the lobby kiosk's own pages in an 800x480 touch Chromium and a
phone-sized Chromium (390x844).

Jeanne links her phone by the QR code the kiosk draws (decoded from the screen with zxing-cpp),
the phone's browser makes its key and pairs; the home site shows her balance and the board;
a post from the phone lands on the other kiosk's board after a sync; an order sent in time but
reaching the kiosk after the deadline is refused, and the phone says so in French words; a
request the hub alters is refused by the kiosk; the phone removed at the kiosk is logged out."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from browser import assert_accessible, log_in
from departure_scene import purchase
from home_fixtures import PIN
from PIL import Image
from sync_fixtures import sync_until_quiet

from kiosk import clock, i18n, store
from kiosk.app import create_app
from kiosk.board import board
from kiosk.ledger import exchanges
from kiosk.projects import purchases as group_purchases
from kiosk.residents import devices, residents

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def scene(hub, make_kiosk, live_server):
    lobby = make_kiosk("lobby", enrol_at=hub)
    room = make_kiosk("room", enrol_at=hub)
    admin = residents.register(lobby.db, apartment="A-001", name="Claire Petit", role="admin")
    jeanne = residents.register(lobby.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(lobby.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        lobby.db,
        lobby.config,
        payer_id=jeanne.id,
        payee_id=paul.id,
        description="Étagère",
        minutes=90,
    )
    board.publish(
        lobby.db,
        lobby.config,
        poster_id=paul.id,
        direction="offer",
        kind="service",
        category="diy",
        title="Réparer une étagère",
    )
    sync_until_quiet([lobby, room])
    server = live_server(create_app(lobby.config))
    return lobby, room, admin, jeanne, server


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


def qr_on_screen(page) -> str:
    """What the QR code on the kiosk's screen says, read from a screenshot as a camera would."""
    shot = page.locator("[data-testid=pair-qr]").screenshot()
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    return code.text


def wait_for_status(hub, request_id: str, *, until: str = "waiting", kiosks=()) -> dict:
    for _ in range(10):
        for kiosk in kiosks:
            kiosk.sync()
        db = hub.db
        try:
            row = store.query_one(db, "SELECT * FROM home_requests WHERE id = ?", [request_id])
        finally:
            db.close()
        if row is not None and (row["outcome"] or "waiting") != until:
            return dict(row)
    raise AssertionError(f"request {request_id} still {until}")


def newest_request(hub) -> dict:
    db = hub.db
    try:
        return dict(
            store.query_one(db, "SELECT * FROM home_requests ORDER BY received_at DESC, rowid DESC")
        )
    finally:
        db.close()


def test_a_phone_linked_at_the_lobby_follows_and_acts_within_the_kiosks_rules(
    hub, scene, page, phone, screenshot
):
    lobby, room, admin, jeanne, server = scene

    # At the lobby: Jeanne logs in with her PIN and asks for a QR code.
    log_in(page, server, "B-204", "Jeanne Martin")
    page.goto(server.url_for("/me/devices/"))
    assert_accessible(page)
    page.locator("[data-testid=action-bar] button", has_text="Relier mon téléphone").tap()
    url = qr_on_screen(page)
    screenshot(page, "link-my-phone")
    assert_accessible(page)
    assert url.startswith(f"{hub.url}/home/pair#")

    # Her phone's camera opens the address; the phone makes its key and sends the pairing.
    phone.goto(url)
    assert "#" not in phone.url  # the secret is gone from the address bar
    phone.locator("#label").fill("Téléphone de Jeanne")
    phone.locator("#pair-form button").tap()
    phone.get_by_text("En attente de la borne").wait_for()
    pairing = newest_request(hub)
    assert pairing["kind"] == "pair" and pairing["kiosk"] == lobby.origin

    # The lobby kiosk takes it at its sync; the phone opens its session and shows her home.
    wait_for_status(hub, pairing["id"], kiosks=[lobby])
    phone.wait_for_url("**/home/")
    screenshot(phone, "home-site-phone", sizes=((390, 844),))
    page.locator("[data-testid=pair-done]").wait_for()
    (linked,) = devices.devices_of(lobby.db, jeanne.id)
    assert linked.label == "Téléphone de Jeanne"
    home = phone.locator("main").inner_text().replace("\u202f", " ").replace("\xa0", " ")
    assert "Bonjour Jeanne Martin" in home and "-15,00 CEEC" in home, home
    assert "Données de la borne du" in home
    assert_accessible(phone)

    # The board, searched without accents.
    phone.goto(f"{hub.url}/home/board?q=etagere")
    assert "Réparer une étagère" in phone.locator("main").inner_text()

    # A post from the phone: waiting for the kiosk, then on the other kiosk's board.
    phone.goto(f"{hub.url}/home/board/new")
    phone.locator("#title").fill("Cours de tricot")
    phone.locator("#description").fill("Le mardi soir")
    phone.get_by_role("button", name="Publier").tap()
    phone.wait_for_url("**/home/requests")
    assert "En attente de la borne" in phone.locator("main").inner_text()
    posted = newest_request(hub)
    wait_for_status(hub, posted["id"], kiosks=[room, lobby])
    sync_until_quiet([lobby, room])
    for kiosk in (lobby, room):
        mine = board.posts_of(kiosk.db, kiosk.config, jeanne.id)
        assert [post.title for post in mine] == ["Cours de tricot"]
    phone.reload()
    assert "En attente de la borne" not in phone.locator("main").inner_text()

    # An order sent before the deadline reaches the kiosk after it: refused, said in French.
    bought = purchase(lobby.db, lobby.config, admin, "Granulés de bois", deadline_days=1)
    sync_until_quiet([lobby, room])
    phone.goto(f"{hub.url}/home/projects")
    (bag,) = bought.products
    phone.locator(f"#q-{bag.id}").fill("2")
    phone.get_by_role("button", name="Commander").tap()
    phone.wait_for_url("**/home/requests")
    ordered = newest_request(hub)
    clock.shift(2 * 86400)
    try:
        answered = wait_for_status(hub, ordered["id"], kiosks=[lobby, room])
    finally:
        clock.shift(-2 * 86400)
    assert answered["outcome"] == "refused"
    for kiosk in (lobby, room):
        assert group_purchases.order_of(kiosk.db, bought.project_id, jeanne.id) == {}
    phone.reload()
    refused = phone.locator(f"[data-request='{ordered['id']}']").inner_text()
    assert french_words(answered["message"]) in refused.replace("\u202f", " "), refused
    assert "%(" not in refused and "T00:00" not in refused  # the day is written, not coded

    # The hub alters a waiting request (another title): the kiosk refuses it, nothing posted.
    phone.goto(f"{hub.url}/home/board/new")
    phone.locator("#title").fill("Garde de chat")
    phone.get_by_role("button", name="Publier").tap()
    phone.wait_for_url("**/home/requests")
    forged = newest_request(hub)
    db = hub.db
    try:
        with store.write(db):
            db.execute(
                "UPDATE home_requests SET text = replace(text, 'Garde de chat', 'Garde de chien') "
                "WHERE id = ?",
                [forged["id"]],
            )
    finally:
        db.close()
    answer = wait_for_status(hub, forged["id"], kiosks=[lobby, room])
    assert answer["outcome"] == "refused"
    sync_until_quiet([lobby, room])
    for kiosk in (lobby, room):
        titles = [post.title for post in board.posts_of(kiosk.db, kiosk.config, jeanne.id)]
        assert titles == ["Cours de tricot"]

    # Jeanne removes the phone at the lobby: after a sync, the phone is logged out with words.
    page.goto(server.url_for("/me/devices/"))
    page.locator("[data-testid=device-list] button", has_text="Retirer").tap()
    page.locator("[data-testid=device-list]").wait_for(state="detached")
    assert devices.devices_of(lobby.db, jeanne.id) == []
    sync_until_quiet([lobby, room])
    assert phone.goto(f"{hub.url}/home/").status == 403
    text = phone.locator("main").inner_text()
    assert "-15,00" not in text.replace("\u202f", " ")
    assert "Cet appareil a été retiré de votre compte à la borne" in text, text
    assert_accessible(phone)


def french_words(message: str) -> str:
    """The longest fixed part of the kiosk's French for ``message`` (its values left out)."""
    french = i18n.gettext_for("fr")(message)
    assert french != message, f"no French for {message!r}"
    return max(re.split(r"%\([a-z_]+\)[sd]", french), key=len).strip()
