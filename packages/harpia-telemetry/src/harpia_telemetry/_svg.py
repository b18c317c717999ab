"""Server-rendered SVG charts: plain strings, no script, no external asset.

Each function returns one ``<svg>`` element sized by its ``viewBox`` (it scales to the
width of its container). Colours are presentation attributes, not ``style``, so the
page's Content-Security-Policy needs no inline-style allowance for them. Every mark has
a ``<title>`` (a tooltip) and the numbers are written as text too, so the chart reads
without a mouse and its values are in the page's text.
"""

from __future__ import annotations

import math
from html import escape

WIDTH = 600
"""Default width in user units; a chart spanning the page uses about twice that."""
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 34
BAR = "#4f6bed"
LINE = "#f08c2e"
BAD = "#d64545"
GRID = "#e3e6ee"
TEXT = "#4a5068"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def fmt(value: float) -> str:
    """``1,234`` for whole numbers, ``12.5`` otherwise."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


TICKS = 4
"""Grid intervals on a value axis."""


def nice_top(value: float, *, integers: bool = False) -> float:
    """The axis maximum for data up to ``value``: ``TICKS`` round steps (…, 25, 30, 40, 50, …).

    With ``integers`` (counts), a step is a whole number.
    """
    need = value / TICKS
    if need <= 0:
        return float(TICKS) if integers else 1.0
    power = 10.0 ** math.floor(math.log10(need))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * power
        if integers and (step < 1 or not step.is_integer()):
            continue
        if need <= step + 1e-9:
            return step * TICKS
    return 10 * power * TICKS  # pragma: no cover - factor 10 always fits


def _open(label: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" {FONT}>',
        f"<title>{escape(label)}</title>",
    ]


def _axis(top: float, plot_h: float, unit: str, width: int) -> list[str]:
    parts = []
    for i in range(TICKS + 1):
        value = top * i / TICKS
        y = TOP + plot_h - plot_h * i / TICKS
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{fmt(value)}{unit}</text>"
        )
    return parts


def _x_labels(labels: list[str], step_w: float, y: float) -> list[str]:
    every = max(1, math.ceil(len(labels) / 10))
    parts = []
    for i, label in enumerate(labels):
        if i % every and i != len(labels) - 1:
            continue
        x = LEFT + step_w * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
    return parts


def empty(label: str, message: str = "No data for this day", *, width: int = WIDTH) -> str:
    """A short placeholder when there is nothing to draw."""
    parts = _open(label, width, 80)
    parts.append(
        f'<text x="{width / 2}" y="44" text-anchor="middle" fill="{TEXT}" font-size="14">'
        f"{escape(message)}</text></svg>"
    )
    return "".join(parts)


def columns(
    label: str,
    labels: list[str],
    values: list[float],
    *,
    color: str = BAR,
    unit: str = "",
    line: list[float] | None = None,
    line_label: str = "",
    highlight: int | None = None,
    width: int = WIDTH,
) -> str:
    """Vertical bars (one per label), optionally with a line over them.

    Args:
        label: Accessible name of the chart.
        labels: One x label per bar (shown sparsely when there are many).
        values: Bar heights.
        color: Bar colour.
        unit: Appended to axis values.
        line: A second series drawn as a line with dots (same scale).
        line_label: Its name, for tooltips and the legend.
        highlight: Index of the bar drawn fully opaque (the selected day).
        width: Width in user units (text keeps its size when the page scales alike).
    """
    if not labels:
        return empty(label, width=width)
    series = [*values, *(line or [])]
    top = nice_top(max(series, default=0), integers=all(float(v).is_integer() for v in series))
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step_w = plot_w / len(labels)
    bar_w = max(2.0, step_w * 0.7)
    parts = _open(label, width, HEIGHT)
    parts.extend(_axis(top, plot_h, unit, width))
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = LEFT + step_w * i + (step_w - bar_w) / 2
        opacity = "1" if highlight is None or highlight == i else "0.55"
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{color}" fill-opacity="{opacity}" rx="2">'
            f"<title>{escape(name)}: {fmt(value)}{unit}</title></rect>"
        )
    if highlight is not None and 0 <= highlight < len(values):
        x = LEFT + step_w * (highlight + 0.5)
        y = TOP + plot_h - plot_h * values[highlight] / top - 5
        anchor = "middle"
        if x > width - RIGHT - 30:  # keep the label inside the chart at the right edge
            x, anchor = LEFT + step_w * (highlight + 1), "end"
        parts.append(
            f'<text x="{x:.1f}" y="{max(y, TOP + 10):.1f}" text-anchor="{anchor}" '
            f'fill="{TEXT}" font-weight="bold">{fmt(values[highlight])}{unit}</text>'
        )
    if line is not None:
        points = [
            (LEFT + step_w * (i + 0.5), TOP + plot_h - plot_h * value / top)
            for i, value in enumerate(line)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for (x, y), name, value in zip(points, labels, line, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE}">'
                f"<title>{escape(name)}: {fmt(value)} {escape(line_label)}</title></circle>"
            )
    parts.extend(_x_labels(labels, step_w, HEIGHT - BOTTOM + 16))
    parts.append("</svg>")
    return "".join(parts)


def bars(
    label: str,
    items: list[tuple[str, float]],
    *,
    color: str = BAR,
    unit: str = "",
    width: int = WIDTH,
) -> str:
    """Horizontal bars: a name on the left, its value after the bar, in the given order."""
    if not items:
        return empty(label, width=width)
    row_h, name_w, value_w = 24, 190, 60
    height = TOP + row_h * len(items) + 8
    top = max(value for _, value in items) or 1
    bar_room = width - name_w - value_w - RIGHT
    parts = _open(label, width, height)
    for i, (name, value) in enumerate(items):
        y = TOP + row_h * i
        w = max(1.0, bar_room * value / top)
        shown = name if len(name) <= 30 else name[:29] + "…"
        parts.append(
            f'<text x="{name_w - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}">'
            f"<title>{escape(name)}</title>{escape(shown)}</text>"
        )
        parts.append(
            f'<rect x="{name_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{color}" rx="2"><title>{escape(name)}: {fmt(value)}{unit}</title></rect>'
        )
        parts.append(
            f'<text x="{name_w + w + 6:.1f}" y="{y + 15}" fill="{TEXT}" font-weight="bold">'
            f"{fmt(value)}{unit}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
