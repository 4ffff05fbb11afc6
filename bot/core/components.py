"""The five factors of the priority score, each a number from plain inputs.

Each factor is 0..1 (trend: −1..1); ``bot.core.priority`` multiplies them by the weights.

- Risk R = 0.5·I + 0.3·L + 0.2·D with each rating mapped to (x − 1)/4 (additive: multiplying
  ordinal scales is the known flaw of FMEA's RPN). Unassessed: ``risk_prior`` (default 0).
  Impact ≥ ``severity_floor_impact`` (5) lifts R to ``severity_floor`` (0.70); the lift is
  returned separately so it can be shown as its own line.
- Pain P = (m − 1)/4 with the shrunk mean m = (n·x̄ + k·μ₀)/(n + k), n = Σw.
- Breadth B = Wilson lower bound (z = 1.28) of Σw[x ≥ 4] out of Σw.
- Trend T = clamp((EWMA − baseline)/4, −1, 1) over the weekly means.
- Signals A = a/(a + 3), a = Σ kind_weight · value · 0.5^(age_days / half_life_days).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from bot.core.inputs import (
    PainAggregate,
    SignalInput,
    WeeklyMean,
    as_utc,
    check_pain_value,
)
from bot.core.score_settings import PAIN_MIN, PAIN_SPAN, ScoreSettings
from bot.core.stats import ewma, half_life_weight, shrunk_mean, wilson_lower_bound


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def risk_factor(impact: int, likelihood: int, detectability: int) -> float:
    """R = 0.5·(I−1)/4 + 0.3·(L−1)/4 + 0.2·(D−1)/4, in 0..1.

    Computed as the exact fraction (5·(I−1) + 3·(L−1) + 2·(D−1)) / 40, so that R = 0.55 is
    the float nearest to 0.55 and hand-computed components match to the last digit.
    """
    return _unit((5 * (impact - 1) + 3 * (likelihood - 1) + 2 * (detectability - 1)) / 40)


def risk_parts(
    impact: int | None,
    likelihood: int | None,
    detectability: int | None,
    *,
    settings: ScoreSettings,
) -> tuple[float, float]:
    """(R, floor lift): the risk factor and what the severity floor adds on top of it."""
    if impact is None or likelihood is None or detectability is None:
        return settings.risk_prior, 0.0
    r = risk_factor(impact, likelihood, detectability)
    lift = 0.0
    if impact >= settings.severity_floor_impact:
        lift = max(0.0, settings.severity_floor - r)
    return r, lift


def pain_shrunk_mean(
    pain: PainAggregate, *, team_mean: float, suppressed: bool, settings: ScoreSettings
) -> float:
    """m: the item's weighted mean shrunk towards μ₀; exactly μ₀ when suppressed."""
    if suppressed or pain.mean is None:
        return team_mean
    return shrunk_mean(mean=pain.mean, n=pain.sum_w, prior_mean=team_mean, k=settings.shrinkage_k)


def pain_factor(shrunk: float) -> float:
    """P = (m − 1)/4."""
    return _unit((shrunk - PAIN_MIN) / PAIN_SPAN)


def breadth_factor(
    pain: PainAggregate, *, prior: float, suppressed: bool, settings: ScoreSettings
) -> float:
    """B = Wilson lower bound of the weighted share of answers ≥ 4; ``prior`` when suppressed."""
    if suppressed:
        return prior
    return wilson_lower_bound(pain.sum_w_high, pain.sum_w, z=settings.wilson_z)


def _week_of(week: WeeklyMean) -> date:
    return week.week_start


def trend_window(weekly: Iterable[WeeklyMean], *, settings: ScoreSettings) -> list[WeeklyMean]:
    """The weeks the trend reads: the latest week and the weeks of the baseline before it."""
    weeks = sorted(
        (w if isinstance(w, WeeklyMean) else WeeklyMean(*w) for w in weekly), key=_week_of
    )
    for a, b in itertools.pairwise(weeks):
        if a.week_start == b.week_start:
            raise ValueError(f"two weekly means for the week of {a.week_start.isoformat()}")
    for week in weeks:
        check_pain_value(week.mean)
    if not weeks:
        return []
    latest = weeks[-1].week_start
    start = latest - timedelta(weeks=settings.trend_baseline_weeks)
    return [w for w in weeks if w.week_start >= start]


def trend_factor(weekly: Iterable[WeeklyMean], *, settings: ScoreSettings) -> float:
    """T = clamp((EWMA − baseline) / 4, −1, 1); 0 without a baseline week.

    The baseline is the mean of the weekly means of the ``trend_baseline_weeks`` (8) weeks
    before the most recent week (weeks with answers only). The EWMA (``trend_alpha``) runs
    over those baseline weeks and the most recent week, oldest first, seeded with the oldest.
    """
    window = trend_window(weekly, settings=settings)
    if len(window) < 2:
        return 0.0
    means = [w.mean for w in window]
    baseline = sum(means[:-1]) / (len(means) - 1)
    level = ewma(means, alpha=settings.trend_alpha)
    return min(max((level - baseline) / PAIN_SPAN, -1.0), 1.0)


def signal_pressure(
    signals: Sequence[SignalInput], *, now: datetime, settings: ScoreSettings
) -> float:
    """a = Σ kind_weight(kind) · value · 0.5^(age_days / half_life_days(kind))."""
    total = 0.0
    now = as_utc(now)
    for kind, value, observed_at in signals:
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"signal value must be finite and >= 0, not {value!r}")
        age_days = (now - as_utc(observed_at)).total_seconds() / 86400
        half_life = settings.signal_half_life_days.of(kind)
        total += (
            settings.signal_kind_weights.of(kind)
            * value
            * half_life_weight(age_days, half_life=half_life)
        )
    return total


def signals_factor(pressure: float, *, settings: ScoreSettings) -> float:
    """A = a / (a + 3): saturates, so an alert storm cannot dominate the score."""
    return pressure / (pressure + settings.signal_saturation)
