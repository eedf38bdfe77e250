"""The one cleaning of text a person types: every domain cleaner (an exchange's description,
a name, a post, a notice, a loan's item, a purchase's supplier...) goes through ``clean_text``.

It normalises to NFC, puts one space between words (and, for text kept on several lines, keeps
line breaks with at most one blank line), and refuses what no keyboard types but a forged form
can send: control characters (NUL, ESC, BEL, DEL, C1 controls), lone surrogates and the bidi
overrides that make text read backwards ("\\u202e"). Tabs and other whitespace become spaces.
"""

from __future__ import annotations

import re
import unicodedata

from kiosk.errors import N_, InvalidInput

# Bidi embeddings, overrides and isolates: they reorder what follows them on screen and paper.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
    for ch in value:
        if ch == "\n" and allow_newlines:
            continue
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            return True
    return False


def clean_text(
    text: str | None,
    *,
    maximum: int,
    empty: str | None = None,
    too_long: str = N_("This text is at most %(max)d characters."),
    lines: bool = False,
) -> str:
    """The text as stored, or ``InvalidInput``: ``empty`` (a msgid) when nothing is left and
    the text is required, ``too_long`` (with ``max``) past ``maximum`` characters."""
    value = unicodedata.normalize("NFC", text or "")
    if lines:
        value = "\n".join(" ".join(line.split()) for line in value.strip().splitlines()).strip()
        value = re.sub(r"\n{3,}", "\n\n", value)
    else:
        value = " ".join(value.split())
    if has_control_characters(value, allow_newlines=lines):
        raise InvalidInput(N_("This text cannot contain control characters."))
    if not value and empty:
        raise InvalidInput(empty)
    if len(value) > maximum:
        raise InvalidInput(too_long, max=maximum)
    return value


def fold(text: str | None) -> str:
    """Text as a search compares it: accents, case and spacing aside ("  Éric  FAURE" ->
    "eric faure"), the way the board's search (SQLite's ``remove_diacritics``) reads words.
    The person picker's script folds what is typed the same way (person_picker.js)."""
    letters = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in letters if not unicodedata.combining(c)).casefold().split())
