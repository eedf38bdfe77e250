"""Document -> ESC/POS bytes, through python-escpos for the printer profile in the settings.

Text goes through ``TextEncoder`` (code pages, transliteration); QR codes use the printer's own
``GS ( k`` command when the profile has it (a few hundred bytes) and a raster image otherwise;
barcodes use ``GS k`` (Code128) or a raster image from python-barcode.

Raster images (``GS v 0``) are what a 58 mm printer without native codes is sent, at 9600 baud
on a serial line: every byte counts (1 KB is a second). So an image carries only its content
(no blank padding: the printer centres it, ``ESC a 1``, and the paper around it is the quiet
zone) and codes are sent at half resolution with ``GS v 0``'s quadruple mode (each image dot
printed as 2 x 2 dots): a QR module is then 4 dots (0.5 mm at 203 dpi) for a quarter of the
bytes. Why 4 dots: a module must stay at least 3 dots (0.375 mm, 15 mil) for a 2D USB scanner
(rated 10 mil at best) and a phone to read a thermal print, whose black dots bleed into a
1-dot white gap; quadruple mode gives even sizes only, and 4 dots costs a voucher's QR code
902 bytes where 3 dots sent unscaled would cost 1968. A barcode module is 2 dots (0.25 mm,
10 mil: a 1D scanner reads 5 mil) and its bars 48 dots (6 mm) high.
"""

from __future__ import annotations

import warnings

from escpos.constants import GS, QR_ECLEVEL_M
from escpos.image import EscposImage

from printing.document import (
    Barcode,
    Columns,
    Cut,
    Document,
    Feed,
    Logo,
    QrCode,
    Separator,
    Text,
    text_rows,
)
from printing.images import (
    QR_QUIET_ZONE_MODULES,
    barcode_image,
    barcode_module_dots,
    content,
    logo_image,
    qr_image,
)
from printing.settings import PrintSettings
from printing.text import TextEncoder

ESC = b"\x1b"
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
BOLD = {False: ESC + b"E\x00", True: ESC + b"E\x01"}
SIZE = {False: GS + b"!\x00", True: GS + b"!\x11"}
# GS v 0 m: 0 prints each image dot as one dot, 3 ("quadruple") as 2 x 2 dots.
RASTER_MODE = {1: 0, 2: 3}
RASTER_QR_MODULE_DOTS = 4
RASTER_BARCODE_HEIGHT_DOTS = 48


def _dummy(profile_name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from escpos.printer import Dummy  # noqa: PLC0415 (its import warns: silenced here)

        return Dummy(profile=profile_name)


class EscposRenderer:
    """Renders documents for one printer; ``native_qr``/``native_barcode`` default to the profile."""

    def __init__(
        self,
        settings: PrintSettings,
        *,
        native_qr: bool | None = None,
        native_barcode: bool | None = None,
    ):
        self.settings = settings
        self.printer = _dummy(settings.profile)
        profile = self.printer.profile
        self.native_qr = profile.supports("qrCode") if native_qr is None else native_qr
        self.native_barcode = (
            profile.supports("barcodeB") if native_barcode is None else native_barcode
        )
        self.chars = settings.chars_per_line
        self.dots = settings.dots

    def render(self, document: Document) -> bytes:
        p = self.printer
        p.clear()
        encoder = TextEncoder.for_profile(p.profile)
        state = {"align": "left", "bold": False, "double": False}
        p._raw(ESC + b"@")  # initialise: left, normal size, not bold, code page unknown

        def set_style(align: str, bold: bool, double: bool) -> None:
            if state["align"] != align:
                p._raw(ALIGN[align])
            if state["bold"] != bold:
                p._raw(BOLD[bold])
            if state["double"] != double:
                p._raw(SIZE[double])
            state.update(align=align, bold=bold, double=double)

        for block in document.blocks:
            if isinstance(block, Text | Columns | Separator):
                block = _printable(block, encoder)
                for row in text_rows(block, self.chars):
                    set_style(row.align, row.bold, row.double)
                    p._raw(encoder.encode(row.text) + b"\n")
            elif isinstance(block, Feed):
                p._raw(b"\n" * block.lines)
            elif isinstance(block, QrCode):
                set_style("center", False, False)
                if self.native_qr:
                    p.qr(block.data, ec=QR_ECLEVEL_M, size=block.module_dots, native=True)
                else:
                    self.raster_qr(block)
            elif isinstance(block, Barcode):
                set_style("center", False, False)
                module = barcode_module_dots(block.data, block.module_dots, self.dots)
                if self.native_barcode and module >= 2:  # GS w accepts 2 to 6
                    p._hw_barcode(
                        "{B" + block.data,
                        "CODE128",
                        block.height_dots,
                        module,
                        "BELOW",
                        "A",
                        False,
                        "B",
                        True,
                    )
                    p._raw(b"\n")
                else:
                    self.raster_barcode(block, module)
                    set_style("center", False, False)
                    p._raw(encoder.encode(block.data) + b"\n")
            elif isinstance(block, Logo):
                image = logo_image(block.path, self.dots)
                if image is not None:
                    set_style("center", state["bold"], state["double"])
                    self._raster(content(image))
            elif isinstance(block, Cut):
                set_style("left", False, False)
                p.cut(mode="PART" if block.partial else "FULL")
        return p.output

    def raster_qr(self, block: QrCode) -> None:
        """A QR code as an image of 4-dot modules, with its quiet zone above and below fed as
        paper (``ESC J n`` dots), not sent as white dots."""
        quiet = ESC + b"J" + bytes([QR_QUIET_ZONE_MODULES * RASTER_QR_MODULE_DOTS])
        self.printer._raw(quiet)
        image = qr_image(block.data, RASTER_QR_MODULE_DOTS // 2, quiet_zone=0)
        self._raster(image, scale=2)
        self.printer._raw(quiet)

    def raster_barcode(self, block: Barcode, module: int) -> None:
        """A barcode as an image of ``module``-dot modules (1 or 2), 48 dots high."""
        scale = 2 if module % 2 == 0 else 1
        height = RASTER_BARCODE_HEIGHT_DOTS // scale
        self._raster(barcode_image(block.data, module // scale, height, quiet_zone=0), scale)

    def _raster(self, image, scale: int = 1) -> None:
        """``GS v 0``: a raster image, each dot printed ``scale`` x ``scale`` dots, after
        ``ESC a 1`` (the caller's ``set_style("center", ...)``): the printer centres it."""
        im = EscposImage(image)
        header = (
            GS
            + b"v0"
            + bytes([RASTER_MODE[scale]])
            + im.width_bytes.to_bytes(2, "little")
            + im.height.to_bytes(2, "little")
        )
        self.printer._raw(header + im.to_raster_format())


def _printable(block, encoder: TextEncoder):
    """The block with its text as the paper will show it."""
    if isinstance(block, Text):
        return Text(encoder.printable(block.text), block.bold, block.double, block.align)
    if isinstance(block, Columns):
        return Columns(
            encoder.printable(block.label), encoder.printable(block.value), block.bold, block.fill
        )
    return Separator(block.char, encoder.printable(block.label))


def render_escpos(document: Document, settings: PrintSettings, **options) -> bytes:
    """ESC/POS bytes of ``document`` for the printer in ``settings``."""
    return EscposRenderer(settings, **options).render(document)
