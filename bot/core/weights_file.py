"""A team's score settings: the defaults, overridden by ``weights.yaml`` in the surveys folder.

The file takes any field of :class:`ScoreSettings` (for example ``weights: {risk: 40,
pain: 20, …}``) plus a ``capacity`` section for the capacity hint and an optional ``roi``
section (``{hourly_cost: 95, currency: EUR}``) that turns hours lost into money. It is
validated like a template: every problem comes back as ``path:line: field: message``. The
anonymity threshold is not set here but by ``DEBTPULSE_MIN_GROUP``.

``roi`` is not a score setting: it changes no score, so it stays out of
:class:`ScoreSettings` and its version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.score_settings import ScoreSettings

WEIGHTS_FILE = "weights.yaml"


MAX_SPRINT_POINTS = 10_000


class Capacity(BaseModel):
    """The sprint's debt budget: ``debt_share`` of ``sprint_points``; effort labels in points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sprint_points: float = Field(default=40.0, gt=0, le=MAX_SPRINT_POINTS)
    debt_share: float = Field(default=0.15, gt=0, le=1)
    effort_points: dict[str, float] = Field(
        default_factory=lambda: {"XS": 0.5, "S": 1.0, "M": 3.0, "L": 8.0, "XL": 13.0}
    )

    @field_validator("effort_points")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for label, points in value.items():
            if points <= 0:
                raise ValueError(f"{label}: points must be > 0")
        return {label.upper(): points for label, points in value.items()}

    @property
    def budget_points(self) -> float:
        return self.sprint_points * self.debt_share


#: An hourly cost above this is a typo (a yearly salary, a missing decimal point).
MAX_HOURLY_COST = 100_000
_CURRENCY = re.compile(r"[A-Za-z]{3}")


@dataclass(frozen=True)
class RoiSettings:
    """What an hour lost costs (``roi:`` in ``weights.yaml``); both None when not set."""

    hourly_cost: float | None = None
    currency: str | None = None

    def money(self, hours: float) -> float | None:
        """``hours`` at the loaded hourly cost; None without one."""
        return None if self.hourly_cost is None else hours * self.hourly_cost


class Roi(BaseModel):
    """The ``roi`` section: the loaded cost of one hour of a person's time, and its currency
    (a three-letter code such as EUR, stored in capitals). Both are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hourly_cost: float = Field(gt=0, le=MAX_HOURLY_COST, allow_inf_nan=False)
    currency: str

    @field_validator("hourly_cost", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number of money per hour, not true or false")
        return value

    @field_validator("currency", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
            raise ValueError(f"must be a three-letter currency code such as EUR, not {value!r}")
        return value.upper()

    def settings(self) -> RoiSettings:
        return RoiSettings(self.hourly_cost, self.currency)


class WeightsFile(ScoreSettings):
    """What ``weights.yaml`` may hold: score settings plus ``capacity`` and ``roi``."""

    capacity: Capacity = Field(default_factory=Capacity)
    roi: Roi | None = None

    @field_validator("min_group", mode="before")
    @classmethod
    def _not_here(cls, value: Any) -> Any:
        raise ValueError("set DEBTPULSE_MIN_GROUP instead")


class LoadedWeights(NamedTuple):
    """What ``weights.yaml`` sets (or the defaults): indexable as before, ``[0]`` the score
    settings and ``[1]`` the capacity."""

    settings: ScoreSettings
    capacity: Capacity
    roi: RoiSettings


def load_weights(directory: Path | None, *, min_group: int) -> LoadedWeights:
    """The settings in effect: defaults, or ``directory/weights.yaml`` when it exists.

    Raises ``surveys.TemplateErrors`` listing every problem in the file.
    """
    path = directory / WEIGHTS_FILE if directory is not None else None
    if path is None or not path.is_file():
        return LoadedWeights(ScoreSettings(min_group=min_group), Capacity(), RoiSettings())
    from surveys.loader import load_validated  # the template loader loads only for a file

    loaded, _, _ = load_validated(path, WeightsFile.model_validate, what="weights")
    values = loaded.model_dump(exclude={"capacity", "roi", "min_group"})
    roi = loaded.roi.settings() if loaded.roi is not None else RoiSettings()
    return LoadedWeights(ScoreSettings(**values, min_group=min_group), loaded.capacity, roi)
