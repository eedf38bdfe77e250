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


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(
            textwrap.wrap(paragraph, width, break_long_words=True, break_on_hyphens=False) or [""]
        )
    return lines


def text_rows(block: Text | Columns | Separator, chars: int) -> list[Row]:
    """The printed lines of a text block on paper ``chars`` characters wide.

    ``block`` text must already be ``printable`` (what the paper shows), so that lengths are
    paper lengths.
    """
    if isinstance(block, Text):
        width = chars // 2 if block.double else chars
        return [
            Row(line, block.bold, block.double, block.align) for line in _wrap(block.text, width)
        ]
    if isinstance(block, Separator):
        if not block.label:
            return [Row(block.char * chars)]
        label = f" {block.label} "
        left = (chars - len(label)) // 2
        return [Row((block.char * left + label).ljust(chars, block.char)[:chars])]
    value = block.value
    room = chars - len(value) - 2
    if room < 6:  # a value too long to share the line: it goes on its own line, right-aligned
        rows = [Row(line, block.bold) for line in _wrap(block.label, chars)]
        return rows + [Row(value.rjust(chars)[-chars:], block.bold)]
    label_lines = _wrap(block.label, room)
    rows = [Row(line, block.bold) for line in label_lines[:-1]]
    last = label_lines[-1] + " "
    fill = block.fill * (chars - len(last) - len(value) - 1)
    rows.append(Row(f"{last}{fill} {value}", block.bold))
    return rows
