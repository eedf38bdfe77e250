"""CEEC amounts: integers in hundredths, parsed from what people type, never floats.

1 hour = ``units_per_hour`` CEEC (10 by default), so with the defaults 15 minutes = 250
hundredths = "2,50 CEEC".
"""

from __future__ import annotations

import re
from decimal import Decimal

from kiosk.errors import N_, InvalidAmount, InvalidInput

_AMOUNT = re.compile(r"^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$")


def parse_amount(text: str | None) -> int:
    """'12', '2,5', '2.50' -> hundredths. Refuses signs, letters, three decimals, zero."""
    if text is None or not str(text).strip():
        raise InvalidAmount()
    text = str(text).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if text.startswith("-"):
        raise InvalidAmount()
    match = _AMOUNT.match(text)
    if not match:
        raise InvalidInput(
            N_("“%(value)s” is not an amount. Type digits, e.g. 12,50."), value=text[:20]
        )
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    value = int(whole) * 100 + int(frac)
    if value <= 0:
        raise InvalidAmount()
    return value


def parse_duration(hours: str | None, minutes: str | None) -> int:
    """Hours and minutes typed on the numpad -> whole minutes (> 0)."""
    total = 0
    for text, factor, limit, label in ((hours, 60, 999, "hours"), (minutes, 1, 59, "minutes")):
        text = (text or "").strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 4:
            raise InvalidInput(N_("Hours and minutes must be whole numbers."))
        value = int(text)
        if value > limit:
            if label == "minutes":
                raise InvalidInput(N_("Minutes must be between 0 and 59."))
            raise InvalidInput(N_("That is too many hours for one exchange."))
        total += value * factor
    if total <= 0:
        raise InvalidInput(N_("Enter a duration above zero."))
    return total


def minutes_to_amount(minutes: int, units_per_hour: int) -> int:
    """Minutes -> hundredths, rounded to the nearest hundredth (half up)."""
    return (minutes * units_per_hour * 100 * 2 + 60) // 120


def to_decimal(hundredths: int) -> Decimal:
    return (Decimal(hundredths) / 100).quantize(Decimal("0.01"))
