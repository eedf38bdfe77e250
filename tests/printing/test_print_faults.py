"""Exactly once, said honestly: a printer that fails in every way a network printer can, with
status reading on and off, and what ends up on its paper.

The faulty printer (tests/faulty_printer.py) keeps the bytes it read per connection; they are
compared with the receipt's original and COPY documents, so each connection's paper is "the
whole original", "part of the original", "the whole copy"... Whatever the fault, the kiosk
never prints two originals, never retries a job once a byte of it can have reached the
printer, and never calls a job done that is not whole on the paper.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from faulty_printer import FaultyPrinter
from printer_loopback import decode, network_settings

from kiosk import store
from printing import queue
from printing.escpos_render import render_escpos
from printing.layouts import build_document
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import load_profile
from printing.status import PrinterState
from printing.transports import make_printer
from printing.worker import PrintWorker, print_pending

LATER = datetime.now(UTC) + timedelta(hours=1)  # past any backoff
SHORT = 0.3  # the printer time-out while it misbehaves (seconds)


@pytest.fixture
def faulty():
    printer = FaultyPrinter()
    yield printer
    printer.stop()


def documents(settings) -> tuple[bytes, bytes]:
    """The receipt's bytes as an original and as a COPY."""
    payload = SAMPLE_PAYLOADS["receipt"]
    return tuple(
        render_escpos(build_document("receipt", payload, settings, is_copy=copy), settings)
        for copy in (False, True)
    )


def queue_receipt(db) -> int:
    with store.write(db):
        return queue.enqueue(db, "receipt", SAMPLE_PAYLOADS["receipt"], reference="RJGPEP-42")


def kinds(papers) -> list[str]:
    return sorted(paper.kind for paper in papers if paper.kind != "nothing")


def assert_honest(job, papers) -> None:
    """What the queue says agrees with the paper."""
    originals = [p for p in papers if "original" in p.kind]
    assert len(originals) <= 1, f"the original went to the printer twice: {papers}"
    if job.state == "done":
        assert [p.kind for p in originals] == ["original"], f"done, but the paper: {papers}"
    if job.state == "queued":  # to be retried by itself: nothing of it may be on paper
        assert not originals, f"retried although on paper: {papers}"


def the_printer_comes_back(db, faulty, tmp_path, read_status: bool, job_id: int) -> list[str]:
    """The volunteer repairs the printer and does what the kiosk says: an uncertain job gets a
    COPY. Returns what the whole story put on paper."""
    faulty.set_fault("ok")
    settings = network_settings(faulty, tmp_path, read_status=read_status)
    job = queue.get_job(db, job_id)
    if job.state == "uncertain":
        copy_id = queue.reprint_as_copy(db, job_id)
    print_pending(db, make_printer(settings), settings, now=LATER)
    job = queue.get_job(db, job_id)
    original, copy = documents(settings)
    papers = faulty.papers(original, copy)
    assert_honest(job, papers)
    if job.state == "uncertain":
        assert queue.get_job(db, copy_id).state == "done"
        assert "copy" in kinds(papers)
        whole_copy = decode(copy, load_profile("TM-T20II").get_code_pages())
        assert whole_copy.find("DUPLICATA") and whole_copy.find("RJGPEP-42")
    else:
        assert job.state == "done" and kinds(papers).count("original") == 1
    return kinds(papers)


