"""Translations outside a web request (CLI messages, printed receipts' category labels).

The web layer uses Flask-Babel; both read the same catalog in ``kiosk/translations``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def gettext_for(language: str):
    """A ``gettext`` function for ``language`` ("fr" or "en")."""
    return translations(language).gettext
