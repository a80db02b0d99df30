"""Bar charts drawn on the server as SVG: no script, nothing for the Content-Security-Policy to allow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 900, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 10, 12, 34


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: Sequence[int]
    css_class: str = "bar"


def _nice_ceiling(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value`."""
    if value <= 2:
        return 2  # so the middle line is a whole number too
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(title: str, days: Sequence[date], series: Sequence[Series]) -> Markup:
    """Grouped bars per day (one per series), a y axis with three grid lines, every fifth date labelled."""
    top = _nice_ceiling(max((max(s.values, default=0) for s in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-{id(series)}">',
        f'<title id="chart-{id(series)}">{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(top * fraction):,}</text>')
    for index, day in enumerate(days):
        x0 = LEFT + slot * index + slot * 0.1
        for number, one in enumerate(series):
            value = one.values[index] if index < len(one.values) else 0
            height = plot_h * max(value, 0) / top
            x = x0 + bar_w * number
            parts.append(
                f'<rect class="{escape(one.css_class)}" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
                f'width="{bar_w:.1f}" height="{height:.1f}"><title>{escape(one.label)} on {day:%d %b}: '
                f"{value:,}</title></rect>"
            )
        if index % 5 == len(days) % 5 or index == len(days) - 1:
            parts.append(
                f'<text x="{x0 + slot * 0.4:.1f}" y="{HEIGHT - 12}" text-anchor="middle">{day:%d %b}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped
