"""The counterfactual an ROI chart draws: what the metric would have done without the fix.

It is the line :func:`bot.core.roi.analyse` compares the weeks after the fix with, so the
chart shows what the effect was measured against:

- ``its``: the line fitted to the weeks before the fix, less the selection window just
  before it (:data:`bot.core.roi.SELECTION_WINDOW`), with a slope once
  :data:`bot.core.roi.MIN_TREND_WEEKS` weeks are fitted and a level otherwise; drawn over
  the weeks it was fitted on and extrapolated to the last week. Its mean over the weeks
  after the fix that have a value is the post mean minus the effect, as in the analysis.
- ``did`` and ``before_after``: the analysis compares means (against the controls, or the
  weeks before), so the counterfactual is a level over the weeks after the fix, the post
  mean minus the effect; the controls' own weeks are not part of the report.

Pure: least squares on the same points as :mod:`bot.core.roi_fit` (``Point`` = week, value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.roi import MIN_TREND_WEEKS, SELECTION_WINDOW, Method, MetricEffect
from bot.core.roi_fit import Point


@dataclass(frozen=True)
class Counterfactual:
    """Per week of the series: the fitted line (None outside the weeks it was fitted on) and
    the counterfactual (None before it starts)."""

    method: Method
    fitted: tuple[float | None, ...]
    projected: tuple[float | None, ...]


def counterfactual(
    series: Sequence[float | None], resolve_week: int, result: MetricEffect
) -> Counterfactual | None:
    """The counterfactual of ``result`` (the analysis of ``series`` with the fix at
    ``resolve_week``); None when the analysis has no effect (insufficient data)."""
    effect = result.effect
    if effect is None or result.post.mean is None:
        return None
    n = len(series)
    if not 0 <= resolve_week < n:
        raise ValueError(f"resolve_week must be between 0 and {n - 1}, not {resolve_week}")
    if effect.method != "its":
        level = result.post.mean - effect.estimate
        after = tuple(level if t >= resolve_week else None for t in range(n))
        return Counterfactual(effect.method, (None,) * n, after)
    pre = [(t, y) for t in range(resolve_week) if (y := series[t]) is not None]
    fitted = [p for p in pre if p[0] < resolve_week - SELECTION_WINDOW]
    if len(fitted) < 3:
        fitted = pre
    intercept, slope, centre = line(fitted, slope=len(fitted) >= MIN_TREND_WEEKS)
    first, last = fitted[0][0], fitted[-1][0]

    def at(t: int) -> float:
        return intercept + slope * (t - centre)

    return Counterfactual(
        "its",
        tuple(at(t) if first <= t <= last else None for t in range(n)),
        tuple(at(t) if t >= last else None for t in range(n)),
    )


def line(points: Sequence[Point], *, slope: bool) -> tuple[float, float, float]:
    """``(intercept, slope, centre)`` of the least-squares line through ``points``, on time
    centred at ``centre`` (the mean week); ``slope`` False fits a level (slope 0)."""
    if not points:
        raise ValueError("points must not be empty")
    times = [float(t) for t, _ in points]
    values = [y for _, y in points]
    centre = math.fsum(times) / len(times)
    intercept = math.fsum(values) / len(values)
    if not slope:
        return intercept, 0.0, centre
    spread = math.fsum((t - centre) ** 2 for t in times)
    if spread == 0:
        return intercept, 0.0, centre
    rise = math.fsum((t - centre) * y for t, y in points) / spread
    return intercept, rise, centre
