"""Each layout, printed through the queue to a loopback network printer, reads right."""

import copy

import pytest
from printer_loopback import decode, network_settings

from kiosk import store
from printing import queue
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import load_profile
from printing.transports import make_printer
from printing.worker import print_pending


@pytest.fixture
def db(tmp_path):
    database = store.connect(tmp_path / "kiosk.sqlite3")
    yield database
    database.conn.close()


def print_one(db, loopback_printer, settings, layout, payload=None):
    with store.write(db):
        job_id = queue.enqueue(db, layout, copy.deepcopy(payload or SAMPLE_PAYLOADS[layout]))
    assert print_pending(db, make_printer(settings), settings) == 1
    assert queue.get_job(db, job_id).state == "done"
    data = loopback_printer.wait_for_connections(1)[-1]
    return decode(data, load_profile(settings.profile).get_code_pages())


def test_exchange_receipt_in_french(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "receipt")
    assert paper.find("Résidence des Tilleuls")
    assert paper.find("Reçu d’échange")
    assert paper.find("Référence") and paper.find("RJGPEP-42")
    assert paper.find("23/11/2026 11:00")  # 10:00 UTC in Paris
    assert paper.find("Jeanne Martin (B-204)") and paper.find("Loïc Béranger (A-12)")
    assert "Réparer un robinet (joint usé) à l’évier" in paper.text
    assert paper.find("1 h 30")
    assert paper.find("15,00 CEEC")
    assert paper.find("-15,00 CEEC") and paper.find("1 234,50 CEEC")
    assert paper.barcodes == ["RJGPEP-42"]  # the reference as Code128, scanned at the kiosk
    assert paper.cuts == 1
    assert paper.status_requests == [1, 4, 1, 4]  # before the job and after it
    assert all(
        len(line) <= 48 or style[1] for line, style in zip(paper.lines, paper.styles, strict=True)
    )


def test_two_receipt_copies_each_show_only_their_holders_balance(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path, receipt_copies=2)
    paper = print_one(db, loopback_printer, settings, "receipt")
    assert paper.cuts == 2
    payer_copy, payee_copy = paper.text.split("Exemplaire du prestataire")
    assert "Exemplaire du payeur" in payer_copy
    assert "-15,00 CEEC" in payer_copy and "1 234,50" not in payer_copy
    assert "1 234,50 CEEC" in payee_copy and "-15,00" not in payee_copy


def test_reversal_receipt_in_english_names_the_exchange_it_cancels(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path, language="en")
    payload = dict(SAMPLE_PAYLOADS["receipt"], kind="reversal", reverses_reference="RJGPEP-7")
    payload["payer"] = dict(payload["payer"], balance_after=None)
    paper = print_one(db, loopback_printer, settings, "receipt", payload)
    assert paper.find("Correction")
    assert paper.find("Cancels exchange RJGPEP-7")
    assert paper.find("2026-11-23 11:00")
    assert paper.find("15.00 CEEC")
    assert not paper.find("New balance of Jeanne Martin")


def test_voucher_has_big_amount_serial_expiry_native_qr_and_check_code(
    db, loopback_printer, tmp_path
):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "voucher")
    voucher = SAMPLE_PAYLOADS["voucher"]
    amount_line = paper.lines.index("10,00 CEEC")
    assert paper.styles[amount_line][:2] == (True, True)  # bold, double size
    assert paper.find("BCDFGH-42") and paper.find("Valable jusqu’au")
    assert paper.find("23/11/2027")
    assert paper.qr == [voucher["qr"]]
    # The code to type: the number, then the secret in three groups, big where it fits.
    assert paper.find("Code du bon") and paper.find("à taper si le code QR ne passe pas")
    groups = paper.lines.index("K7N29 HX4FR 3PV2T")
    assert paper.styles[groups][:2] == (True, True)
    assert paper.rasters == []  # the printer draws the QR itself
    [job] = queue.list_jobs(db)
    assert job.state == "done" and job.payload["qr"] is None and job.payload["check_code"] is None
    stored = db.conn.execute("SELECT payload FROM print_jobs").fetchone()[0]
    assert "K7N29" not in stored and voucher["qr"] not in stored


