"""Work that runs beside the web server: the printer worker and scheduled jobs.

Started by ``kiosk serve`` only, never by ``create_app`` (tests and the reloader would start
it twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from kiosk.board.sheet import schedule as schedule_board_sheet
from kiosk.config import Config
from kiosk.projects.purchase_deadlines import schedule as schedule_purchase_deadlines
from kiosk.store.backup import schedule as schedule_backup
from printing.settings import PrintSettings
from printing.worker import PrintWorker
from sync.scheduler import schedule as schedule_sync

log = logging.getLogger(__name__)


def start_background(config: Config, app=None) -> Callable[[], None]:
    """Start the print worker and the scheduler; returns a function that stops both.

    With ``app``, the worker is put in ``app.extensions["print_worker"]``, so pages can show
    the printer's state and wake the worker after queueing a job.
    """

    settings = PrintSettings.from_config(config.values, config.preview_dir)
    worker = PrintWorker(config.database_path, settings)
    worker.start()
    if app is not None:
        app.extensions["print_worker"] = worker

    scheduler = BackgroundScheduler(timezone=str(config.timezone))
    for register in _job_registrations():
        register(scheduler, config)
    scheduler.start()
    log.info("background: print worker and %d scheduled jobs started", len(scheduler.get_jobs()))

    def stop() -> None:
        scheduler.shutdown(wait=False)
        worker.stop()

    return stop


def _job_registrations():
    """Scheduled jobs of each area: nightly backup, sync, weekly board sheet, purchase deadlines."""

    return [schedule_backup, schedule_sync, schedule_board_sheet, schedule_purchase_deadlines]
