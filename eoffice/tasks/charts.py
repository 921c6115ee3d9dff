"""Geometry of the dashboard's charts, drawn by the templates as inline SVG (no script).

Pure functions: rates in, rectangles, lines and labels out, so the drawing is testable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from eoffice.tasks.rules import format_percent

RAG_COLOURS = {"green": "#1e7b34", "amber": "#b26a00", "red": "#b3261e", "none": "#8a96a3"}
"""The same colours as the app's badges (contrast passes WCAG AA on white)."""


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    colour: str
    href: str
    rag: str


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, with the goal drawn as a vertical dashed line."""

    width: int
    height: int
    label_width: int
    bars: tuple[Bar, ...]
    goal_x: float
    goal_text: str
    ticks: tuple[tuple[float, str], ...]
    """(x, label) of the axis ticks."""


def _scale_max(rates: Sequence[Fraction | None], goal: Fraction) -> Fraction:
    top = max([r for r in rates if r is not None] + [goal * 2, Fraction(1, 10)])
    # Round the axis up to the next 5%, so ticks fall on round numbers.
    return Fraction(math.ceil(top * 20), 20)


def _round_percent(rate: Fraction) -> str:
    """Format an axis value: "5%", or "2,5%" when not a whole percent."""
    return format_percent(rate, 0 if (rate * 100).denominator == 1 else 1)


def bar_chart(
    rows: Sequence[tuple[str, Fraction | None, str, str]],
    goal: Fraction,
    *,
    width: int = 720,
    label_width: int = 260,
    bar_height: int = 22,
    gap: int = 8,
) -> BarChart:
    """Lay out ``(label, rate, rag, link)`` rows as bars; no rate draws an empty grey bar."""
    plot = width - label_width - 70
    top = _scale_max([r for _, r, _, _ in rows], goal)
    bars = []
    for i, (label, rate, rag, href) in enumerate(rows):
        length = float(rate / top * plot) if rate is not None else 0.0
        bars.append(
            Bar(
                label=label,
                value_text=format_percent(rate),
                x=label_width,
                y=10 + i * (bar_height + gap),
                width=round(length, 1),
                height=bar_height,
                colour=RAG_COLOURS.get(rag, RAG_COLOURS["none"]),
                href=href,
                rag=rag,
            )
        )
    height = 10 + len(rows) * (bar_height + gap) + 24
    ticks = tuple(
        (round(label_width + plot * k / 4, 1), _round_percent(top * k / 4)) for k in range(5)
    )
    goal_x = round(label_width + float(goal / top * plot), 1)
    return BarChart(width, height, label_width, tuple(bars), goal_x, _round_percent(goal), ticks)


@dataclass(frozen=True)
class TrendPoint:
    label: str
    x: float
    y: float | None
    value_text: str
    frozen: bool


@dataclass(frozen=True)
class TrendChart:
    """A line of monthly rates with the goal as a horizontal dashed line."""

    width: int
    height: int
    points: tuple[TrendPoint, ...]
    polyline: str
    """SVG ``points`` of the line (months without a rate are skipped)."""
    goal_y: float
    goal_text: str
    top_text: str
    baseline_y: float


def trend_chart(
    months: Sequence[tuple[str, Fraction | None, bool]],
    goal: Fraction,
    *,
    width: int = 720,
    height: int = 220,
) -> TrendChart:
    """Lay out ``(label, rate, frozen)`` months left to right."""
    left, right, top_pad, bottom = 50, 20, 20, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = _scale_max([r for _, r, _ in months], goal)
    step = plot_w / max(len(months) - 1, 1)

    def y_of(rate: Fraction) -> float:
        return round(top_pad + plot_h - float(rate / top) * plot_h, 1)

    points = tuple(
        TrendPoint(
            label,
            round(left + i * step, 1),
            y_of(rate) if rate is not None else None,
            format_percent(rate),
            frozen,
        )
        for i, (label, rate, frozen) in enumerate(months)
    )
    line = " ".join(f"{p.x},{p.y}" for p in points if p.y is not None)
    return TrendChart(
        width,
        height,
        points,
        line,
        y_of(goal),
        _round_percent(goal),
        _round_percent(top),
        float(top_pad + plot_h),
    )
