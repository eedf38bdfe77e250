"""The printing package's own gettext domain ``printing`` and Babel formatting for the paper.

English msgids; French in ``printing/translations/fr/LC_MESSAGES/printing.po`` (compiled .mo
committed). ``Words(settings)`` is what a layout uses: ``_``, ``ngettext`` (every count) and
``pgettext`` to translate, with the kiosk's French elision rule (``kiosk.i18n.fill``); amounts,
dates and durations formatted by Babel with plain spaces (no code page has U+202F or U+00A0).
"""

from __future__ import annotations

import gettext as _gettext
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import Translations

from kiosk.i18n import fill
from printing.text import plain_spaces

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "printing"

DATETIME_PATTERNS = {"fr": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}
DATE_PATTERNS = {"fr": "dd/MM/yyyy", "en": "d MMM yyyy"}


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated later, where the language is known."""
    return message


@lru_cache(maxsize=4)
def translations(language: str) -> _gettext.NullTranslations:
    """The catalog for ``language`` ("fr", "en"); English is the msgids themselves."""
    if language == "en":
        return _gettext.NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain=DOMAIN)


def parse_utc(value: str | datetime) -> datetime:
    """An ISO-8601 UTC time ("2026-11-23T10:00:00Z") as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Words:
    """Translation and formatting in the print language and the building's time zone."""

    def __init__(self, language: str, timezone: str = "Europe/Paris", currency: str = "CEEC"):
        self.language = language
        self.zone = ZoneInfo(timezone)
        self.currency = currency
        self._translations = translations(language)

    def _(self, message: str, **values) -> str:
        text = self._translations.gettext(message)
        return self._fill(text, values) if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values) -> str:
        """The form for ``num`` (French: 0 and 1 are singular); ``%(num)d`` is ``num``."""
        text = self._translations.ngettext(singular, plural, num)
        return self._fill(text, {"num": num, **values})

    def pgettext(self, context: str, message: str, **values) -> str:
        """An English word with two meanings, told apart by ``context``."""
        text = self._translations.pgettext(context, message)
        return self._fill(text, values) if values else text

    def _fill(self, text: str, values: dict) -> str:
        """Values put in, a French "de" elided before a name ("Nouveau solde d’Éric")."""
        return fill(text, values, self.language, apostrophe="\u2019")

    def amount(self, hundredths: int, *, signed: bool = False) -> str:
        """250 -> "2,50 CEEC" (fr) / "2.50 CEEC" (en); ``signed`` adds "+" to credits."""
        number = format_decimal(
            Decimal(hundredths).scaleb(-2), format="#,##0.00", locale=self.language
        )
        number = number.replace("\u2212", "-")
        if signed and hundredths > 0:
            number = "+" + number
        return plain_spaces(f"{number} {self.currency}")

    def number(self, value: int) -> str:
        return plain_spaces(format_decimal(value, locale=self.language))

    def datetime(self, value: str | datetime) -> str:
        """A UTC instant in the building's time zone: "23/11/2026 11:00"."""
        local = parse_utc(value).astimezone(self.zone)
        return plain_spaces(
            format_datetime(local, DATETIME_PATTERNS[self.language], locale=self.language)
        )

    def date(self, value: str | date | datetime) -> str:
        if isinstance(value, str) and "T" in value:
            value = parse_utc(value).astimezone(self.zone).date()
        elif isinstance(value, str):
            value = date.fromisoformat(value)
        elif isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        return plain_spaces(format_date(value, DATE_PATTERNS[self.language], locale=self.language))

    def month(self, value: str) -> str:
        """ "2026-11" -> "novembre 2026" / "November 2026"."""
        year, month = (int(part) for part in value.split("-")[:2])
        text = format_date(date(year, month, 1), "LLLL yyyy", locale=self.language)
        return plain_spaces(text[:1].upper() + text[1:])

    def duration(self, minutes: int) -> str:
        """90 -> "1 h 30"; 45 -> "45 min"."""
        hours, rest = divmod(int(minutes), 60)
        if not hours:
            return f"{rest} min"
        return f"{hours} h {rest:02d}" if rest else f"{hours} h"
