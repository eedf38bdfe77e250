"""CSV files for a spreadsheet: the association's exports and a group purchase's accounts.

The files open in a spreadsheet as they are: UTF-8 with a byte-order mark, and in French the
separator is ";" with decimal commas. Every CSV the kiosk writes goes through ``csv_text``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from kiosk.config import Config
from kiosk.money import to_decimal


def amount_cell(config: Config, hundredths: int) -> str:
    """An amount in hundredths as a spreadsheet reads it: "12,50" in French, "12.50" in English."""
    text = f"{to_decimal(hundredths):.2f}"
    return text.replace(".", ",") if config.language == "fr" else text


def local_time_cell(config: Config, iso: str) -> str:
    """A stored UTC time as "YYYY-MM-DD HH:MM" in the building's time zone."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(config.timezone)
    return moment.strftime("%Y-%m-%d %H:%M")


def csv_text(config: Config, header: list[str], rows: Iterable[list]) -> str:
    """The whole file: a byte-order mark, the header, then one line per row."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    delimiter = ";" if config.language == "fr" else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
