"""Every document the kiosk prints, from a payload the kiosk itself builds for a building with
long names and places, reaches the paper whole and readable on 32, 42 and 48 columns, with the
printer's own QR and barcode commands and with raster images: every value is on the paper and
whole (long ones wrapped at spaces, never cut), accents right, the QR reads back to its payload,
no line starts with closing punctuation, no line is wider than the paper. The community's papers
(notice, urgent alert, board sheet with real posts, a board message, a payment request, a shared
equipment's contributions) come from tests/paper_scenes.py.

The statement's print buttons (the resident's "Imprimer mon relevé" for this month, a past month
and the whole history; the administrator's export and its preview) are pressed over HTTP and
the print worker's pass prints the job: it is done, and the paper holds the name and balance.
"""

from __future__ import annotations

import copy
import io
from datetime import timedelta

import paper_scenes
import pytest
import zxingcpp
from app_fixtures import login, post
from paper_scenes import community_life
from PIL import Image, ImageOps
from printer_loopback import decode, network_settings

from kiosk import clock, store
from kiosk.board import messages, payment_requests, sheet
from kiosk.community import notices, polls
from kiosk.ledger import receipts, statements
from kiosk.ledger.exchanges import record_exchange
from kiosk.projects import dues as project_dues
from kiosk.projects import project_sheet, projects, purchase_orders, purchase_reports
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents, verification
from kiosk.vouchers import vouchers
from printing import admin as printer_admin
from printing import queue
from printing.document import CLOSING
from printing.settings import load_profile
from printing.text import TextEncoder
from printing.transports import make_printer
from printing.worker import print_pending

# (profile, paper mm): columns, whether the printer draws QR codes and barcodes itself.
PRINTERS = {
    "80mm-48col-native": ("TM-T20II", 80),
    "80mm-42col-native": ("TM-P80", 80),
    "80mm-48col-raster": ("simple", 80),
    "58mm-32col-native": ("Sunmi-V2", 58),
    "58mm-32col-raster": ("POS-5890", 58),
}

SUPPLIER = "Vergers Lefèvre & fils (Saint-Genis-Laval)"
PICKUP = "Local à vélos, bâtiment A"
QUESTION = "Faut-il repeindre le hall d’entrée en vert « amande » ou en bleu « canard » ?"


