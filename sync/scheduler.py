"""When the kiosk syncs: one run at a time per database, from the scheduler's tick or a
"sync now" thread, with exponential back-off while the hub cannot be reached."""

from __future__ import annotations

import logging
import random
import threading
import time
from pathlib import Path

from kiosk import store
from kiosk.config import Config
from sync.client import SyncClient, SyncResult
from sync.errors import HubRefused, SyncError
from sync.state import is_enrolled, state

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 30


class SyncRunner:
    """One sync at a time for one kiosk database, with exponential back-off in between.

    Back-off is kept on the monotonic clock (a Pi's wall clock may jump by years when it
    finally finds a time server); only the count of failures is stored.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._next_due = 0.0
        self.last_result: SyncResult | None = None
        self.thread: threading.Thread | None = None  # the last "sync now"

    def backoff_seconds(self, failures: int) -> float:
        limit = self.config["sync"]["backoff_max_seconds"]
        delay = min(limit, BACKOFF_FIRST_SECONDS * 2 ** max(0, failures - 1))
        return delay * random.uniform(0.8, 1.0)

    def run_now(self) -> SyncResult | None:
        """Sync now unless a run is under way (then None). Errors are logged and stored."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            db = store.connect(
                self.config.database_path, busy_timeout_ms=self.config["storage"]["busy_timeout_ms"]
            )
            try:
                if not is_enrolled(db):
                    return None
                try:
                    self.last_result = SyncClient(db, self.config).sync()
                except HubRefused as exc:
                    log.error(
                        "sync refused by the hub: %s", exc
                    )  # will be refused again: wait long
                    self._next_due = time.monotonic() + self.config["sync"]["backoff_max_seconds"]
                    return None
                except SyncError as exc:
                    failures = state(db)["failures"]
                    delay = self.backoff_seconds(failures)
                    log.warning("sync failed (%s); next attempt in %.0f s", exc, delay)
                    self._next_due = time.monotonic() + delay
                    return None
                self._next_due = time.monotonic() + self.config["sync"]["interval_minutes"] * 60
                return self.last_result
            finally:
                db.close()
        finally:
            self._lock.release()

    def tick(self) -> None:
        """The scheduled job: sync when due (interval after a success, back-off after a failure)."""
        if time.monotonic() >= self._next_due:
            self.run_now()

    def start_now(self) -> threading.Thread:
        """ "Sync now" from the admin page: a thread, so the page never waits on the network."""
        self._next_due = 0.0
        thread = threading.Thread(target=self.run_now, name="sync-now", daemon=True)
        thread.start()
        self.thread = thread
        return thread


_runners: dict[Path, SyncRunner] = {}
_runners_lock = threading.Lock()


def runner_for(config: Config) -> SyncRunner:
    """The process's runner for this kiosk database (shared by the scheduler and the web)."""
    with _runners_lock:
        path = config.database_path.resolve()
        if path not in _runners:
            _runners[path] = SyncRunner(config)
        return _runners[path]


def schedule(scheduler, config: Config) -> None:
    """Add the sync job to an APScheduler 3 scheduler (``kiosk serve`` only): a short tick that
    syncs when due, so back-off can be shorter or longer than the interval."""
    runner = runner_for(config)
    scheduler.add_job(
        runner.tick,
        "interval",
        seconds=min(30, config["sync"]["interval_minutes"] * 60),
        id="sync",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
