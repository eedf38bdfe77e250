"""The weekly board sheet: the current offers and requests printed for the paper notice board
(layout "board_sheet"), by an APScheduler job (``[board] sheet_day``/``sheet_hour``) or on
demand from the board."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlite_utils import Database

from kiosk import i18n, store
from kiosk.board import board
from kiosk.board import reads as board_reads
from kiosk.categories import CATEGORIES
from kiosk.config import Config
from printing import queue as print_queue

log = logging.getLogger(__name__)


def sheet_payload(db: Database, config: Config) -> dict:
    """The board_sheet payload: the newest active posts, labels in the kiosk's language."""
    gettext = i18n.gettext_for(config.language)
    day = board.today(config)
    limit = config["board"]["sheet_max_posts"]
    own = config["building"]["name"]

    def entries(direction: str) -> list[dict]:
        rows = board_reads.active_posts(db, today=day.isoformat(), direction=direction, limit=limit)
        return [
            {
                "title": row["title"],
                "apartment": row["apartment"]
                if row["building"] == own
                else f"{row['apartment']}, {row['building']}",
                "name": row["name"],
                "category_label": gettext(CATEGORIES.get(row["category"], CATEGORIES["other"])),
            }
            for row in rows
        ]

    return {
        "week_of": (day - timedelta(days=day.weekday())).isoformat(),
        "offers": entries("offer"),
        "requests": entries("request"),
        "kiosk_hint": None,
    }


def queue_board_sheet(db: Database, config: Config) -> int:
    """Queue one board sheet now; returns the print job's id."""

    with store.write(db):
        payload = sheet_payload(db, config)
        return print_queue.enqueue(
            db, "board_sheet", payload, reference=f"board-{payload['week_of']}"
        )


def schedule(scheduler, config: Config) -> None:
    """Add the weekly board sheet to an APScheduler 3 scheduler (from ``kiosk serve`` only)."""
    day = config["board"]["sheet_day"]
    if not day:
        return

    def job() -> None:
        db = store.connect(
            config.database_path,
            busy_timeout_ms=config["storage"]["busy_timeout_ms"],
            migrate=False,
        )
        try:
            queue_board_sheet(db, config)
        except Exception:  # a scheduler thread must not die; the next week tries again
            log.exception("the weekly board sheet could not be queued")
        finally:
            db.close()

    scheduler.add_job(
        job,
        "cron",
        day_of_week=day,
        hour=config["board"]["sheet_hour"],
        minute=5,
        timezone=config.timezone,
        id="weekly-board-sheet",
        replace_existing=True,
        misfire_grace_time=6 * 3600,
        coalesce=True,
    )
