"""The persistent print queue (table ``print_jobs`` in the kiosk's database).

``enqueue`` runs inside the caller's write transaction, so a job exists if and only if the
exchange that asked for it was committed. A worker prints jobs later; the kiosk never waits.

States::

    queued ---claim---> printing --(printer took every byte, and confirmed it if it answers
      ^                   |  |       status)--> done
      |                   |  +--(document cannot be made)--> failed
      |                   +--(some document bytes sent, not confirmed: stalled, cut off,
      |                   |    closed before the status answer)--> uncertain
      +--(no document byte can have reached the printer: refused, paper out, no first status
      |    answer: attempts+1, next_attempt_at = backoff)
      +--(a normal stop before the document started: handed back, attempt not counted)
    printing at start-up (a crash): document_sent_at NULL --> queued (nothing was sent)
                                    document_sent_at set  --> uncertain
    queued / failed / uncertain --cancel--> cancelled

An uncertain job is never printed again by itself: the resident and the volunteer are told,
and a reprint is a new job marked COPY (``reprint_as_copy``; a voucher: kiosk/vouchers/cancel.py).
A done job is never printed again: only ``reprint_as_copy`` makes a new job, marked COPY.
Jobs print strictly in order: while the oldest queued job waits for its retry, the others wait
behind it. A credential a job prints (a member card's token, a mailbox code, a voucher's secret)
is overwritten as soon as the paper is out (``SECRET_FIELDS``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PENDING_STATES = ("queued", "printing")
FINAL_STATES = ("done", "failed", "uncertain", "cancelled")
# Credentials a job prints and nobody keeps, overwritten with null when the job leaves the
# queue (a card or a mailbox code that did not print is issued anew)...
SECRET_FIELDS = {"member_card": ("card_token",), "mailbox_slip": ("code",)}
NO_COPIES = frozenset(SECRET_FIELDS)
# ...or once the paper is out: a voucher was paid for, so until it prints its job keeps the
# secret (kiosk/vouchers/codes.py) to be tried again.
SECRET_UNTIL_PRINTED = {"voucher": ("qr", "check_code")}
BACKOFF_FIRST_SECONDS = 5


class QueueError(Exception):
    """A queue operation refused; ``code`` names why for the web layer."""

    code = "queue_error"


class JobNotFound(QueueError):
    code = "job_not_found"


class CopyRefused(QueueError):
    """A member card or mailbox code is a credential: issue a new one instead of a copy."""

    code = "copy_refused"


class JobStateError(QueueError):
    """The job is not in a state that allows this (e.g. cancelling a printed job)."""

    code = "job_state"


@dataclass(frozen=True)
class PrintJob:
    id: int
    layout: str
    payload: dict[str, Any]
    reference: str | None
    state: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    is_copy: bool
    copy_of: int | None
    created_at: str
    printed_at: str | None
    preview_path: str | None
    document_sent_at: str | None = None

    @classmethod
    def from_row(cls, row) -> PrintJob:
        values = dict(row)
        values["payload"] = json.loads(values["payload"])
        values["is_copy"] = bool(values["is_copy"])
        return cls(**values)

    @property
    def file_name(self) -> str:
        return f"job-{self.id:06d}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _now_iso() -> str:
    return _iso(datetime.now(UTC))


@contextmanager
def _transaction(db) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` unless the caller already holds a transaction (then a savepoint)."""
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT print_queue")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO print_queue")
            conn.execute("RELEASE print_queue")
            raise
        conn.execute("RELEASE print_queue")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        _SCRUBBED.discard(id(conn))
        raise
    conn.execute("COMMIT")
    if id(conn) in _SCRUBBED:
        _SCRUBBED.discard(id(conn))
        forget_old_pages(conn)


# Connections (by id) that overwrote a secret in the transaction under way: forget_old_pages.
_SCRUBBED: set[int] = set()


def forget_old_pages(conn, attempts: int = 5) -> bool:
    """A secret overwritten in a row still sits in the write-ahead log (the page as it was)
    until a checkpoint copies the new page into the database file and the log is emptied:
    do both now (``secure_delete`` zeroes the old bytes in the file, kiosk/store/db.py).
    Readers holding an older snapshot may delay it a little; returns whether it was done."""
    for attempt in range(attempts):
        busy, _log, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        time.sleep(0.02 * (attempt + 1))
    return False


def enqueue(db, layout: str, payload: dict[str, Any], *, reference: str | None = None) -> int:
    """Queue one document for printing; returns the job id. Call inside a write transaction."""
    cursor = db.conn.execute(
        "INSERT INTO print_jobs (layout, payload, reference, state, created_at) "
        "VALUES (?, ?, ?, 'queued', ?)",
        (layout, json.dumps(payload, ensure_ascii=False, sort_keys=True), reference, _now_iso()),
    )
    return cursor.lastrowid


