"""Printing benchmark (run by hand: ``.venv/bin/python bench/bench_printing.py``; not a test).

For every layout: ESC/POS bytes and milliseconds to render, with the printer's own QR and
barcode commands (``GS ( k``, ``GS k``) against the same layout with QR and barcode sent as
raster images (the baseline), plus the PNG preview's time. Goal: receipt and voucher <= 1.5 KB.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printing.escpos_render import EscposRenderer
from printing.layouts import build_document
from printing.preview import PreviewRenderer
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import PrintSettings

GOAL_BYTES = 1536
ROUNDS = 20


def timed(action, rounds: int = ROUNDS) -> tuple[object, float]:
    """The result of ``action`` and its median time in milliseconds."""
    action()  # warm-up (profile loading, fonts, caches)
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)


def main() -> int:
    settings = PrintSettings(
        building_name="Résidence des Tilleuls", building_address="12 rue des Tilleuls, 69003 Lyon"
    )
    native = EscposRenderer(settings)
    image = EscposRenderer(settings, native_qr=False, native_barcode=False)
    preview = PreviewRenderer(settings)
    print(
        f"profile {settings.profile}, {settings.paper_width_mm} mm paper, {settings.dots} dots, "
        f"median of {ROUNDS} runs"
    )
    print(
        f"{'layout':<13} {'native B':>9} {'image B':>9} {'ratio':>6} "
        f"{'native ms':>10} {'image ms':>9} {'ratio':>6} {'PNG ms':>7}"
    )
    worst = 0
    for layout, payload in SAMPLE_PAYLOADS.items():
        document = build_document(layout, payload, settings)
        native_bytes, native_ms = timed(lambda d=document: native.render(d))
        image_bytes, image_ms = timed(lambda d=document: image.render(d))
        _, png_ms = timed(lambda d=document: preview.render_png(d), rounds=5)
        print(
            f"{layout:<13} {len(native_bytes):>9} {len(image_bytes):>9} "
            f"{len(image_bytes) / len(native_bytes):>5.1f}x {native_ms:>10.2f} "
            f"{image_ms:>9.2f} {image_ms / native_ms:>5.1f}x {png_ms:>7.1f}"
        )
        if layout in ("receipt", "voucher"):
            worst = max(worst, len(native_bytes))
    verdict = "met" if worst <= GOAL_BYTES else "MISSED"
    print(f"goal: receipt and voucher <= {GOAL_BYTES} bytes: {verdict} (largest {worst} B)")
    return 0 if worst <= GOAL_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
