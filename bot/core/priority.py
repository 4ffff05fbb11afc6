"""The priority score of a debt item: a sum of components, each shown (DESIGN section 6).

``score_item(item, team=..., now=..., settings=...)`` returns a ``ScoreBreakdown`` whose
``components`` (keys ``risk, severity_floor, pain, breadth, trend, signals``) add up to
``score``:

    risk           = w_risk · R                (w_risk = 35)
    severity_floor = w_risk · max(0, 0.70 − R) when impact = 5, else 0
    pain           = w_pain · P                (25)
    breadth        = w_breadth · B             (15)
    trend          = max(w_trend · T, −(sum of the five other components))   (10, T in −1..1)
    signals        = w_signals · A             (15, A < 1)

Why the score stays within 0-100 while the shown components still add up to it:
every component but trend is ≥ 0 and at most its weight (risk + severity_floor =
35·max(R, 0.70) ≤ 35), and the weights sum to 100, so the sum can never pass 100. Trend is the
only signed component, so it alone absorbs the lower clamp: an improving item loses up to
10 points, but never more than it has, and the total never goes below 0. The score is the
plain sum (only float noise of ~1e-14 is trimmed at the ends). The raw T stays in
``factors["trend"]``. ``shown()`` rounds with the largest-remainder method
(``bot.core.rounding``), so the shown components add up exactly to the shown total.

Anonymity: with fewer than ``settings.min_group`` distinct respondents, Pain uses m = μ₀,
Breadth the prior and Trend 0, and the breakdown holds no respondent count, no mean and
no interval at all — so nothing built from it (snapshot, digest, JSON) can leak them.
One consequence: the answer that lifts an item over the threshold swaps the prior μ₀ for
the data, which can lower Pain; within either state a new answer of 5 never lowers it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.core.components import (
    breadth_factor,
    pain_factor,
    pain_shrunk_mean,
    risk_parts,
    signal_pressure,
    signals_factor,
    trend_factor,
)
from bot.core.inputs import ItemInputs, TeamContext, as_utc
from bot.core.rounding import Rounded, round_components
from bot.core.score_settings import COMPONENTS, DEFAULT_SETTINGS, PAIN_MAX, PAIN_MIN, ScoreSettings
from bot.core.stats import mean_interval


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """One item's score and its parts. ``components`` is exact; ``shown()`` rounds."""

    key: str
    score: float
    components: Mapping[str, float]
    as_of: datetime
    settings_version: str
    title: str = ""
    category: str | None = None
    status: str = "open"
    suppressed: bool = False
    min_group: int = DEFAULT_SETTINGS.min_group
    n_respondents: int | None = None
    factors: Mapping[str, float] = field(default_factory=dict)
    pain_mean: float | None = None
    pain_shrunk_mean: float | None = None
    pain_interval: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if set(self.components) != set(COMPONENTS):
            raise ValueError(f"components must be exactly {', '.join(COMPONENTS)}")
        object.__setattr__(self, "components", {name: self.components[name] for name in COMPONENTS})
        if self.suppressed and (
            self.n_respondents is not None
            or self.pain_mean is not None
            or self.pain_interval is not None
        ):
            raise ValueError("a suppressed breakdown holds no respondent count, mean or interval")

    @classmethod
    def from_snapshot(
        cls,
        *,
        key: str,
        components: Mapping[str, float],
        taken_for: date | datetime,
        settings_version: str,
        suppressed: bool = False,
        n_respondents: int | None = None,
        title: str = "",
    ) -> ScoreBreakdown:
        """A breakdown rebuilt from a stored ``priority_snapshot`` (e.g. for ``explain_change``)."""
        return cls(
            key=key,
            score=math.fsum(components.values()),
            components=components,
            as_of=as_utc(taken_for),
            settings_version=settings_version,
            title=title,
            suppressed=suppressed,
            n_respondents=None if suppressed else n_respondents,
        )

    def shown(self, decimals: int = 1) -> Rounded:
        """Components and total rounded so that they add up exactly."""
        return round_components(self.components, decimals)

    @property
    def respondents_label(self) -> str:
        """``"12"``, or ``"fewer than 5"`` (with the actual threshold) when suppressed."""
        if self.suppressed or self.n_respondents is None:
            return f"fewer than {self.min_group}"
        return str(self.n_respondents)

    def to_public_dict(self, decimals: int = 1) -> dict[str, Any]:
        """JSON-ready view (``top --json``, ``/debt why``), rounded so that it adds up."""
        shown = self.shown(decimals)
        interval = self.pain_interval
        return {
            "key": self.key,
            "title": self.title,
            "category": self.category,
            "status": self.status,
            "score": shown.total,
            "components": shown.components,
            "n_respondents": None if self.suppressed else self.n_respondents,
            "respondents": self.respondents_label,
            "suppressed": self.suppressed,
            "pain_mean": None if self.pain_mean is None else round(self.pain_mean, 2),
            "pain_interval": None if interval is None else [round(v, 2) for v in interval],
            "settings_version": self.settings_version,
        }


@dataclass(frozen=True, slots=True)
class RankedItem:
    rank: int
    breakdown: ScoreBreakdown

    def to_public_dict(self, decimals: int = 1) -> dict[str, Any]:
        return {"rank": self.rank, **self.breakdown.to_public_dict(decimals)}


def _team_mean(team: TeamContext, settings: ScoreSettings) -> float:
    return settings.default_team_pain if team.mean_pain is None else team.mean_pain


def score_item(
    item: ItemInputs,
    *,
    team: TeamContext,
    now: datetime,
    settings: ScoreSettings = DEFAULT_SETTINGS,
) -> ScoreBreakdown:
    """Score one item. Pure: ``now`` is a parameter, nothing is read from anywhere else."""
    now = as_utc(now)
    weights = settings.weights
    suppressed = item.pain.n_respondents < settings.min_group
    mu0 = _team_mean(team, settings)
    breadth_prior = settings.breadth_prior if team.breadth_prior is None else team.breadth_prior

    r, lift = risk_parts(item.impact, item.likelihood, item.detectability, settings=settings)
    shrunk = pain_shrunk_mean(item.pain, team_mean=mu0, suppressed=suppressed, settings=settings)
    p = pain_factor(shrunk)
    b = breadth_factor(item.pain, prior=breadth_prior, suppressed=suppressed, settings=settings)
    t = 0.0 if suppressed else trend_factor(item.weekly_pain, settings=settings)
    a = signals_factor(signal_pressure(item.signals, now=now, settings=settings), settings=settings)

    # w·floor − w·R rather than w·(floor − R): exact for the usual values (5.25, not 5.2499…)
    floor_points = weights.risk * settings.severity_floor - weights.risk * r if lift else 0.0
    components = {
        "risk": weights.risk * r,
        "severity_floor": floor_points,
        "pain": weights.pain * p,
        "breadth": weights.breadth * b,
        "trend": 0.0,
        "signals": weights.signals * a,
    }
    others = math.fsum(components.values())
    components["trend"] = max(weights.trend * t, -others) + 0.0  # + 0.0: no -0.0
    score = min(max(math.fsum(components.values()), 0.0), 100.0)  # only float noise to trim

    interval = None
    if not suppressed:
        interval = mean_interval(
            sum_w=item.pain.sum_w,
            sum_wx=item.pain.sum_wx,
            sum_wx2=item.pain.sum_wx2,
            confidence=settings.interval_confidence,
        )
        if interval is not None:
            interval = (max(interval[0], PAIN_MIN), min(interval[1], PAIN_MAX))
    return ScoreBreakdown(
        key=item.key,
        title=item.title,
        category=item.category,
        status=item.status,
        score=score,
        components=components,
        as_of=now,
        settings_version=settings.version,
        suppressed=suppressed,
        min_group=settings.min_group,
        n_respondents=None if suppressed else item.pain.n_respondents,
        factors={
            "risk": r,
            "severity_floor": lift,
            "pain": p,
            "breadth": b,
            "trend": t,
            "signals": a,
        },
        pain_mean=None if suppressed else item.pain.mean,
        pain_shrunk_mean=shrunk,
        pain_interval=interval,
    )


def score_items(
    items: Iterable[ItemInputs],
    *,
    team: TeamContext,
    now: datetime,
    settings: ScoreSettings = DEFAULT_SETTINGS,
) -> list[ScoreBreakdown]:
    return [score_item(item, team=team, now=now, settings=settings) for item in items]


def natural_key(key: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for item keys: DEBT-2 before DEBT-10."""
    parts = re.split(r"(\d+)", key)
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts if part)


def rank(breakdowns: Iterable[ScoreBreakdown]) -> list[RankedItem]:
    """By score, highest first; equal scores by key (natural order). Ranks start at 1."""
    ordered = sorted(breakdowns, key=lambda b: (-b.score, natural_key(b.key)))
    return [RankedItem(rank=i, breakdown=b) for i, b in enumerate(ordered, start=1)]
