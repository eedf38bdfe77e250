"""Images both renderers share: QR code, Code128 barcode, logo, as 1-bit Pillow images.

The ESC/POS renderer sends them as raster images when the printer cannot draw the code itself;
the preview pastes them, so the two always show the same thing.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.constants
from barcode import Code128
from PIL import Image

log = logging.getLogger(__name__)

# Error correction M survives a crease or a coffee stain and keeps codes small.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_QUIET_ZONE_MODULES = 2


def qr_image(data: str, module_dots: int) -> Image.Image:
    """The QR code of ``data``, one module ``module_dots`` dots wide, with a quiet zone."""
    code = qrcode.QRCode(
        version=None,
        error_correction=QR_ERROR_CORRECTION,
        box_size=module_dots,
        border=QR_QUIET_ZONE_MODULES,
    )
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    return code.make_image().get_image().convert("1")


def barcode_modules(data: str) -> str:
    """Code128 bars of ``data`` as a string of '1' (bar) and '0' (space) modules."""
    return Code128(data).build()[0]


def barcode_module_dots(data: str, wanted: int, dots: int) -> int:
    """The widest module (<= ``wanted``) at which the barcode and its quiet zones fit."""
    modules = len(barcode_modules(data)) + 20
    return max(1, min(wanted, dots // modules))


def barcode_image(data: str, module_dots: int, height_dots: int) -> Image.Image:
    """The Code128 barcode of ``data`` (bars only), with a 10-module quiet zone each side."""
    modules = "0" * 10 + barcode_modules(data) + "0" * 10
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


def centred(image: Image.Image, width: int) -> Image.Image:
    """``image`` with white space on its left so that it sits in the middle of ``width`` dots."""
    left = max(0, (width - image.width) // 2)
    if left == 0:
        return image
    padded = Image.new("1", (left + image.width, image.height), 1)
    padded.paste(image, (left, 0))
    return padded
