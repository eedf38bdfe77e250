"""Numbers of group purchases: euro cents and quantities in thousandths of a unit.

A line costs quantity x unit price / 1000, rounded to the cent (half up); every total is a sum
of lines, so households always add up to the supplier order.
"""

from __future__ import annotations

import re
from datetime import datetime

from kiosk.config import Config
from kiosk.errors import N_, InvalidInput

_NUMBER = re.compile(r"^\s*(\d{1,9})(?:[.,](\d{1,3}))?\s*$")


def line_amount(quantity: int, unit_price: int) -> int:
    """Euro cents of ``quantity`` thousandths at ``unit_price`` cents, rounded half up."""
    return (quantity * unit_price + 500) // 1000


def parse_euros(text: str | None, *, what: str = "") -> int:
    """ "12,50" -> 1250 cents. Refuses zero, signs, letters and three decimals."""
    value = (
        (text or "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    )
    if not value:
        raise InvalidInput(N_("Give the price in euros: %(what)s."), what=what or "?")
    if value.startswith("-"):
        raise InvalidInput(N_("A price or amount cannot be negative."))
    match = re.match(r"^(\d{1,7})(?:[.,](\d{1,2}))?$", value)
    if not match:
        raise InvalidInput(
            N_("“%(value)s” is not an amount in euros. Type digits, e.g. 12,50."), value=value[:20]
        )
    cents = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    if cents <= 0:
        raise InvalidInput(N_("A price must be above zero: %(what)s."), what=what or "?")
    return cents


def parse_quantity(text: str | None) -> int:
    """ "2" -> 2000, "0,5" -> 500 (thousandths); "" -> 0. Refuses signs and letters."""
    value = (text or "").strip()
    if not value:
        return 0
    if value.startswith("-"):
        raise InvalidInput(N_("A quantity cannot be negative."))
    match = _NUMBER.match(value)
    if not match:
        raise InvalidInput(
            N_("“%(value)s” is not a quantity. Type digits, e.g. 2 or 1,5."), value=value[:20]
        )
    return int(match.group(1)) * 1000 + int((match.group(2) or "").ljust(3, "0"))


def local_datetime(
    config: Config, day: str | None, month: str | None, year: str | None, hour: str | None
):
    """Day, month, year and hour typed on the numpad -> an aware datetime in the building's zone."""

    try:
        values = [int((text or "").strip()) for text in (day, month, year, hour)]
        moment = datetime(values[2], values[1], values[0], values[3], tzinfo=config.timezone)
    except ValueError:
        raise InvalidInput(
            N_("This date does not exist. Type the day, month, year and hour.")
        ) from None
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(N_("This date does not exist. Type the day, month, year and hour."))
    return moment