@pytest.fixture
def documents(db, config, building):
    """The kiosk's own print jobs for a building, one per layout: {layout: payload}."""
    eric = residents.register(db, apartment="B-205", name="Éric Lefèvre-Dubois", pin="2580")
    for resident in (eric, building.jeanne, building.paul):
        residents.issue_card(db, resident.id, print_it=False)
    clock.shift(-40 * 86400)
    try:
        record_exchange(
            db,
            config,
            payer_id=building.jeanne.id,
            payee_id=eric.id,
            description="Garde du chat « Moustache » pendant les vacances de la Toussaint",
            category="pets",
            minutes=90,
        )
    finally:
        clock.reset()
    exchange = record_exchange(
        db,
        config,
        payer_id=eric.id,
        payee_id=building.jeanne.id,
        description="Réparer le robinet (joint usé) de l’évier de la cuisine, enfin !",
        category="diy",
        minutes=45,
    )
    record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=eric.id,
        description="Prêt d’une perceuse",
        amount=2000,
    )
    vouchers.issue_vouchers(db, config, resident_id=eric.id, counts={500: 1})
    residents.issue_card(db, eric.id, building="")
    verification.issue_mailbox_code(db, config, apartment="B-205", admin_id=building.admin.id)
    poll = polls.open_poll(
        db,
        config,
        creator_id=building.admin.id,
        question=QUESTION,
        options=["Vert amande", "Bleu canard", "Ni l’un ni l’autre (on garde le blanc)"],
        opens_on=polls.today(config),
        closes_on=polls.today(config) + timedelta(days=6),
    )
    polls.vote(db, config, poll.id, voter_id=eric.id, option=0)
    polls.vote(db, config, poll.id, voter_id=building.jeanne.id, option=0)
    polls.queue_results_print(db, config, poll.id)
    scene = community_life(db, config, building)  # queues the alert's print
    notices.queue_notice_print(db, config, scene.notice_id)
    messages.queue_message_print(db, config, scene.message_id, resident=building.paul)
    payment_requests.queue_print(db, config, scene.payment_request_id, resident=building.paul)
    sheet.queue_board_sheet(db, config)
    printer_admin.queue_test_page(db, note="Nouveau rouleau de papier (80 mm) !")
    project = projects.propose(
        db,
        resident_id=building.admin.id,
        title="Commande groupée de jus de pomme et d’œufs fermiers",
        description="Directement chez le producteur : « du verger à la cour ».",
        kind="group_purchase",
    )
    now = clock.now()
    purchase = group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=building.admin.id,
        supplier=SUPPLIER,
        deadline=now + timedelta(days=2),
        pickup_place=PICKUP,
        pickup_at=now + timedelta(days=5),
        products=[
            ProductDraft("Jus de pomme trouble, pressé à froid", "bouteille", 450),
            ProductDraft("Œufs fermiers", "douzaine", 390),
        ],
    )
    juice, eggs = purchase.products
    purchase_orders.place_order(
        db, config, project.id, building.jeanne.id, {juice.id: 2000, eggs.id: 10000}
    )
    purchase_orders.place_order(db, config, project.id, eric.id, {juice.id: 1000})
    purchase = group_purchases.get_purchase(db, project.id)
    with store.write(db):
        for layout, payload in (
            ("project_sheet", project_sheet.sheet_payload(db, config, project.id)),
            ("purchase_order", purchase_reports.supplier_order_payload(db, config, purchase)),
            ("distribution_list", purchase_reports.distribution_payload(db, config, purchase)),
            ("dues_list", project_dues.paid_list_payload(db, config, scene.dues_project_id)),
        ):
            queue.enqueue(db, layout, payload)
    made = {job.layout: job.payload for job in queue.list_jobs(db, limit=200)}
    made["receipt"] = receipts.receipt_payload(db, config, exchange.id)
    made["statement"] = statements.statement_payload(db, config, eric.id, month=None)
    for job in queue.list_jobs(db, states=("queued",), limit=200):
        queue.cancel_job(db, job.id)
    return made


LAYOUTS = [
    "receipt",
    "voucher",
    "statement",
    "member_card",
    "board_sheet",
    "mailbox_slip",
    "poll_results",
    "project_sheet",
    "purchase_order",
    "distribution_list",
    "test_page",
    "notice",
    "alert",
    "board_message",
    "payment_request",
    "dues_list",
]


def raster_images(data: bytes) -> list[Image.Image]:
    """The ``GS v 0`` images of a stream, black on white with a quiet zone."""
    images, start = [], 0
    while (at := data.find(b"\x1dv0", start)) >= 0:
        width = data[at + 4] | data[at + 5] << 8
        height = data[at + 6] | data[at + 7] << 8
        bits = data[at + 8 : at + 8 + width * height]
        image = ImageOps.invert(Image.frombytes("1", (width * 8, height), bits).convert("L"))
        images.append(ImageOps.expand(image, border=40, fill=255))
        start = at + 8 + width * height
    return images


def print_through_loopback(db, loopback_printer, settings, layout, payload):
    before = len(loopback_printer.connections)
    with store.write(db):
        job_id = queue.enqueue(db, layout, copy.deepcopy(payload))
    assert print_pending(db, make_printer(settings), settings) == 1
    assert queue.get_job(db, job_id).state == "done"
    return loopback_printer.wait_for_connections(before + 1)[-1]


