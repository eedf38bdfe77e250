"""The scheduled job that closes group purchases whose order deadline has passed.

Every ``[projects] deadline_check_minutes`` the job closes each open purchase past its
deadline (by kiosk.clock time, read when the job runs): confirmed if the minimum is met, else
cancelled. Closing is a ``purchase.closed`` event, recorded at most once per purchase (the
state is checked again in the write transaction), so the job and a page that closes a purchase
lazily can never both close it.
"""

from __future__ import annotations

import logging

from kiosk import store
from kiosk.config import Config
from kiosk.projects.purchases import close_due_purchases

log = logging.getLogger(__name__)
JOB_ID = "purchase-deadlines"


def run_deadline_check(config: Config) -> dict[str, str]:
    """Close the purchases past their deadline; {project_id: "confirmed" | "cancelled"}."""
    db = store.connect(
        config.database_path, busy_timeout_ms=config["storage"]["busy_timeout_ms"], migrate=False
    )
    try:
        closed = close_due_purchases(db)
    finally:
        db.close()
    for project_id, outcome in closed.items():
        log.info("group purchase %s closed at its deadline: %s", project_id, outcome)
    return closed


def schedule(scheduler, config: Config) -> None:
    """Add the deadline check to an APScheduler 3 scheduler (``kiosk serve`` only)."""

    def job() -> None:
        try:
            run_deadline_check(config)
        except Exception:  # the next run tries again; a page also closes it when read
            log.exception("group purchase deadline check failed")

    scheduler.add_job(
        job,
        "interval",
        minutes=config["projects"]["deadline_check_minutes"],
        id=JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
