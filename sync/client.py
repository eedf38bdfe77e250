"""The kiosk's side of sync: enrol once (``sync.enrolment``), then push own events
(``sync.push``) and pull the network's (``sync.pull``), over signed requests
(``sync.session``) on one connection (``sync.connection``).

A run (``SyncClient.sync``) first goes on with a restore from the hub a cut or a crash
stopped (``sync.restore``), or fetches back what the hub holds of this kiosk if it was
restored from a backup (``sync.catch_up``), then pushes, pulls, takes the requests of residents'
devices the hub kept for it (``sync.home_inbox``), then compensates the hub's verdicts on
vouchers settled twice that fall to this kiosk (kiosk/vouchers/conflicts.py) and, if any
answer or compensation was recorded, pushes those at once. Everything is idempotent: after a cut-off at any point the next run
resends or re-pulls, and what is already held changes nothing.

The kiosk never waits on this: ``SyncRunner`` (``sync.scheduler``) runs it from the scheduler
or a "sync now" thread, one run at a time, backing off exponentially while the hub cannot be
reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk import clock, store
from kiosk.store.restoring import restoring
from kiosk.vouchers import conflicts as voucher_conflicts
from sync import home_inbox, pull, push
from sync.catch_up import catch_up_after_restore, needs_catch_up
from sync.errors import SyncError, error_kind
from sync.restore import resume_restore
from sync.session import HubSession
from sync.state import set_state, state


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    applied: int = 0
    acked_seq: int = 0
    pull_cursor: int = 0


class SyncClient(HubSession):
    """Push, pull and a whole sync run for one kiosk database; not thread-safe
    (``SyncRunner`` serialises)."""

    def push(self) -> int:
        """Send every own shared event the hub lacks; returns how many were sent."""
        return push.push(self)

    def pull(self, *, include_own: bool = False) -> tuple[int, int]:
        """Apply every page the hub has for this kiosk; returns (received, newly applied)."""
        return pull.pull(self, include_own=include_own)

    def sync(self) -> SyncResult:
        """Push, pull, settle the voucher verdicts that fall to this kiosk (then push those);
        the state records the outcome for the status bar."""
        set_state(self.db, last_attempt_at=clock.now_iso())
        try:
            with self.connection.kept_open():  # one connection for the whole run
                pushed, received, applied = self._sync()
        except SyncError as exc:
            with store.write(self.db):
                self.db.execute(
                    "UPDATE sync_state SET failures = failures + 1, last_error = ?, last_error_kind = ? WHERE id = 1",
                    [str(exc), error_kind(exc)],
                )
            raise
        set_state(
            self.db,
            failures=0,
            last_error=None,
            last_error_kind=None,
            last_success_at=clock.now_iso(),
        )
        current = state(self.db)
        return SyncResult(pushed, received, applied, current["acked_seq"], current["pull_cursor"])

    def _sync(self) -> tuple[int, int, int]:
        if restoring(self.db):  # a restore from the hub was cut: go on with it first
            resume_restore(self.db, self.config, connection=self.connection)
        if needs_catch_up(self.db):  # restored from a backup: fetch back newer own events first
            catch_up_after_restore(self.db, self.config, connection=self.connection)
        pushed = self.push()
        received, applied = self.pull()
        answered = home_inbox.run(self).answered  # requests from residents' devices
        if voucher_conflicts.compensate_conflicts(self.db, self.config) or answered:
            pushed += self.push()
        return pushed, received, applied
