"""The printing package's own gettext domain ``printing`` and Babel formatting for the paper.

English msgids; French in ``printing/translations/fr/LC_MESSAGES/printing.po`` (compiled .mo
committed). ``Words(settings)`` is what a layout uses: ``_``, ``ngettext`` (every count) and
``pgettext`` to translate, with the kiosk's French elision rule (``kiosk.i18n.fill``); amounts,
dates and durations written by ``kiosk.formatting`` (the screens' words), with plain spaces (no
code page has U+202F or U+00A0).
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.support import Translations

from kiosk import formatting
from kiosk.i18n import fill
from printing.text import plain_spaces

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "printing"


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated later, where the language is known."""
    return message


@lru_cache(maxsize=4)
def translations(language: str) -> _gettext.NullTranslations:
    """The catalog for ``language`` ("fr", "en"); English is the msgids themselves."""
    if language == "en":
        return _gettext.NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain=DOMAIN)


class Words:
    """Translation in the print language, and amounts, dates and durations written by
    ``kiosk.formatting`` (as on the screens) in the building's time zone, with plain spaces."""

    def __init__(self, language: str, timezone: str = "Europe/Paris", currency: str = "CEEC"):
        self.language = language
        self.zone = timezone
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
        return plain_spaces(
            formatting.ceec(hundredths, self.language, self.currency, signed=signed)
        )

    def euros(self, cents: int) -> str:
        """1250 -> "12,50 €" (fr) / "€12.50" (en)."""
        return plain_spaces(formatting.euros(cents, self.language))

    def number(self, value: int) -> str:
        return plain_spaces(formatting.number(value, self.language))

    def datetime(self, value: str | datetime) -> str:
        """A UTC instant in the building's time zone: "23/11/2026 11:00"."""
        return plain_spaces(formatting.when(value, self.language, self.zone))

    def date(self, value: str | date | datetime) -> str:
        """A day ("2026-11-23"), or the day of a UTC instant in the building's time zone."""
        return plain_spaces(formatting.day(value, self.language, self.zone))

    def month(self, value: str) -> str:
        """ "2026-11" -> "Novembre 2026" / "November 2026"."""
        return plain_spaces(formatting.month(value, self.language))

    def duration(self, minutes: int) -> str:
        """90 -> "1 h 30"; 45 -> "45 min"."""
        return plain_spaces(formatting.duration(minutes, self.language))