# Where the printer hangs up, in bytes of the receipt's document.
CUTS = {
    "0": lambda size: 0,
    "1": lambda size: 1,
    "mid": lambda size: size // 2,
    "all but the last": lambda size: size - 1,
    "all": lambda size: size,
}


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
@pytest.mark.parametrize("cut", list(CUTS))
def test_a_printer_that_hangs_up_after_n_bytes(cut, read_status, db, faulty, tmp_path):
    settings = network_settings(faulty, tmp_path, read_status=read_status, timeout_seconds=SHORT)
    original, copy = documents(settings)
    n = CUTS[cut](len(original))
    faulty.set_fault("close_after", n)
    job_id = queue_receipt(db)

    printed = print_pending(db, make_printer(settings), settings)
    assert printed == (1 if cut == "all" and not read_status else 0)

    job = queue.get_job(db, job_id)
    papers = faulty.papers(original, copy)
    assert_honest(job, papers)
    if cut == "all" and not read_status:
        # It read every byte and closed after them: taken, and that is what "done" means here.
        assert job.state == "done" and kinds(papers) == ["original"]
    elif cut == "0":
        assert job.state in ("uncertain", "queued") and kinds(papers) == []
    else:  # a part of it (or all of it, unconfirmed) may be on paper
        assert job.state == "uncertain" and job.last_error
        expected = "original" if cut == "all" else "part of original"
        assert kinds(papers) == [expected]
    after = the_printer_comes_back(db, faulty, tmp_path, read_status, job_id)
    assert after.count("original") + after.count("part of original") <= 1


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
def test_nothing_listening_the_job_waits_and_prints_once(read_status, db, faulty, tmp_path):
    settings = network_settings(faulty, tmp_path, read_status=read_status, timeout_seconds=SHORT)
    faulty.refuse()
    job_id = queue_receipt(db)
    statuses = []
    assert print_pending(db, make_printer(settings), settings, on_status=statuses.append) == 0
    job = queue.get_job(db, job_id)
    assert (job.state, job.attempts) == ("queued", 1) and job.next_attempt_at
    assert statuses[-1].state is PrinterState.OFFLINE
    faulty.listen_again()
    assert the_printer_comes_back(db, faulty, tmp_path, read_status, job_id) == ["original"]


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
@pytest.mark.parametrize("where", ["before the document", "mid-document"])
def test_a_printer_that_stalls(where, read_status, db, faulty, tmp_path):
    settings = network_settings(faulty, tmp_path, read_status=read_status, timeout_seconds=SHORT)
    original, copy = documents(settings)
    faulty.set_fault("stall_after", 0 if where == "before the document" else len(original) // 2)
    job_id = queue_receipt(db)
    started = time.monotonic()
    assert print_pending(db, make_printer(settings), settings) == 0
    assert time.monotonic() - started < 6 * SHORT + 1  # bounded by the time-out
    job = queue.get_job(db, job_id)
    assert_honest(job, faulty.papers(original, copy))
    if where == "before the document" and read_status:
        assert job.state == "queued"  # no answer to the first status: nothing was sent
    else:
        assert job.state == "uncertain"
    faulty.stop()  # the stalled connection ends; a fresh printer on another port
    fresh = FaultyPrinter()
    try:
        after = the_printer_comes_back(db, fresh, tmp_path, read_status, job_id)
    finally:
        fresh.stop()
    assert after == (["original"] if job.state == "queued" else ["copy"])


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
def test_a_printer_that_closes_before_the_status_answer(read_status, db, faulty, tmp_path):
    settings = network_settings(faulty, tmp_path, read_status=read_status, timeout_seconds=SHORT)
    original, copy = documents(settings)
    faulty.set_fault("no_final_answer")
    job_id = queue_receipt(db)
    print_pending(db, make_printer(settings), settings)
    job = queue.get_job(db, job_id)
    assert kinds(faulty.papers(original, copy)) == ["original"]
    # With status reading the answer is the proof, and it never came: uncertain, not printed
    # again as an original. Without it, the printer read everything and closed: done.
    assert job.state == ("uncertain" if read_status else "done")
    after = the_printer_comes_back(db, faulty, tmp_path, read_status, job_id)
    assert after == (["copy", "original"] if read_status else ["original"])


def worker_on(db_path, settings) -> PrintWorker:
    worker = PrintWorker(db_path, settings, poll_seconds=0.05)
    worker.start()
    return worker


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
def test_a_normal_stop_hands_back_a_job_not_started(read_status, config, db, faulty, tmp_path):
    """The kiosk is stopped while the printer keeps it waiting before the document (no status
    answer; without status reading: no connection at all)."""
    settings = network_settings(faulty, tmp_path, read_status=read_status, timeout_seconds=3)
    if read_status:
        faulty.set_fault("stall_after", 0)
    else:
        faulty.refuse()
    job_id = queue_receipt(db)
    worker = worker_on(config.database_path, settings)
    assert wait_until(lambda: queue.get_job(db, job_id).attempts >= 1)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 4 * 3 + 2
    job = queue.get_job(db, job_id)
    assert job.state == "queued" and job.document_sent_at is None
    if read_status:
        assert job.attempts == 0  # handed back untouched
    # At the next start it prints by itself, as an original, once.
    faulty.stop()
    fresh = FaultyPrinter()
    try:
        settings = network_settings(fresh, tmp_path, read_status=read_status)
        queue.retry_now(db)
        worker = worker_on(config.database_path, settings)
        assert worker.uncertain_at_start == []
        assert wait_until(lambda: queue.get_job(db, job_id).state == "done")
        worker.stop()
        original, copy = documents(settings)
        assert kinds(fresh.papers(original, copy)) == ["original"]
    finally:
        fresh.stop()


@pytest.mark.parametrize("read_status", [True, False], ids=["status", "no status"])
@pytest.mark.parametrize("printer", ["slow", "stalled"])
def test_a_normal_stop_finishes_the_job_on_the_wire(
    printer, read_status, config, db, faulty, tmp_path
):
    """Stopped while the document is leaving: the stop waits for it (bounded by the time-out).
    A slow printer takes it whole (done); a stalled one never does (uncertain, not retried)."""
    settings = network_settings(faulty, tmp_path, read_status=read_status, timeout_seconds=2)
    original, copy = documents(settings)
    half = len(original) // 2
    faulty.set_fault("pause_after" if printer == "slow" else "stall_after", half)
    job_id = queue_receipt(db)
    worker = worker_on(config.database_path, settings)
    assert wait_until(lambda: queue.get_job(db, job_id).document_sent_at is not None)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 4 * 2 + 2
    job = queue.get_job(db, job_id)
    papers = faulty.papers(original, copy)
    assert_honest(job, papers)
    if printer == "slow":
        assert job.state == "done" and kinds(papers) == ["original"]
    else:
        assert job.state == "uncertain" and kinds(papers) == ["part of original"]


SERVE = "import sys; from kiosk.cli import main; sys.exit(main())"


def test_sigterm_on_kiosk_serve_hands_back_the_job_waiting_for_the_printer(faulty, tmp_path):
    """``kill`` (systemd's stop) while the job waits for the printer's first status answer:
    the process ends within the time-outs and the job is queued, untouched, not uncertain."""
    faulty.set_fault("stall_after", 0)
    data = tmp_path / "data"
    config_file = tmp_path / "kiosk.toml"
    config_file.write_text(
        f'[storage]\ndata_dir = "{data}"\n'
        f'[printer]\nkind = "network"\nhost = "127.0.0.1"\nport = {faulty.port}\n'
        "timeout_seconds = 3\nread_status = true\n"
    )
    from kiosk.config import load_config  # noqa: PLC0415 (the test's own config)

    config = load_config(config_file)
    database = store.connect(config.database_path)
    try:
        job_id = queue_receipt(database)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        log = tmp_path / "serve.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVE, "--config", str(config_file), "serve"]
                + ["--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            # The worker asks the status (3 s without answer), then claims the job and asks again.
            assert wait_until(lambda: queue.get_job(database, job_id).attempts >= 1, 15), (
                log.read_text()
            )
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(4 * 3 + 5)
            stopped_in = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
        job = queue.get_job(database, job_id)
        assert (job.state, job.attempts, job.document_sent_at) == ("queued", 0, None)
        assert stopped_in < 4 * 3 + 2
    finally:
        database.close()
