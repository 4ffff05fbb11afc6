"""Geometry of the dashboard's inline SVG charts: a score's bar split by component, and a
weekly line. Only coordinates and labels: the numbers come from the pages' data, and the
templates draw them (each chart with a text alternative holding the same numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from bot.core.display import LABELS
from bot.core.priority import ScoreBreakdown
from bot.core.score_settings import COMPONENTS

#: One colour per component, each at least 3:1 against the white background.
COLOURS = {
    "risk": "#1f4e8c",
    "severity_floor": "#6b3fa0",
    "pain": "#b03a2e",
    "breadth": "#9a5b13",
    "trend": "#2e6b30",
    "signals": "#4a5866",
}


@dataclass(frozen=True)
class Segment:
    name: str
    label: str
    points: float
    x: float  # on the 0–100 scale of the score
    width: float
    colour: str
    taken_off: bool  # a falling trend: points taken off the others, drawn as an outline


def score_bar(shown: Mapping[str, float]) -> list[Segment]:
    """The score's shown components laid end to end on 0–100; a negative trend is drawn
    back from the end of the others, over the points it takes off."""
    segments: list[Segment] = []
    x = 0.0
    for name in COMPONENTS:
        points = shown.get(name, 0.0)
        if points > 0:
            segments.append(
                Segment(name, LABELS[name], points, round(x, 2), points, COLOURS[name], False)
            )
            x += points
    trend = shown.get("trend", 0.0)
    if trend < 0:
        width = min(-trend, x)
        start = round(x - width, 2)
        segments.append(
            Segment("trend", LABELS["trend"], trend, start, width, COLOURS["trend"], True)
        )
    return segments


def bar_text(total: float, shown: Mapping[str, float]) -> str:
    """The bar in words: ``Score 42.5: Risk 20.1, Pain 12.3, …`` (every component, in
    order, zeros included)."""
    parts = ", ".join(f"{LABELS[name]} {shown.get(name, 0.0):g}" for name in COMPONENTS)
    return f"Score {total:g}: {parts}"


@dataclass(frozen=True)
class Bar:
    """A score as a bar: its shown total, the segments and the same in words."""

    total: float
    segments: list[Segment]
    text: str


def bar_of(breakdown: ScoreBreakdown) -> Bar:
    shown = breakdown.shown()
    return Bar(shown.total, score_bar(shown.components), bar_text(shown.total, shown.components))


def bar_svg(bar: Bar, width: int = 160) -> Markup:
    """The bar as inline SVG (an image whose label is the bar in words); built here rather
    than in a template, since the ranking draws one per item."""
    parts = [
        f'<svg class="bar" viewBox="0 0 100 8" width="{width}" height="14" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(bar.text)}" '
        'focusable="false"><rect x="0" y="0" width="100" height="8" fill="#e6eaee"/>'
    ]
    for s in bar.segments:
        if s.taken_off:
            parts.append(
                f'<rect x="{s.x:g}" y="0.6" width="{s.width:g}" height="6.8" fill="#ffffff" '
                f'fill-opacity="0.6" stroke="{s.colour}" stroke-width="0.8" '
                'stroke-dasharray="1.2 0.8"/>'
            )
        else:
            parts.append(
                f'<rect x="{s.x:g}" y="0" width="{s.width:g}" height="8" fill="{s.colour}"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the x label (a week)
    value: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    lines: list[str]  # SVG ``points`` of each unbroken run of values
    points: list[Point]
    y_ticks: list[tuple[float, str]]  # (y, label)
    x_ticks: list[tuple[float, str]]  # (x, label)
    left: int
    bottom: float


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    low: float,
    high: float,
    ticks: Sequence[float],
    width: int = 560,
    height: int = 180,
) -> LineChart:
    """``values`` (None: no value that week, a gap in the line) over ``labels`` on the
    scale ``low``–``high``."""
    left, right, top, bottom = 40, 28, 10, height - 26
    span_x = max(len(labels) - 1, 1)

    def x_of(i: int) -> float:
        return round(left + (width - left - right) * i / span_x, 1)

    def y_of(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return round(bottom - (bottom - top) * share, 1)

    lines: list[str] = []
    run: list[str] = []
    points: list[Point] = []
    for i, value in enumerate(values):
        if value is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        point = Point(x_of(i), y_of(value), labels[i], value)
        points.append(point)
        run.append(f"{point.x},{point.y}")
    if run:
        lines.append(" ".join(run))
    step = max(1, len(labels) // 6)
    x_ticks = [(x_of(i), label) for i, label in enumerate(labels) if i % step == 0]
    y_ticks = [(y_of(tick), f"{tick:g}") for tick in ticks]
    return LineChart(width, height, lines, points, y_ticks, x_ticks, left, bottom)
