"""Return on debt work: what fixing an item returned, per metric in its scope.

One use case, called by ``debtpulse roi``, ``/debt roi`` and the digest alike. For a
resolved item it reads weekly series around the fix, up to :data:`WINDOW_WEEKS` weeks on each
side (the week of the fix itself, half before and half after, is left out; the current week
is not over and is left out too):

- the team's **pain** about the item and the **hours lost** to it per person (answers of the
  ``hours`` question), both under the anonymity rule: a week whose answers come from fewer
  than the minimum group of people has no value, like every figure shown elsewhere;
- the **signals** about it, as weekly counts per kind and the time to recover;
- every **metric** posted for its scope: the item's key, its component, or the team.

Each series goes to :func:`bot.core.roi.analyse` (an interrupted time series, or a
difference-in-differences against controls when there are any: the same measure of items,
or components, that were not resolved in the window). The hours saved per week are the
per-person effect on hours lost times the team's size (the median number of people
answering a poll in the weeks before the fix); with the effort spent and the hourly cost
they give the payback. Caveats name what could fool the figures.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.core import roi
from bot.core.weights_file import RoiSettings
from bot.services.digest_inputs import weekly_tallies
from storage import aggregates, hours, metrics, roi_reads
from storage.clock import week_of
from storage.reader import Reader

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.runtime import Runtime
    from surveys.metrics_file import MetricCatalog, MetricDefinition

#: Weeks read on each side of a fix.
WINDOW_WEEKS = 26
#: A working day, for effort given in days.
HOURS_PER_DAY = 8.0
#: Items (or components) at most taken as controls for one series.
MAX_CONTROLS = 12
#: A control needs values in this many of the series' weeks.
MIN_CONTROL_WEEKS = 6
#: Other fixes this close to this one, in the same scope, are named as a caveat.
NEAR_FIX = timedelta(weeks=8)
#: The team's size changed when the median number of people answering moved this much.
SIZE_CHANGE = 0.25
PAIN = "pain"
HOURS_LOST = "hours_lost_per_person"
TEAM_SCOPE = "team"
_WEEK = timedelta(weeks=1)


class RoiRefused(Exception):
    """Why an item has no ROI report (not found, not resolved), in words for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Cost:
    effort_days: float | None
    hours: float | None
    money: float | None
    currency: str | None


@dataclass(frozen=True)
class MetricReport:
    name: str
    scope: str
    unit: str
    direction: roi.Direction
    result: roi.MetricEffect
    weeks: tuple[date, ...]  # the week (Monday) of each value of ``series``
    series: tuple[float | None, ...]
    resolve_week: int


@dataclass(frozen=True)
class ItemRoi:
    key: str
    title: str
    resolved_on: date
    cost: Cost
    metrics: tuple[MetricReport, ...]
    hours_saved_per_week: tuple[float, float, float] | None
    money_saved_per_week: float | None
    payback_weeks: float | None
    caveats: tuple[str, ...]


@dataclass
class Totals:
    items: int = 0
    effort_days: float = 0.0
    hours_saved_per_week: float = 0.0
    money_saved_per_week: float | None = None
    with_saving: int = 0


@dataclass(frozen=True)
class Context:
    """What every report needs besides the item: the team, today, the rules."""

    team_id: str
    today: date
    min_group: int
    high_threshold: float
    catalog: MetricCatalog
    costs: RoiSettings


