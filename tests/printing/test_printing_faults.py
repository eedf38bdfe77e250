"""The printer is a slow, unreliable peer: a job survives every fault and prints exactly once."""

from datetime import UTC, datetime, timedelta

import pytest
from printer_loopback import PAPER_NEAR_END, PAPER_OUT, decode, network_settings

from kiosk import store
from printing import queue
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import load_profile
from printing.status import PrinterState, printer_ready_for_vouchers
from printing.transports import make_printer
from printing.worker import print_pending

LATER = datetime.now(UTC) + timedelta(hours=1)  # past any backoff


@pytest.fixture
def db(tmp_path):
    database = store.connect(tmp_path / "kiosk.sqlite3")
    yield database
    database.conn.close()


def record_exchange_with_receipt(db) -> int:
    """An exchange and its receipt job, committed together (as the ledger does)."""
    with store.write(db):
        store.set_meta(db, "last_exchange", "RJGPEP-42")
        return queue.enqueue(db, "receipt", SAMPLE_PAYLOADS["receipt"], reference="RJGPEP-42")


def complete_receipts(loopback_printer) -> list:
    """Connections that carried a whole receipt (cut included)."""
    profile = load_profile("TM-T20II").get_code_pages()
    papers = []
    for data in loopback_printer.settled():
        try:
            paper = decode(data, profile)
        except AssertionError:  # a stream cut in the middle of a command
            continue
        if paper.cuts and paper.find("RJGPEP-42"):
            papers.append(paper)
    return papers


# A printer that cuts a job off mid-document (it may be on paper): tests/printing/test_print_faults.py.
@pytest.mark.parametrize("fault", ["refuse", "stall"])
def test_a_job_survives_a_printer_fault_and_prints_once_when_it_is_back(
    fault, db, loopback_printer, tmp_path
):
    settings = network_settings(loopback_printer, tmp_path, timeout_seconds=0.3)
    printer = make_printer(settings)
    job_id = record_exchange_with_receipt(db)
    loopback_printer.set_mode(fault)
    statuses = []

    assert print_pending(db, printer, settings, on_status=statuses.append) == 0

    job = queue.get_job(db, job_id)
    assert job.state == "queued" and job.attempts == 1
    assert job.last_error and job.next_attempt_at
    assert store.get_meta(db, "last_exchange") == "RJGPEP-42"  # the exchange stands
    assert statuses[-1].state is PrinterState.OFFLINE
    assert print_pending(db, printer, settings) == 0  # still waiting for its retry time

    loopback_printer.set_mode("ok")
    settings = network_settings(loopback_printer, tmp_path)  # printer back: the long time-out
    printer = make_printer(settings)
    assert print_pending(db, printer, settings, now=LATER) == 1
    assert print_pending(db, printer, settings, now=LATER + timedelta(hours=1)) == 0
    job = queue.get_job(db, job_id)
    assert job.state == "done" and job.attempts == 2 and job.printed_at
    assert len(complete_receipts(loopback_printer)) == 1


def test_out_of_paper_nothing_is_sent_and_vouchers_are_refused(db, loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    printer = make_printer(settings)
    job_id = record_exchange_with_receipt(db)
    loopback_printer.paper = PAPER_OUT
    statuses = []
    assert print_pending(db, printer, settings, on_status=statuses.append) == 0
    assert statuses[-1].state is PrinterState.PAPER_OUT
    assert statuses[-1].label("fr") == "Plus de papier dans l’imprimante"
    assert not printer_ready_for_vouchers(statuses[-1])
    assert not printer_ready_for_vouchers(printer.status())
    assert complete_receipts(loopback_printer) == []

    loopback_printer.paper = PAPER_NEAR_END
    assert printer.status().state is PrinterState.PAPER_NEAR_END
    assert printer_ready_for_vouchers(printer.status())
    assert print_pending(db, printer, settings, now=LATER) == 1
    assert queue.get_job(db, job_id).state == "done"


def test_jobs_print_in_order_and_wait_behind_a_job_waiting_for_its_retry(
    db, loopback_printer, tmp_path
):
    settings = network_settings(loopback_printer, tmp_path)
    printer = make_printer(settings)
    first = record_exchange_with_receipt(db)
    with store.write(db):
        second = queue.enqueue(db, "test_page", {})
    loopback_printer.set_mode("refuse")
    assert print_pending(db, printer, settings) == 0
    loopback_printer.set_mode("ok")
    assert print_pending(db, printer, settings) == 0  # the second waits behind the first
    assert queue.get_job(db, second).attempts == 0
    assert print_pending(db, printer, settings, now=LATER) == 2
    done = [queue.get_job(db, job_id) for job_id in (first, second)]
    assert [job.state for job in done] == ["done", "done"]
    loopback_printer.settled()
    jobs = loopback_printer.jobs()
    assert b"RJGPEP-42" in jobs[0] and b"CEEC-TEST-0042" in jobs[1]


def test_status_of_an_unreachable_printer_is_offline_in_words(loopback_printer, tmp_path):
    settings = network_settings(loopback_printer, tmp_path)
    loopback_printer.set_mode("refuse")
    status = make_printer(settings).status()
    assert status.state is PrinterState.OFFLINE
    assert status.label("fr") == "Imprimante hors ligne"
    assert status.label("en") == "Printer offline"
    assert not printer_ready_for_vouchers(status)
