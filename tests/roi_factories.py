"""Arrange the return on a fix as the app stores it: named weekly answers with who took part
(the rows a poll or ``debtpulse responses import`` writes), metric points (``POST
/api/metrics``, ``debtpulse metrics import``) and a fix recorded with its effort on its day."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from bot.services import register as register_service
from storage import metrics, polls, responses
from storage.metrics import NewPoint
from storage.models import DebtItem
from tests.factories import TEAM, make_run

PEOPLE = 6


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def at_ten(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def noisy(level: float, *, people: int = PEOPLE, seed: int, spread: float = 0.6) -> list[float]:
    """What ``people`` answer about a level, on the 1-5 scale in whole points."""
    rng = random.Random(seed)
    return [float(min(5, max(1, round(level + rng.gauss(0, spread))))) for _ in range(people)]


def weekly_answers(
    session: Session,
    item: DebtItem,
    *,
    first_week: date,
    weeks: Sequence[Sequence[float] | None],
    question: str = "pain",
    survey: str = "team-pulse",
    team_id: str = TEAM,
) -> None:
    """One named run a week from ``first_week`` (Mondays, 10:00 UTC); ``weeks[n][i]`` is
    what person ``i`` answered about ``item`` in week ``n`` (None: no run that week)."""
    assert item.id is not None
    for n, values in enumerate(weeks):
        if values is None:
            continue
        at = at_ten(first_week + timedelta(weeks=n))
        run = make_run(session, survey, scheduled_for=at, team_id=team_id)
        assert run.id is not None
        for i, value in enumerate(values):
            who = f"U0PERSON{i}"
            responses.upsert_response(
                session,
                team_id=team_id,
                poll_run_id=run.id,
                question_id=question,
                debt_item_id=item.id,
                respondent=who,
                value=value,
                text_value=None,
                at=at,
            )
            polls.record_participation(session, run=run, user_id=who, answered_on=at.date())


def metric_points(
    session: Session,
    *,
    metric: str,
    scope: str,
    unit: str,
    first_week: date,
    values: Sequence[float | None],
    team_id: str = TEAM,
) -> None:
    """One point a week (Tuesday noon UTC) from ``first_week``; None: no point that week."""
    points = [
        NewPoint(metric, scope, value, unit, at_ten(first_week + timedelta(weeks=n, days=1)))
        for n, value in enumerate(values)
        if value is not None
    ]
    metrics.upsert_points(
        session, team_id=team_id, points=points, source="csv", received_at=at_ten(first_week)
    )


def resolve(
    session: Session,
    key: str,
    *,
    on: datetime,
    effort_days: float | None = None,
    team_id: str = TEAM,
) -> None:
    """``/debt status KEY resolved effort …`` as a lead ran it at ``on``."""
    change = register_service.set_status(
        session,
        team_id=team_id,
        key=key,
        status="resolved",
        why="fixed",
        command="/debt status",
        actor="U0LEAD",
        now=on,
        zone=UTC,
        effort_days=effort_days,
    )
    assert change is not None
