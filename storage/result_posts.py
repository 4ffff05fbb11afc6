"""A closed run's results, one row per channel: recorded at the close, posted until they land."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from storage.dialect import insert
from storage.models import PollResultPost, PollRun


def plan(session: Session, *, run: PollRun, targets: Iterable[tuple[str, str]]) -> None:
    """Record a pending post per ``(channel, thread_ts)``; a channel recorded already is kept."""
    for channel, thread_ts in targets:
        session.execute(
            insert(session, PollResultPost)
            .values(
                team_id=run.team_id,
                poll_run_id=run.id,
                channel_id=channel,
                thread_ts=thread_ts,
                status="pending",
            )
            .on_conflict_do_nothing(index_elements=["poll_run_id", "channel_id"])
        )


def _due(stale_before: datetime) -> ColumnElement[bool]:
    return or_(
        col(PollResultPost.status) == "pending",
        (col(PollResultPost.status) == "posting") & (col(PollResultPost.updated_at) < stale_before),
    )


def of_run(session: Session, *, run_id: int) -> list[PollResultPost]:
    statement = (
        select(PollResultPost)
        .where(PollResultPost.poll_run_id == run_id)
        .order_by(col(PollResultPost.id))
    )
    return list(session.exec(statement).all())


def runs_due(session: Session, *, stale_before: datetime, team_id: str | None = None) -> list[int]:
    """Closed runs with a results post still to make (pending, or a post interrupted); of
    ``team_id`` only, when given."""
    statement = select(PollResultPost.poll_run_id).where(_due(stale_before))
    if team_id is not None:
        statement = statement.where(PollResultPost.team_id == team_id)
    statement = statement.distinct().order_by(col(PollResultPost.poll_run_id))
    return list(session.exec(statement).all())


def teams_due(session: Session, *, stale_before: datetime) -> list[str]:
    """The teams with a results post still to make, sorted."""
    statement = select(PollResultPost.team_id).where(_due(stale_before)).distinct()
    return sorted(session.exec(statement).all())


def claim(session: Session, *, post_id: int, now: datetime, stale_before: datetime) -> bool:
    """Mark a due post as under way; False when another caller has it or it is done.

    One conditional UPDATE: of the closing command and the worker's tick, one posts.
    """
    result = session.execute(
        update(PollResultPost)
        .where(col(PollResultPost.id) == post_id, _due(stale_before))
        .values(status="posting", attempts=col(PollResultPost.attempts) + 1, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark(
    session: Session,
    *,
    post_id: int,
    status: str,
    now: datetime,
    error: str = "",
    message_ts: str = "",
) -> None:
    session.execute(
        update(PollResultPost)
        .where(col(PollResultPost.id) == post_id)
        .values(status=status, last_error=error[:200], message_ts=message_ts, updated_at=now)
    )
