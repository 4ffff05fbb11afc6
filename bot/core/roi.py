"""Debt ROI: what fixing an item changed in a weekly metric, with an honest 90 % interval.

``analyse`` compares the weeks after an item was resolved with what the metric would have
done without the fix (the counterfactual) and returns the effect — post minus counterfactual,
in the metric's units, averaged over the post weeks — with its interval and a verdict.

Methods (``Method``):

- ``its``, interrupted time series: a line fitted to the weeks before the fix, extrapolated
  over the weeks after it; the post weeks get their own level and slope (segmented
  regression), so the effect is their mean minus the extrapolated line's mean.
- ``did``, difference-in-differences: the same on the series minus the mean of the controls
  (comparable components or items left untouched) week by week, so a shock or a season they
  share cancels, and so does a trend they share; a trend of the item's own is still fitted
  (a comparative interrupted time series, which does not assume parallel trends).
- ``before_after``: post mean minus pre mean with a Welch interval. Naive: a trend, a season
  or regression to the mean passes for an effect. Kept for comparison (the benchmark) and as
  a fallback the service may show with its caveat.

Choices, each checked by ``python -m bench.roi --variants`` (4000 simulated fixes, seed 7:
pre-trends, AR(1) noise, seasons, missing weeks, controls, half fixed when they hurt most;
figures are interval coverage / false "improved" / bias towards the fix, σ units):

- Selection window: the 2 weeks just before the fix are left out of the pre fit (when 3 or
  more weeks remain). An item is fixed when it hurts most, so those weeks are high by chance
  and a line through them extrapolates too high. Worst-first items: without the window
  90 % / 7.6 % / +0.37, with 1 week +0.21, with 2 91.6 % / 4.7 % / -0.04; 3 weeks only
  widen the interval.
- A trend needs 8 fitted weeks; with fewer the level before the fix is carried forward (and
  a caveat says so). A line through 3-7 weeks covers a little more (92.7 % against 89.4 %
  for pre periods under 10 weeks) with a median interval 11.3 σ wide instead of 3.9 σ.
- Noise is AR(1): the standard error is exact for ρ (``roi_fit``), ρ estimated without the
  small-sample bias of residual autocorrelation and taken one standard error high; quantiles
  are Student's t on the residual degrees of freedom. The iid formula covers 75 % and calls
  12.8 % of no-effect fixes "improved"; ρ as estimated, without the margin, 86 % / 7.2 %; as
  shipped 92 % / 4.1 % (the target is 85 % / 10 %; before/after: 57 % / 22 %).

What it costs: honest intervals are wide. A trend extrapolated over a few noisy weeks is
uncertain, so the median 90 % interval is about 4 σ of the metric's weekly noise wide and a
real improvement of 0.3-2 σ is called "improved" about a quarter of the time; longer
windows and controls narrow it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core import roi_fit
from bot.core.roi_fit import Fit, Point
from bot.core.roi_inputs import Direction, Method, check_arguments, check_direction, checked
from bot.core.stats import student_t_quantile

__all__ = [
    "Direction",
    "Effect",
    "Method",
    "MetricEffect",
    "Period",
    "Verdict",
    "analyse",
    "payback_weeks",
    "t_quantile",
    "weekly_saving",
]

Verdict = Literal["improved", "worse", "no_change", "insufficient_data"]

#: Weeks just before the fix left out of the pre fit (see the module docstring).
SELECTION_WINDOW = 2
#: Fitted pre weeks a trend needs; with fewer, the level before the fix is carried forward.
MIN_TREND_WEEKS = 8
#: Relative rounding error of the arithmetic: an effect closer to 0 is 0 for the verdict.
_ROUNDING = 1e-9
#: Below these, a "short window" caveat names the weeks.
SHORT_PRE, SHORT_POST = 8, 4


@dataclass(frozen=True)
class Period:
    """The weeks of a period that have a value, and their mean (None when there are none)."""

    weeks: int
    mean: float | None


@dataclass(frozen=True)
class Effect:
    """Post minus counterfactual in the metric's units, averaged over the post weeks.

    Negative means the metric went down; ``low``/``high`` bound the interval.
    """

    estimate: float
    low: float
    high: float
    method: Method


@dataclass(frozen=True)
class MetricEffect:
    """One metric's result for one fix: periods, effect (None when data is short), verdict."""

    pre: Period
    post: Period
    effect: Effect | None
    verdict: Verdict
    caveats: tuple[str, ...]


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (t(0.95, 10) = 1.8125)."""
    return student_t_quantile(p, df)


def analyse(
    series: Sequence[float | None],
    resolve_week: int,
    direction: Direction,
    *,
    controls: Sequence[Sequence[float | None]] = (),
    confidence: float = 0.90,
    min_pre: int = 4,
    min_post: int = 2,
    method: Method | None = None,
) -> MetricEffect:
    """The effect of a fix at ``resolve_week`` on a weekly ``series`` (``series[i]`` is week i).

    Weeks ``>= resolve_week`` are after the fix; None is a week without a value. With
    ``controls`` (same length) the method is ``did`` unless they share too few weeks with the
    series, else ``its``; ``method`` forces one. Raises ValueError naming the bad argument.
    """
    values = checked(series, "series")
    n = len(values)
    check_arguments(
        weeks=n,
        resolve_week=resolve_week,
        direction=direction,
        confidence=confidence,
        min_pre=min_pre,
        min_post=min_post,
        method=method,
    )
    others = [checked(c, f"controls[{j}]", n) for j, c in enumerate(controls)]
    if method == "did" and not others:
        raise ValueError("method 'did' needs controls")
    pre, post = _points(values, 0, resolve_week), _points(values, resolve_week, n)
    periods = (_period(pre), _period(post))
    caveats = _window_caveats(values, len(pre), len(post))
    if len(pre) < min_pre or len(post) < min_post:
        side, count, needed = (
            ("before", len(pre), min_pre) if len(pre) < min_pre else ("after", len(post), min_post)
        )
        short = f"insufficient data: {_weeks(count)} with a value {side} the fix ({needed} needed)"
        rest = [c for c in caveats if not c.startswith(f"short window: {_weeks(count)} {side}")]
        return MetricEffect(*periods, None, "insufficient_data", (short, *rest))
    chosen: Method = method or ("did" if others else "its")
    if chosen == "before_after":
        fit = roi_fit.mean_difference([y for _, y in pre], [y for _, y in post])
        caveats.append(
            "before/after means only: a trend or regression to the mean passes for an effect"
        )
    else:
        if chosen == "did":
            diff = _difference(values, others)
            d_pre, d_post = _points(diff, 0, resolve_week), _points(diff, resolve_week, n)
            if len(d_pre) >= min_pre and len(d_post) >= min_post:
                pre, post = d_pre, d_post
            elif method == "did":
                note = "insufficient data: the controls share too few weeks with the series"
                return MetricEffect(*periods, None, "insufficient_data", (note, *caveats))
            else:
                chosen = "its"
                caveats.append("controls left out: they share too few weeks with the series")
        fit, level_only = _trend_break(pre, post, resolve_week)
        if level_only:
            caveats.append(
                "too few weeks before the fix for a trend: the level before it is carried forward"
            )
    effect = _effect(fit, confidence, chosen)
    scale = max(abs(y) for column in (values, *others) for y in column if y is not None)
    return MetricEffect(*periods, effect, _verdict(effect, direction, scale), tuple(caveats))


def weekly_saving(effect: Effect, direction: Direction) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of the improvement per week, positive = better (saved).

    For an hours-lost metric (direction "lower") that is the hours saved per week.
    """
    check_direction(direction)
    if direction == "higher":
        return (effect.estimate, effect.low, effect.high)
    return (-effect.estimate, -effect.high, -effect.low)


