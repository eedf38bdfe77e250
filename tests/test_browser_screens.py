"""Every page of the kiosk on the 800x480 lobby screen (issue #18), in a real Chromium with
touch: as a resident, the volunteer, a newcomer and someone not logged in, in a building of
thirty residents with the community's life under way (an urgent alert on every screen, a
notice, posts, a payment request, a group purchase, a poll, a loan) and a print job waiting.

For each page, at first paint and before any scroll: its primary action is wholly on screen
and not covered, nothing overflows sideways, the top bar with "Se déconnecter" is still on
screen once scrolled to the end, and axe-core finds no WCAG 2.2 AA violation (tests/
screen_walk.py). The pages reached by a form (a confirmation, a PIN for a neighbour) are
reached by touch. A sample of pages is checked again at 1024x600 and 1920x1080, and with a
long name, in English and with the printer out of paper. Screenshots of every page go to the
test artefacts ($KIOSK_SCREENSHOTS), and the flows' taps are timed, touch to next paint, into
taps.json ($KIOSK_ARTEFACTS; tests/tap_timing.py: measured, never judged here, bench/bench_taps.py
holds the target)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from app_fixtures import PIN
from browser import log_in, osk_type, pick_person, tap_numpad
from paper_scenes import ALERT_TEXT, community_life
from playwright.sync_api import expect
from screen_walk import check_screen

from kiosk import clock, demo
from kiosk.admin import moving_out
from kiosk.board import board, lending, payment_requests
from kiosk.community import polls
from kiosk.ledger.exchanges import record_exchange
from kiosk.projects import projects, purchase_orders
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents
from printing import queue
from printing.status import PrinterState, PrinterStatus

pytestmark = pytest.mark.browser

LONG_NAME = "Marie-Françoise de La Tour-Saint-Ygest-Montesquiou"


class StubWorker:
    """The print worker as the status bar sees it: a state, and nothing printed."""

    def __init__(self, state: PrinterState) -> None:
        self.status = PrinterStatus(state)

    def wake(self) -> None:
        pass


@dataclass
class World:
    building: object
    ids: dict[str, str]


@pytest.fixture
def world(app, db, config, building) -> World:
    b = building
    demo.populate(db, config, exchanges=0)  # thirty neighbours to choose from
    scene = community_life(db, config, b)
    exchange = record_exchange(
        db, config, payer_id=b.paul.id, payee_id=b.jeanne.id, description="Ourlets", minutes=90
    )
    record_exchange(
        db, config, payer_id=b.jeanne.id, payee_id=b.paul.id, description="Courses", minutes=30
    )
    post = board.publish(
        db,
        config,
        poster_id=b.paul.id,
        direction="offer",
        kind="lend",
        category="diy",
        title="Perceuse à percussion avec son coffret de mèches",
    )
    lending.lend(
        db, config, lender_id=b.paul.id, borrower_id=b.jeanne.id, item="Escabeau", post_id=post.id
    )
    poll = polls.open_poll(
        db,
        config,
        creator_id=b.admin.id,
        question="Faut-il installer un composteur « partagé » dans la cour ?",
        options=["Oui, près du local à vélos", "Non (pas de place)"],
        opens_on=polls.today(config),
        closes_on=polls.today(config) + timedelta(days=6),
    )
    grouped = projects.propose(
        db,
        resident_id=b.admin.id,
        title="Commande groupée de miel de lavande et d’huile d’olive",
        description="Directement chez le producteur.",
        kind="group_purchase",
    )
    now = clock.now()
    purchase = group_purchases.open_purchase(
        db,
        config,
        grouped.id,
        by=b.admin.id,
        supplier="Rucher des Monts d’Or (Saint-Didier)",
        deadline=now + timedelta(days=2),
        pickup_place="Local à vélos, bâtiment A",
        pickup_at=now + timedelta(days=5),
        products=[
            ProductDraft("Miel de lavande", "pot", 850),
            ProductDraft("Huile d’olive vierge extra", "bouteille", 1200),
        ],
    )
    purchase_orders.place_order(db, config, grouped.id, b.paul.id, {purchase.products[0].id: 1000})
    setup_later = projects.propose(
        db, resident_id=b.admin.id, title="Achat de bulbes", description="", kind="group_purchase"
    )
    sent = payment_requests.request_payment(
        db, config, provider_id=b.paul.id, payer_id=b.jeanne.id, description="Arrosage", minutes=30
    )
    (leaver,) = residents.in_apartment(db, "B-102")  # Lucas Blanc moved out last month
    moving_out.close_resident(db, config, resident_id=leaver.id, admin_id=b.admin.id)
    job = queue.enqueue(db, "test_page", {"requested_at": clock.now_iso(), "note": "Rouleau"})
    app.extensions["print_worker"] = StubWorker(PrinterState.ONLINE)
    return World(
        building=b,
        ids={
            "reference": exchange.reference,
            "offer": scene.offer_id,
            "loan_post": post.id,
            "notice": scene.notice_id,
            "request": scene.payment_request_id,
            "sent_request": sent.id,
            "dues_project": scene.dues_project_id,
            "purchase": grouped.id,
            "setup": setup_later.id,
            "poll": poll.id,
            "job": str(job),
            "paul": b.paul.id,
            "leaver": leaver.id,
            "jeanne": b.jeanne.id,
        },
    )


@pytest.fixture
def kiosk(app, world, live_server):
    return live_server(app)


# (artefact name, path, primary action as (role, French name) or None for a page to read)
PAUL = [
    ("home", "/me/", ("link", "Enregistrer un échange")),
    ("exchange-new", "/exchange/new", ("button", "Continuer")),
    ("statement", "/me/statement", ("button", "Imprimer mon relevé")),
    ("be-told", "/me/told/", ("button", "Enregistrer")),
    ("vouchers", "/vouchers/", ("link", "Imprimer des bons")),
    ("vouchers-issue", "/vouchers/issue", ("button", "Continuer")),
    ("vouchers-redeem", "/vouchers/redeem", ("button", "Vérifier le bon")),
    ("board", "/board/", ("button", "Rechercher")),
    ("board-new", "/board/new", ("button", "Publier")),
    ("board-offer", "/board/post/{offer}", ("button", "Ça m’intéresse")),
    ("board-mine", "/board/mine", ("link", "Publier une offre ou une demande")),
    ("board-messages", "/board/messages", None),
    ("board-lend", "/board/post/{loan_post}/lend", ("button", "L'inscrire au registre")),
    ("loans", "/loans/", ("link", "Je prête un objet")),
    ("loans-new", "/loans/new", ("button", "L'inscrire au registre")),
    ("requests", "/requests/", None),
    ("request-to-pay", "/requests/{request}", ("button", "Accepter et payer")),
    ("request-sent", "/requests/{sent_request}", ("button", "Retirer la demande")),
    ("projects", "/projects/", ("link", "Proposer un projet")),
    ("projects-new", "/projects/new", ("button", "Proposer")),
    ("project-dues", "/projects/{dues_project}", None),
    ("purchase", "/projects/{purchase}", ("link", "Modifier ma commande")),
    ("purchase-order", "/purchases/{purchase}/order", ("button", "Enregistrer ma commande")),
    ("community", "/community/", ("link", "Publier une annonce")),
    ("notice-new", "/community/notices/new", ("button", "Publier l'annonce")),
    ("notice", "/community/notices/{notice}", None),
    ("alerts", "/community/alerts", None),
    ("polls", "/polls/", None),
    ("poll", "/polls/{poll}", ("button", "Voter")),
]

VOLUNTEER = [
    ("admin", "/admin/", None),
    ("admin-residents", "/admin/residents", ("link", "Ajouter un résident")),
    ("admin-resident-new", "/admin/residents/new", ("button", "Ajouter")),
    ("admin-resident-edit", "/admin/residents/{jeanne}", ("button", "Enregistrer")),
    ("admin-move-out", "/admin/residents/{paul}/move-out", ("button", "Fermer le compte")),
    ("admin-moved-out", "/admin/residents/{leaver}/move-out", None),
    (
        "admin-bring-back",
        "/admin/residents/{leaver}/bring-back",
        ("button", "Faire revenir ce résident"),
    ),
    ("admin-transfers", "/admin/transfers", None),
    ("admin-reverse", "/admin/transfers/{reference}/reverse", ("button", "Annuler l'échange")),
    ("admin-verification", "/admin/verification", None),
    ("admin-vouchers", "/admin/vouchers", None),
    ("admin-honour", "/admin/vouchers/honour", ("button", "Créditer le voisin")),
    ("admin-vouchers-find", "/admin/vouchers/find", None),
    ("admin-vouchers-expired", "/admin/vouchers/expired", None),
    ("admin-vouchers-redeemed", "/admin/vouchers/redeemed", None),
    ("admin-vouchers-issuer", "/admin/vouchers/issuer/{jeanne}", None),
    ("not-found", "/no/such/page", ("link", "Retour à l'accueil")),
    ("admin-printer", "/admin/printer/", None),
    ("admin-printer-job", "/admin/printer/jobs/{job}/", None),
    ("admin-sync", "/admin/sync/", ("button", "Se relier au hub")),
    ("admin-status", "/admin/status", None),
    ("admin-exports", "/admin/exports/", None),
    ("admin-stats", "/admin/stats/", None),
    ("loans-admin", "/loans/admin", None),
    ("board-helpers", "/board/helpers", None),
    ("poll-new", "/polls/new", ("button", "Ouvrir le sondage")),
    ("alert-new", "/community/alerts/new", ("button", "Lancer l'alerte")),
    ("purchase-setup", "/purchases/{setup}/setup", ("button", "Ouvrir les commandes")),
    ("purchase-organise", "/purchases/{purchase}/organise", None),
]


def walk(page, kiosk, world, screens, screenshot, prefix) -> list[str]:
    failures = []
    page.wait_for_load_state("networkidle")  # the page before (a log-in) is wholly done
    for name, path, primary in screens:
        page.goto(kiosk.url_for(path.format(**world.ids)))
        failures += check_screen(page, f"{prefix}-{name}", primary, screenshot=screenshot)
    return failures


def test_every_page_of_a_resident_fits_the_lobby_screen(page, kiosk, world, screenshot):
    log_in(page, kiosk, "A-101", "Paul Durand")
    failures = check_screen(
        page, "resident-home-tiles", None, screenshot=screenshot, all_of=".menu-grid > *"
    )
    failures += walk(page, kiosk, world, PAUL, screenshot, "resident")
    assert not failures, "\n".join(failures)


def test_every_page_of_the_volunteer_fits_the_lobby_screen(page, kiosk, world, screenshot):
    log_in(page, kiosk, "A-001", "Claire Petit")
    failures = check_screen(
        page, "volunteer-home-tiles", None, screenshot=screenshot, all_of=".menu-grid > *"
    )
    failures += walk(page, kiosk, world, VOLUNTEER, screenshot, "volunteer")
    assert not failures, "\n".join(failures)


def test_logging_in_and_a_newcomer_getting_verified_fit_the_lobby_screen(
    page, kiosk, world, screenshot, taps
):
    failures = []
    page.goto(kiosk.url_for("/"))
    failures += check_screen(
        page,
        "welcome",
        ("link", "Passez votre carte ou touchez pour commencer"),
        screenshot=screenshot,
        logged_in=False,
    )
    page.goto(kiosk.url_for("/join"))
    failures += check_screen(
        page, "join", ("button", "M'inscrire"), screenshot=screenshot, logged_in=False
    )
    page.goto(kiosk.url_for("/login/apartments"))
    failures += check_screen(page, "login-apartments", None, screenshot=screenshot, logged_in=False)
    taps.tap(page, page.get_by_role("link", name="C-301"), "log in", "apartment")
    page.wait_for_url("**/login/apartments/C-301")
    failures += check_screen(
        page, "login-names", ("button", "Nouveau Voisin"), screenshot=screenshot, logged_in=False
    )
    taps.tap(page, page.get_by_role("button", name="Nouveau Voisin"), "log in", "name")
    page.wait_for_url("**/login/pin")
    failures += check_screen(
        page, "login-pin", ("button", "Valider"), screenshot=screenshot, logged_in=False
    )
    for digit in PIN:
        taps.tap(
            page, page.locator(f'.numpad [data-key="{digit}"]'), "log in", "pad", navigates=False
        )
    taps.tap(page, page.locator('.numpad button[data-key="ok"]'), "log in", "PIN check")
    page.wait_for_url("**/me/")
    failures += check_screen(
        page, "newcomer-home", ("link", "Faire vérifier mon compte"), screenshot=screenshot
    )
    page.goto(kiosk.url_for("/verification"))
    failures += check_screen(
        page, "newcomer-verification", ("button", "Continuer"), screenshot=screenshot
    )
    pick_person(page, "voucher_id", "B-204", "Jeanne Martin")
    taps.tap(page, page.get_by_role("button", name="Continuer"), "vouch", "continue")
    page.wait_for_url("**/verification/vouch**")
    failures += check_screen(
        page,
        "newcomer-vouch-pin",
        ("button", "Je garantis que cette personne habite ici"),
        screenshot=screenshot,
    )
    assert not failures, "\n".join(failures)


def test_confirmations_fit_the_lobby_screen(page, kiosk, world, screenshot, taps):
    """The pages a form leads to: the exchange's PIN, its receipt, the vouchers' PIN."""
    failures = []
    log_in(page, kiosk, "B-204", "Jeanne Martin")
    page.goto(kiosk.url_for("/exchange/new"))
    pick_person(page, "neighbour", "A-101", "Paul Durand")
    page.locator("#description").fill("Courses au marché")
    page.locator("#hours").fill("1")
    taps.tap(page, page.get_by_role("button", name="Continuer"), "exchange", "continue")
    page.wait_for_url("**/exchange/confirm")
    failures += check_screen(page, "exchange-confirm", ("button", "Payer"), screenshot=screenshot)
    tap_numpad(page, PIN)
    taps.tap(page, page.locator('.numpad button[data-key="ok"]'), "exchange", "PIN check")
    page.wait_for_url("**/exchange/done/**")
    failures += check_screen(page, "exchange-done", ("link", "Terminé"), screenshot=screenshot)

    page.goto(kiosk.url_for("/vouchers/issue"))
    page.locator("#count_500").fill("1")
    taps.tap(page, page.get_by_role("button", name="Continuer"), "vouchers", "continue")
    page.wait_for_url("**/vouchers/issue/confirm")
    failures += check_screen(
        page, "vouchers-confirm", ("button", "Imprimer"), screenshot=screenshot
    )
    assert not failures, "\n".join(failures)
    assert len(taps.measurements) == 3 and all(m["ms"] > 0 for m in taps.measurements)


SAMPLE = [
    ("home", "/me/", ("link", "Enregistrer un échange")),
    ("exchange-new", "/exchange/new", ("button", "Continuer")),
    ("board-new", "/board/new", ("button", "Publier")),
    ("statement", "/me/statement", ("button", "Imprimer mon relevé")),
    ("be-told", "/me/told/", ("button", "Enregistrer")),
    ("purchase-order", "/purchases/{purchase}/order", ("button", "Enregistrer ma commande")),
    ("admin-resident-edit", "/admin/residents/{jeanne}", ("button", "Enregistrer")),
]


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_a_sample_of_pages_fits_larger_screens(page, kiosk, world, screenshot, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, kiosk, "A-001", "Claire Petit")
    failures = walk(page, kiosk, world, SAMPLE, screenshot, "sample")
    assert not failures, "\n".join(failures)


def test_a_long_name_english_and_a_printer_out_of_paper_never_push_the_page_sideways(
    app, db, page, kiosk, world, screenshot
):
    residents.register(db, apartment="B-999", name=LONG_NAME, pin=PIN)
    for _ in range(12):
        queue.enqueue(db, "test_page", {"requested_at": clock.now_iso(), "note": "x"})
    app.extensions["print_worker"] = StubWorker(PrinterState.PAPER_OUT)
    log_in(page, kiosk, "B-999", LONG_NAME)
    failures = walk(page, kiosk, world, SAMPLE[:4], screenshot, "long-fr")
    with page.expect_navigation():
        page.locator(".lang-switch button").tap()
    english = [
        ("home", "/me/", ("link", "Record an exchange")),
        ("exchange-new", "/exchange/new", ("button", "Continue")),
        ("board-new", "/board/new", ("button", "Post it")),
        ("statement", "/me/statement", ("button", "Print my statement")),
    ]
    failures += walk(page, kiosk, world, english, screenshot, "long-en")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("finger", ["touch", "mouse"])
def test_with_the_keyboard_open_one_tap_on_continue_sends_the_form(page, kiosk, world, finger):
    """The keyboard leaves the action bar above it, and the first tap on "Continuer" sends the
    form (it used to only close the keyboard: the page jumped under the finger)."""
    log_in(page, kiosk, "B-204", "Jeanne Martin")
    page.goto(kiosk.url_for("/exchange/new"))
    pick_person(page, "neighbour", "A-101", "Paul Durand")
    page.locator("#hours").fill("1")
    page.locator("#description").tap()
    osk_type(page, "Courses")
    panel = page.locator(".osk")
    expect(panel).to_be_visible()
    go = page.get_by_test_id("action-bar").get_by_role("button", name="Continuer")
    bar_bottom = page.get_by_test_id("action-bar").bounding_box()
    assert bar_bottom["y"] + bar_bottom["height"] <= panel.bounding_box()["y"] + 0.5
    box = go.bounding_box()
    with page.expect_navigation():
        if finger == "touch":
            go.tap()
        else:  # a mouse held down a moment: the keyboard waits until it is released
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.wait_for_timeout(150)
            page.mouse.up()
    page.wait_for_url("**/exchange/confirm")
    expect(page.locator("main")).to_contain_text("Courses")


def test_an_urgent_alert_is_one_line_that_opens_when_touched(page, kiosk, world):
    page.goto(kiosk.url_for("/"))
    line = page.get_by_test_id("alert-banner").locator("summary")
    assert line.bounding_box()["height"] <= 50  # one line, not a fifth of the screen
    expect(page.get_by_test_id("alert-banner").locator(".alert-full")).to_be_hidden()
    line.tap()
    full = page.get_by_test_id("alert-banner").locator(".alert-full")
    expect(full).to_be_visible()
    expect(full).to_contain_text(ALERT_TEXT)
    line.tap()
    expect(full).to_be_hidden()
