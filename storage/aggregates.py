"""SQL aggregates the priority score is computed from — never a Python loop over answers.

``pain_groups`` reads every ``pain`` answer of a team once, grouped by item, run and day:
a few thousand rows stand for a million answers. The uniqueness of an answer per (run,
question, item, respondent) means the row count of an (item, run) group is that run's
number of distinct respondents for the item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Integer, case, cast, false, func, select
from sqlmodel import Session, col

from storage.models import PollRun, Response, Signal

PAIN_QUESTION = "pain"


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
    """Per (item, run, day): count, Σx, Σx², and the count of answers ≥ ``high_threshold``."""
    day = func.date(Response.answered_at)
    value = col(Response.value)
    query = (
        select(
            col(Response.debt_item_id),
            col(Response.poll_run_id),
            col(PollRun.anonymous),
            day,
            func.count(),
            func.sum(value),
            func.sum(value * value),
            func.sum(cast(case((value >= high_threshold, 1), else_=0), Integer)),
        )
        .join(PollRun, col(PollRun.id) == col(Response.poll_run_id))
        .where(
            col(Response.team_id) == team_id,
            col(Response.question_id) == PAIN_QUESTION,
            col(Response.debt_item_id).is_not(None),
            col(Response.value).is_not(None),
            col(Response.answered_at) >= since,
        )
        .group_by(
            col(Response.debt_item_id), col(Response.poll_run_id), col(PollRun.anonymous), day
        )
    )
    if item_ids is not None:
        query = query.where(col(Response.debt_item_id).in_(list(item_ids)))
    return [
        PainGroup(
            debt_item_id=int(row[0]),
            poll_run_id=int(row[1]),
            anonymous=bool(row[2]),
            day=_as_date(row[3]),
            n_answers=int(row[4]),
            sum_x=float(row[5] or 0.0),
            sum_x2=float(row[6] or 0.0),
            n_high=int(row[7] or 0),
        )
        for row in session.connection().execute(query)
    ]


def named_respondents(session: Session, *, team_id: str, since: datetime) -> dict[int, int]:
    """Distinct respondents per item over the non-anonymous runs (ids are stable there)."""
    query = (
        select(col(Response.debt_item_id), func.count(func.distinct(col(Response.respondent))))
        .join(PollRun, col(PollRun.id) == col(Response.poll_run_id))
        .where(
            col(Response.team_id) == team_id,
            col(Response.question_id) == PAIN_QUESTION,
            col(Response.debt_item_id).is_not(None),
            col(Response.answered_at) >= since,
            col(PollRun.anonymous) == false(),
        )
        .group_by(col(Response.debt_item_id))
    )
    return {int(item or 0): int(count) for item, count in session.connection().execute(query)}


def signal_rows(session: Session, *, team_id: str, since: datetime) -> list[SignalRow]:
    query = select(
        col(Signal.debt_item_id), col(Signal.kind), col(Signal.value), col(Signal.observed_at)
    ).where(col(Signal.team_id) == team_id, col(Signal.observed_at) >= since)
    return [SignalRow(*row) for row in session.connection().execute(query)]
