"""An optional PNG of what fixing one item returned: per metric, the actual weekly series,
what it would have done without the fix, and the week of the fix.

One panel per measured metric (at most :data:`MAX_PANELS`, the item's own measures first;
metrics without an effect are drawn only when none has one), sharing the week axis:

- the actual weekly values, a gap where a week has none (not measured, or suppressed under
  the anonymity rule);
- the counterfactual of the analysis (:mod:`bot.core.roi_chart_data`): the trend fitted
  before the fix, extrapolated as a dashed line, or the level the post weeks are compared
  with;
- a vertical line at the week of the fix.

Like :mod:`bot.core.chart`: matplotlib is the optional ``charts`` extra, imported lazily
(``render_roi_chart`` returns None without it); the figure is a private ``Figure`` on the
Agg canvas (no pyplot state, safe from several threads); no file, network or clock; the
same report gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING

from bot.core.chart import GRID, MUTED, TEXT, charts_available
from bot.core.roi_chart_data import Counterfactual, counterfactual
from bot.core.roi_records import MetricRecord, ReportRecord, measured
from bot.core.roi_text import VERDICTS, effect_text, label

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

WIDTH_IN, PANEL_IN, DPI = 10.0, 3.0, 120
MAX_PANELS = 4
TITLE_CHARS = 70
MAX_X_LABELS = 10
ACTUAL = "#1f77b4"
COUNTERFACTUAL = "#d62728"
FIX = "#444444"


def panels(report: ReportRecord) -> list[MetricRecord]:
    """The metrics drawn: those with an effect (the item's own first), else those with any
    value; at most :data:`MAX_PANELS`."""
    chosen = [m for m in report.metrics if measured(m)]
    if not chosen:
        chosen = [m for m in report.metrics if any(v is not None for v in m.series)]
    chosen.sort(key=lambda m: m.scope != report.key)  # stable: the report's order otherwise
    return chosen[:MAX_PANELS]


def render_roi_chart(report: ReportRecord) -> bytes | None:
    """A PNG of ``report``'s metrics around the fix, or None (nothing measured, or no
    matplotlib). Raises ValueError when a metric's weeks and values do not line up."""
    drawn = panels(report)
    for metric in drawn:
        _check(metric)
    if not drawn or not charts_available():
        return None

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 1.4 + PANEL_IN * len(drawn)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(drawn), 1, sharex=True, squeeze=False)[:, 0]
    first = _first_week(drawn)
    for ax, metric in zip(axes, drawn, strict=True):
        _panel(ax, metric, first)
    _date_axis(axes[-1], drawn[0].weeks[first:])
    title = _clip(f"{report.key} {' '.join(report.title.split())}", TITLE_CHARS)
    fig.suptitle(
        f"{title} — resolved {report.resolved_on.isoformat()}",
        fontsize=14,
        fontweight="bold",
        color=TEXT,
        x=0.01,
        ha="left",
    )
    legend: dict[str, Artist] = {}
    for ax in axes:  # each kind of line once, in the order first drawn
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(name, handle)
    fig.legend(
        list(legend.values()),
        list(legend),
        loc="outside lower center",
        ncols=len(legend),
        frameon=False,
        fontsize=10,
    )
    out = BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def _check(metric: MetricRecord) -> None:
    if len(metric.weeks) != len(metric.series):
        raise ValueError(
            f"{metric.name}: {len(metric.series)} values for {len(metric.weeks)} weeks"
        )
    if not 0 <= metric.resolve_week < len(metric.series):
        raise ValueError(f"{metric.name}: the week of the fix is outside its series")


def _first_week(drawn: Sequence[MetricRecord]) -> int:
    """The first week with a value in any panel (leading empty weeks are left out)."""
    return min(
        next((i for i, v in enumerate(m.series) if v is not None), m.resolve_week) for m in drawn
    )


def _panel(ax: Axes, metric: MetricRecord, first: int) -> None:
    xs = [_x(week) for week in metric.weeks[first:]]
    actual = [math.nan if v is None else v for v in metric.series[first:]]
    ax.plot(xs, actual, color=ACTUAL, linewidth=2.0, marker="o", markersize=4, label="actual")
    line = counterfactual(metric.series, metric.resolve_week, metric.result)
    if line is not None:
        _counterfactual(ax, xs, line, first)
    fix = _x(metric.weeks[metric.resolve_week])
    ax.axvline(fix, color=FIX, linewidth=1.2, linestyle=":", label="week of the fix")
    ax.set_title(_heading(metric), loc="left", fontsize=11, color=TEXT)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=10, colors=MUTED, labelcolor=TEXT)


def _counterfactual(ax: Axes, xs: list[float], line: Counterfactual, first: int) -> None:
    fitted = [math.nan if v is None else v for v in line.fitted[first:]]
    projected = [math.nan if v is None else v for v in line.projected[first:]]
    if any(not math.isnan(v) for v in fitted):
        ax.plot(xs, fitted, color=COUNTERFACTUAL, linewidth=1.4, label="trend before the fix")
    ax.plot(
        xs,
        projected,
        color=COUNTERFACTUAL,
        linewidth=1.6,
        linestyle="--",
        label="without the fix (counterfactual)",
    )


def _heading(metric: MetricRecord) -> str:
    r = metric.result
    head = f"{label(metric.name)} ({metric.scope}, {metric.direction} is better)"
    if r.effect is None:
        return _clip(f"{head}: {VERDICTS[r.verdict]}", 110)
    return _clip(f"{head}: {effect_text(r.effect, metric.unit)}, {VERDICTS[r.verdict]}", 110)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _x(week: date) -> float:
    """Days since 1970-01-01, as :mod:`bot.core.chart` plots weeks."""
    return float((week - date(1970, 1, 1)).days)


def _date_axis(ax: Axes, weeks: Sequence[date]) -> None:
    step = max(1, math.ceil(len(weeks) / MAX_X_LABELS))
    shown = list(weeks[::-1][::step])[::-1]
    ax.set_xticks([_x(w) for w in shown], [f"{w:%b} {w.day}" for w in shown])
    ax.set_xlim(_x(weeks[0]) - 3.0, _x(weeks[-1]) + 3.0)
