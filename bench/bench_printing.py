"""Printing benchmark (run by hand: ``.venv/bin/python bench/bench_printing.py``; not a test).

For every layout, on 80 and 58 mm paper: ESC/POS bytes and milliseconds to render with the
printer's own QR and barcode commands (``GS ( k``, ``GS k``, "native"), with QR and barcode
sent as raster images the way a printer without those commands gets them ("raster"), and the
same raster images the way they were sent before issue #17 ("before": padded with white dots
up to the middle of the paper, a 2-module quiet zone in the image, one dot sent per dot
printed, QR correction M), measured in the same run; plus the PNG preview's time and the
seconds each takes at 9600 baud. Goal: receipt, voucher and member card <= 1.5 KB, native and
raster, on both widths.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode
import qrcode.constants

from printing.escpos_render import EscposRenderer
from printing.images import barcode_image, centred
from printing.layouts import build_document
from printing.preview import PreviewRenderer
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import PrintSettings

GOAL_BYTES = 1536
GOAL_LAYOUTS = ("receipt", "voucher", "member_card")
ROUNDS = 20
BAUD_BYTES_PER_SECOND = 9600 / 10  # 8 data bits, a start and a stop bit


class BeforeRenderer(EscposRenderer):
    """Raster images as they were sent before: the baseline, rebuilt here for the comparison."""

    def raster_qr(self, block) -> None:
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=block.module_dots, border=2
        )
        code.add_data(block.data.encode("utf-8"))
        code.make(fit=True)
        self._padded(code.make_image().get_image().convert("1"))

    def raster_barcode(self, block, module: int) -> None:
        self._padded(barcode_image(block.data, module, block.height_dots))

    def _padded(self, image) -> None:
        self._raster(centred(image, self.dots))


def timed(action, rounds: int = ROUNDS) -> tuple[object, float]:
    """The result of ``action`` and its median time in milliseconds."""
    action()  # warm-up (profile loading, fonts, caches)
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)


def one_width(paper_width_mm: int) -> int:
    """Prints the table for one paper width; returns the largest goal layout's bytes."""
    settings = PrintSettings(
        paper_width_mm=paper_width_mm,
        building_name="Résidence des Tilleuls",
        building_address="12 rue des Tilleuls, 69003 Lyon",
    )
    native = EscposRenderer(settings)
    raster = EscposRenderer(settings, native_qr=False, native_barcode=False)
    before = BeforeRenderer(settings, native_qr=False, native_barcode=False)
    preview = PreviewRenderer(settings)
    print(
        f"\n{paper_width_mm} mm paper, {settings.dots} dots, {settings.chars_per_line} columns "
        f"(profile {settings.profile}), median of {ROUNDS} runs"
    )
    print(
        f"{'layout':<13} {'native B':>8} {'raster B':>8} {'before B':>8} {'saved':>6} "
        f"{'raster s':>8} {'before s':>8} {'native ms':>9} {'raster ms':>9} {'PNG ms':>7}"
    )
    worst = 0
    for layout, payload in SAMPLE_PAYLOADS.items():
        document = build_document(layout, payload, settings)
        native_bytes, native_ms = timed(lambda d=document: native.render(d))
        raster_bytes, raster_ms = timed(lambda d=document: raster.render(d))
        before_bytes, _ = timed(lambda d=document: before.render(d), rounds=3)
        _, png_ms = timed(lambda d=document: preview.render_png(d), rounds=5)
        n, r, b = len(native_bytes), len(raster_bytes), len(before_bytes)
        print(
            f"{layout:<13} {n:>8} {r:>8} {b:>8} {b / r:>5.1f}x "
            f"{r / BAUD_BYTES_PER_SECOND:>8.2f} {b / BAUD_BYTES_PER_SECOND:>8.2f} "
            f"{native_ms:>9.2f} {raster_ms:>9.2f} {png_ms:>7.1f}"
        )
        if layout in GOAL_LAYOUTS:
            worst = max(worst, n, r)
    return worst


def main() -> int:
    worst = max(one_width(80), one_width(58))
    verdict = "met" if worst <= GOAL_BYTES else "MISSED"
    print(
        f"\ngoal: {', '.join(GOAL_LAYOUTS)} <= {GOAL_BYTES} bytes on 80 and 58 mm, native and "
        f"raster: {verdict} (largest {worst} B, {worst / BAUD_BYTES_PER_SECOND:.2f} s at 9600 baud)"
    )
    return 0 if worst <= GOAL_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
