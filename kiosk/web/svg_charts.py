"""Small bar charts drawn on the server as SVG (no JavaScript, no library, prints as is).

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` listing every value, so a
screen reader reads the numbers; pages also show the same figures as a table. Labels are
escaped: they may come from residents' data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#111111"
BAR = "#0b4f8a"  # the kiosk's primary colour: 7.9:1 on white
GRID = "#767676"
FONT = 'font-family="DejaVu Sans, Noto Sans, sans-serif"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as people read it ("12 h", "3")


def _description(bars: Sequence[Bar]) -> str:
    return "; ".join(f"{bar.label}: {bar.text}" for bar in bars)


def _open(chart_id: str, title: str, bars: Sequence[Bar], width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_description(bars))}</desc>',
    ]


def column_chart(
    chart_id: str, title: str, bars: Sequence[Bar], *, width: int = 720, height: int = 240
) -> Markup:
    """Vertical bars, one per label (e.g. months), the value above each bar."""
    top, bottom, left, right = 24, 40, 8, 8
    plot_h = height - top - bottom
    slot = (width - left - right) / max(1, len(bars))
    peak = max((bar.value for bar in bars), default=0) or 1
    parts = _open(chart_id, title, bars, width, height)
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    )
    for index, bar in enumerate(bars):
        h = plot_h * bar.value / peak
        x = left + index * slot + slot * 0.15
        w = slot * 0.7
        y = top + plot_h - h
        centre = left + index * slot + slot / 2
        if bar.value:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{BAR}"/>'
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle" font-size="13" '
            f'fill="{INK}" {FONT}>{escape(bar.text)}</text>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 18:.1f}" text-anchor="middle" '
            f'font-size="13" fill="{INK}" {FONT}>{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    width: int = 720,
    row_height: int = 30,
    label_width: int = 250,
) -> Markup:
    """Horizontal bars, one row per label (e.g. categories), the value after each bar."""
    top = 6
    height = top * 2 + row_height * max(1, len(bars))
    value_room = 90
    plot_w = width - label_width - value_room
    peak = max((bar.value for bar in bars), default=0) or 1
    parts = _open(chart_id, title, bars, width, height)
    for index, bar in enumerate(bars):
        y = top + index * row_height
        w = plot_w * bar.value / peak
        middle = y + row_height / 2 + 5
        parts.append(
            f'<text x="{label_width - 8}" y="{middle:.1f}" text-anchor="end" font-size="14" '
            f'fill="{INK}" {FONT}>{escape(bar.label)}</text>'
        )
        if bar.value:
            parts.append(
                f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" '
                f'height="{row_height - 8}" fill="{BAR}"/>'
            )
        parts.append(
            f'<text x="{label_width + w + 6:.1f}" y="{middle:.1f}" font-size="14" '
            f'fill="{INK}" {FONT}>{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
