"""SQL aggregates the priority score is computed from — never a Python loop over answers.

``pain_groups`` reads every ``pain`` answer of a team once, grouped by item, run and day:
a few thousand rows stand for a million answers. Anonymous answers count only once released
in a group of at least the minimum group of people (``answer_release``; held answers are
not in ``response`` at all); a group recorded with fewer people (carried over from before
groups, or the minimum raised since) is never read. Distinct people: named answers by their
stable ids (``named_respondents``), anonymous ones by the largest group released in the
window (``released_respondents``) — no key survives a release to count them across groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, case, cast, false, func, or_, select
from sqlmodel import Session, col

from storage.models import AnswerRelease, PainSum, PollRun, Response, Signal

PAIN_QUESTION = "pain"


def _released(min_group: int, item: Any, run: Any) -> Any:
    """Answers that count: a named run's, or an anonymous run's released in a group of at
    least ``min_group`` people about that item (``item``, ``run``: the answer's columns)."""
    group = select(col(AnswerRelease.id)).where(
        col(AnswerRelease.poll_run_id) == run,
        col(AnswerRelease.question_id) == PAIN_QUESTION,
        col(AnswerRelease.debt_item_id) == item,
        col(AnswerRelease.people) >= min_group,
    )
    return or_(col(PollRun.anonymous) == false(), group.exists())


class PainGroup(NamedTuple):
    debt_item_id: int
    poll_run_id: int
    anonymous: bool
    day: date
    n_answers: int
    sum_x: float
    sum_x2: float
    n_high: int


class SignalRow(NamedTuple):
    debt_item_id: int
    kind: str
    value: float
    observed_at: datetime


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def pain_groups(
    session: Session,
    *,
    team_id: str,
    since: datetime,
    high_threshold: float,
    min_group: int,
    item_ids: Iterable[int] | None = None,
) -> list[PainGroup]:
    """Per (item, run, day): count, Σx, Σx², and the count of answers ≥ ``high_threshold``.

    Read from ``pain_sum`` (kept by triggers on ``response``): a few thousand rows however
    many answers there are. A threshold that is not a whole number 1..5 needs the answers
    themselves.
    """
    if high_threshold not in (1, 2, 3, 4, 5):
        return _pain_groups_from_answers(
            session,
            team_id=team_id,
            since=since,
            high_threshold=high_threshold,
            min_group=min_group,
            item_ids=item_ids,
        )
    high = col(PainSum.n) if high_threshold == 1 else getattr(PainSum, f"n_ge{int(high_threshold)}")
    query: Any = (
        select(
            col(PainSum.debt_item_id),
            col(PainSum.poll_run_id),
            col(PainSum.day),
            col(PainSum.n),
            col(PainSum.sum_x),
            col(PainSum.sum_x2),
            high,
            col(PollRun.anonymous),
        )
        .join(PollRun, col(PollRun.id) == col(PainSum.poll_run_id))
        .where(
            col(PainSum.team_id) == team_id,
            col(PainSum.day) >= since.date(),
            col(PainSum.n) > 0,
            _released(min_group, col(PainSum.debt_item_id), col(PainSum.poll_run_id)),
        )
    )
    if item_ids is not None:
        query = query.where(col(PainSum.debt_item_id).in_(list(item_ids)))
    return _groups(session.connection().execute(query))


def _groups(rows: Iterable[Any]) -> list[PainGroup]:
    days: dict[object, date] = {}
    groups = []
    for item, run, day, n, sx, sx2, high, anonymous in rows:
        when = days.get(day)
        if when is None:
            when = days[day] = _as_date(day)
        groups.append(
            PainGroup(item, run, bool(anonymous), when, n, sx or 0.0, sx2 or 0.0, high or 0)
        )
    return groups


def _pain_groups_from_answers(
    session: Session,
    *,
    team_id: str,
    since: datetime,
    high_threshold: float,
    min_group: int,
    item_ids: Iterable[int] | None,
) -> list[PainGroup]:
    value = col(Response.value)
    sums: Any = (
        select(
            col(Response.debt_item_id).label("item"),
            col(Response.poll_run_id).label("run"),
            col(Response.answered_day).label("day"),
            func.count().label("n"),
            func.sum(value).label("sx"),
            func.sum(value * value).label("sx2"),
            func.sum(cast(case((value >= high_threshold, 1), else_=0), Integer)).label("high"),
        )
        .where(
            col(Response.team_id) == team_id,
            col(Response.question_id) == PAIN_QUESTION,
            col(Response.debt_item_id).is_not(None),
            value.is_not(None),
            col(Response.answered_day) >= since.date(),
        )
        .group_by(col(Response.debt_item_id), col(Response.poll_run_id), col(Response.answered_day))
    )
    if item_ids is not None:
        sums = sums.where(col(Response.debt_item_id).in_(list(item_ids)))
    grouped = sums.subquery()
    query = (
        select(grouped, col(PollRun.anonymous))
        .join(PollRun, col(PollRun.id) == grouped.c.run)
        .where(_released(min_group, grouped.c.item, grouped.c.run))
    )
    return _groups(session.connection().execute(query))


def named_respondents(session: Session, *, team_id: str, since: datetime) -> dict[int, int]:
    """Distinct respondents per item over the non-anonymous runs (ids are stable there)."""
    runs = list(
        session.connection()
        .execute(
            select(col(PollRun.id)).where(
                col(PollRun.team_id) == team_id, col(PollRun.anonymous) == false()
            )
        )
        .scalars()
    )
    if not runs:
        return {}
    query = (
        select(col(Response.debt_item_id), func.count(func.distinct(col(Response.respondent))))
        .where(
            col(Response.poll_run_id).in_(runs),
            col(Response.question_id) == PAIN_QUESTION,
            col(Response.debt_item_id).is_not(None),
            col(Response.answered_day) >= since.date(),
        )
        .group_by(col(Response.debt_item_id))
    )
    return {int(item or 0): int(count) for item, count in session.connection().execute(query)}


def released_respondents(
    session: Session, *, team_id: str, since: datetime, min_group: int
) -> dict[int, int]:
    """Per item, the most people of one anonymous group of ``pain`` answers released on or
    after ``since`` (at least ``min_group``): a floor for its distinct respondents."""
    query = (
        select(col(AnswerRelease.debt_item_id), func.max(col(AnswerRelease.people)))
        .where(
            col(AnswerRelease.team_id) == team_id,
            col(AnswerRelease.question_id) == PAIN_QUESTION,
            col(AnswerRelease.debt_item_id).is_not(None),
            col(AnswerRelease.day) >= since.date(),
            col(AnswerRelease.people) >= min_group,
        )
        .group_by(col(AnswerRelease.debt_item_id))
    )
    return {int(item or 0): int(people) for item, people in session.connection().execute(query)}


def signal_rows(session: Session, *, team_id: str, since: datetime) -> list[SignalRow]:
    query = select(
        col(Signal.debt_item_id), col(Signal.kind), col(Signal.value), col(Signal.observed_at)
    ).where(col(Signal.team_id) == team_id, col(Signal.observed_at) >= since)
    return [SignalRow(*row) for row in session.connection().execute(query)]
