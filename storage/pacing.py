"""Slack's rate limits, booked in the database: every process that sends for a workspace
(workers, a ``poll send`` in the web process or the CLI) shares one budget per method.

One ``slack_pace`` row per (team, key). A sender reads the row locked for its transaction
(:func:`locked`), works out when its call may go, and books it (:func:`book`) before the
commit, so two processes never book the same moment. The arithmetic (a generic cell rate
algorithm) is the caller's; this module only keeps the number.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col

from storage.dialect import insert_for
from storage.models import SlackPace


def locked(session: Session, *, team_id: str, key: str) -> float | None:
    """How far ``key`` is booked (seconds since the epoch; None when never), with the row
    locked until the transaction ends.

    One upsert that changes nothing: it creates the row when missing and takes its row lock
    on PostgreSQL either way (SQLite's write transaction holds the database's lock already).
    """
    statement = _locking(session.get_bind().dialect.name)
    until = float(session.execute(statement, {"b_team": team_id, "b_key": key}).scalar_one())
    return until or None


def book(session: Session, *, team_id: str, key: str, until: float) -> None:
    """Record that ``key`` is booked until ``until`` (after :func:`locked` in this transaction)."""
    session.execute(_BOOK, {"b_team": team_id, "b_key": key, "b_until": until})


# Built once (per database kind): every paced Slack call runs both.
@cache
def _locking(dialect: str) -> Any:
    statement = insert_for(dialect, SlackPace).values(
        team_id=bindparam("b_team"), key=bindparam("b_key"), booked_until=0.0
    )
    return statement.on_conflict_do_update(
        index_elements=["team_id", "key"],
        set_={"booked_until": col(SlackPace.booked_until)},
    ).returning(col(SlackPace.booked_until))


_BOOK = (
    update(SlackPace)
    .where(col(SlackPace.team_id) == bindparam("b_team"), col(SlackPace.key) == bindparam("b_key"))
    .values(booked_until=bindparam("b_until"))
    .execution_options(synchronize_session=False)
)
