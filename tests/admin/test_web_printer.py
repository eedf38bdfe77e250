"""The print queue page speaks the volunteer's language: documents and errors in words, never a
layout id or a Python exception; a job's preview opens in a kiosk page with a way back and the
idle log-out, never as a bare image left on the lobby screen."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from app_fixtures import jeanne_prints_a_voucher, login, text_of
from PIL import Image

from kiosk import store
from printing import queue
from printing.samples import SAMPLE_PAYLOADS

# What the worker stores today (printing.worker, printing.transports), and what the page says.
ERRORS = {
    "statement: bad payload (KeyError: 'name')": (
        "La borne n’a pas pu composer ce document à partir de ses données.",
        "The kiosk could not make this document from its data.",
    ),
    "cannot connect to the printer at 127.0.0.1:9100: Connection refused": (
        "La borne n’atteint pas l’imprimante",
        "The kiosk cannot reach the printer",
    ),
    "AttributeError: 'NoneType' object has no attribute 'split'": (
        "Une erreur imprévue a arrêté ce document",
        "An unexpected error stopped this document",
    ),
}
PYTHON_WORDS = ["KeyError", "AttributeError", "NoneType", "Connection refused", "bad payload"]
LAYOUT_IDS = ["member_card", "test_page", "board_sheet", "mailbox_slip"]


@pytest.fixture
def jobs(db):
    """A printed receipt, a waiting member card and test page, and three failed jobs."""
    with store.write(db):
        queue.enqueue(db, "receipt", SAMPLE_PAYLOADS["receipt"], reference="RJGPEP-42")
        queue.mark_done(db, queue.claim_next_job(db).id)
        for error, layout in zip(ERRORS, ["statement", "board_sheet", "mailbox_slip"], strict=True):
            queue.enqueue(db, layout, SAMPLE_PAYLOADS[layout])
            queue.mark_failed(db, queue.claim_next_job(db).id, error)
        queue.enqueue(db, "member_card", SAMPLE_PAYLOADS["member_card"])
        queue.enqueue(db, "test_page", SAMPLE_PAYLOADS["test_page"])
    return queue.list_jobs(db)


def in_language(client, language: str) -> None:
    with client.session_transaction() as session:
        session["lang"] = language


@pytest.mark.parametrize(
    ("language", "documents"),
    [
        (
            "fr",
            [
                "Reçu d’échange",
                "Relevé de compte",
                "Affiche hebdomadaire du tableau",
                "Avis de boîte aux lettres",
                "Carte de membre",
                "Page de test",
            ],
        ),
        (
            "en",
            [
                "Exchange receipt",
                "Account statement",
                "Weekly board sheet",
                "Mailbox slip",
                "Member card",
                "Test page",
            ],
        ),
    ],
)
def test_the_queue_names_documents_and_errors_in_words(client, building, jobs, language, documents):
    login(client, building.admin)
    in_language(client, language)
    page = text_of(client.get("/admin/printer/"))
    for document in documents:
        assert document in page
    for fr, en in ERRORS.values():
        assert (fr if language == "fr" else en) in page
    for word in PYTHON_WORDS + LAYOUT_IDS:
        assert word not in page
    # Each preview opens in a page, not as the bare image.
    for job in jobs:
        assert f'href="/admin/printer/jobs/{job.id}/"' in page
        assert f'href="/admin/printer/jobs/{job.id}/preview.png"' not in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_preview_opens_in_a_page_with_a_way_back_and_the_idle_log_out(
    client, building, jobs, language
):
    login(client, building.admin)
    in_language(client, language)
    statement = next(job for job in jobs if job.layout == "statement")
    response = client.get(f"/admin/printer/jobs/{statement.id}/")
    assert response.status_code == 200
    page = text_of(response)
    back = "Retour à la file d'impression" if language == "fr" else "Back to the print queue"
    assert f'href="/admin/printer/" data-testid="back">{back}</a>' in page
    assert "js/idle.js" in page and "data-idle-timeout=" in page
    assert f'src="/admin/printer/jobs/{statement.id}/preview.png"' in page
    assert ("Relevé de compte" if language == "fr" else "Account statement") in page
    assert (ERRORS["statement: bad payload (KeyError: 'name')"][language == "en"]) in page
    assert "KeyError" not in page


def test_the_preview_page_is_for_volunteers_only_and_unknown_jobs_are_not_found(
    client, building, jobs
):
    login(client, building.jeanne)
    assert client.get(f"/admin/printer/jobs/{jobs[0].id}/").status_code == 403
    login(client, building.admin)
    assert client.get("/admin/printer/jobs/99999/").status_code == 404


def test_the_volunteer_previewing_a_voucher_before_it_prints_never_sees_its_code(
    client, db, config, building
):
    """The volunteer's preview of a queued voucher (or member card) draws everything but the
    credential: no QR code a phone could read, the code replaced by words."""
    voucher = jeanne_prints_a_voucher(db, config, building, earned=1000, amount=500)
    (job,) = queue.list_jobs(db, reference=voucher.serial)
    assert job.state == "queued" and job.payload["qr"] == voucher.qr  # it waits to print
    login(client, building.admin)
    page = client.get(f"/admin/printer/jobs/{job.id}/preview.png")
    assert page.status_code == 200 and page.mimetype == "image/png"
    image = Image.open(io.BytesIO(page.data)).convert("L")
    assert not any(
        code.format == zxingcpp.BarcodeFormat.QRCode for code in zxingcpp.read_barcodes(image)
    )
    assert queue.get_job(db, job.id).payload["qr"] == voucher.qr  # the paper still gets it
