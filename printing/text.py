"""Text for the paper: French characters through the printer's code pages, never a silent "?".

``TextEncoder`` turns Unicode into bytes for one printer profile, inserting ``ESC t n`` code
page switches where a character needs another page. A character no page of the profile has is
transliterated first (œ -> oe, ’ -> ', U+202F -> space); ``printable`` gives the text exactly as
the paper will show it, which the PNG preview draws.
"""

from __future__ import annotations

import logging
import unicodedata

log = logging.getLogger(__name__)

ESC_T = b"\x1bt"

# Pages tried in this order for a character the current page lacks. CP1252 has every French
# character (œ, ’, « », €) so a French receipt needs a single switch.
PREFERRED_CODE_PAGES = ("CP1252", "CP858", "ISO_8859-15", "CP850", "CP437")

# Python codec for each escpos-printer-db encoding name we may use.
PYTHON_CODECS = {
    "CP1252": "cp1252",
    "CP858": "cp858",
    "ISO_8859-15": "iso8859-15",
    "CP850": "cp850",
    "CP437": "cp437",
}

TRANSLITERATIONS = {
    "\u00a0": " ",  # no-break space (Babel, French)
    "\u202f": " ",  # narrow no-break space (Babel, French numbers and « »)
    "\u2009": " ",
    "\u2007": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2039": "<",
    "\u203a": ">",
    "\u2026": "...",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00e6": "ae",
    "\u00c6": "AE",
    "\u00df": "ss",
    "\u20ac": "EUR",
    "\u2022": "*",
    "\u00b7": ".",
    "\u2702": "8<",
    "\u00d7": "x",  # "2 × sac" where the code page has no ×
    "\u2116": "No",
    "\u0141": "L",
    "\u0142": "l",
    "\u00d8": "O",
    "\u00f8": "o",
    "\u0110": "D",
    "\u0111": "d",
}

_CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def plain_spaces(text: str) -> str:
    """Babel's U+202F / U+00A0 spaces (and other fixed spaces) as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2009", " ")


def _clean(text: str) -> str:
    """No control characters: a resident's text must never smuggle an ESC/POS command in."""
    text = unicodedata.normalize("NFC", plain_spaces(text))
    return "".join(
        " " if ch in "\t\r\n" else ch
        for ch in text
        if ch in "\t\r\n" or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )


class TextEncoder:
    """Encodes text for one printer profile, remembering the printer's current code page."""

    def __init__(self, code_pages: dict[str, str]):
        # Only the pages we know a Python codec for, in our order of preference.
        self.slots = {
            name: int(code_pages[name]) for name in PREFERRED_CODE_PAGES if name in code_pages
        }
        self.current: str | None = None  # unknown after ESC @

    @classmethod
    def for_profile(cls, profile) -> TextEncoder:
        return cls(profile.get_code_pages())

    def reset(self) -> None:
        """The printer was initialised (ESC @): its code page is no longer known."""
        self.current = None

    def page_for(self, char: str) -> str | None:
        """The page to print ``char`` with: the current one if it can, else the first that can."""
        if ord(char) < 128:
            return self.current or ""
        candidates = ([self.current] if self.current else []) + list(self.slots)
        for name in candidates:
            try:
                char.encode(PYTHON_CODECS[name])
            except UnicodeEncodeError:
                continue
            return name
        return None

    def can_print(self, char: str) -> bool:
        return ord(char) < 128 or self.page_for(char) is not None

    def printable(self, text: str) -> str:
        """``text`` exactly as the paper will show it (transliterated where no page helps)."""
        out: list[str] = []
        for ch in _clean(text):
            if self.can_print(ch):
                out.append(ch)
                continue
            out.append(self._transliterate(ch))
        return "".join(out)

    def _transliterate(self, ch: str) -> str:
        replacement = TRANSLITERATIONS.get(ch)
        if replacement is None:
            decomposed = unicodedata.normalize("NFKD", ch)
            replacement = "".join(c for c in decomposed if not unicodedata.combining(c))
        if replacement and all(self.can_print(c) for c in replacement):
            return replacement
        if replacement and replacement != ch:
            return "".join(c if self.can_print(c) else self._transliterate(c) for c in replacement)
        name = unicodedata.name(ch, f"U+{ord(ch):04X}")
        log.warning("no code page of the printer has %s; printed as '?'", name)
        return "?"

    def encode(self, text: str) -> bytes:
        """Bytes for ``text`` (already ``printable``), with ``ESC t n`` where the page changes."""
        out = bytearray()
        for ch in self.printable(text):
            if ord(ch) < 128:
                out.append(ord(ch))
                continue
            page = self.page_for(ch)
            assert page, ch  # printable() only keeps characters some page has
            if page != self.current:
                out += ESC_T + bytes([self.slots[page]])
                self.current = page
            out += ch.encode(PYTHON_CODECS[page])
        return bytes(out)