def get_job(db, job_id: int) -> PrintJob:
    row = db.conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(f"no print job {job_id}")
    return PrintJob.from_row(row)


def list_jobs(
    db, *, states: tuple[str, ...] | None = None, reference: str | None = None, limit: int = 100
) -> list[PrintJob]:
    """Jobs, newest first, optionally only in ``states`` or for one ``reference``."""
    sql, params = "SELECT * FROM print_jobs WHERE 1", []
    if states:
        sql += f" AND state IN ({', '.join('?' for _ in states)})"
        params += list(states)
    if reference is not None:
        sql += " AND reference = ?"
        params.append(reference)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [PrintJob.from_row(row) for row in db.conn.execute(sql, params)]


def count_jobs(db) -> dict[str, int]:
    """How many jobs in each state (every state present, 0 if none)."""
    counts = dict.fromkeys(PENDING_STATES + FINAL_STATES, 0)
    for row in db.conn.execute("SELECT state, count(*) FROM print_jobs GROUP BY state"):
        counts[row[0]] = row[1]
    return counts


def count_waiting(db) -> int:
    """Jobs queued or printing (the status bar's count, on every page): counted through the
    state index, so finished jobs, which pile up for years, cost nothing."""
    return db.conn.execute(
        "SELECT count(*) FROM print_jobs WHERE state IN ('queued', 'printing')"
    ).fetchone()[0]


def claim_next_job(db, *, now: datetime | None = None) -> PrintJob | None:
    """The oldest queued job, now marked 'printing' (committed before a byte is sent);
    None if the queue is empty or its oldest job is waiting for its retry time."""
    now = now or datetime.now(UTC)
    with _transaction(db):
        row = db.conn.execute(
            "SELECT * FROM print_jobs WHERE state = 'queued' ORDER BY id LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        if row["next_attempt_at"] and row["next_attempt_at"] > _iso(now):
            return None
        db.conn.execute(
            "UPDATE print_jobs SET state = 'printing', attempts = attempts + 1, "
            "document_sent_at = NULL WHERE id = ? AND state = 'queued'",
            (row["id"],),
        )
    return get_job(db, row["id"])


def _scrub_secrets(db, job_id: int, secrets: dict[str, tuple[str, ...]] = SECRET_FIELDS) -> None:
    """Overwrite the credentials ``secrets`` names in the job's payload with null, and in every
    job of the same paper (its original and that original's copies)."""
    root = db.conn.execute(
        "SELECT coalesce(copy_of, id), reference, layout FROM print_jobs WHERE id = ?", (job_id,)
    ).fetchone()
    if root is None:
        return
    if root[2] in secrets:
        _SCRUBBED.add(id(db.conn))
    for layout, fields in secrets.items():
        for name in fields:
            db.conn.execute(
                "UPDATE print_jobs SET payload = json_set(payload, ?, json('null')) "
                "WHERE layout = ? AND (id = ? OR (reference IS ? AND copy_of = ?))",
                (f"$.{name}", layout, root[0], root[1], root[0]),
            )


def mark_done(db, job_id: int, *, preview_path: str | None = None) -> None:
    """The printer has the job: done for good (and its secrets forgotten)."""
    with _transaction(db):
        db.conn.execute(
            "UPDATE print_jobs SET state = 'done', printed_at = ?, last_error = NULL, "
            "next_attempt_at = NULL, preview_path = coalesce(?, preview_path) WHERE id = ?",
            (_now_iso(), preview_path, job_id),
        )
        _scrub_secrets(db, job_id, SECRET_FIELDS | SECRET_UNTIL_PRINTED)


def backoff_seconds(attempts: int, retry_max_seconds: int) -> int:
    """5, 10, 20, 40 ... seconds after the 1st, 2nd, 3rd ... failed attempt, capped."""
    return min(retry_max_seconds, BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1))


def mark_attempt_failed(
    db, job_id: int, error: str, *, retry_max_seconds: int = 300, now: datetime | None = None
) -> str:
    """The printer did not take the job: back to 'queued', retried after a backoff.
    Returns the time of the next attempt (UTC ISO)."""
    now = now or datetime.now(UTC)
    with _transaction(db):
        attempts = get_job(db, job_id).attempts
        retry_at = _iso(now + timedelta(seconds=backoff_seconds(attempts, retry_max_seconds)))
        db.conn.execute(
            "UPDATE print_jobs SET state = 'queued', last_error = ?, next_attempt_at = ? "
            "WHERE id = ? AND state = 'printing'",
            (error[:500], retry_at, job_id),
        )
    return retry_at


