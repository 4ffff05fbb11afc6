"""The current ranking of a team's open debt, computed from SQL aggregates.

This is the one place that turns stored rows into :class:`ItemInputs` for the pure scorer,
and the one place the category and component filters apply; ``debtpulse top``, ``/debt top``,
``why`` (through :func:`bot.services.explain.explain_item`), snapshots, the digest and the
demo all read it, so they show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.components import trend_window
from bot.core.inputs import (
    ItemInputs,
    PainAggregate,
    PainDay,
    SignalInput,
    TeamContext,
    WeeklyMean,
    aggregate_pain_days,
    pain_weight,
    team_context,
)
from bot.core.priority import RankedItem, rank, score_items
from bot.core.score_settings import SIGNAL_KINDS, ScoreSettings
from storage import aggregates, register_rows
from storage.clock import week_of
from storage.reader import Reader, reader_of
from storage.register_rows import ItemRow

if TYPE_CHECKING:
    from sqlmodel import Session

OPEN_STATUSES = ("open", "in_progress")
SIGNAL_HORIZON_HALF_LIVES = 10  # older signals weigh less than 0.1% of a new one


@dataclass(frozen=True)
class Ranking:
    items: list[RankedItem]
    records: dict[str, ItemRow]
    inputs: dict[str, ItemInputs]
    team: TeamContext
    settings: ScoreSettings
    now: datetime
    #: the team's pain groups the ranking read (``aggregates.pain_groups``), from this day on
    pain_groups: tuple[aggregates.PainGroup, ...] = ()
    pain_since: date | None = None

    def find(self, key: str) -> RankedItem | None:
        return next((item for item in self.items if item.breakdown.key == key), None)


week_start = week_of
"""The Monday of ``day``'s ISO week (``storage.clock.week_of``)."""


def signal_since(now: datetime, settings: ScoreSettings) -> datetime:
    """The oldest signal the score reads at ``now``: ten half-lives of the slowest kind."""
    longest = max(settings.signal_half_life_days.of(kind) for kind in SIGNAL_KINDS)
    return now - timedelta(days=longest * SIGNAL_HORIZON_HALF_LIVES)


def _pain_by_item(
    groups: list[aggregates.PainGroup],
    people: dict[int, int],
    *,
    now: datetime,
    s: ScoreSettings,
) -> tuple[dict[int, PainAggregate], dict[int, list[WeeklyMean]]]:
    # Plain dicts and lists, no per-row closures: a big team has tens of thousands of groups.
    days: dict[int, dict[date, list[float]]] = {}
    for g in groups:
        by_day = days.get(g.debt_item_id)
        if by_day is None:
            by_day = days[g.debt_item_id] = {}
        sums = by_day.get(g.day)
        if sums is None:
            by_day[g.day] = [g.n_answers, g.sum_x, g.sum_x2, g.n_high]
        else:
            sums[0] += g.n_answers
            sums[1] += g.sum_x
            sums[2] += g.sum_x2
            sums[3] += g.n_high
    pain: dict[int, PainAggregate] = {}
    weekly: dict[int, list[WeeklyMean]] = {}
    weights: dict[date, float] = {}
    mondays: dict[date, date] = {}

    def weight_of(day: date) -> float:
        weight = weights.get(day)
        if weight is None:
            weight = weights[day] = pain_weight(day, now=now, settings=s)
        return weight

    for item_id, by_day in days.items():
        # Distinct people: named answers by id; anonymous ones by their largest released
        # group (each released group holds at least the minimum group of people).
        respondents = people.get(item_id, 0)
        pain[item_id] = aggregate_pain_days(
            [PainDay(d, int(v[0]), v[1], v[2], int(v[3])) for d, v in by_day.items()],
            n_respondents=respondents,
            now=now,
            settings=s,
            weight_of=weight_of,
        )
        weeks: dict[date, list[float]] = {}
        for day, v in by_day.items():
            week = mondays.get(day)
            if week is None:
                week = mondays[day] = week_start(day)
            sums_of_week = weeks.get(week)
            if sums_of_week is None:
                sums_of_week = weeks[week] = [0.0, 0.0]
            sums_of_week[0] += v[1]
            sums_of_week[1] += v[0]
        weekly[item_id] = [WeeklyMean(w, total / n) for w, (total, n) in sorted(weeks.items())]
    return pain, weekly


def current_ranking(
    source: Session | Reader,
    *,
    team_id: str,
    now: datetime,
    settings: ScoreSettings,
    category: str | None = None,
    component: str | None = None,
) -> Ranking:
    """Score every open item of the team (optionally one category / component) and rank.

    ``source``: a session (read inside its transaction) or a reader of plain SQL.
    """
    reader = reader_of(source)
    items = register_rows.items(reader, team_id=team_id, statuses=OPEN_STATUSES)
    risk = register_rows.latest_assessments(reader, team_id=team_id)
    since = now - timedelta(weeks=settings.pain_horizon_weeks)
    groups = aggregates.pain_groups(
        reader,
        team_id=team_id,
        since=since,
        high_threshold=settings.breadth_threshold,
        min_group=settings.min_group,
    )
    named = aggregates.named_respondents(reader, team_id=team_id, since=since)
    counted = aggregates.released_respondents(
        reader, team_id=team_id, since=since, min_group=settings.min_group
    )
    people = {i: max(named.get(i, 0), counted.get(i, 0)) for i in named.keys() | counted.keys()}
    pain, weekly = _pain_by_item(groups, people, now=now, s=settings)
    signals: dict[int, list[SignalInput]] = defaultdict(list)
    since_signals = signal_since(now, settings)
    for row in aggregates.signal_rows(reader, team_id=team_id, since=since_signals):
        signals[row.debt_item_id].append(SignalInput(row.kind, row.value, row.observed_at))
    team = team_context(pain.values(), settings=settings)

    chosen = [
        item
        for item in items
        if (category is None or item.category == category)
        and (component is None or item.component == component)
    ]
    inputs = []
    today = now.date()
    for item in chosen:
        assert item.id is not None
        assessment = risk.get(item.id)
        inputs.append(
            ItemInputs(
                key=item.key,
                title=item.title,
                category=item.category,
                status=item.status,
                impact=assessment.impact if assessment else None,
                likelihood=assessment.likelihood if assessment else None,
                detectability=assessment.detectability if assessment else None,
                pain=pain.get(item.id, PainAggregate()),
                # only the weeks the trend reads: the latest up to today and its baseline
                weekly_pain=trend_window(
                    [w for w in weekly.get(item.id, []) if w.week_start <= today],
                    settings=settings,
                ),
                signals=signals.get(item.id, []),
            )
        )
    ranked = rank(score_items(inputs, team=team, now=now, settings=settings))
    return Ranking(
        items=ranked,
        records={item.key: item for item in chosen},
        inputs={item.key: item for item in inputs},
        team=team,
        settings=settings,
        now=now,
        pain_groups=tuple(groups),
        pain_since=since.date(),
    )