def test_member_card_prints_its_qr_between_cut_lines_then_forgets_the_token(
    db, loopback_printer, tmp_path
):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "member_card")
    assert paper.qr == ["KCBFHJ7Q2M9XD4N8STWY"]
    assert len(paper.find("découpez ici")) == 2
    assert paper.find("Jeanne Martin") and paper.find("Appartement B-204")
    assert paper.find("Carte n° 2, émise le 23/11/2026")
    [job] = queue.list_jobs(db)
    assert job.payload["card_token"] is None
    assert "KCBFHJ" not in db.conn.execute("SELECT payload FROM print_jobs").fetchone()[0]


def test_statement_lists_the_months_exchanges_and_balances(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "statement")
    assert paper.find("Novembre 2026")
    assert paper.find("03/11/2026  RJGPEP-12")
    assert [line for line in paper.lines if line.startswith("Garde de chat")][0].endswith(
        "+20,00 CEEC"
    )
    assert paper.find("Réparer un robinet")[0].endswith("-15,00 CEEC")
    assert paper.find("Solde à la fin du mois")[0].endswith("10,00 CEEC")


def test_board_sheet_shows_offers_and_requests(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "board_sheet")
    text = paper.text
    assert text.index("Offres") < text.index("Cours de guitare") < text.index("Demandes")
    assert text.index("Demandes") < text.index("Monter une armoire")
    assert paper.find("Semaine du 23/11/2026")


def test_mailbox_slip_hides_the_code_behind_a_mask_between_folds(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "mailbox_slip")
    folds = [i for i, line in enumerate(paper.lines) if "pliez ici" in line]
    code = paper.lines.index("482913")
    assert len(folds) == 2 and folds[1] < code
    assert all("X#" in paper.lines[i] for i in range(folds[0] + 1, folds[1]))
    assert paper.lines.index("Appartement B-204") < folds[0]
    [job] = queue.list_jobs(db)
    assert job.payload["code"] is None


def test_test_page_has_every_accent_a_qr_and_a_barcode(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    paper = print_one(db, loopback_printer, settings, "test_page")
    assert paper.find("à â ä ç é è ê ë î ï ô ö ù û ü ÿ œ æ")
    assert paper.find("À Â Ä Ç É È Ê Ë Î Ï Ô Ö Ù Û Ü Ÿ Œ Æ")
    assert paper.find("« guillemets » l’apostrophe – tiret … 12 € 3°")
    assert paper.qr == ["https://example.org/kiosk/test?é=1"]
    assert paper.barcodes == ["CEEC-TEST-0042"]


def test_58mm_printer_without_native_qr_gets_image_codes_and_32_columns(
    db, loopback_printer, tmp_path
):
    settings = network_settings(loopback_printer, tmp_path, profile="POS-5890", paper_width_mm=58)
    paper = print_one(db, loopback_printer, settings, "test_page")
    assert paper.qr == [] and paper.barcodes == []
    assert len(paper.rasters) == 2  # QR and barcode as images
    assert all(width <= 384 for width, _ in paper.rasters)
    assert paper.find("12345678901234567890123456789012")
    assert all(len(line) <= 32 for line in paper.lines)
    assert paper.find("CEEC-TEST-0042")  # the barcode's text, printed under the image


def test_a_reprint_is_marked_copy_at_the_top_and_before_the_cut(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    print_one(db, loopback_printer, settings, "receipt")
    [original] = queue.list_jobs(db)
    copy_id = queue.reprint_as_copy(db, original.id)
    assert print_pending(db, make_printer(settings), settings) == 1
    data = loopback_printer.wait_for_connections(2)[-1]
    paper = decode(data, load_profile("TM-T20II").get_code_pages())
    assert paper.lines[0] == "*** DUPLICATA ***"
    assert len(paper.find("*** DUPLICATA ***")) == 2
    copy_job = queue.get_job(db, copy_id)
    assert copy_job.is_copy and copy_job.copy_of == original.id