def starts_with_closing(line: str) -> bool:
    """A line of text that starts with closing punctuation (a dotted fold line is a rule)."""
    text = line.lstrip()
    return bool(text) and text[0] in CLOSING and text[:3] != "..."


def assert_whole(text: str, value: str, encoder: TextEncoder) -> None:
    """Every word of ``value`` is on the paper, in order, none cut (wrapping is allowed)."""
    flowing = " ".join(text.split())
    printed = " ".join(encoder.printable(value).split())
    assert printed in flowing, f"{printed!r} is not whole on the paper"


@pytest.mark.parametrize("printer", list(PRINTERS))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_document_prints_whole_and_readable(
    db, documents, loopback_printer, tmp_path, printer, layout
):
    profile, paper_mm = PRINTERS[printer]
    settings = network_settings(
        loopback_printer, tmp_path, profile=profile, paper_width_mm=paper_mm
    )
    payload = documents[layout]
    data = print_through_loopback(db, loopback_printer, settings, layout, payload)
    pages = load_profile(profile).get_code_pages()
    paper = decode(data, pages)
    encoder = TextEncoder(pages)
    columns = settings.chars_per_line
    for line, (_bold, double, _align) in zip(paper.lines, paper.styles, strict=True):
        assert len(line) <= (columns // 2 if double else columns), line
        assert not starts_with_closing(line), f"a line starts with punctuation: {line!r}"
    text = paper.text
    for value in expected_values(layout, payload):
        assert_whole(text, value, encoder)
    expected_qr = {
        "member_card": payload.get("card_token"),
        "voucher": payload.get("qr"),
        "test_page": "https://example.org/kiosk/test?é=1",
    }.get(layout)
    if expected_qr:
        if load_profile(profile).supports("qrCode"):
            assert paper.qr == [expected_qr]
        else:
            found = [
                code.text
                for image in raster_images(data)
                for code in zxingcpp.read_barcodes(image)
                if code.format == zxingcpp.BarcodeFormat.QRCode
            ]
            assert found == [expected_qr]


def expected_values(layout: str, payload: dict) -> list[str]:
    """What a person must read on the paper, whole."""
    if layout == "receipt":
        return [
            payload["description"],
            payload["payer"]["name"],
            payload["payee"]["name"],
            "Nouveau solde d’Éric Lefèvre-Dubois",
            "Reçu d’échange",
        ]
    if layout == "statement":
        return [payload["name"], "Tout l’historique"] + [
            line["description"] for line in payload["lines"]
        ]
    if layout == "voucher":
        return [payload["serial"], "5,00 CEEC", "Bon d’échange"]  # a bearer voucher
    if layout == "member_card":
        return [payload["name"], f"Appartement {payload['apartment']}"]
    if layout == "mailbox_slip":
        return [payload["code"], "Appartement B-205"]
    if layout == "poll_results":
        return [QUESTION, "Ni l’un ni l’autre (on garde le blanc)", "Vert amande"]
    if layout == "project_sheet":
        return [payload["title"], payload["description"]]
    if layout in ("purchase_order", "distribution_list"):
        values = [PICKUP, payload["title"]]
        if layout == "purchase_order":
            values += [SUPPLIER, "3 bouteilles", "10 douzaines"]
        else:
            values += ["2 bouteilles", "10 douzaines", "1 bouteille"]
        return values
    if layout == "test_page":
        return ["Nouveau rouleau de papier (80 mm) !", "« guillemets » l’apostrophe"]
    if layout == "board_sheet":
        return [
            paper_scenes.OFFER_TITLE,
            paper_scenes.REQUEST_TITLE,
            "Couture - Jeanne Martin, B-204",
            "Paul Durand, A-101",
            "Offres",
            "Demandes",
        ]
    if layout == "notice":
        return [
            paper_scenes.NOTICE_TITLE,
            paper_scenes.NOTICE_BODY,
            "Travaux et coupures",
            "Jeanne Martin, B-204",
        ]
    if layout == "alert":
        return [paper_scenes.ALERT_TEXT, "Inondation ou fuite d'eau", "Claire Petit"]
    if layout == "board_message":
        return [
            paper_scenes.OFFER_TITLE,
            paper_scenes.MESSAGE_BODY,
            "Paul Durand (A-101)",
            "Jeanne Martin (B-204)",
        ]
    if layout == "payment_request":
        return [
            payload["reference"],
            paper_scenes.REQUEST_DESCRIPTION,
            "Paul Durand (A-101)",
            "Jeanne Martin (B-204)",
            "12,50 CEEC",
            "1 h 15",
        ]
    if layout == "dues_list":
        return [
            paper_scenes.DUES_TITLE,
            "[x] Paul Durand (A-101)",
            "[ ] Jeanne Martin (B-204)",
            "15,00",
            "15,01",
            "30,01",
        ]
    raise AssertionError(layout)


# --- the statement's print buttons, over HTTP --------------------------------------------------


@pytest.fixture
def history(db, config, building):
    """Jeanne was paid 1 h 30 by Paul 40 days ago and paid him 45 min today."""
    clock.shift(-40 * 86400)
    try:
        past = clock.now().astimezone(config.timezone).strftime("%Y-%m")
        record_exchange(
            db,
            config,
            payer_id=building.paul.id,
            payee_id=building.jeanne.id,
            description="Garde du chat",
            minutes=90,
        )
    finally:
        clock.reset()
    record_exchange(
        db,
        config,
        payer_id=building.jeanne.id,
        payee_id=building.paul.id,
        description="Monter une étagère",
        minutes=45,
    )
    for job in queue.list_jobs(db, states=("queued",)):
        queue.cancel_job(db, job.id)
    return {"past": past, "now": clock.now().astimezone(config.timezone).strftime("%Y-%m")}


def print_the_queue(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    [job] = queue.list_jobs(db, states=("queued",))
    assert print_pending(db, make_printer(settings), settings) == 1
    assert queue.get_job(db, job.id).state == "done"
    data = loopback_printer.wait_for_connections(1)[-1]
    return job, decode(data, load_profile(settings.profile).get_code_pages())


@pytest.mark.parametrize("which", ["now", "past", "all"])
def test_print_my_statement_prints(
    client, db, building, history, loopback_printer, tmp_path, which
):
    login(client, building.jeanne)
    month = "" if which == "all" else history[which]
    response = post(client, "/me/statement/print", {"month": month})
    assert response.status_code == 302
    job, paper = print_the_queue(db, loopback_printer, tmp_path)
    assert job.layout == "statement"
    assert paper.find("Jeanne Martin (B-204)")
    balance = {"now": "7,50 CEEC", "past": "15,00 CEEC", "all": "7,50 CEEC"}[which]
    closing = "Solde aujourd’hui" if which == "all" else "Solde à la fin du mois"
    assert paper.find(closing)[0].endswith(balance)
    described = {"now": ["Monter"], "past": ["Garde du chat"], "all": ["Garde", "Monter"]}
    for description in described[which]:
        assert paper.find(description)
    assert paper.find("Paul Durand (A-101)")


def test_the_admins_statement_export_prints_and_its_preview_opens(
    client, db, building, history, loopback_printer, tmp_path
):
    login(client, building.admin)
    response = post(client, f"/admin/exports/statement/{building.jeanne.id}", {"month": ""})
    assert response.status_code == 302
    [job] = queue.list_jobs(db, states=("queued",))
    preview = client.get(f"/admin/printer/jobs/{job.id}/preview.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert Image.open(io.BytesIO(preview.data)).width == 576
    printed, paper = print_the_queue(db, loopback_printer, tmp_path)
    assert printed.id == job.id
    assert paper.find("Jeanne Martin (B-204)") and paper.find("Solde aujourd’hui")[0].endswith(
        "7,50 CEEC"
    )
