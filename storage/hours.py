"""Hours lost to a debt item, per week — what the return on debt work is measured in.

The answers of the ``hours`` question (asked per item, each one of a few buckets stored as
a number of hours) are read here, summed per ISO week (Monday, UTC) in SQL. They follow the
rule the score's ``pain`` answers follow (:mod:`storage.aggregates`): a named run's answers
count as they are; an anonymous run's only once released in a group of at least
``min_group`` people about that item (``answer_release``; held answers are not in
``response`` at all). A released group keeps its closing run's day, so answers pooled from
earlier runs count in the week of the close: no number tells one week's part of a group
from another's.

People per week: distinct named respondents, plus each released group's count of people
(no key survives a release to count them across groups). ``mean`` is per answer: the hours
one person reported for the item in one run, which stays comparable when fewer answer.

Hours never enter the score: ``pain_sum`` and every aggregate of the ranking read the
``pain`` question only, and a template cannot give an hours question that id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, NamedTuple

from storage.clock import week_of
from storage.reader import Reader, as_date, as_utc, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session

HOURS_QUESTION = "hours"


class WeekHours(NamedTuple):
    """One week of an item's hours lost: the week's Monday (UTC), how many people answered,
    the hours they reported in total and the mean per answer."""

    week: date
    people: int
    total: float
    mean: float


def _day(value: date) -> date:
    """A bound as a day: an aware ``datetime`` is read in UTC."""
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def _week_sql(dialect: str, column: str) -> str:
    """SQL: the Monday of the week of the date ``column``."""
    if dialect == "postgresql":
        return f"CAST(date_trunc('week', CAST({column} AS timestamp)) AS date)"
    return f"date({column}, 'weekday 0', '-6 days')"  # SQLite: the Sunday on or after, less 6


def weekly_hours(
    source: Session | Reader,
    team_id: str,
    debt_item_id: int,
    *,
    since: date,
    until: date,
    min_group: int,
) -> list[WeekHours]:
    """The item's hours lost per week, oldest first, from answers of days ``since`` ≤ day <
    ``until`` (an aware datetime counts by its UTC day). Weeks without a counted answer are
    left out. ``min_group``: ``DEBTPULSE_MIN_GROUP``, below which an anonymous group does not
    count."""
    reader = reader_of(source)
    week = _week_sql(reader.dialect, "response.answered_day")
    answers = """response.team_id = :team AND response.question_id = :hours
          AND response.debt_item_id = :item AND response.value IS NOT NULL
          AND response.answered_day >= :since AND response.answered_day < :until"""
    named = f"""
        SELECT {week}, count(DISTINCT response.respondent), count(*), sum(response.value)
        FROM response JOIN poll_run ON poll_run.id = response.poll_run_id
        WHERE {answers} AND NOT poll_run.anonymous
        GROUP BY {week}"""
    released = f"""
        SELECT {week}, answer_release.people, count(*), sum(response.value)
        FROM response JOIN poll_run ON poll_run.id = response.poll_run_id
        JOIN answer_release ON answer_release.poll_run_id = response.poll_run_id
          AND answer_release.question_id = response.question_id
          AND answer_release.debt_item_id = response.debt_item_id
        WHERE {answers} AND poll_run.anonymous AND answer_release.people >= :min_group
        GROUP BY {week}, response.poll_run_id, answer_release.people"""
    params = {
        "team": team_id,
        "item": debt_item_id,
        "hours": HOURS_QUESTION,
        "since": _day(since),
        "until": _day(until),
        "min_group": min_group,
    }
    return _weeks([*reader.rows(named, params), *reader.rows(released, params)])


def _weeks(rows: Iterable[tuple[Any, ...]]) -> list[WeekHours]:
    """Rows of (week, people, answers, hours) added up per week."""
    sums: dict[date, tuple[int, int, float]] = {}
    for week, people, answers, total in rows:
        day = as_date(week)
        before = sums.get(day, (0, 0, 0.0))
        sums[day] = (before[0] + int(people), before[1] + int(answers), before[2] + float(total))
    return [
        WeekHours(week, people, total, total / answers)
        for week, (people, answers, total) in sorted(sums.items())
        if answers
    ]


def weekly_headcount(
    source: Session | Reader, team_id: str, *, since: date, until: date
) -> dict[date, int]:
    """Per week (Monday, UTC) of the team's runs opened on days ``since`` ≤ day < ``until``:
    the most people who answered one of them, for a "the team changed size" caveat.

    Read from who took part (no answer in it), which each poll shows already ("N
    answered"), so it tells nothing an anonymous group hides; counted per run, since an
    anonymous run's keys differ from run to run and cannot be matched across runs.
    """
    reader = reader_of(source)
    opened = "COALESCE(poll_run.opened_at, poll_run.scheduled_for)"
    sql = f"""
        SELECT {opened}, count(*)
        FROM participation JOIN poll_run ON poll_run.id = participation.poll_run_id
        WHERE poll_run.team_id = :team AND {opened} >= :start AND {opened} < :end
        GROUP BY poll_run.id, {opened}"""
    params = {"team": team_id, "start": _midnight(since), "end": _midnight(until)}
    most: dict[date, int] = {}
    for at, people in reader.rows(sql, params):
        week = week_of(as_utc(at).date())
        most[week] = max(most.get(week, 0), int(people))
    return dict(sorted(most.items()))


def _midnight(value: date) -> datetime:
    return datetime.combine(_day(value), time(), tzinfo=UTC)
