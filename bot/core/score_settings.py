"""The priority score's tunables: one frozen, versioned settings object.

Every number the scorer uses lives here, so a stored snapshot can say exactly which
settings produced it. ``ScoreSettings().version`` is ``"default-<8 hex>"``; any other values
give ``"custom-<8 hex>"``. The hex is the first 8 digits of a SHA-256 over the canonical JSON
of all values, so the same values always give the same version, on every machine.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The components of a score, in display order. Keys of ``ScoreBreakdown.components``.
COMPONENTS: tuple[str, ...] = ("risk", "severity_floor", "pain", "breadth", "trend", "signals")

#: The signal kinds of the data model (DESIGN section 2), in a fixed order.
SIGNAL_KINDS: tuple[str, ...] = (
    "incident",
    "alert",
    "drift",
    "flaky_test",
    "custom",
    "ci_failure",
    "data_quality",
    "code_quality",
)
#: The kinds the webhooks brought later: a ``weights.yaml`` written before them may leave
#: them out of a per-kind setting, and they then keep their defaults.
LATER_KINDS: tuple[str, ...] = ("ci_failure", "data_quality", "code_quality")

#: The pain question's scale (DESIGN section 4: a 1-5 likert).
PAIN_MIN = 1.0
PAIN_MAX = 5.0
PAIN_SPAN = PAIN_MAX - PAIN_MIN


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Weights(_Frozen):
    """Points each component can reach; they must add up to 100."""

    risk: float = Field(default=35.0, ge=0)
    pain: float = Field(default=25.0, ge=0)
    breadth: float = Field(default=15.0, ge=0)
    trend: float = Field(default=10.0, ge=0)
    signals: float = Field(default=15.0, ge=0)

    @model_validator(mode="after")
    def _sum_to_100(self) -> Weights:
        total = math.fsum((self.risk, self.pain, self.breadth, self.trend, self.signals))
        if abs(total - 100.0) > 1e-9:
            raise ValueError(f"weights must add up to 100, not {total:g}")
        return self


class PerKind(_Frozen):
    """One number per signal kind."""

    incident: float = Field(ge=0)
    alert: float = Field(ge=0)
    drift: float = Field(ge=0)
    flaky_test: float = Field(ge=0)
    custom: float = Field(ge=0)
    ci_failure: float = Field(ge=0)
    data_quality: float = Field(ge=0)
    code_quality: float = Field(ge=0)

    def of(self, kind: str) -> float:
        """The value for ``kind``; ``ValueError`` for a kind the data model does not have."""
        if kind not in SIGNAL_KINDS:
            raise ValueError(f"unknown signal kind {kind!r}; expected one of {SIGNAL_KINDS}")
        value: float = getattr(self, kind)
        return value


def _default_kind_weights() -> PerKind:
    # a failed CI run weighs as a flaky test; bad data as drift (both reach the models);
    # a failed quality gate half as much: it repeats at every analysis until the code changes
    return PerKind(
        incident=3.0,
        alert=1.0,
        drift=2.0,
        flaky_test=1.0,
        custom=1.0,
        ci_failure=1.0,
        data_quality=2.0,
        code_quality=0.5,
    )


def _default_half_lives() -> PerKind:
    # CI failures come in bursts that a fix ends at once: a week; none above 14 days, so the
    # signals read stay those of the last 140 days
    return PerKind(
        incident=14.0,
        alert=14.0,
        drift=14.0,
        flaky_test=14.0,
        custom=14.0,
        ci_failure=7.0,
        data_quality=14.0,
        code_quality=14.0,
    )


def _with_later_kinds(value: object, defaults: PerKind) -> object:
    """A per-kind mapping with the defaults of the :data:`LATER_KINDS` it leaves out (the
    five first kinds stay required)."""
    if isinstance(value, dict):
        return {**{kind: defaults.of(kind) for kind in LATER_KINDS}, **value}
    return value


class ScoreSettings(_Frozen):
    """All tunables of the priority score (DESIGN section 6). Immutable; see ``version``."""

    weights: Weights = Field(default_factory=Weights)

    # Risk
    risk_prior: float = Field(default=0.0, ge=0, le=1, description="R of an unassessed item")
    severity_floor: float = Field(default=0.70, ge=0, le=1)
    severity_floor_impact: int = Field(default=5, ge=1, le=5)

    # Pain: recency weights, shrinkage, the reported interval
    pain_window_weeks: float = Field(default=8.0, ge=0)
    pain_half_life_weeks: float = Field(default=4.0, gt=0)
    pain_horizon_weeks: float = Field(
        default=52.0, gt=0, description="answers older than this are ignored (weight 0)"
    )
    shrinkage_k: float = Field(default=5.0, ge=0)
    default_team_pain: float = Field(
        default=PAIN_MIN, ge=PAIN_MIN, le=PAIN_MAX, description="mu0 when the team has no answers"
    )
    interval_confidence: float = Field(default=0.90, gt=0, lt=1)

    # Breadth
    breadth_threshold: float = Field(default=4.0, ge=PAIN_MIN, le=PAIN_MAX)
    wilson_z: float = Field(default=1.28, gt=0)
    breadth_prior: float = Field(default=0.0, ge=0, le=1)
    breadth_prior_source: Literal["setting", "team"] = "setting"

    # Trend
    trend_alpha: float = Field(default=0.5, gt=0, le=1)
    trend_baseline_weeks: int = Field(default=8, ge=1)

    # Signals
    signal_kind_weights: PerKind = Field(default_factory=_default_kind_weights)
    signal_half_life_days: PerKind = Field(default_factory=_default_half_lives)
    signal_saturation: float = Field(default=3.0, gt=0)

    # Anonymity
    min_group: int = Field(default=5, ge=3)

    @field_validator("signal_kind_weights", mode="before")
    @classmethod
    def _kind_weights(cls, value: object) -> object:
        return _with_later_kinds(value, _default_kind_weights())

    @field_validator("signal_half_life_days", mode="before")
    @classmethod
    def _half_lives(cls, value: object) -> object:
        return _with_later_kinds(value, _default_half_lives())

    @model_validator(mode="after")
    def _check(self) -> ScoreSettings:
        if self.pain_horizon_weeks < self.pain_window_weeks:
            raise ValueError("pain_horizon_weeks must not be shorter than pain_window_weeks")
        for kind in SIGNAL_KINDS:
            if self.signal_half_life_days.of(kind) <= 0:
                raise ValueError(f"signal_half_life_days.{kind} must be > 0")
        return self

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of every value."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        """``default-<8 hex>`` for the defaults, ``custom-<8 hex>`` otherwise."""
        digest = self.digest()  # ~15 µs; not cached, so equal settings stay equal objects
        prefix = "default" if digest == _default_digest() else "custom"
        return f"{prefix}-{digest[:8]}"

    def as_record(self) -> dict[str, object]:
        """All values plus ``version``: what an audit event or a snapshot stores."""
        return {"version": self.version, **self.model_dump(mode="json")}


@cache
def _default_digest() -> str:
    return ScoreSettings().digest()


DEFAULT_SETTINGS = ScoreSettings()
