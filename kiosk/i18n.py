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


# Units written as symbols: the same for one and for many ("2 kg", "0,5 l").
_UNIT_SYMBOLS = frozenset("g kg mg t l cl dl ml m cm mm km m2 m² m3 m³ lb lbs oz h min €".split())
# French words in -al whose plural is -als, the units a purchase may use among them.
_FRENCH_AL_S = frozenset("bal carnaval chacal festival récital régal cal".split())


def _number(quantity: str) -> float | None:
    """ "1 234,5" / "1,234.5" / "2" -> the number; None when it is not one."""
    text = "".join(ch for ch in quantity if not ch.isspace())
    if "," in text and "." in text:
        text = text.replace(",", "")  # English thousands
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def plural_of_unit(unit: str, language: str) -> str:
    """The plural of a unit word an organiser typed, by the language's regular rule, on the
    first word only ("sac de 15 kg" -> "sacs de 15 kg"); symbols and words already plural
    are left as they are ("kg", "colis", "prix")."""
    first, _space, rest = unit.strip().partition(" ")
    word = first.lower()
    if not first or word in _UNIT_SYMBOLS or not first.isalpha() or len(first) < 3:
        return unit
    if first.isupper():  # an acronym
        return unit
    if language == "fr":
        if word[-1] in "sxz":
            plural = first
        elif word.endswith(("au", "eu")) and word not in ("pneu", "bleu"):
            plural = first + "x"
        elif word.endswith("al") and word not in _FRENCH_AL_S:
            plural = first[:-2] + "aux"
        else:
            plural = first + "s"
    else:
        if word.endswith(("s", "x", "z", "ch", "sh")):
            plural = first + "es"
        elif word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
            plural = first[:-1] + "ies"
        else:
            plural = first + "s"
    return f"{plural} {rest}" if rest else plural


def quantity_of(quantity: str, unit: str, language: str = "fr") -> str:
    """ "2 bouteilles", "1 sac", "0,5 kg": a quantity (already written as a number) of a
    product's unit, on screens, in CSV and on paper.

    The unit is a word the organiser of a group purchase typed (sac, kg, douzaine, bouteille):
    gettext only pluralises words of its catalogue, so the word takes the language's regular
    plural (French from 2 on, English for anything but 1: ``plural_of_unit``); a quantity that
    is not a number keeps the neutral "3 × sac"."""
    number = _number(quantity)
    if number is None:
        return f"{quantity} × {unit}"
    many = abs(number) >= 2 if language == "fr" else number != 1
    return f"{quantity} {plural_of_unit(unit, language) if many else unit}"


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def gettext_for(language: str) -> Callable[[str], str]:
    """A ``gettext`` function for ``language`` ("fr" or "en"): the translated text alone."""
    return translations(language).gettext


def ngettext_for(language: str) -> Callable[[str, str, int], str]:
    """An ``ngettext`` function for ``language``: the form of the text for a count."""
    return translations(language).ngettext
