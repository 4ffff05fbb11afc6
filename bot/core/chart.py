"""An optional PNG chart of the ranking over time, for the weekly digest.

Two stacked panels share the week axis: the priority score (0–100) on top and the
team's pain (1–5) below, one colour per debt item in both. A ``None`` value is a week
with nothing to show (no snapshot, or pain suppressed under the anonymity threshold)
and leaves a gap in the line; every point carries a marker, so a lone week still shows.

matplotlib is the optional ``charts`` extra: it is imported lazily, and without it
``render_chart`` returns ``None`` so the digest simply goes out without a chart.
The chart is drawn on a private ``Figure`` with the Agg canvas (never pyplot's global
state), so rendering is safe from several threads; no file, network or clock is used,
and the same input gives the same bytes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 20 / 3, 120  # 1200 x 800 px
#: The part of the figure the layout fills, leaving a white margin all round.
MARGIN_RECT = (0.015, 0.015, 0.97, 0.97)
LABEL_CHARS = 40
MAX_X_LABELS = 12
SCORE_TITLE = "Priority score (0–100)"
PAIN_TITLE = "Team pain (1–5)"
NO_DATA = "no data"
# matplotlib's "tab10" palette: distinct, colour-blind-friendlier than most, neutral.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
LINESTYLES = ("-", "--", ":", "-.")
TEXT = "#222222"
MUTED = "#666666"
GRID = "#dddddd"


@dataclass(frozen=True)
class ChartSeries:
    """One debt item's weekly values, aligned with the chart's ``weeks``."""

    key: str
    title: str
    scores: Sequence[float | None]
    pains: Sequence[float | None]


@cache
def charts_available() -> bool:
    """Whether matplotlib (with its Agg canvas) can be imported; asked once."""
    try:
        import matplotlib
        import matplotlib.backends.backend_agg
        import matplotlib.figure
    except ImportError:
        return False
    return bool(matplotlib.__version__)


def legend_label(series: ChartSeries, limit: int = LABEL_CHARS) -> str:
    """``"KEY title"`` clipped to ``limit`` characters with an ellipsis."""
    label = f"{series.key} {' '.join(series.title.split())}".strip()
    if len(label) > limit:
        label = label[: limit - 1].rstrip() + "…"
    return label


def render_chart(
    weeks: Sequence[date], series: Sequence[ChartSeries], *, title: str
) -> bytes | None:
    """A PNG of ``series`` over ``weeks`` (ascending), or ``None``.

    ``None`` when matplotlib is not installed or there is nothing to draw (no weeks,
    no series, or no value at all). Raises ``ValueError`` when a series' values are
    not one per week or the weeks are not strictly ascending.
    """
    _check(weeks, series)
    if not weeks or not any(_has_data(s.scores) or _has_data(s.pains) for s in series):
        return None
    if not charts_available():
        return None

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(rect=MARGIN_RECT)  # type: ignore[union-attr, call-arg]
    FigureCanvasAgg(fig)
    score_ax, pain_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    xs = [_x(w) for w in weeks]

    handles: list[Line2D] = []
    labels: list[str] = []
    for i, s in enumerate(series):
        style = {
            "color": PALETTE[i % len(PALETTE)],
            "linestyle": LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
            "linewidth": 2.2,
            "marker": "o",
            "markersize": 5,
        }
        (line,) = score_ax.plot(xs, _values(s.scores), **style)
        pain_ax.plot(xs, _values(s.pains), **style)
        label = legend_label(s)
        if not (_has_data(s.scores) or _has_data(s.pains)):
            label = f"{label} ({NO_DATA})"
        handles.append(line)
        labels.append(label)

    _style_panel(score_ax, SCORE_TITLE, (-3.0, 103.0), [0, 25, 50, 75, 100])
    _style_panel(pain_ax, PAIN_TITLE, (0.8, 5.2), [1, 2, 3, 4, 5])
    if not any(_has_data(s.pains) for s in series):
        pain_ax.text(
            0.5,
            0.5,
            "No pain data to show (none recorded, or below the anonymity threshold)",
            transform=pain_ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color=MUTED,
        )
    _date_axis(pain_ax, weeks)

    fig.suptitle(title, fontsize=16, fontweight="bold", color=TEXT, x=0.02, y=0.985, ha="left")
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=_legend_columns(len(labels)),
        frameon=False,
        fontsize=11,
        handlelength=2.6,
        columnspacing=2.0,
        labelcolor=TEXT,
    )

    out = BytesIO()
    fig.savefig(
        out,
        format="png",
        dpi=DPI,
        facecolor="white",
        metadata={"Software": None},
        # no bbox_inches="tight": the constrained layout already keeps the title and the
        # outside legend whole, and a tight box would draw the whole figure twice
    )
    return out.getvalue()


def _check(weeks: Sequence[date], series: Sequence[ChartSeries]) -> None:
    if any(b <= a for a, b in itertools.pairwise(weeks)):
        raise ValueError("weeks must be strictly ascending")
    for s in series:
        for name, values in (("scores", s.scores), ("pains", s.pains)):
            if len(values) != len(weeks):
                raise ValueError(
                    f"{s.key}: {len(values)} {name} for {len(weeks)} weeks; need one per week"
                )


def _legend_columns(n: int) -> int:
    return 1 if n == 1 else 2


def _has_data(values: Sequence[float | None]) -> bool:
    return any(v is not None and math.isfinite(v) for v in values)


def _values(values: Sequence[float | None]) -> list[float]:
    """NaN for a missing value: matplotlib breaks the line there."""
    return [float(v) if v is not None and math.isfinite(v) else math.nan for v in values]


def _x(week: date) -> float:
    """Days since 1970-01-01: matplotlib's default date number, without its unit machinery."""
    return float((week - date(1970, 1, 1)).days)


def _style_panel(ax: Axes, heading: str, ylim: tuple[float, float], ticks: list[int]) -> None:
    ax.set_title(heading, loc="left", fontsize=13, color=TEXT, pad=8)
    ax.set_ylim(*ylim)
    ax.set_yticks(ticks)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.grid(axis="x", color=GRID, linewidth=0.6, alpha=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.tick_params(labelsize=11, colors=MUTED, labelcolor=TEXT)


def _date_axis(ax: Axes, weeks: Sequence[date]) -> None:
    """Ticks on the weeks themselves ("Nov 16"), thinned so at most a dozen are labelled."""
    step = max(1, math.ceil(len(weeks) / MAX_X_LABELS))
    shown = list(weeks[::-1][::step])[::-1]  # always label the newest week
    ax.set_xticks([_x(w) for w in shown], [f"{w:%b} {w.day}" for w in shown])
    pad = 3.0 if len(weeks) == 1 else 2.0  # days
    ax.set_xlim(_x(weeks[0]) - pad, _x(weeks[-1]) + pad)
