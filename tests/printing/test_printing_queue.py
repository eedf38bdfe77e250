"""The print queue: states, crash recovery, copies, cancelling, secrets, and the worker thread."""

import copy
from datetime import UTC, datetime, timedelta

import pytest

from kiosk import store
from printing import admin, queue
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import PrintSettings
from printing.transports import make_printer
from printing.worker import PrintWorker, print_pending


@pytest.fixture
def db(tmp_path):
    database = store.connect(tmp_path / "kiosk.sqlite3")
    yield database
    database.conn.close()


@pytest.fixture
def settings(tmp_path):
    return PrintSettings(preview_dir=tmp_path / "previews", building_name="Les Tilleuls")


def enqueue(db, layout="receipt", payload=None, reference=None) -> int:
    with store.write(db):
        return queue.enqueue(
            db, layout, copy.deepcopy(payload or SAMPLE_PAYLOADS[layout]), reference=reference
        )


def test_a_job_rolled_back_with_its_exchange_never_existed(db):
    with pytest.raises(RuntimeError), store.write(db):
        queue.enqueue(db, "receipt", SAMPLE_PAYLOADS["receipt"], reference="RJGPEP-42")
        raise RuntimeError("the exchange failed")
    assert queue.list_jobs(db) == []


def test_preview_printer_writes_one_png_per_job_and_records_its_path(db, settings):
    job_id = enqueue(db, reference="RJGPEP-42")
    assert print_pending(db, make_printer(settings), settings) == 1
    job = queue.get_job(db, job_id)
    assert job.state == "done" and job.preview_path.endswith(f"job-{job_id:06d}.png")
    with open(job.preview_path, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    assert admin.job_state_label(job.state, "fr") == "Imprimé"


def test_a_job_cut_off_by_a_crash_becomes_uncertain_and_is_not_printed_again(db, settings):
    job_id = enqueue(db)
    assert queue.claim_next_job(db).id == job_id
    queue.mark_document_started(db, job_id)  # ... and the kiosk loses power here
    assert queue.mark_interrupted_uncertain(db) == [job_id]
    assert print_pending(db, make_printer(settings), settings) == 0
    job = queue.get_job(db, job_id)
    assert job.state == "uncertain"
    assert admin.job_state_label(job.state, "fr") == "Interrompu : vérifiez le papier"
    copy_id = queue.reprint_as_copy(db, job_id)
    assert print_pending(db, make_printer(settings), settings) == 1
    assert queue.get_job(db, copy_id).is_copy


def test_a_job_cut_off_by_a_crash_before_its_document_left_prints_by_itself(db, settings):
    job_id = enqueue(db)
    assert queue.claim_next_job(db).id == job_id  # connecting, asking the status... power cut
    assert queue.mark_interrupted_uncertain(db) == []
    job = queue.get_job(db, job_id)
    assert (job.state, job.attempts, job.next_attempt_at) == ("queued", 0, None)
    assert print_pending(db, make_printer(settings), settings) == 1
    assert queue.get_job(db, job_id).state == "done"


def test_a_done_job_is_only_printed_again_as_a_copy_asked_by_a_person(db, settings):
    job_id = enqueue(db)
    print_pending(db, make_printer(settings), settings)
    assert print_pending(db, make_printer(settings), settings) == 0
    with pytest.raises(queue.JobStateError):
        queue.cancel_job(db, job_id)
    first = queue.reprint_as_copy(db, job_id)
    with pytest.raises(queue.JobStateError):
        queue.reprint_as_copy(db, first)  # still queued: the copy has not printed yet
    print_pending(db, make_printer(settings), settings)
    second = queue.reprint_as_copy(db, first)
    assert queue.get_job(db, second).copy_of == job_id  # copies point at the original


def test_a_member_card_is_never_copied_and_its_token_never_stays(db, settings):
    job_id = enqueue(db, "member_card")
    queue.cancel_job(db, job_id)
    job = queue.get_job(db, job_id)
    assert job.state == "cancelled" and job.payload["card_token"] is None
    with pytest.raises(queue.CopyRefused):
        queue.reprint_as_copy(db, job_id)
    png = admin.job_preview_png(db, job_id, settings)  # shows a placeholder, not a code
    assert png.startswith(b"\x89PNG")


def test_a_layout_that_cannot_be_built_fails_without_blocking_the_queue(db, settings):
    broken = enqueue(db, "receipt", {"reference": "X"})
    good = enqueue(db, "test_page", {})
    assert print_pending(db, make_printer(settings), settings) == 1
    assert queue.get_job(db, broken).state == "failed"
    assert "bad payload" in queue.get_job(db, broken).last_error
    assert queue.get_job(db, good).state == "done"
    queue.retry_failed_job(db, broken)
    assert queue.get_job(db, broken).state == "queued"


def test_backoff_doubles_and_stops_at_the_configured_maximum():
    assert [queue.backoff_seconds(n, 300) for n in range(1, 9)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        300,
        300,
    ]


def test_retry_now_lets_waiting_jobs_go_when_the_printer_is_back(db):
    job_id = enqueue(db)
    queue.claim_next_job(db)
    queue.mark_attempt_failed(db, job_id, "offline")
    assert queue.claim_next_job(db) is None
    assert queue.retry_now(db) == 1
    assert queue.claim_next_job(db).id == job_id


def test_list_and_count_jobs_for_the_admin_page(db):
    first = enqueue(db, reference="RJGPEP-42")
    enqueue(db, "test_page", {})
    assert [job.id for job in queue.list_jobs(db, reference="RJGPEP-42")] == [first]
    assert queue.count_jobs(db)["queued"] == 2
    assert len(queue.list_jobs(db, states=("done",))) == 0
    assert queue.count_waiting(db) == 2  # the status bar's figure
    queue.mark_done(db, queue.claim_next_job(db).id)
    assert queue.count_waiting(db) == 1 and queue.count_jobs(db)["done"] == 1


def test_the_worker_thread_prints_what_is_queued_and_marks_crashed_jobs(db, settings, tmp_path):
    interrupted = enqueue(db)
    queue.claim_next_job(db)
    queue.mark_document_started(db, interrupted)  # a previous run died while printing it
    worker = PrintWorker(tmp_path / "kiosk.sqlite3", settings, poll_seconds=5)
    worker.start()
    try:
        assert worker.uncertain_at_start == [interrupted]
        job_id = admin.queue_test_page(db)
        assert worker.wait_for_pass(timeout=10)
        assert queue.get_job(db, job_id).state == "done"
        assert worker.status.label("fr") == "Imprimante prête"
        assert admin.printer_ready_for_vouchers(worker.status)
    finally:
        worker.stop()
    assert queue.get_job(db, interrupted).state == "uncertain"


def test_next_attempt_time_is_after_the_failure(db):
    job_id = enqueue(db)
    queue.claim_next_job(db)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    retry_at = queue.mark_attempt_failed(db, job_id, "refused", now=now)
    assert retry_at == "2026-11-23T10:00:05Z"
    assert queue.claim_next_job(db, now=now + timedelta(seconds=4)) is None
    assert queue.claim_next_job(db, now=now + timedelta(seconds=5)).id == job_id
