"""The shape of a return-on-debt report, as the views, the chart and the digest read it.

The report itself is built by the ROI service (``bot.services.roi.ItemRoi``); these
protocols name the fields the layers below it read, so ``/debt roi``'s blocks and the ROI
chart take the service's report as it is without importing it (``bot/slack`` and
``bot/core`` know no use case). Every field is read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from bot.core.roi import Direction, MetricEffect


class MetricRecord(Protocol):
    """One metric around one fix: what it is, its weekly series and the analysis of it."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> str: ...  # the item's key, a component, or "team"

    @property
    def unit(self) -> str: ...

    @property
    def direction(self) -> Direction: ...

    @property
    def result(self) -> MetricEffect: ...

    @property
    def weeks(self) -> Sequence[date]: ...  # the Monday of each value of ``series``

    @property
    def series(self) -> Sequence[float | None]: ...

    @property
    def resolve_week(self) -> int: ...  # the index of the week of the fix in ``series``


class CostRecord(Protocol):
    """What a fix cost: effort in days, the same in hours, and in money when it is known."""

    @property
    def effort_days(self) -> float | None: ...

    @property
    def hours(self) -> float | None: ...

    @property
    def money(self) -> float | None: ...

    @property
    def currency(self) -> str | None: ...


class ReportRecord(Protocol):
    """The return on fixing one item."""

    @property
    def key(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def resolved_on(self) -> date: ...

    @property
    def cost(self) -> CostRecord: ...

    @property
    def metrics(self) -> Sequence[MetricRecord]: ...

    @property
    def hours_saved_per_week(self) -> tuple[float, float, float] | None: ...

    @property
    def money_saved_per_week(self) -> float | None: ...

    @property
    def payback_weeks(self) -> float | None: ...

    @property
    def caveats(self) -> Sequence[str]: ...


def measured(metric: MetricRecord) -> bool:
    """Whether the metric has an effect (enough weeks on both sides of the fix)."""
    return metric.result.effect is not None
