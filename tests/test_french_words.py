"""What a French reader gets on screen and on paper: plurals agree with their count, "de"
is elided before a name that starts with a vowel, system accounts are named in French."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of
from printer_loopback import decode, network_settings

from kiosk import clock, store
from kiosk.community.errors import NoticeTooLong
from kiosk.i18n import fill
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import vouchers
from kiosk.vouchers.errors import TooManyOutstanding
from kiosk.web.formatting import error_message
from printing import queue as print_queue
from printing.settings import load_profile
from printing.transports import make_printer
from printing.worker import print_job


@pytest.fixture
def eric(db, config, building):
    """Éric moved in next to Jeanne; Paul owes Jeanne an afternoon of sewing (80 CEEC)."""
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        category="sewing",
        amount=8000,
    )
    return residents.register(db, apartment="B-206", name="Éric Lambert", pin=PIN)


def paper_of(job, loopback_printer, tmp_path):
    """One job printed on a loopback network printer, read back."""
    settings = network_settings(loopback_printer, tmp_path)
    print_job(job, make_printer(settings), settings)
    loopback_printer.settled()
    return decode(loopback_printer.jobs()[-1], load_profile(settings.profile).get_code_pages())


def test_a_redeemed_voucher_s_receipt_names_the_vouchers_in_circulation_in_french(
    db, config, building, eric, loopback_printer, tmp_path
):
    (voucher,) = vouchers.issue_vouchers(
        db, config, resident_id=building.jeanne.id, counts={1000: 1}
    )
    voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=eric.id)
    [job] = [
        job
        for job in print_queue.list_jobs(db)
        if job.layout == "receipt" and job.payload["payee"]["name"] == "Éric Lambert"
    ]
    receipt = paper_of(job, loopback_printer, tmp_path)
    assert receipt.find("Payé par") and receipt.find("Bons en circulation")
    assert not receipt.find("Vouchers") and "()" not in receipt.text
    assert receipt.find("Éric Lambert (B-206)")
    assert receipt.find("Nouveau solde d’Éric Lambert")[0].endswith("10,00 CEEC")
    assert not receipt.find("de Éric")


def test_a_french_page_counts_names_and_elides(client, db, config, building, eric):
    login(client, building.jeanne)
    rules = text_of(client.get("/vouchers/issue"))
    days, count = config["vouchers"]["validity_days"], config["vouchers"]["max_outstanding_count"]
    assert f"Chaque bon est valable {days} jours. Vous pouvez avoir jusqu'à {count} bons" in rules
    post(client, "/vouchers/issue", {"count_1000": "1"})
    done = text_of(post(client, "/vouchers/issue/confirm", {"pin": PIN}, follow_redirects=True))
    assert "1 bon est en cours d'impression : 10,00\u00a0CEEC a été retiré" in done
    assert "1 bons" not in done
    client.post("/logout")

    (voucher,) = vouchers.issue_vouchers(
        db, config, resident_id=building.jeanne.id, counts={500: 1}
    )
    voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=eric.id)
    login(client, eric)
    statement = text_of(client.get("/me/statement"))
    assert "Bons en circulation" in statement and "Vouchers in circulation" not in statement
    client.post("/logout")

    login(client, building.admin)
    month = clock.now().astimezone(config.timezone).strftime("%Y-%m")
    response = post(
        client, f"/admin/exports/statement/{eric.id}", {"month": month}, follow_redirects=True
    )
    assert "Le relevé d'Éric Lambert est en cours d'impression" in text_of(response)
    queued = [job for job in print_queue.list_jobs(db) if job.state == "queued"]
    assert len(queued) > 1
    assert f"{len(queued)} impressions en attente" in text_of(client.get("/admin/status"))
    for job in queued[1:]:
        print_queue.mark_done(db, job.id)
    status = text_of(client.get("/admin/status"))
    assert "1 impression en attente" in status and "1 impressions" not in status


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Éric", "Le relevé d'Éric"),
        ("Anne", "Le relevé d'Anne"),
        ("Yves", "Le relevé d'Yves"),
        ("ISABELLE", "Le relevé d'ISABELLE"),
        ("Jeanne", "Le relevé de Jeanne"),
        ("Yannick", "Le relevé de Yannick"),
        ("Hélène", "Le relevé de Hélène"),  # h left alone: mute or aspirated is a dictionary's call
        ("A-204", "Le relevé de A-204"),  # a code, read letter by letter
    ],
)
def test_de_is_elided_before_a_vowel_in_french_only(name, text):
    assert fill("Le relevé de %(name)s", {"name": name}, "fr") == text
    assert fill("The statement of %(name)s", {"name": name}, "en") == f"The statement of {name}"


def test_a_french_project_sheet_counts_the_places_taken(db, loopback_printer, tmp_path):
    sheet = {
        "title": "Composteur collectif",
        "kind_label": "Équipement partagé",
        "status_label": "ouvert",
        "description": "",
        "coordinators": [{"name": "Paul Durand", "apartment": "A-101"}],
        "member_count": 2,
        "balance": 0,
        "dues": None,
        "updates": [],
        "tasks": [
            {"title": "Monter le bac", "when": "", "slots": 2, "volunteers": ["Paul Durand"]},
            {"title": "Retourner", "when": "", "slots": 3, "volunteers": ["Paul", "Jeanne"]},
            {"title": "Arroser", "when": "", "slots": 1, "volunteers": []},
        ],
        "printed_at": "2026-11-23T10:00:00Z",
    }
    with store.write(db):
        job_id = print_queue.enqueue(db, "project_sheet", sheet)
    text = paper_of(print_queue.get_job(db, job_id), loopback_printer, tmp_path).text
    assert "1 place prise sur 2 : Paul Durand" in text
    assert "2 places prises sur 3 : Paul, Jeanne" in text
    assert "0 place prise sur 1 : personne pour l" in text


@pytest.mark.parametrize(
    ("error", "french"),
    [
        (TooManyOutstanding(max=1, count=1), "Au plus 1 de vos bons peut être en circulation"),
        (TooManyOutstanding(max=5, count=5), "Au plus 5 de vos bons peuvent être en circulation"),
        (NoticeTooLong(days=1), "Une annonce reste au plus 1 jour."),
        (NoticeTooLong(days=14), "Une annonce reste au plus 14 jours."),
    ],
)
def test_a_refusal_that_counts_agrees_with_its_count(app, error, french):
    with app.test_request_context("/"):
        app.preprocess_request()
        assert error_message(error).startswith(french)
