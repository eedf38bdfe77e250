"""Euro amounts on paper (group purchases): integer cents -> "12,50 €" / "€12.50"."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from printing.i18n import Words
from printing.text import plain_spaces


def euros(words: Words, cents: int) -> str:
    return plain_spaces(format_currency(Decimal(cents).scaleb(-2), "EUR", locale=words.language))
