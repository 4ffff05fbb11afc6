"""Plain inputs of the priority score, shaped so that SQL aggregates can feed them cheaply.

The scorer never sees individual answers: it takes one ``PainAggregate`` per item (recency-
weighted sums). Three ways to build one, all giving the same numbers:

- ``aggregate_pain(answers, now=..., settings=...)`` from raw ``PainAnswer`` rows (tests,
  small teams);
- ``aggregate_pain_days(days, n_respondents=..., now=..., settings=...)`` from per-item,
  per-day sums (``GROUP BY debt_item_id, date(answered_at)``: ``COUNT(*)``, ``SUM(value)``,
  ``SUM(value * value)``, ``SUM(CASE WHEN value >= 4 THEN 1 ELSE 0 END)``) plus one
  ``COUNT(DISTINCT respondent)`` per item — cheap in SQLite and PostgreSQL over 1,000,000
  responses, with no ``pow()`` in SQL;
- directly, when the database computes the weights itself.

Only answers to the ``pain`` question (1-5) within ``settings.pain_horizon_weeks`` of ``now``
belong in these sums; older answers have weight 0 and are not counted as respondents.

Breadth uses the *weighted count* of answers ≥ ``breadth_threshold`` (Σw over those answers,
against n = Σw), not each respondent's latest answer: it comes from the same sums as Pain,
it means the same for anonymous surveys (whose respondent hash changes every run, so
"a respondent's latest answer" cannot be found across runs) and named ones, and a new high
answer can only raise it.

Datetimes must be timezone-aware. A bare ``date`` (anonymous answers keep only the day)
counts as midnight UTC of that day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from bot.core.score_settings import DEFAULT_SETTINGS, PAIN_MAX, PAIN_MIN, ScoreSettings
from bot.core.stats import recency_weight, wilson_lower_bound

_WEEK_SECONDS = 7 * 86400.0


def as_utc(moment: date | datetime) -> datetime:
    """An aware datetime for ``moment``; a bare date is midnight UTC; naive is an error."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware one")
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def age_weeks(moment: date | datetime, *, now: datetime) -> float:
    """Weeks from ``moment`` to ``now`` (negative in the future)."""
    return (as_utc(now) - as_utc(moment)).total_seconds() / _WEEK_SECONDS


def check_pain_value(value: float) -> float:
    if not (math.isfinite(value) and PAIN_MIN <= value <= PAIN_MAX):
        raise ValueError(f"pain value {value!r} is not on the {PAIN_MIN:g}-{PAIN_MAX:g} scale")
    return float(value)


class PainAnswer(NamedTuple):
    """One answer to the ``pain`` question about one item."""

    respondent: str
    value: float
    answered_at: date | datetime


class PainDay(NamedTuple):
    """Per-item, per-day sums of pain answers (one SQL ``GROUP BY`` row)."""

    day: date
    n_answers: int
    sum_x: float
    sum_x2: float
    n_high: int


class WeeklyMean(NamedTuple):
    """The item's mean pain over the answers of one week (weeks with answers only)."""

    week_start: date
    mean: float


class SignalInput(NamedTuple):
    """Automated evidence: kind (incident, alert, drift, flaky_test, custom), value, when.

    SQL may pre-sum values per (kind, day); pass the day as ``observed_at``.
    """

    kind: str
    value: float
    observed_at: date | datetime


@dataclass(frozen=True, slots=True)
class PainAggregate:
    """Recency-weighted sums over an item's pain answers; w is each answer's weight.

    ``sum_w_high`` is Σw over answers ≥ ``settings.breadth_threshold``.
    ``n_respondents`` is the number of distinct respondents among those answers.
    """

    sum_w: float = 0.0
    sum_wx: float = 0.0
    sum_wx2: float = 0.0
    sum_w_high: float = 0.0
    n_respondents: int = 0

    def __post_init__(self) -> None:
        sums = (self.sum_w, self.sum_wx, self.sum_wx2, self.sum_w_high)
        if not all(math.isfinite(s) and s >= 0 for s in sums):
            raise ValueError("pain sums must be finite and >= 0")
        if self.n_respondents < 0:
            raise ValueError("n_respondents must be >= 0")
        tolerance = 1e-9 * max(1.0, self.sum_w)
        if self.sum_w_high > self.sum_w + tolerance:
            raise ValueError("sum_w_high cannot exceed sum_w")
        if self.sum_w > 0 and not (
            PAIN_MIN - tolerance <= self.sum_wx / self.sum_w <= PAIN_MAX + tolerance
        ):
            raise ValueError("sum_wx / sum_w must be a mean on the 1-5 scale")
        if self.sum_w > 0 and self.n_respondents == 0:
            raise ValueError("answers with weight need at least one respondent")

    @property
    def mean(self) -> float | None:
        """The weighted mean x̄, or None without answers."""
        return self.sum_wx / self.sum_w if self.sum_w > 0 else None

    def __add__(self, other: PainAggregate) -> PainAggregate:
        """Sums add; respondent counts add too (an upper bound when people overlap)."""
        return PainAggregate(
            sum_w=self.sum_w + other.sum_w,
            sum_wx=self.sum_wx + other.sum_wx,
            sum_wx2=self.sum_wx2 + other.sum_wx2,
            sum_w_high=self.sum_w_high + other.sum_w_high,
            n_respondents=self.n_respondents + other.n_respondents,
        )


EMPTY_PAIN = PainAggregate()


