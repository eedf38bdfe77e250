"""Every print button of the kiosk prints: the person who sees the button logs in, presses it
over HTTP (with the page's CSRF token and one-time key), the print worker's pass sends the job
to the loopback printer on 127.0.0.1, the job is done and the paper holds what that person
expects to read (a name, a title, an amount, DUPLICATA for a copy).

A walk of the app's routes fails if a POST route that prints (its endpoint or path says
"print", or its view calls a kiosk function that queues a print job) is not pressed here or
named in PRINTS_IN_A_FLOW (a route that prints at the end of a longer flow).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import paper_scenes
import pytest
from app_fixtures import ROOT, login, post
from paper_scenes import community_life
from printer_loopback import decode, network_settings

from kiosk import clock
from kiosk.community import polls
from kiosk.ledger.exchanges import record_exchange
from kiosk.projects import projects, purchase_orders
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.vouchers import vouchers
from printing import queue
from printing.settings import load_profile
from printing.text import TextEncoder
from printing.transports import make_printer
from printing.worker import print_pending

QUESTION = "Faut-il installer un composteur « partagé » dans la cour ?"
PROJECT_TITLE = "Jardin partagé sur le toit : bacs, terreau et arrosage goutte-à-goutte"
PURCHASE_TITLE = "Commande groupée de miel de lavande et d’huile d’olive"
SUPPLIER = "Rucher des Monts d’Or (Saint-Didier)"
PICKUP = "Local à vélos, bâtiment A"
EXCHANGE = "Réparer le robinet (joint usé) de l’évier de la cuisine"


@dataclass
class World:
    """The building and what its print buttons print."""

    building: object
    scene: paper_scenes.Scene
    settings: object
    exchange_reference: str
    receipt_job_id: int
    poll_id: str
    project_id: str
    purchase_project_id: str
    voucher_serials: dict[str, str] = field(default_factory=dict)
    failed_job_id: int = 0


def print_everything(db, settings) -> None:
    while print_pending(db, make_printer(settings), settings):
        pass


@pytest.fixture
def world(db, config, building, loopback_printer, tmp_path) -> World:
    settings = network_settings(loopback_printer, tmp_path)
    b = building
    scene = community_life(db, config, b)
    exchange = record_exchange(
        db, config, payer_id=b.paul.id, payee_id=b.jeanne.id, description=EXCHANGE, minutes=45
    )
    record_exchange(
        db, config, payer_id=b.paul.id, payee_id=b.jeanne.id, description="Ourlets", amount=8000
    )
    poll = polls.open_poll(
        db,
        config,
        creator_id=b.admin.id,
        question=QUESTION,
        options=["Oui, près du local à vélos", "Non (pas de place)"],
        opens_on=polls.today(config),
        closes_on=polls.today(config) + timedelta(days=6),
    )
    polls.vote(db, config, poll.id, voter_id=b.jeanne.id, option=0)
    project = projects.propose(
        db,
        resident_id=b.jeanne.id,
        title=PROJECT_TITLE,
        description="Des bacs en bois « faits maison » et un récupérateur d’eau de pluie.",
        kind="other",
    )
    grouped = projects.propose(
        db,
        resident_id=b.admin.id,
        title=PURCHASE_TITLE,
        description="Directement chez le producteur.",
        kind="group_purchase",
    )
    now = clock.now()
    purchase = group_purchases.open_purchase(
        db,
        config,
        grouped.id,
        by=b.admin.id,
        supplier=SUPPLIER,
        deadline=now + timedelta(days=2),
        pickup_place=PICKUP,
        pickup_at=now + timedelta(days=5),
        products=[
            ProductDraft("Miel de lavande", "pot", 850),
            ProductDraft("Huile d’olive vierge extra", "bouteille", 1200),
        ],
    )
    honey, oil = purchase.products
    purchase_orders.place_order(db, config, grouped.id, b.jeanne.id, {honey.id: 2000})
    purchase_orders.place_order(db, config, grouped.id, b.paul.id, {oil.id: 1000})
    print_everything(db, settings)
    (receipt,) = [job for job in queue.list_jobs(db, reference=exchange.reference)]
    assert receipt.state == "done"
    # Two vouchers whose printing went wrong: one cut off (uncertain), one failed.
    serials = {}
    for state in ("uncertain", "failed"):
        (voucher,) = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={500: 1})
        job = queue.claim_next_job(db)
        assert job.reference == voucher.serial
        queue.mark_document_started(db, job.id)
        if state == "uncertain":
            queue.mark_uncertain(db, job.id, "cut off")
        else:
            queue.mark_failed(db, job.id, "the printer was unplugged")
        serials[state] = voucher.serial
    # A test page that failed (the volunteer tries it again from the print queue).
    failed = queue.enqueue(db, "test_page", {"requested_at": clock.now_iso(), "note": "Rouleau"})
    queue.claim_next_job(db)
    queue.mark_failed(db, failed, "the printer was unplugged")
    assert not queue.list_jobs(db, states=("queued", "printing"))
    return World(
        building=b,
        scene=scene,
        settings=settings,
        exchange_reference=exchange.reference,
        receipt_job_id=receipt.id,
        poll_id=poll.id,
        project_id=project.id,
        purchase_project_id=grouped.id,
        voucher_serials=serials,
        failed_job_id=failed,
    )


@dataclass
class Button:
    """A print button: who sees it, what pressing it posts, what they read on the paper."""

    name: str
    endpoint: str
    who: str
    press: Callable[[World], tuple[str, dict]]
    paper: Callable[[World, dict], list[str]]
    layout: str
    copy: bool = False


BUTTONS = [
    Button(
        "copy of a receipt",
        "printer_admin.copy",
        "admin",
        lambda w: (f"/admin/printer/jobs/{w.receipt_job_id}/copy", {}),
        lambda w, p: ["DUPLICATA", EXCHANGE, "Paul Durand (A-101)", "Jeanne Martin (B-204)"],
        "receipt",
        copy=True,
    ),
    Button(
        "test page",
        "printer_admin.test_page",
        "admin",
        lambda w: ("/admin/printer/test-page", {}),
        lambda w, p: ["« guillemets » l’apostrophe"],
        "test_page",
    ),
    Button(
        "failed job tried again",
        "printer_admin.retry",
        "admin",
        lambda w: (f"/admin/printer/jobs/{w.failed_job_id}/retry", {}),
        lambda w, p: ["Rouleau", "« guillemets » l’apostrophe"],
        "test_page",
    ),
    Button(
        "statement export",
        "exports.print_statement",
        "admin",
        lambda w: (f"/admin/exports/statement/{w.building.jeanne.id}", {"month": ""}),
        lambda w, p: ["Jeanne Martin (B-204)", "Tout l’historique", EXCHANGE, "87,50 CEEC"],
        "statement",
    ),
    Button(
        "my statement",
        "me.print_statement",
        "jeanne",
        lambda w: ("/me/statement/print", {"month": ""}),
        lambda w, p: ["Jeanne Martin (B-204)", EXCHANGE, "Ourlets", "87,50 CEEC"],
        "statement",
    ),
    Button(
        "receipt copy",
        "exchange.reprint",
        "paul",
        lambda w: (f"/exchange/done/{w.exchange_reference}/reprint", {}),
        lambda w, p: ["DUPLICATA", EXCHANGE, w.exchange_reference, "Paul Durand (A-101)"],
        "receipt",
        copy=True,
    ),
    Button(
        "board message",
        "board.print_message",
        "jeanne",
        lambda w: (f"/board/messages/{w.scene.message_id}/print", {}),
        lambda w, p: [paper_scenes.MESSAGE_BODY, paper_scenes.OFFER_TITLE, "Paul Durand (A-101)"],
        "board_message",
    ),
    Button(
        "board sheet",
        "board.print_sheet",
        "admin",
        lambda w: ("/board/sheet/print", {}),
        lambda w, p: [paper_scenes.OFFER_TITLE, paper_scenes.REQUEST_TITLE, "Jeanne Martin, B-204"],
        "board_sheet",
    ),
    Button(
        "notice",
        "community.notice_print",
        "paul",
        lambda w: (f"/community/notices/{w.scene.notice_id}/print", {}),
        lambda w, p: [paper_scenes.NOTICE_TITLE, paper_scenes.NOTICE_BODY, "Jeanne Martin, B-204"],
        "notice",
    ),
    Button(
        "urgent alert",
        "community.alert_new",
        "admin",
        lambda w: ("/community/alerts/new", {"kind": "safety", "text": paper_scenes.ALERT_TEXT}),
        lambda w, p: [paper_scenes.ALERT_TEXT, "Claire Petit"],
        "alert",
    ),
    Button(
        "poll results",
        "polls.print_results",
        "jeanne",
        lambda w: (f"/polls/{w.poll_id}/print", {}),
        lambda w, p: [QUESTION, "Oui, près du local à vélos", "Non (pas de place)"],
        "poll_results",
    ),
    Button(
        "contributions",
        "projects.print_dues",
        "paul",
        lambda w: (f"/projects/{w.scene.dues_project_id}/dues/print", {}),
        lambda w, p: [paper_scenes.DUES_TITLE, "[x] Paul Durand (A-101)", "15,00"],
        "dues_list",
    ),
    Button(
        "project sheet",
        "projects.print_sheet",
        "paul",
        lambda w: (f"/projects/{w.project_id}/print", {}),
        lambda w, p: [PROJECT_TITLE, "Jeanne Martin"],
        "project_sheet",
    ),
    Button(
        "supplier order",
        "purchases.print_document",
        "admin",
        lambda w: (f"/purchases/{w.purchase_project_id}/print/supplier", {}),
        lambda w, p: [SUPPLIER, PICKUP, "2 pots", "1 bouteille"],
        "purchase_order",
    ),
    Button(
        "distribution list",
        "purchases.print_document",
        "admin",
        lambda w: (f"/purchases/{w.purchase_project_id}/print/distribution", {}),
        lambda w, p: [PICKUP, "Jeanne Martin", "Paul Durand", "2 pots", "1 bouteille"],
        "distribution_list",
    ),
    Button(
        "payment request",
        "requests.print_request",
        "paul",
        lambda w: (f"/requests/{w.scene.payment_request_id}/print", {}),
        lambda w, p: [
            w.scene.payment_request_reference,
            paper_scenes.REQUEST_DESCRIPTION,
            "12,50 CEEC",
        ],
        "payment_request",
    ),
    Button(
        "voucher cut off, as a copy",
        "vouchers.reprint",
        "jeanne",
        lambda w: (f"/vouchers/{w.voucher_serials['uncertain']}/reprint", {}),
        lambda w, p: ["DUPLICATA", w.voucher_serials["uncertain"], "5,00 CEEC"],
        "voucher",
        copy=True,
    ),
    Button(
        "voucher that failed, again",
        "vouchers.reprint",
        "jeanne",
        lambda w: (f"/vouchers/{w.voucher_serials['failed']}/reprint", {}),
        lambda w, p: [w.voucher_serials["failed"], "5,00 CEEC", "Bon d’échange"],
        "voucher",
    ),
    Button(
        "mailbox slip",
        "verification.print_slip",
        "admin",
        lambda w: ("/admin/verification/slip", {"apartment": "c-301"}),
        lambda w, p: [p["code"], "Appartement C-301", "Nouveau Voisin"],
        "mailbox_slip",
    ),
    Button(
        "new member card",
        "admin.resident_card",
        "admin",
        lambda w: (f"/admin/residents/{w.building.paul.id}/card", {}),
        lambda w, p: ["Paul Durand", "Appartement A-101"],
        "member_card",
    ),
    Button(
        "card of a new resident",
        "admin.resident_new",
        "admin",
        lambda w: (
            "/admin/residents/new",
            {
                "apartment": "D-412",
                "name": "Marie-Hélène Bérénice Fontaine-Lefèvre",
                "pin": "8520",
                "print_card": "1",
            },
        ),
        lambda w, p: ["Marie-Hélène Bérénice Fontaine-Lefèvre", "Appartement D-412"],
        "member_card",
    ),
    Button(
        "reversal",
        "admin.reverse",
        "admin",
        lambda w: (
            f"/admin/transfers/{w.exchange_reference}/reverse",
            {"reason": "Saisie en double, le robinet n’était pas réparé"},
        ),
        lambda w, p: [p["reference"], "Jeanne Martin (B-204)", "Paul Durand (A-101)"],
        "receipt",
    ),
]


def flowing(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("button", BUTTONS, ids=[b.name for b in BUTTONS])
def test_every_print_button_prints(client, db, world, loopback_printer, button):
    login(client, getattr(world.building, button.who))
    before = {job.id for job in queue.list_jobs(db, limit=1000)}
    path, form = button.press(world)
    response = post(client, path, form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (job,) = [j for j in queue.list_jobs(db, states=("queued",), limit=1000)]
    assert job.layout == button.layout and job.is_copy == button.copy
    assert job.id not in before or button.endpoint in ("printer_admin.retry", "vouchers.reprint")
    payload = dict(job.payload)  # before printing scrubs its secrets
    connections = len(loopback_printer.connections)
    assert print_pending(db, make_printer(world.settings), world.settings) == 1
    done = queue.get_job(db, job.id)
    assert done.state == "done", done.last_error
    data = loopback_printer.wait_for_connections(connections + 1)[-1]
    pages = load_profile(world.settings.profile).get_code_pages()
    paper = decode(data, pages)
    text, encoder = flowing(paper.text), TextEncoder(pages)
    for value in button.paper(world, payload):
        printed = flowing(encoder.printable(value))
        assert printed in text, f"{printed!r} is not on the paper:\n{paper.text}"
    if not button.copy:
        assert "DUPLICATA" not in text
    if button.layout == "member_card":
        assert paper.qr == [payload["card_token"]]
    if button.layout == "voucher":
        assert paper.qr == [payload["qr"]]


# --- every button that prints is pressed above ------------------------------------------------

# POST routes that queue a print job at the end of a longer flow (not a print button): what
# they print. Their documents are printed above or in test_every_document.py from the same
# payload builders; the flows themselves are not pressed through to the paper here.
PRINTS_IN_A_FLOW = {
    "exchange.confirm": "the exchange's receipt",
    "requests.show": "the receipt of a payment request accepted",
    "vouchers.issue_confirm": "the vouchers issued",
    "vouchers.redeem_confirm": "the receipt of a voucher redeemed",
    "voucher_admin.admin_honour": "the receipt of a voucher honoured by the volunteer",
    "admin.move_out": "the departure slip of a move-out (tests/community/test_moving_out_plan.py)",
    "admin.bring_back": "the new card of a resident brought back (tests/admin/test_moving_out_final.py)",
}
# POST routes whose path says "print" but queue nothing to print.
NOT_PRINTING = {"printer_admin.cancel": "cancels a job"}


def print_queuing_functions() -> set[str]:
    """Names of the kiosk's functions that queue a print job, directly or through another."""
    direct = {"enqueue", "reprint_as_copy", "retry_failed_job", "queue_test_page"}
    calls: dict[str, set[str]] = {}
    for path in [*Path(ROOT, "kiosk").rglob("*.py"), Path(ROOT, "printing", "admin.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                calls.setdefault(node.name, set()).update(called_names(node))
    found = set(direct)
    while True:
        more = {name for name, called in calls.items() if called & found} - found
        if not more:
            return found
        found |= more


def called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Attribute):
                names.add(call.func.attr)
            elif isinstance(call.func, ast.Name):
                names.add(call.func.id)
    return names


def test_every_print_route_is_pressed(app):
    queuing = print_queuing_functions()
    pressed = {button.endpoint for button in BUTTONS}
    missing = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        source = textwrap.dedent(inspect.getsource(view))
        body = ast.parse(source).body[0]
        body.decorator_list = []
        says_print = "print" in rule.endpoint or "print" in rule.rule
        queues = bool(called_names(body) & queuing)
        if (says_print or queues) and rule.endpoint not in NOT_PRINTING:
            if rule.endpoint not in pressed and rule.endpoint not in PRINTS_IN_A_FLOW:
                missing.append(f"{rule.endpoint} {rule.rule}")
    assert not missing, "print buttons no test presses: " + ", ".join(sorted(missing))
