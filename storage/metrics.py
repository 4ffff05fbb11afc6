"""Metric points and the weekly series the return on a fix is measured from.

Points are upserted, one statement per batch of :data:`BATCH` points: a point sent again for
the same team, metric, scope and moment replaces the stored value (counted as replaced).
The reads give weekly series, weeks starting on Monday (UTC):

- ``weekly_metric``: the mean of a metric's points per week, for one scope (weeks without a
  point are left out: no measurement is not a zero);
- ``weekly_signal_counts``: the signals of one kind about a debt item per week, every week
  of the window (zero where there were none: no incident is a measurement);
- ``weekly_time_to_recover``: the mean hours from a signal to its end, per week it began,
  for signals whose sender said when they ended;
- ``scopes_with_metric``, ``point_counts`` and ``signal_counts``: what has data, and
  ``register_scopes``: the scopes a point may name.

The reads are plain SQL through :class:`storage.reader.Reader`, on a session's connection
or a plain SQLite file, so a reading command needs no SQLAlchemy; only the upsert loads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from storage.clock import week_of
from storage.reader import Reader, as_utc, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session

#: Points per INSERT: 8 parameters each stays well under SQLite's limit of 32,766.
BATCH = 1000
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class NewPoint:
    """A validated point to store: ``observed_at`` aware, ``unit`` the metric's own."""

    metric: str
    scope: str
    value: float
    unit: str
    observed_at: datetime


@dataclass(frozen=True)
class Upserted:
    """How many points were new (``stored``) and how many replaced a stored value."""

    stored: int
    replaced: int


@dataclass(frozen=True)
class WeekValue:
    """One week of a series: ``week`` is its Monday (UTC), ``mean`` the week's figure (the
    mean of its points; for signal counts, the number of signals), ``count`` how many points
    or signals it stands for."""

    week: date
    mean: float
    count: int


class SignalCounts(NamedTuple):
    """A team's signals: how many of each kind, and how many say when they ended."""

    by_kind: dict[str, int]
    ended: int


def _window(since: date, until: date) -> tuple[date, date, datetime, datetime]:
    """The first and last Monday of the weeks holding ``since`` and ``until``, and the
    times those weeks start and end (end exclusive)."""
    first, last = week_of(since), week_of(until)
    start = datetime.combine(first, time(), tzinfo=UTC)
    return first, last, start, datetime.combine(last + _WEEK, time(), tzinfo=UTC)


def _series(values: Iterable[tuple[datetime, float]]) -> list[WeekValue]:
    weeks: dict[date, list[float]] = defaultdict(list)
    for at, value in values:
        weeks[week_of(at)].append(value)
    return [
        WeekValue(week, sum(found) / len(found), len(found))
        for week, found in sorted(weeks.items())
    ]


def upsert_points(
    session: Session,
    *,
    team_id: str,
    points: Sequence[NewPoint],
    source: str,
    received_at: datetime,
) -> Upserted:
    """Store ``points`` in the caller's (write) transaction; a point at a stored team, metric,
    scope and moment replaces its value, unit, source and received time.

    No two of ``points`` may share metric, scope and moment (ValueError): the service
    refuses such input first, naming both lines.
    """
    from sqlalchemy import literal_column, text

    from storage.dialect import insert
    from storage.models import MetricPoint

    keys = {(p.metric, p.scope, p.observed_at.astimezone(UTC)) for p in points}
    if len(keys) != len(points):
        raise ValueError("two points share metric, scope and observed_at")
    postgres = session.get_bind().dialect.name == "postgresql"
    stored = 0
    for start in range(0, len(points), BATCH):
        batch = points[start : start + BATCH]
        statement = insert(session, MetricPoint).values(
            [
                {
                    "team_id": team_id,
                    "metric": point.metric,
                    "scope": point.scope,
                    "value": point.value,
                    "unit": point.unit,
                    "observed_at": point.observed_at,
                    "source": source,
                    "received_at": received_at,
                }
                for point in batch
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "metric", "scope", "observed_at"],
            set_={
                name: getattr(statement.excluded, name)
                for name in ("value", "unit", "source", "received_at")
            },
        )
        if postgres:  # a row this statement inserted has no deleting transaction yet
            flags = session.execute(statement.returning(literal_column("xmax = 0"))).scalars()
            stored += sum(1 for inserted in flags if inserted)
        else:  # a write transaction holds SQLite's lock: a new row's id is above every other
            newest = session.execute(text("SELECT coalesce(max(id), 0) FROM metric_point"))
            before = int(newest.scalar_one())
            ids = session.execute(statement.returning(MetricPoint.id)).scalars()
            stored += sum(1 for point_id in ids if point_id > before)
    return Upserted(stored=stored, replaced=len(points) - stored)


