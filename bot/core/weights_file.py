"""A team's score settings: the defaults, overridden by ``weights.yaml`` in the surveys folder.

The file takes any field of :class:`ScoreSettings` (for example ``weights: {risk: 40,
pain: 20, …}``) plus a ``capacity`` section for the capacity hint. It is validated like a
template: every problem comes back as ``path:line: field: message``. The anonymity
threshold is not set here but by ``DEBTPULSE_MIN_GROUP``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


class WeightsFile(ScoreSettings):
    """What ``weights.yaml`` may hold: score settings plus ``capacity``."""

    capacity: Capacity = Field(default_factory=Capacity)

    @field_validator("min_group", mode="before")
    @classmethod
    def _not_here(cls, value: Any) -> Any:
        raise ValueError("set DEBTPULSE_MIN_GROUP instead")


def load_weights(directory: Path | None, *, min_group: int) -> tuple[ScoreSettings, Capacity]:
    """The settings in effect: defaults, or ``directory/weights.yaml`` when it exists.

    Raises ``surveys.TemplateErrors`` listing every problem in the file.
    """
    path = directory / WEIGHTS_FILE if directory is not None else None
    if path is None or not path.is_file():
        return ScoreSettings(min_group=min_group), Capacity()
    from surveys.loader import load_validated  # the template loader loads only for a file

    loaded, _, _ = load_validated(path, WeightsFile.model_validate, what="weights")
    values = loaded.model_dump(exclude={"capacity", "min_group"})
    return ScoreSettings(**values, min_group=min_group), loaded.capacity
