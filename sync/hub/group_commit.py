"""Batches pushed at the same time, stored in one transaction: the hub's group commit.

When a city's kiosks come back after an outage they all push at once. Stored one transaction
a batch, each batch pays on its own what does not depend on its size: the write lock, a
durable commit (an fsync) and, on PostgreSQL, the round trips of taking the lock and
committing. A hub process's request threads therefore queue their checked batches here
(``store.prepare`` runs first, in the request's own thread); the first thread to find no
batch being stored leads: it takes every batch waiting (up to ``MAX_GROUP_EVENTS`` events)
and stores them in one transaction (``store.accept_batches``), sets each one's answer and
wakes their threads; while more batches wait it stores them the same way, up to
``LEAD_GROUPS`` groups (its own answer, set with its first group, is not held back for ever
under a steady stream), then hands the lead to the oldest batch waiting, whose thread goes
on. With one request at a time a group is one batch, stored as before.

What a kiosk is told is what was committed: a batch's answer is set only after its group's
commit (or its own, when a batch of the group was refused and each was stored alone). If the
store fails (a lost connection, a full disk), every batch of the group gets that failure (a
500; the kiosk sends the batch again later, which is idempotent). Groups never span hub
processes: on PostgreSQL each process's groups queue for the advisory write lock as its
batches did.
"""

from __future__ import annotations

import threading

from sqlite_utils import Database

from sync.hub.refusals import HubRefusal
from sync.hub.store import MAX_BATCH_EVENTS, Pending, accept_batches

MAX_GROUP_EVENTS = MAX_BATCH_EVENTS  # a group holds at least one batch, whatever its size
# A leader stores groups while batches wait, up to this many: handing the lead on after each
# group made a woken thread wait for the GIL while the lock stood idle (bench_hub, 300 kiosks,
# 50 events: SQLite push 0.141 of the raw insert handing on after each group, 0.155-0.158 after
# up to 1,000). It bounds how long a leader's own answer waits: 16 groups of a few batches.
LEAD_GROUPS = 16


class StoreFailed(RuntimeError):
    """The store failed while storing the group that held this request's batch."""


class _Waiting:
    __slots__ = ("pending", "ready", "lead", "outcome")

    def __init__(self, pending: Pending) -> None:
        self.pending = pending
        self.ready = threading.Event()
        self.lead = False  # this request's thread stores the next group
        self.outcome: dict[str, int] | BaseException | None = None


class GroupCommit:
    """One per hub process (``app.extensions[routes.GROUP_COMMIT]``)."""

    def __init__(self, max_events: int = MAX_GROUP_EVENTS) -> None:
        self.max_events = max_events
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._storing = False  # a thread leads; the queue is never left without one

    def accept(self, db: Database, pending: Pending) -> dict[str, int]:
        """Store ``pending`` with whatever else is waiting, through ``db`` (this request's
        connection) if this thread leads; its answer, or raise its refusal."""
        waiting = _Waiting(pending)
        with self._lock:
            self._queue.append(waiting)
            if not self._storing:
                self._storing = waiting.lead = True
        if not waiting.lead:
            waiting.ready.wait()  # set with the outcome, or to hand this thread the lead
        if waiting.lead:
            self._lead(db)
        outcome = waiting.outcome
        if isinstance(outcome, HubRefusal):
            raise outcome
        if isinstance(outcome, BaseException):
            raise StoreFailed("the hub's store failed while storing this batch") from outcome
        assert outcome is not None
        return outcome

    def _lead(self, db: Database) -> None:
        """Store groups while batches wait, at most ``LEAD_GROUPS``, then hand the lead to the
        oldest batch waiting (this thread's own batch is in the first group)."""
        groups = 0
        try:
            while True:
                with self._lock:
                    if not self._queue:
                        self._storing = False
                        return
                    if groups == LEAD_GROUPS:
                        self._hand_over()
                        return
                    group = self._take()
                groups += 1
                self._store_group(db, group)
        except BaseException:
            with self._lock:
                if self._queue:
                    self._hand_over()
                else:
                    self._storing = False
            raise

    def _hand_over(self) -> None:
        self._queue[0].lead = True
        self._queue[0].ready.set()

    def _store_group(self, db: Database, group: list[_Waiting]) -> None:
        outcomes: list = [StoreFailed("this batch's group was not stored")] * len(group)
        try:
            outcomes = accept_batches(db, [waiting.pending for waiting in group])
        except Exception as exc:  # noqa: BLE001 - nothing of the group stays: each is told
            outcomes = [exc] * len(group)
        finally:
            for waiting, outcome in zip(group, outcomes, strict=True):
                waiting.outcome = outcome
                waiting.ready.set()

    def _take(self) -> list[_Waiting]:
        """The batches waiting, oldest first, up to ``max_events`` (at least one)."""
        taken, events = 0, 0
        for waiting in self._queue:
            events += len(waiting.pending.rows)
            if taken and events > self.max_events:
                break
            taken += 1
        group, self._queue = self._queue[:taken], self._queue[taken:]
        return group