def payback_weeks(cost_hours: float | None, saving_per_week: float) -> float | None:
    """Weeks until the weekly saving repays the cost; None without a cost or a saving > 0."""
    if cost_hours is None:
        return None
    if not math.isfinite(cost_hours) or cost_hours < 0:
        raise ValueError(f"cost_hours must be a finite number >= 0, not {cost_hours!r}")
    if not math.isfinite(saving_per_week) or saving_per_week <= 0:
        return None
    return cost_hours / saving_per_week


def _trend_break(pre: list[Point], post: list[Point], resolve_week: int) -> tuple[Fit, bool]:
    """The ITS fit: pre weeks less the selection window, a line when enough remain."""
    fitted = [p for p in pre if p[0] < resolve_week - SELECTION_WINDOW]
    if len(fitted) < 3:
        fitted = pre
    slope = len(fitted) >= MIN_TREND_WEEKS
    return roi_fit.trend_break(fitted, post, slope=slope), not slope


def _effect(fit: Fit, confidence: float, method: Method) -> Effect:
    half = t_quantile((1 + confidence) / 2, fit.df) * fit.se
    return Effect(fit.estimate, fit.estimate - half, fit.estimate + half, method)


def _verdict(effect: Effect, direction: Direction, scale: float) -> Verdict:
    """Improved or worse only when the interval excludes 0 (by more than rounding error)."""
    tolerance = _ROUNDING * scale
    if effect.high < -tolerance:
        return "improved" if direction == "lower" else "worse"
    if effect.low > tolerance:
        return "improved" if direction == "higher" else "worse"
    return "no_change"


def _points(values: Sequence[float | None], start: int, stop: int) -> list[Point]:
    return [(t, y) for t in range(start, stop) if (y := values[t]) is not None]


def _period(points: Sequence[Point]) -> Period:
    if not points:
        return Period(0, None)
    return Period(len(points), math.fsum(y for _, y in points) / len(points))


def _difference(
    values: Sequence[float | None], controls: Sequence[Sequence[float | None]]
) -> list[float | None]:
    """Each week, the value minus the mean of the controls that have one (None if none do)."""
    out: list[float | None] = []
    for t, y in enumerate(values):
        present = [v for c in controls if (v := c[t]) is not None]
        out.append(None if y is None or not present else y - math.fsum(present) / len(present))
    return out


def _window_caveats(values: Sequence[float | None], pre: int, post: int) -> list[str]:
    caveats = []
    if pre < SHORT_PRE:
        caveats.append(f"short window: {_weeks(pre)} before the fix")
    if post < SHORT_POST:
        caveats.append(f"short window: {_weeks(post)} after the fix")
    missing = sum(1 for y in values if y is None)
    if missing:
        caveats.append(f"missing weeks: no value in {missing} of {len(values)} weeks")
    return caveats


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"
