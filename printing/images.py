"""Images both renderers share: QR code, Code128 barcode, logo, as 1-bit Pillow images.

The ESC/POS renderer sends them as raster images when the printer cannot draw the code itself;
the preview pastes them, so the two always show the same thing. A raster image holds only its
content (no quiet zone, no white on its left): the printer centres it (``ESC a 1``) and the
blank paper around it is the quiet zone.

QR codes take the smallest version their data fits, then the strongest error correction that
still fits that version: a voucher's 180 scanner-safe capitals go in alphanumeric mode (5.5 bits
a letter) as a version 6 code (41 modules) with correction L, where M would need version 8
(49 modules, 43 % more dots); a member card's 20 letters fit version 1 with correction M.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.constants
from barcode import Code128
from PIL import Image, ImageOps
from qrcode.exceptions import DataOverflowError

log = logging.getLogger(__name__)

# Strongest first: the first level that fits the smallest version is taken.
QR_ERROR_CORRECTIONS = (
    qrcode.constants.ERROR_CORRECT_H,
    qrcode.constants.ERROR_CORRECT_Q,
    qrcode.constants.ERROR_CORRECT_M,
    qrcode.constants.ERROR_CORRECT_L,
)
QR_QUIET_ZONE_MODULES = 2


def _qr_code(data: str) -> qrcode.QRCode:
    """``data`` as a QR code of the smallest version, with the strongest correction it allows.

    Not cached: a voucher's QR code carries its secret, which must not outlive the job."""
    smallest = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
    smallest.add_data(data.encode("utf-8"))
    smallest.make(fit=True)
    for level in QR_ERROR_CORRECTIONS:
        code = qrcode.QRCode(version=smallest.version, error_correction=level, border=0)
        code.add_data(data.encode("utf-8"))
        try:
            code.make(fit=False)
        except DataOverflowError:
            continue
        return code
    return smallest  # unreachable: level L fits by construction


def qr_modules(data: str) -> list[list[bool]]:
    """The QR code of ``data`` as rows of modules (True: dark), without a quiet zone."""
    return _qr_code(data).get_matrix()


def qr_image(data: str, module_dots: int, quiet_zone: int = QR_QUIET_ZONE_MODULES) -> Image.Image:
    """The QR code of ``data``, one module ``module_dots`` dots wide, with ``quiet_zone``
    modules of white around it (none for a raster image: the paper around it is white)."""
    modules = qr_modules(data)
    size = len(modules) + 2 * quiet_zone
    image = Image.new("1", (size, size), 1)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + quiet_zone, y + quiet_zone), 0)
    if module_dots == 1:
        return image
    return image.resize((size * module_dots, size * module_dots), Image.Resampling.NEAREST)


def barcode_modules(data: str) -> str:
    """Code128 bars of ``data`` as a string of '1' (bar) and '0' (space) modules."""
    return Code128(data).build()[0]


def barcode_module_dots(data: str, wanted: int, dots: int) -> int:
    """The widest module (<= ``wanted``) at which the barcode and its quiet zones fit."""
    modules = len(barcode_modules(data)) + 20
    return max(1, min(wanted, dots // modules))


def barcode_image(
    data: str, module_dots: int, height_dots: int, quiet_zone: int = 10
) -> Image.Image:
    """The Code128 barcode of ``data`` (bars only), with ``quiet_zone`` modules of white on each
    side (none for a raster image: the paper around it is white)."""
    modules = "0" * quiet_zone + barcode_modules(data) + "0" * quiet_zone
    image = Image.new("1", (len(modules) * module_dots, height_dots), 1)
    for i, module in enumerate(modules):
        if module == "1":
            image.paste(0, (i * module_dots, 0, (i + 1) * module_dots, height_dots))
    return image


@lru_cache(maxsize=4)
def _logo(path: str, mtime: float, max_width: int) -> Image.Image:
    image = Image.open(path)
    image.load()
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGBA", image.size, "white")
        background.alpha_composite(image.convert("RGBA"))
        image = background
    image = image.convert("L")
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    return image.convert("1")  # Floyd-Steinberg dithering, as the paper will show it


def logo_image(path: str, max_width: int) -> Image.Image | None:
    """The logo at ``path`` in black and white, at most ``max_width`` dots; None if unusable."""
    try:
        file = Path(path).expanduser()
        return _logo(str(file), file.stat().st_mtime, max_width)
    except (OSError, ValueError) as exc:
        log.warning("logo %s cannot be printed: %s", path, exc)
        return None


def content(image: Image.Image) -> Image.Image:
    """``image`` cut down to its dark part: what a raster image carries (an all-white image
    stays as it is)."""
    box = ImageOps.invert(image.convert("L")).getbbox()
    return image if box is None else image.crop(box)


def centred(image: Image.Image, width: int) -> Image.Image:
    """``image`` with white space on its left so that it sits in the middle of ``width`` dots."""
    left = max(0, (width - image.width) // 2)
    if left == 0:
        return image
    padded = Image.new("1", (left + image.width, image.height), 1)
    padded.paste(image, (left, 0))
    return padded
