"""SQL aggregates the priority score is computed from — never a Python loop over answers.

``pain_groups`` reads every ``pain`` answer of a team once, grouped by item, run and day:
a few thousand rows stand for a million answers. The uniqueness of an answer per (run,
question, item, respondent) means the row count of an (item, run) group is that run's
number of distinct respondents for the item. Anonymous keys change every run, so distinct
people *across* runs come from ``item_respondent`` (``item_respondents``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, case, cast, false, func, or_, select
from sqlmodel import Session, col

from storage.models import ItemRespondent, PainSum, PollRun, Response, Signal

PAIN_QUESTION = "pain"


def _scored_run() -> Any:
    """Runs whose answers enter the score: every named run, and an anonymous run once it
    closed. An open anonymous run's answers would otherwise move an item's shown mean with
    each click, and ``/debt why`` before and after a known person answers would subtract to
    that person's answer; at the close they enter all at once."""
    return or_(col(PollRun.anonymous) == false(), col(PollRun.status) == "closed")


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
    item_ids: Iterable[int] | None = None,
) -> list[PainGroup]:
    """Per (item, run, day): count, Σx, Σx², and the count of answers ≥ ``high_threshold``.

    Read from ``pain_sum`` (kept by triggers on ``response``): a few thousand rows however
    many answers there are. A threshold that is not a whole number 1..5 needs the answers
    themselves.
    """
    if high_threshold not in (1, 2, 3, 4, 5):
        return _pain_groups_from_answers(
            session, team_id=team_id, since=since, high_threshold=high_threshold, item_ids=item_ids
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
            _scored_run(),
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
        .where(_scored_run())
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


def item_respondents(session: Session, *, team_id: str, since: datetime) -> dict[int, int]:
    """Distinct people per item whose latest ``pain`` answer about it is on or after ``since``
    (from ``item_respondent``; under the newest-counting key when the secret was rotated:
    the largest count of one key, never a sum of two)."""
    query = (
        select(
            col(ItemRespondent.debt_item_id),
            col(ItemRespondent.key_id),
            func.count(),
        )
        .where(
            col(ItemRespondent.team_id) == team_id,
            col(ItemRespondent.last_day) >= since.date(),
        )
        .group_by(col(ItemRespondent.debt_item_id), col(ItemRespondent.key_id))
    )
    counts: dict[int, int] = {}
    for item, _key_id, count in session.connection().execute(query):
        counts[int(item)] = max(counts.get(int(item), 0), int(count))
    return counts


def signal_rows(session: Session, *, team_id: str, since: datetime) -> list[SignalRow]:
    query = select(
        col(Signal.debt_item_id), col(Signal.kind), col(Signal.value), col(Signal.observed_at)
    ).where(col(Signal.team_id) == team_id, col(Signal.observed_at) >= since)
    return [SignalRow(*row) for row in session.connection().execute(query)]
