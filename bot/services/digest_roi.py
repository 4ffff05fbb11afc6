"""What the digest's "Return on debt work" section reads: the ROI report of every item
resolved in the last :data:`ROI_WEEKS` weeks (the one ROI use case, :mod:`bot.services.roi`),
as the digest's plain rows, with the follow-through rule (:func:`bot.core.follow_through.fading`)
applied to each item's own measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.core.digest_model import RoiMetric, RoiRow
from bot.core.follow_through import fading
from bot.services import roi

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.reader import Reader

#: The fixes the digest reports on: resolved in this many weeks before the digest's week.
ROI_WEEKS = 13


@dataclass(frozen=True)
class GatheredRoi:
    """The reports (oldest fix first) and the same as the digest's rows."""

    reports: tuple[roi.ItemRoi, ...]
    rows: tuple[RoiRow, ...]


def gather_roi(source: Session | Reader, ctx: roi.Context, *, week: date) -> GatheredRoi:
    """The reports of the items resolved from ``ROI_WEEKS`` weeks before ``week`` to today."""
    reports = tuple(roi.roi_since(source, ctx, week - timedelta(weeks=ROI_WEEKS)))
    return GatheredRoi(reports, tuple(row_of(report) for report in reports))


def row_of(report: roi.ItemRoi) -> RoiRow:
    """One report as the digest reads it; a fade is looked for in the item's own measures
    (scoped to its key), not in its component's or the team's."""
    return RoiRow(
        key=report.key,
        title=report.title,
        resolved_on=report.resolved_on,
        effort_days=report.cost.effort_days,
        metrics=tuple(_metric(m, report.key) for m in report.metrics),
        hours_saved_per_week=report.hours_saved_per_week,
        money_saved_per_week=report.money_saved_per_week,
        payback_weeks=report.payback_weeks,
        currency=report.cost.currency,
    )


def _metric(metric: roi.MetricReport, key: str) -> RoiMetric:
    result = metric.result
    own = metric.scope == key
    return RoiMetric(
        name=metric.name,
        scope=metric.scope,
        unit=metric.unit,
        direction=metric.direction,
        verdict=result.verdict,
        effect=result.effect,
        why=_why(result.caveats) if result.effect is None else "",
        fade=fading(metric.series, metric.resolve_week, metric.direction) if own else None,
    )


def _why(caveats: Sequence[str]) -> str:
    return next((c for c in caveats if c.startswith("insufficient data")), "")


def first_charted(gathered: GatheredRoi, keys: Sequence[str]) -> roi.ItemRoi | None:
    """The report of the first of ``keys`` (the section's order) with a measured metric."""
    by_key = {report.key: report for report in gathered.reports}
    for key in keys:
        report = by_key.get(key)
        if report is not None and any(m.result.effect is not None for m in report.metrics):
            return report
    return None