def pain_weight(
    answered_at: date | datetime, *, now: datetime, settings: ScoreSettings = DEFAULT_SETTINGS
) -> float:
    """An answer's recency weight: 1 within the window, then a half-life; 0 past the horizon."""
    age = age_weeks(answered_at, now=now)
    if age > settings.pain_horizon_weeks:
        return 0.0
    return recency_weight(
        age, window=settings.pain_window_weeks, half_life=settings.pain_half_life_weeks
    )


def aggregate_pain(
    answers: Iterable[PainAnswer], *, now: datetime, settings: ScoreSettings = DEFAULT_SETTINGS
) -> PainAggregate:
    """The ``PainAggregate`` of raw answers (what SQL computes for storage)."""
    sum_w = sum_wx = sum_wx2 = sum_w_high = 0.0
    respondents: set[str] = set()
    for respondent, raw_value, answered_at in answers:
        value = check_pain_value(raw_value)
        w = pain_weight(answered_at, now=now, settings=settings)
        if w == 0:
            continue
        respondents.add(respondent)
        sum_w += w
        sum_wx += w * value
        sum_wx2 += w * value * value
        if value >= settings.breadth_threshold:
            sum_w_high += w
    return PainAggregate(sum_w, sum_wx, sum_wx2, sum_w_high, len(respondents))


def aggregate_pain_days(
    days: Iterable[PainDay],
    *,
    n_respondents: int,
    now: datetime,
    settings: ScoreSettings = DEFAULT_SETTINGS,
    weight_of: Callable[[date], float] | None = None,
) -> PainAggregate:
    """The ``PainAggregate`` of per-day sums; ``n_respondents`` comes from its own query.

    ``weight_of`` may give each day's weight from a cache shared across items (the same
    ``pain_weight``), which matters when a team has many items and months of answers.
    """
    sum_w = sum_wx = sum_wx2 = sum_w_high = 0.0
    for day, n_answers, sum_x, sum_x2, n_high in days:
        w = weight_of(day) if weight_of else pain_weight(day, now=now, settings=settings)
        sum_w += w * n_answers
        sum_wx += w * sum_x
        sum_wx2 += w * sum_x2
        sum_w_high += w * n_high
    return PainAggregate(sum_w, sum_wx, sum_wx2, sum_w_high, n_respondents)


@dataclass(frozen=True, slots=True)
class ItemInputs:
    """Everything the scorer needs about one debt item.

    ``impact``/``likelihood``/``detectability`` (1-5) are the newest assessment; all three or
    none. ``weekly_pain`` only needs the last ``trend_baseline_weeks + 1`` weeks.
    """

    key: str
    title: str = ""
    category: str | None = None
    status: str = "open"
    impact: int | None = None
    likelihood: int | None = None
    detectability: int | None = None
    pain: PainAggregate = EMPTY_PAIN
    weekly_pain: Sequence[WeeklyMean] = ()
    signals: Sequence[SignalInput] = ()

    def __post_init__(self) -> None:
        ratings = (self.impact, self.likelihood, self.detectability)
        if any(r is None for r in ratings) and any(r is not None for r in ratings):
            raise ValueError(f"{self.key}: impact, likelihood and detectability go together")
        for name, rating in zip(("impact", "likelihood", "detectability"), ratings, strict=True):
            if rating is not None and rating not in (1, 2, 3, 4, 5):
                raise ValueError(f"{self.key}: {name} must be 1-5, not {rating!r}")
        # Accept any sequence (lists, plain tuples from SQL rows); store tuples of named tuples.
        object.__setattr__(self, "weekly_pain", tuple(WeeklyMean(*w) for w in self.weekly_pain))
        object.__setattr__(self, "signals", tuple(SignalInput(*s) for s in self.signals))

    @property
    def assessed(self) -> bool:
        return self.impact is not None


@dataclass(frozen=True, slots=True)
class TeamContext:
    """Team-wide figures the scorer needs: the priors.

    ``mean_pain`` is μ₀, the team's mean pain this period (None: no answers at all, then
    ``settings.default_team_pain``). ``breadth_prior`` is used for suppressed items (None:
    ``settings.breadth_prior``).
    """

    mean_pain: float | None = None
    breadth_prior: float | None = None

    def __post_init__(self) -> None:
        if self.mean_pain is not None:
            check_pain_value(self.mean_pain)
        if self.breadth_prior is not None and not 0 <= self.breadth_prior <= 1:
            raise ValueError("breadth_prior must be in [0, 1]")


def team_context(
    aggregates: Iterable[PainAggregate], *, settings: ScoreSettings = DEFAULT_SETTINGS
) -> TeamContext:
    """μ₀ (and, with ``breadth_prior_source="team"``, the team-wide Wilson bound) from the
    aggregates of the items that meet the anonymity threshold (``settings.min_group``).

    A suppressed item's answers never enter the team's mean: "the team's mean" shown for a
    suppressed item would otherwise give away the answer of the one person who rated it.
    With no item over the threshold there is no team mean (μ₀ falls back to the default).
    """
    shown = [a for a in aggregates if a.n_respondents >= settings.min_group]
    total = sum(shown, EMPTY_PAIN)
    mean = None if total.mean is None else min(max(total.mean, PAIN_MIN), PAIN_MAX)
    breadth = None
    if settings.breadth_prior_source == "team" and shown:
        breadth = wilson_lower_bound(total.sum_w_high, total.sum_w, z=settings.wilson_z)
    return TeamContext(mean_pain=mean, breadth_prior=breadth)
