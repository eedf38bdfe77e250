"""A device-independent printed document: what goes on the paper, not how a printer is told.

Layouts build a ``Document`` from blocks; ``printing.escpos_render`` turns it into ESC/POS bytes
and ``printing.preview`` into a PNG at the paper's dot width. Both lay text out through
``text_rows`` so the screen shows the same line breaks as the paper.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped at the paper's width. ``double`` is double width and height."""

    text: str
    bold: bool = False
    double: bool = False
    align: Align = "left"


@dataclass(frozen=True)
class Columns:
    """``label ........ value`` on one line (the label wraps if it is too long)."""

    label: str
    value: str
    bold: bool = False
    fill: str = "."


@dataclass(frozen=True)
class Separator:
    """A full-width rule of ``char``; with ``label``, the label sits in the middle."""

    char: str = "-"
    label: str = ""


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class QrCode:
    """A QR code, centred. ``module_dots`` is the size of one module in printer dots."""

    data: str
    module_dots: int = 6


@dataclass(frozen=True)
class Barcode:
    """A Code128 barcode, centred, with its text under it."""

    data: str
    height_dots: int = 64
    module_dots: int = 2


@dataclass(frozen=True)
class Logo:
    """The building's logo (an image file), centred, scaled down to fit the paper."""

    path: str


@dataclass(frozen=True)
class Cut:
    """Feed past the cutter and cut (partial cut leaves a hinge)."""

    partial: bool = False


Block = Text | Columns | Separator | Feed | QrCode | Barcode | Logo | Cut


@dataclass
class Document:
    """An ordered list of blocks; ``title`` names it on the admin page."""

    title: str = ""
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Document:
        self.blocks.extend(blocks)
        return self

    def text(
        self, text: str, *, bold: bool = False, double: bool = False, align: Align = "left"
    ) -> Document:
        return self.add(Text(text, bold=bold, double=double, align=align))

    def columns(self, label: str, value: str, *, bold: bool = False) -> Document:
        return self.add(Columns(label, value, bold=bold))

    def separator(self, char: str = "-", label: str = "") -> Document:
        return self.add(Separator(char, label))

    def feed(self, lines: int = 1) -> Document:
        return self.add(Feed(lines))

    def qr(self, data: str, module_dots: int = 6) -> Document:
        return self.add(QrCode(data, module_dots))

    def barcode(self, data: str) -> Document:
        return self.add(Barcode(data))

    def logo(self, path: str) -> Document:
        return self.add(Logo(path))

    def cut(self, partial: bool = False) -> Document:
        return self.add(Cut(partial))


@dataclass(frozen=True)
class Row:
    """One printed line of text: the unit both renderers draw."""

    text: str
    bold: bool = False
    double: bool = False
    align: Align = "left"


# Punctuation a line never starts with: it stays with the word before it (French puts a space
# before » ; : ! ?), and the opening « stays with the word after it.
CLOSING = frozenset("»)]},.;:!?…%")
OPENING = frozenset("«([{")
_GLUE = "\ue000"  # a space no line breaks at (a private-use character: never printable text)


def _glued(paragraph: str) -> str:
    """The paragraph with the spaces before closing and after opening punctuation made
    unbreakable."""
    words = paragraph.split(" ")
    out: list[str] = []
    for word in words:
        if out and word and word[0] in CLOSING and out[-1] != "":
            out[-1] += _GLUE + word
        elif out and out[-1] and out[-1][-1] in OPENING and out[-1].rstrip("".join(OPENING)) == "":
            out[-1] += _GLUE + word
        else:
            out.append(word)
    return " ".join(out)


def _no_closing_at_start(lines: list[str], width: int) -> list[str]:
    """A line a too-long word was cut in that would start with closing punctuation takes one
    more character from the line above, or gives its punctuation back when that line has room."""
    for i in range(1, len(lines)):
        while lines[i] and lines[i][0] in CLOSING and lines[i - 1]:
            if len(lines[i - 1]) < width:
                lines[i - 1] += lines[i][0]
                lines[i] = lines[i][1:]
            else:
                lines[i] = lines[i - 1][-1] + lines[i]
                lines[i - 1] = lines[i - 1][:-1]
                if len(lines[i]) > width:  # the pair cannot fit: leave it (a line of symbols)
                    break
    return [line for line in lines if line] or [""]


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces (a word longer than
    a line is cut, never dropped); no line starts with closing punctuation."""
    width = max(1, width)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        pieces = textwrap.wrap(
            _glued(paragraph), width, break_long_words=True, break_on_hyphens=False
        )
        pieces = [piece.replace(_GLUE, " ") for piece in pieces]
        lines.extend(_no_closing_at_start(pieces, width) if pieces else [""])
    return lines


def text_rows(block: Text | Columns | Separator, chars: int) -> list[Row]:
    """The printed lines of a text block on paper ``chars`` characters wide: every character of
    the block is on the paper, however long its text (nothing is ever cut off).

    ``block`` text must already be ``printable`` (what the paper shows), so that lengths are
    paper lengths.
    """
    if isinstance(block, Text):
        width = chars // 2 if block.double else chars
        return [
            Row(line, block.bold, block.double, block.align) for line in wrap(block.text, width)
        ]
    if isinstance(block, Separator):
        if not block.label:
            return [Row(block.char * chars)]
        label = f" {block.label} "
        if len(label) + 2 > chars:  # a rule, then the label on lines of its own
            return [Row(block.char * chars)] + [
                Row(line, align="center") for line in wrap(block.label, chars)
            ]
        left = (chars - len(label)) // 2
        return [Row((block.char * left + label).ljust(chars, block.char))]
    value = block.value
    # The label on whole lines; the value at the end of its last line when both fit there,
    # else on a line of its own (right-aligned), wrapped under the label when it is longer.
    label_lines = wrap(block.label, chars)
    rows = [Row(line, block.bold) for line in label_lines[:-1]]
    last = label_lines[-1]
    if len(last) + len(value) + 2 <= chars:
        fill = block.fill * (chars - len(last) - len(value) - 2)
        return rows + [Row(f"{last} {fill} {value}" if fill else f"{last}  {value}", block.bold)]
    rows.append(Row(last, block.bold))
    if len(value) <= chars:
        return rows + [Row(value.rjust(chars), block.bold)]
    return rows + [Row("  " + line, block.bold) for line in wrap(value, chars - 2)]