def weekly_metric(
    source: Session | Reader,
    team_id: str,
    metric: str,
    scope: str,
    *,
    since: date,
    until: date,
) -> list[WeekValue]:
    """The weekly mean of ``metric`` for ``scope``, over the weeks holding ``since`` to
    ``until`` (both whole), oldest first; a week without a point is left out."""
    _, _, start, end = _window(since, until)
    sql = """
        SELECT observed_at, value FROM metric_point
        WHERE team_id = :team AND metric = :metric AND scope = :scope
          AND observed_at >= :start AND observed_at < :end"""
    params = {"team": team_id, "metric": metric, "scope": scope, "start": start, "end": end}
    rows = reader_of(source).rows(sql, params)
    return _series((as_utc(at), float(value)) for at, value in rows)


def weekly_signal_counts(
    source: Session | Reader,
    team_id: str,
    debt_item_id: int,
    kind: str,
    *,
    since: date,
    until: date,
) -> list[WeekValue]:
    """How many signals of ``kind`` about the item began in each week holding ``since`` to
    ``until``: every week, zero where there were none (``mean`` and ``count`` both the
    number of signals; a signal's ``value`` is its weight in the score, not a count)."""
    first, last, start, end = _window(since, until)
    sql = """
        SELECT observed_at FROM signal
        WHERE team_id = :team AND debt_item_id = :item AND kind = :kind
          AND observed_at >= :start AND observed_at < :end"""
    params: dict[str, Any] = {
        "team": team_id,
        "item": debt_item_id,
        "kind": kind,
        "start": start,
        "end": end,
    }
    counts: dict[date, int] = defaultdict(int)
    for (at,) in reader_of(source).rows(sql, params):
        counts[week_of(as_utc(at))] += 1
    weeks = (last - first).days // 7 + 1
    return [
        WeekValue(week, float(counts[week]), counts[week])
        for week in (first + n * _WEEK for n in range(weeks))
    ]


def weekly_time_to_recover(
    source: Session | Reader,
    team_id: str,
    debt_item_id: int,
    *,
    since: date,
    until: date,
    kind: str | None = None,
) -> list[WeekValue]:
    """The mean hours from a signal about the item to its end, per week the signals began
    (weeks holding ``since`` to ``until``); only signals with an ``ended_at`` count, of
    ``kind`` or of every kind. A week without one is left out."""
    _, _, start, end = _window(since, until)
    sql = """
        SELECT observed_at, ended_at FROM signal
        WHERE team_id = :team AND debt_item_id = :item AND ended_at IS NOT NULL
          AND observed_at >= :start AND observed_at < :end"""
    params: dict[str, Any] = {"team": team_id, "item": debt_item_id, "start": start, "end": end}
    if kind is not None:
        sql += " AND kind = :kind"
        params["kind"] = kind
    rows = reader_of(source).rows(sql, params)
    return _series(
        (as_utc(began), (as_utc(ended) - as_utc(began)).total_seconds() / 3600)
        for began, ended in rows
    )


def scopes_with_metric(source: Session | Reader, team_id: str, metric: str) -> list[str]:
    """Every scope with at least one point of ``metric``, in name order."""
    sql = """
        SELECT DISTINCT scope FROM metric_point WHERE team_id = :team AND metric = :metric
        ORDER BY scope"""
    return [
        str(scope) for (scope,) in reader_of(source).rows(sql, {"team": team_id, "metric": metric})
    ]


def point_counts(source: Session | Reader, team_id: str) -> dict[str, int]:
    """How many points the team has of each metric (metrics without any are absent)."""
    sql = "SELECT metric, count(*) FROM metric_point WHERE team_id = :team GROUP BY metric"
    return {str(metric): int(n) for metric, n in reader_of(source).rows(sql, {"team": team_id})}


def signal_counts(source: Session | Reader, team_id: str) -> SignalCounts:
    """How many signals the team has of each kind, and how many of them say when they
    ended (what the derived metrics are read from)."""
    sql = """
        SELECT kind, count(*), count(ended_at) FROM signal WHERE team_id = :team
        GROUP BY kind"""
    by_kind: dict[str, int] = {}
    ended = 0
    for kind, n, n_ended in reader_of(source).rows(sql, {"team": team_id}):
        by_kind[str(kind)] = int(n)
        ended += int(n_ended)
    return SignalCounts(by_kind, ended)


def register_scopes(source: Session | Reader, team_id: str) -> tuple[set[str], set[str]]:
    """The scopes a point of the team may name besides ``team``: its debt keys, and the
    components its register names."""
    sql = "SELECT key, component FROM debt_item WHERE team_id = :team"
    keys: set[str] = set()
    components: set[str] = set()
    for key, component in reader_of(source).rows(sql, {"team": team_id}):
        keys.add(str(key))
        if component:
            components.add(str(component))
    return keys, components