def context_for(runtime: Runtime, team_id: str) -> Context:
    """The context of ``team_id``'s reports in this process: today by its clock, the
    anonymity minimum and breadth threshold of its score settings, its metrics and costs."""
    settings = runtime.score_settings
    return Context(
        team_id=team_id,
        today=runtime.clock().date(),
        min_group=settings.min_group,
        high_threshold=settings.breadth_threshold,
        catalog=runtime.metrics,
        costs=runtime.roi,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# -- the use case ---------------------------------------------------------------------------


def item_roi(source: Session | Reader, ctx: Context, key: str) -> ItemRoi:
    """The return on fixing ``key``; :class:`RoiRefused` when it is unknown or not resolved."""
    found = roi_reads.item(source, team_id=ctx.team_id, key=key.upper())
    if found is None:
        raise RoiRefused(f"{key}: no such debt item")
    if found.status != "resolved" or found.resolved_at is None:
        raise RoiRefused(
            f"{found.key} is {found.status.replace('_', ' ')}, not resolved: the return on a "
            "fix is measured once it is resolved"
        )
    return _report(source, ctx, found, roi_reads.all_items(source, team_id=ctx.team_id))


def roi_since(source: Session | Reader, ctx: Context, since: date) -> list[ItemRoi]:
    """The report of every item resolved from ``since`` to today, oldest fix first."""
    fixed = roi_reads.resolved_between(
        source,
        team_id=ctx.team_id,
        since=_midnight(since),
        until=_midnight(ctx.today + timedelta(days=1)),
    )
    everyone = roi_reads.all_items(source, team_id=ctx.team_id)
    return [_report(source, ctx, item, everyone) for item in fixed]


def totals(reports: Iterable[ItemRoi]) -> Totals:
    """Items, effort and the hours (and money) saved per week, added up where measured."""
    out = Totals()
    for report in reports:
        out.items += 1
        out.effort_days += report.cost.effort_days or 0.0
        if report.hours_saved_per_week is not None:
            out.with_saving += 1
            out.hours_saved_per_week += report.hours_saved_per_week[0]
            if report.money_saved_per_week is not None:
                out.money_saved_per_week = (
                    out.money_saved_per_week or 0.0
                ) + report.money_saved_per_week
    return out


# -- one report -----------------------------------------------------------------------------


def _weeks(resolved_on: date, today: date) -> tuple[list[date], int]:
    """The weeks read (Mondays), and the index of the week of the fix."""
    fix_week = week_of(resolved_on)
    last = min(week_of(today) - _WEEK, fix_week + WINDOW_WEEKS * _WEEK)
    first = fix_week - WINDOW_WEEKS * _WEEK
    count = max(WINDOW_WEEKS + 1, (last - first).days // 7 + 1)
    return [first + n * _WEEK for n in range(count)], WINDOW_WEEKS


def _aligned(weeks: Sequence[date], values: dict[date, float], fix: int) -> list[float | None]:
    """One value per week (None where there is none); the week of the fix has none."""
    return [None if i == fix else values.get(week) for i, week in enumerate(weeks)]


def _report(
    source: Session | Reader,
    ctx: Context,
    item: roi_reads.FixedItem,
    everyone: list[roi_reads.FixedItem],
) -> ItemRoi:
    assert item.resolved_at is not None
    resolved_on = item.resolved_at.date()
    weeks, fix = _weeks(resolved_on, ctx.today)
    window = (weeks[0] - NEAR_FIX, weeks[-1] + _WEEK)
    untouched = [
        other
        for other in everyone
        if other.id != item.id
        and (other.resolved_at is None or not window[0] <= other.resolved_at.date() < window[1])
    ]
    reports: list[MetricReport] = []
    reports += _pain(source, ctx, item=item, untouched=untouched, weeks=weeks, fix=fix)
    per_person = _hours(source, ctx, item=item, untouched=untouched, weeks=weeks, fix=fix)
    reports += per_person
    reports += _signals(source, ctx, item=item, weeks=weeks, fix=fix)
    reports += _posted(source, ctx, item=item, everyone=everyone, weeks=weeks, fix=fix)
    cost = _cost(item.effort_spent_days, ctx.costs)
    team_size = _team_size(source, ctx, weeks, fix)
    saved = _saved(per_person, team_size)
    money = ctx.costs.money(saved[0]) if saved is not None else None
    payback = roi.payback_weeks(cost.hours, saved[0]) if saved is not None else None
    caveats = _caveats(ctx, item, everyone, reports, team_size)
    if item.effort_spent_days is None:
        caveats.append(
            f"no effort recorded for {item.key}, so no payback (record it: "
            f"/debt status {item.key} resolved effort 3d)"
        )
    return ItemRoi(
        key=item.key,
        title=item.title,
        resolved_on=resolved_on,
        cost=cost,
        metrics=tuple(reports),
        hours_saved_per_week=saved,
        money_saved_per_week=money,
        payback_weeks=payback,
        caveats=tuple(dict.fromkeys(caveats)),
    )


def _metric(
    name: str,
    scope: str,
    *,
    unit: str,
    direction: roi.Direction,
    series: list[float | None],
    weeks: Sequence[date],
    fix: int,
    controls: Sequence[Sequence[float | None]] = (),
) -> MetricReport:
    # the weeks before the series' first value are not missing data, only before it began
    start = next((i for i, value in enumerate(series) if value is not None), fix)
    start = min(start, fix)
    series, weeks = series[start:], weeks[start:]
    fix -= start
    controls = [control[start:] for control in controls]
    usable = [c for c in controls if _shared(series, c) >= MIN_CONTROL_WEEKS][:MAX_CONTROLS]
    result = roi.analyse(series, fix, direction, controls=usable)
    return MetricReport(name, scope, unit, direction, result, tuple(weeks), tuple(series), fix)


def _shared(series: Sequence[float | None], other: Sequence[float | None]) -> int:
    return sum(1 for a, b in zip(series, other, strict=True) if a is not None and b is not None)


def _has_values(series: Sequence[float | None]) -> bool:
    return any(value is not None for value in series)


def _pain(
    source: Session | Reader,
    ctx: Context,
    *,
    item: roi_reads.FixedItem,
    untouched: list[roi_reads.FixedItem],
    weeks: list[date],
    fix: int,
) -> list[MetricReport]:
    ids = [item.id, *(other.id for other in untouched)]
    groups = aggregates.pain_groups(
        source,
        team_id=ctx.team_id,
        since=_midnight(weeks[0]),
        high_threshold=ctx.high_threshold,
        min_group=ctx.min_group,
        item_ids=ids,
    )
    tallies = weekly_tallies(groups, weeks)
    by_item = {
        item_id: [None if i == fix else tally.mean(ctx.min_group) for i, tally in enumerate(row)]
        for item_id, row in tallies.items()
    }
    series = by_item.get(item.id)
    if series is None:  # nobody answered about it: nothing to report (answers under the
        return []  # minimum group still are: as insufficient data, never as a figure)
    controls = [by_item[other.id] for other in untouched if other.id in by_item]
    return [
        _metric(
            PAIN,
            item.key,
            unit="1-5",
            direction="lower",
            series=series,
            weeks=weeks,
            fix=fix,
            controls=controls,
        )
    ]


def _hours(
    source: Session | Reader,
    ctx: Context,
    *,
    item: roi_reads.FixedItem,
    untouched: list[roi_reads.FixedItem],
    weeks: list[date],
    fix: int,
) -> list[MetricReport]:
    def rows_of(item_id: int) -> list[hours.WeekHours]:
        return hours.weekly_hours(
            source,
            ctx.team_id,
            item_id,
            since=weeks[0],
            until=weeks[-1] + _WEEK,
            min_group=ctx.min_group,
        )

    def series_of(rows: list[hours.WeekHours]) -> list[float | None]:
        # a week counts once at least the minimum group answered about the item
        values = {row.week: row.mean for row in rows if row.people >= ctx.min_group}
        return _aligned(weeks, values, fix)

    own = rows_of(item.id)
    if not own:
        return []
    series = series_of(own)
    controls = [c for c in (series_of(rows_of(other.id)) for other in untouched) if _has_values(c)]
    return [
        _metric(
            HOURS_LOST,
            item.key,
            unit="hours",
            direction="lower",
            series=series,
            weeks=weeks,
            fix=fix,
            controls=controls,
        )
    ]


def _signals(
    source: Session | Reader,
    ctx: Context,
    *,
    item: roi_reads.FixedItem,
    weeks: list[date],
    fix: int,
) -> list[MetricReport]:
    out = []
    last = weeks[-1] + timedelta(days=6)
    for definition in ctx.catalog:
        if not definition.derived:
            continue
        if definition.signal_kind is not None:
            rows = metrics.weekly_signal_counts(
                source, ctx.team_id, item.id, definition.signal_kind, since=weeks[0], until=last
            )
            if not any(row.count for row in rows):
                continue
        else:
            rows = metrics.weekly_time_to_recover(
                source, ctx.team_id, item.id, since=weeks[0], until=last
            )
            if not rows:
                continue
        series = _aligned(weeks, {row.week: row.mean for row in rows}, fix)
        out.append(
            _metric(
                definition.name,
                item.key,
                unit=definition.unit,
                direction=definition.direction,
                series=series,
                weeks=weeks,
                fix=fix,
            )
        )
    return out


def _posted(
    source: Session | Reader,
    ctx: Context,
    *,
    item: roi_reads.FixedItem,
    everyone: list[roi_reads.FixedItem],
    weeks: list[date],
    fix: int,
) -> list[MetricReport]:
    """Posted metrics for the item's key, its component and the team."""
    out = []
    scopes = [item.key, *([item.component] if item.component else []), TEAM_SCOPE]
    assert item.resolved_at is not None
    fixed_near = {
        other.component
        for other in everyone
        if other.resolved_at is not None and abs(other.resolved_at - item.resolved_at) <= NEAR_FIX
    }
    keys = {other.key for other in everyone}
    for definition in ctx.catalog:
        if definition.derived:
            continue
        having = metrics.scopes_with_metric(source, ctx.team_id, definition.name)
        for scope in scopes:
            if scope not in having:
                continue
            series = _read(source, ctx, definition=definition, scope=scope, weeks=weeks, fix=fix)
            controls: list[list[float | None]] = []
            if scope == item.component:  # other components, untouched in the window
                controls = [
                    _read(source, ctx, definition=definition, scope=other, weeks=weeks, fix=fix)
                    for other in having
                    if other not in (TEAM_SCOPE, scope)
                    and other not in keys
                    and other not in fixed_near
                ]
            out.append(
                _metric(
                    definition.name,
                    scope,
                    unit=definition.unit,
                    direction=definition.direction,
                    series=series,
                    weeks=weeks,
                    fix=fix,
                    controls=controls,
                )
            )
    return out


def _read(
    source: Session | Reader,
    ctx: Context,
    *,
    definition: MetricDefinition,
    scope: str,
    weeks: list[date],
    fix: int,
) -> list[float | None]:
    last = weeks[-1] + timedelta(days=6)
    rows = metrics.weekly_metric(
        source, ctx.team_id, definition.name, scope, since=weeks[0], until=last
    )
    return _aligned(weeks, {row.week: row.mean for row in rows}, fix)


def _cost(effort_days: float | None, costs: RoiSettings) -> Cost:
    if effort_days is None:
        return Cost(None, None, None, costs.currency)
    spent = effort_days * HOURS_PER_DAY
    return Cost(effort_days, spent, costs.money(spent), costs.currency)


def _team_size(
    source: Session | Reader, ctx: Context, weeks: list[date], fix: int
) -> dict[str, float | None]:
    counts = hours.weekly_headcount(source, ctx.team_id, since=weeks[0], until=weeks[-1] + _WEEK)
    before = [n for week, n in counts.items() if week < weeks[fix] and n > 0]
    after = [n for week, n in counts.items() if week > weeks[fix] and n > 0]
    return {
        "before": statistics.median(before) if before else None,
        "after": statistics.median(after) if after else None,
    }


def _saved(
    per_person: list[MetricReport], team_size: dict[str, float | None]
) -> tuple[float, float, float] | None:
    """Hours saved per week by the team: the per-person effect on hours lost, times the
    people answering before the fix."""
    size = team_size["before"]
    if not per_person or size is None:
        return None
    effect = per_person[0].result.effect
    if effect is None:
        return None
    estimate, low, high = roi.weekly_saving(effect, "lower")
    return estimate * size, low * size, high * size


def _caveats(
    ctx: Context,
    item: roi_reads.FixedItem,
    everyone: list[roi_reads.FixedItem],
    reports: list[MetricReport],
    size: dict[str, float | None],
) -> list[str]:
    assert item.resolved_at is not None
    out: list[str] = []
    if not reports:
        out.append(
            "nothing measured about this item around its fix: no released answers, signals "
            "or metrics for it, its component or the team"
        )
    for report in reports:
        out.extend(report.result.caveats)
    suppressed = _suppressed_weeks(reports)
    if suppressed:
        out.append(
            f"weeks with answers from fewer than {ctx.min_group} people are left out ({suppressed})"
        )
    if item.component:
        near = [
            other
            for other in everyone
            if other.id != item.id
            and other.component == item.component
            and other.resolved_at is not None
            and abs(other.resolved_at - item.resolved_at) <= NEAR_FIX
        ]
        for other in near:
            assert other.resolved_at is not None
            out.append(
                f"{other.key} in the same component ({item.component}) was resolved "
                f"{other.resolved_at.date().isoformat()}: part of a change in "
                f"{item.component}'s metrics may be its"
            )
    before, after = size["before"], size["after"]
    if before and after and abs(after - before) / before >= SIZE_CHANGE:
        out.append(
            f"the team answering polls changed size: about {before:g} people a week before "
            f"the fix, {after:g} after"
        )
    return out


def _suppressed_weeks(reports: list[MetricReport]) -> str:
    """Which answer-based series lost weeks to the anonymity rule, said as counts."""
    parts = []
    for report in reports:
        if report.name not in (PAIN, HOURS_LOST):
            continue
        missing = sum(
            1 for i, value in enumerate(report.series) if value is None and i != report.resolve_week
        )
        if missing and report.result.verdict == "insufficient_data":
            parts.append(f"{report.name}: {missing} of {len(report.series) - 1} weeks")
    return "; ".join(parts)


# -- the JSON contract ----------------------------------------------------------------------


def _number(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def as_json(report: ItemRoi) -> dict[str, Any]:
    """``debtpulse roi KEY --json`` (a contract: README and tests)."""
    return {
        "key": report.key,
        "title": report.title,
        "resolved_on": report.resolved_on.isoformat(),
        "cost": {
            "effort_days": _number(report.cost.effort_days),
            "hours": _number(report.cost.hours),
            "money": _number(report.cost.money, 2),
            "currency": report.cost.currency,
        },
        "metrics": [_metric_json(m) for m in report.metrics],
        "hours_saved_per_week": (
            None
            if report.hours_saved_per_week is None
            else dict(
                zip(
                    ("estimate", "low", "high"),
                    (_number(v) for v in report.hours_saved_per_week),
                    strict=True,
                )
            )
        ),
        "payback_weeks": _number(report.payback_weeks, 1),
        "caveats": list(report.caveats),
    }


def _metric_json(report: MetricReport) -> dict[str, Any]:
    result = report.result
    effect = result.effect
    return {
        "name": report.name,
        "scope": report.scope,
        "unit": report.unit,
        "direction": report.direction,
        "pre": {"weeks": result.pre.weeks, "mean": _number(result.pre.mean)},
        "post": {"weeks": result.post.weeks, "mean": _number(result.post.mean)},
        "effect": None
        if effect is None
        else {
            "estimate": _number(effect.estimate),
            "low": _number(effect.low),
            "high": _number(effect.high),
            "method": effect.method,
        },
        "verdict": result.verdict,
    }