def mark_failed(db, job_id: int, error: str) -> None:
    """The document cannot be made (bad payload, unknown layout): not retried."""
    with _transaction(db):
        db.conn.execute(
            "UPDATE print_jobs SET state = 'failed', last_error = ?, next_attempt_at = NULL "
            "WHERE id = ?",
            (error[:500], job_id),
        )
        _scrub_secrets(db, job_id)


def retry_now(db) -> int:
    """The printer is back: queued jobs waiting for a retry may go at once."""
    with _transaction(db):
        return db.conn.execute(
            "UPDATE print_jobs SET next_attempt_at = NULL "
            "WHERE state = 'queued' AND next_attempt_at IS NOT NULL"
        ).rowcount


def mark_document_started(db, job_id: int) -> None:
    """The first byte of the job's document is about to leave (committed before it does)."""
    with _transaction(db):
        db.conn.execute(
            "UPDATE print_jobs SET document_sent_at = ? WHERE id = ? AND state = 'printing'",
            (_now_iso(), job_id),
        )


def mark_uncertain(db, job_id: int, error: str) -> None:
    """Some of the document may be on paper, not confirmed: never printed again by itself
    (a person checks the paper and may ask for a COPY)."""
    with _transaction(db):
        db.conn.execute(
            "UPDATE print_jobs SET state = 'uncertain', last_error = ?, next_attempt_at = NULL "
            "WHERE id = ? AND state = 'printing'",
            (error[:500], job_id),
        )
        _scrub_secrets(db, job_id)


def hand_back(db, job_id: int) -> None:
    """A normal stop before the job's document started: queued again as it was (the attempt
    is not counted, no backoff)."""
    with _transaction(db):
        db.conn.execute(
            "UPDATE print_jobs SET state = 'queued', attempts = max(0, attempts - 1), "
            "document_sent_at = NULL WHERE id = ? AND state = 'printing'",
            (job_id,),
        )


def mark_interrupted_uncertain(db) -> list[int]:
    """At start-up: a job still 'printing' was cut off by a crash. If its document had started
    it may be on paper: 'uncertain' (never printed again by itself); otherwise nothing of it
    was sent and it is handed back to the queue. Returns the ids made uncertain."""
    with _transaction(db):
        rows = db.conn.execute(
            "SELECT id, document_sent_at FROM print_jobs WHERE state = 'printing' ORDER BY id"
        ).fetchall()
        ids = []
        for job_id, sent_at in rows:
            if sent_at is None:
                hand_back(db, job_id)
                continue
            ids.append(job_id)
            db.conn.execute(
                "UPDATE print_jobs SET state = 'uncertain', "
                "last_error = 'interrupted while printing: check the paper' WHERE id = ?",
                (job_id,),
            )
            _scrub_secrets(db, job_id)
    return ids


def cancel_job(db, job_id: int) -> None:
    """A person cancels a job not yet printed (queued, failed or uncertain)."""
    with _transaction(db):
        job = get_job(db, job_id)
        if job.state not in ("queued", "failed", "uncertain"):
            raise JobStateError(f"job {job_id} is {job.state} and cannot be cancelled")
        db.conn.execute(
            "UPDATE print_jobs SET state = 'cancelled', next_attempt_at = NULL WHERE id = ?",
            (job_id,),
        )
        _scrub_secrets(db, job_id)


def retry_failed_job(db, job_id: int) -> None:
    """A person asks to try a failed job again (e.g. after a software update)."""
    with _transaction(db):
        job = get_job(db, job_id)
        if job.state != "failed":
            raise JobStateError(f"job {job_id} is {job.state}, not failed")
        db.conn.execute(
            "UPDATE print_jobs SET state = 'queued', next_attempt_at = NULL WHERE id = ?",
            (job_id,),
        )


def reprint_as_copy(db, job_id: int) -> int:
    """A person asks for a copy: a new job marked COPY (is_copy=1, copy_of=job_id).

    Refused for member cards and mailbox slips (issue a new one), and for jobs that have
    not finished (the original will still print)."""
    with _transaction(db):
        job = get_job(db, job_id)
        if job.layout in NO_COPIES:
            raise CopyRefused(f"a {job.layout} is never reprinted: issue a new one")
        if any(job.payload.get(name) is None for name in SECRET_UNTIL_PRINTED.get(job.layout, ())):
            raise CopyRefused(f"this {job.layout} is on paper and its code is forgotten")
        if job.state in PENDING_STATES:
            raise JobStateError(f"job {job_id} is still {job.state}")
        original = job.copy_of or job.id
        cursor = db.conn.execute(
            "INSERT INTO print_jobs (layout, payload, reference, state, is_copy, copy_of, "
            "created_at) VALUES (?, ?, ?, 'queued', 1, ?, ?)",
            (
                job.layout,
                json.dumps(job.payload, ensure_ascii=False, sort_keys=True),
                job.reference,
                original,
                _now_iso(),
            ),
        )
        return cursor.lastrowid
