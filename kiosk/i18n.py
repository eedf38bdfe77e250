"""Translations, and the language rules gettext does not know, for screens and paper.

The web layer uses Flask-Babel (``kiosk.web.formatting``); outside a request (CLI messages,
what the kiosk puts in a print job) ``gettext_for(language)`` reads the same catalogue in
``kiosk/translations``. Values go in through ``fill``, which elides a French "de" before a
name; the printing package fills its own domain with it too (``printing.i18n.Words``).

English is the msgids themselves: there is no English catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"

# "de %(name)s" in a French text: the placeholders that follow the preposition "de".
_DE_BEFORE = re.compile(r"\b([Dd])e %\((\w+)\)s")
_VOWELS = frozenset("aeiouœæ")


def _letters(word: str) -> str:
    """The word's first letters without accents, lower case: "Éric" -> "eric"."""
    decomposed = unicodedata.normalize("NFD", word[:3])
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def elides(word: str) -> bool:
    """Whether French writes "d'" rather than "de" before ``word``: a name that starts with a
    vowel, accented or not ("Éric", "ANNE", "octobre 2026", "Yves"); not before a consonant,
    a consonant "y" ("Yannick"), an "h" (aspirated or mute is a dictionary question: left
    alone), nor before a code read letter by letter ("A-204", "RJG42", "ONU")."""
    first_word = word.strip().split(" ")[0]
    letters = _letters(first_word)
    if len(letters) < 2 or not letters[:2].isalpha() or any(ch.isdigit() for ch in first_word):
        return False
    if first_word.isupper() and len(first_word) <= 3:
        return False
    if letters[0] == "y":
        return letters[1] not in _VOWELS
    return letters[0] in _VOWELS


def elide(text: str, values: Mapping[str, object], language: str, apostrophe: str = "'") -> str:
    """A translated text with the French "de" elided before a value that starts with a vowel
    ("le solde de %(name)s" and Éric -> "le solde d'%(name)s"); the values are filled after."""
    if language != "fr" or "e %(" not in text:
        return text

    def elided(match: re.Match) -> str:
        value = values.get(match.group(2))
        if isinstance(value, str) and elides(value):
            return f"{match.group(1)}{apostrophe}%({match.group(2)})s"
        return match.group(0)

    return _DE_BEFORE.sub(elided, text)


def fill(text: str, values: Mapping[str, object], language: str, apostrophe: str = "'") -> str:
    """A translated text with its ``%(name)s`` values and the French "de" elided ("le solde
    d'Éric", "la contribution d'octobre 2026"). Every translated text with values goes through
    here or ``elide``: screens, paper and the kiosk's print jobs."""
    return elide(text, values, language, apostrophe) % values


def quantity_of(quantity: str, unit: str) -> str:
    """ "2 × bouteille": a quantity (already written as a number) of a product's unit.

    The unit is a word the organiser of a group purchase typed (sac, kg, douzaine, bouteille):
    gettext only pluralises words of its catalogue, and guessing a plural ("kgs", "choux") or
    asking for a second word for every product would be wrong more often than this reading,
    which is right for any number, any unit word and both languages."""
    return f"{quantity} × {unit}"


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def gettext_for(language: str) -> Callable[[str], str]:
    """A ``gettext`` function for ``language`` ("fr" or "en"): the translated text alone."""
    return translations(language).gettext


def ngettext_for(language: str) -> Callable[[str, str, int], str]:
    """An ``ngettext`` function for ``language``: the form of the text for a count."""
    return translations(language).ngettext
