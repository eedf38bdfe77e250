"""What the resident and the volunteer read after a printer fault, over HTTP: a receipt or a
voucher cut off mid-print is never shown printed; the voucher is not "in circulation", can be
printed again as a marked COPY or cancelled with its CEEC back, by its issuer or the volunteer.
The printer is the fault-injecting one of tests/faulty_printer.py (hangs up mid-document)."""

from __future__ import annotations

import dataclasses

import pytest
from app_fixtures import login, post, text_of
from faulty_printer import FaultyPrinter
from printer_loopback import decode

from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.vouchers import vouchers
from printing import queue
from printing.settings import PrintSettings, load_profile
from printing.transports import make_printer
from printing.worker import print_pending

PRINTED = "Votre reçu a été imprimé"
IN_CIRCULATION = "Imprimé, en circulation"


@pytest.fixture
def faulty():
    printer = FaultyPrinter()
    yield printer
    printer.stop()


def printer_settings(config, faulty, tmp_path, read_status):
    base = PrintSettings.from_config(config.values, tmp_path / "previews")
    return dataclasses.replace(
        base, kind="network", port=faulty.port, timeout_seconds=0.5, read_status=read_status
    )


def print_with(db, faulty, settings, fault, n=0) -> None:
    faulty.set_fault(fault, n)
    print_pending(db, make_printer(settings), settings)


def whole_papers(faulty) -> list:
    pages = load_profile("TM-T20II").get_code_pages()
    papers = []
    for data in faulty.all_received():
        try:
            papers.append(decode(data, pages))
        except AssertionError:  # cut in the middle of a command
            continue
    return [paper for paper in papers if paper.cuts]


@pytest.fixture
def jeanne_has_80(db, config, building):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        category="sewing",
        amount=8000,
    )
    return building


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
def test_a_receipt_cut_off_is_not_shown_printed(
    read_status, client, db, config, jeanne_has_80, faulty, tmp_path
):
    settings = printer_settings(config, faulty, tmp_path, read_status)
    (job,) = queue.list_jobs(db, states=("queued",))
    print_with(db, faulty, settings, "close_after", 200)
    assert queue.get_job(db, job.id).state == "uncertain"
    login(client, jeanne_has_80.paul)
    page = text_of(client.get(f"/exchange/done/{job.reference}"))
    assert PRINTED not in page
    assert "L'imprimante s'est arrêtée au milieu de votre reçu" in page and "DUPLICATA" in page


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
def test_a_voucher_cut_off_is_not_in_circulation_and_its_issuer_reprints_or_cancels_it(
    read_status, client, db, config, jeanne_has_80, faulty, tmp_path
):
    b = jeanne_has_80
    settings = printer_settings(config, faulty, tmp_path, read_status)
    print_with(db, faulty, settings, "ok")  # the exchange's receipt
    first, second = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={500: 2})
    print_with(db, faulty, settings, "close_after", 300)  # the first one, cut off
    print_with(db, faulty, settings, "close_after", 300)  # then the second
    assert {vouchers.print_state(db, v.serial) for v in (first, second)} == {"uncertain"}
    login(client, b.jeanne)
    page = text_of(client.get("/vouchers/"))
    assert IN_CIRCULATION not in page
    assert page.count("L'imprimante s'est arrêtée pendant son impression") == 2

    # Printed again: a COPY, and now it is in circulation.
    assert post(client, f"/vouchers/{first.serial}/reprint").status_code == 302
    print_with(db, faulty, settings, "ok")
    assert vouchers.print_state(db, first.serial) == "done"
    copies = [p for p in whole_papers(faulty) if p.find(first.serial) and p.qr]  # vouchers
    assert len(copies) == 1 and copies[0].find("DUPLICATA")
    assert text_of(client.get("/vouchers/")).count(IN_CIRCULATION) == 1

    # Cancelled: its 5 CEEC back, and its paper (if any) redeems nothing.
    balance = residents.get(db, b.jeanne.id).balance
    assert post(client, f"/vouchers/{second.serial}/cancel").status_code == 302
    assert residents.get(db, b.jeanne.id).balance == balance + 500
    assert vouchers.get_voucher(db, second.serial).outcome == "cancelled"


def test_the_volunteer_sees_a_voucher_cut_off_and_reprints_or_cancels_it(
    client, db, config, jeanne_has_80, faulty, tmp_path
):
    b = jeanne_has_80
    settings = printer_settings(config, faulty, tmp_path, True)
    print_with(db, faulty, settings, "ok")
    first, second = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={500: 2})
    print_with(db, faulty, settings, "close_after", 300)
    print_with(db, faulty, settings, "close_after", 300)
    login(client, b.admin)
    here = f"/admin/vouchers/issuer/{b.jeanne.id}"
    page = text_of(client.get(here))
    assert page.count("Impression interrompue") == 2 and "En circulation" not in page
    done = post(client, f"/vouchers/{first.serial}/reprint", {"next": here})
    assert done.status_code == 302 and done.location.endswith(here)
    print_with(db, faulty, settings, "ok")
    copies = [p for p in whole_papers(faulty) if p.find(first.serial) and p.qr]
    assert len(copies) == 1 and copies[0].find("DUPLICATA")
    assert text_of(client.get(here)).count("En circulation") == 1
    balance = residents.get(db, b.jeanne.id).balance
    cancelled = post(client, "/admin/vouchers/cancel", {"serial": second.serial, "reason": "batch"})
    assert cancelled.status_code == 302
    assert residents.get(db, b.jeanne.id).balance == balance + 500
