"""One home for what people read of numbers and moments: CEEC amounts, euros, durations,
dates, times and months, in a language ("fr", "en") and the building's time zone.

The screens (``kiosk/web/formatting.py``, Jinja filters), the paper (``printing.i18n.Words``)
and the command line all call these. Babel does the locale work; its ``Locale`` objects and
parsed patterns are kept (parsing them is most of the cost of a call). Babel writes French
with U+202F and U+00A0: a screen keeps them (an amount never breaks across lines), the paper
turns them into plain spaces (``printing.text.plain_spaces``).

Stored instants are UTC: ISO 8601 text ("2026-11-23T10:00:00Z") or a datetime, a naive one
read as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import parse_pattern as parse_date_pattern
from babel.numbers import format_currency
from babel.numbers import parse_pattern as parse_number_pattern

from kiosk import clock
from kiosk.config import Config
from kiosk.i18n import translations

# How each language writes a day, a time, both, a month and a chart's month (Babel patterns).
_PATTERNS = {
    "fr": {
        "date": "dd/MM/yyyy",
        "time": "HH:mm",
        "medium": "dd/MM/yyyy HH:mm",
        "month": "LLLL yyyy",
        "short_month": "MMM yy",
    },
    "en": {
        "date": "yyyy-MM-dd",
        "time": "HH:mm",
        "medium": "yyyy-MM-dd HH:mm",
        "month": "LLLL yyyy",
        "short_month": "MMM yy",
    },
}
_AMOUNT = parse_number_pattern("#,##0.00")  # amounts are whole hundredths
_QUANTITY = parse_number_pattern("0.###")  # thousandths, ungrouped: typed back into a form


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


@cache
def _pattern(code: str, kind: str):
    return parse_date_pattern(_PATTERNS.get(code, _PATTERNS["en"])[kind])


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(value: str | datetime, zone: str | tzinfo) -> datetime:
    """A stored instant in the building's time zone."""
    moment = clock.parse_iso(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(zone) if isinstance(zone, str) else zone)


def ceec(
    hundredths: int | None, locale: str, currency: str = "CEEC", *, signed: bool = False
) -> str:
    """1500 -> "15,00 CEEC" (fr) / "15.00 CEEC" (en); ``signed`` adds "+" to credits."""
    if hundredths is None:
        return ""
    number = _AMOUNT.apply(Decimal(abs(hundredths)).scaleb(-2), _locale(locale))
    sign = "-" if hundredths < 0 else ("+" if signed and hundredths > 0 else "")
    return f"{sign}{number}\u00a0{currency}"


def ceec_for(config: Config, hundredths: int) -> str:
    """An amount in the kiosk's own language and currency name (what the domain writes into
    its messages: "Your balance cannot go below -20,00 CEEC.")."""
    return ceec(hundredths, config.language, config["currency"]["name"])


def euros(cents: int | None, locale: str) -> str:
    """1250 -> "12,50 €" (fr) / "€12.50" (en)."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=_locale(locale))


def number(value: int, locale: str) -> str:
    """1234 -> "1 234" (fr) / "1,234" (en)."""
    return _locale(locale).decimal_formats[None].apply(value, _locale(locale))


def quantity(thousandths: int | None, locale: str) -> str:
    """A group purchase's quantity: 2000 -> "2"; 1500 -> "1,5" (fr) / "1.5" (en)."""
    if thousandths is None:
        return ""
    return _QUANTITY.apply(Decimal(thousandths).scaleb(-3), _locale(locale))


def duration(minutes: int | None, locale: str) -> str:
    """90 -> "1 h 30", 60 -> "1 h", 45 -> "45 min"; nothing for no time at all."""
    if not minutes:
        return ""
    gettext = translations(locale).gettext
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return gettext("%(h)d h %(m)02d") % {"h": hours, "m": rest}
    if hours:
        return gettext("%(h)d h") % {"h": hours}
    return gettext("%(m)d min") % {"m": rest}


def when(
    value: str | datetime | None, locale: str, zone: str | tzinfo, kind: str = "medium"
) -> str:
    """A stored instant in the building's time zone: its "date", its "time" or both
    ("medium": "23/11/2026 11:00" in French, "2026-11-23 11:00" in English)."""
    if not value:
        return ""
    if kind not in ("date", "time"):
        kind = "medium"
    return _pattern(locale, kind).apply(_local(value, zone), _locale(locale))


def day(value: str | date | datetime | None, locale: str, zone: str | tzinfo = "UTC") -> str:
    """A calendar day: "2026-11-30" (the building's date) or a date as "30/11/2026" (fr) /
    "2026-11-30" (en); a stored instant is first taken to the building's time zone."""
    if not value:
        return ""
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        value = _local(value, zone).date()
    elif isinstance(value, str):
        value = date.fromisoformat(value)
    return _pattern(locale, "date").apply(value, _locale(locale))


def message_values(values: dict, locale: str, zone: str | tzinfo) -> dict:
    """A message's parameters as people read them: an instant (a datetime) in the building's
    time zone, a day (a date) as days are written; the rest as they are. The domain's errors
    carry these, and the screens and the command line write them alike."""
    written = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            value = when(value, locale, zone)
        elif isinstance(value, date):
            value = day(value, locale, zone)
        written[key] = value
    return written


def month(value: str, locale: str, *, short: bool = False) -> str:
    """ "2026-11" -> "Novembre 2026" / "November 2026"; ``short``: "nov. 26" / "Nov 26"."""
    year, number_of_month = (int(part) for part in value.split("-")[:2])
    text = _pattern(locale, "short_month" if short else "month").apply(
        date(year, number_of_month, 1), _locale(locale)
    )
    return text if short else text[:1].upper() + text[1:]
