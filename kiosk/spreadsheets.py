"""CSV files for a spreadsheet: the association's exports and a group purchase's accounts.

The files open in a spreadsheet as they are: UTF-8 with a byte-order mark, and in French the
separator is ";" with decimal commas. Every CSV the kiosk writes goes through ``csv_text``,
which neutralises text a spreadsheet would run as a formula (OWASP's rule for CSV injection:
a text cell starting with = + - @ TAB or CR gets a leading quote). Numbers stay numbers: an
amount made by ``amount_cell`` or an int is written as is, even when negative.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from kiosk.config import Config
from kiosk.money import to_decimal

# The first characters that make a spreadsheet read a cell as a formula (OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NumberCell(str):
    """A cell the kiosk wrote as a number ("-12,50"): never prefixed, whatever its sign."""

    __slots__ = ()


def amount_cell(config: Config, hundredths: int) -> NumberCell:
    """An amount in hundredths as a spreadsheet reads it: "12,50" in French, "12.50" in English."""
    text = f"{to_decimal(hundredths):.2f}"
    return NumberCell(text.replace(".", ",") if config.language == "fr" else text)


def local_time_cell(config: Config, iso: str) -> str:
    """A stored UTC time as "YYYY-MM-DD HH:MM" in the building's time zone."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(config.timezone)
    return moment.strftime("%Y-%m-%d %H:%M")


def safe_cell(value: object) -> object:
    """The cell as written: numbers as they are, text a spreadsheet would run quoted with '."""
    if value is None:
        return ""
    if isinstance(value, (int, float, NumberCell)):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(config: Config, header: list[str], rows: Iterable[list]) -> str:
    """The whole file: a byte-order mark, the header, then one line per row."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    delimiter = ";" if config.language == "fr" else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
