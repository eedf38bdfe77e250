"""Document -> PNG at the paper's dot width: what the screen shows is what the paper shows.

Text is drawn on a fixed 12 x 24 dot grid (Font A of the printer), 24 x 48 when double, with the
same line breaks as the ESC/POS renderer (``text_rows``) and the same transliterations
(``TextEncoder.printable`` for the configured profile). Codes and logo are the very images the
ESC/POS renderer would send.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from printing.document import (
    Barcode,
    Columns,
    Cut,
    Document,
    Feed,
    Logo,
    QrCode,
    Row,
    Separator,
    Text,
    text_rows,
)
from printing.escpos_render import _dummy, _printable
from printing.images import barcode_image, barcode_module_dots, centred, logo_image, qr_image
from printing.settings import PrintSettings
from printing.text import TextEncoder

CELL_W, CELL_H = 12, 24
MARGIN = 8  # dots of white above and below, like the paper's own margin
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)


@lru_cache(maxsize=8)
def _font(bold: bool, double: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = 40 if double else 20  # DejaVu Sans Mono at 20 px advances 12 px per character
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


class PreviewRenderer:
    """Renders documents as PNG images for the printer in ``settings``."""

    def __init__(self, settings: PrintSettings, *, native_qr: bool | None = None):
        self.settings = settings
        profile = _dummy(settings.profile).profile
        self.code_pages = profile.get_code_pages()
        self.chars = settings.chars_per_line
        self.dots = settings.dots
        self.cell_w = self.dots // self.chars

    def render_image(self, document: Document) -> Image.Image:
        strips: list[Image.Image] = [Image.new("L", (self.dots, MARGIN), 255)]
        encoder = TextEncoder(self.code_pages)
        for block in document.blocks:
            if isinstance(block, Text | Columns | Separator):
                for row in text_rows(_printable(block, encoder), self.chars):
                    strips.append(self._row(row))
            elif isinstance(block, Feed):
                strips.append(Image.new("L", (self.dots, CELL_H * block.lines), 255))
            elif isinstance(block, QrCode):
                strips.append(self._image(qr_image(block.data, block.module_dots)))
            elif isinstance(block, Barcode):
                module = barcode_module_dots(block.data, block.module_dots, self.dots)
                strips.append(self._image(barcode_image(block.data, module, block.height_dots)))
                strips.append(self._row_text(block.data, "center"))
            elif isinstance(block, Logo):
                image = logo_image(block.path, self.dots)
                if image is not None:
                    strips.append(self._image(image))
            elif isinstance(block, Cut):
                strips.append(self._cut_mark(block.partial))
        strips.append(Image.new("L", (self.dots, MARGIN), 255))
        page = Image.new("L", (self.dots, sum(s.height for s in strips)), 255)
        y = 0
        for strip in strips:
            page.paste(strip, (0, y))
            y += strip.height
        return page.convert("1", dither=Image.Dither.NONE)

    def render_png(self, document: Document) -> bytes:
        buffer = io.BytesIO()
        self.render_image(document).save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()

    def _row_text(self, text: str, align: str):

        return self._row(Row(text, align=align))

    def _row(self, row) -> Image.Image:
        scale = 2 if row.double else 1
        cell_w, cell_h = self.cell_w * scale, CELL_H * scale
        strip = Image.new("L", (self.dots, cell_h), 255)
        draw = ImageDraw.Draw(strip)
        font = _font(row.bold, row.double)
        width = len(row.text) * cell_w
        x0 = {"left": 0, "center": (self.dots - width) // 2, "right": self.dots - width}[row.align]
        for i, ch in enumerate(row.text):
            if ch != " ":
                draw.text(
                    (x0 + i * cell_w + cell_w // 2, cell_h - 4 * scale),
                    ch,
                    font=font,
                    fill=0,
                    anchor="ms",
                )
        return strip

    def _image(self, image: Image.Image) -> Image.Image:
        strip = Image.new("L", (self.dots, image.height), 255)
        strip.paste(centred(image, self.dots).convert("L"), (0, 0))
        return strip

    def _cut_mark(self, partial: bool) -> Image.Image:
        """The paper feeds past the cutter: a dashed line where the knife goes."""
        strip = Image.new("L", (self.dots, CELL_H * 3), 255)
        draw = ImageDraw.Draw(strip)
        y = CELL_H * 3 // 2
        for x in range(0, self.dots, 12):
            draw.line((x, y, x + 6, y), fill=0 if not partial else 96, width=1)
        return strip


def render_preview_png(document: Document, settings: PrintSettings) -> bytes:
    """PNG bytes of ``document`` as the printer in ``settings`` would print it."""
    return PreviewRenderer(settings).render_png(document)
