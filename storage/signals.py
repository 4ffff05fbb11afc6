"""Automated signals about debt items, deduplicated by the sender's ``dedup_key``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.dialect import insert
from storage.models import Signal


def add_signal(
    session: Session,
    *,
    team_id: str,
    debt_item_id: int,
    kind: str,
    value: float,
    source: str,
    observed_at: datetime,
    dedup_key: str,
    received_at: datetime,
    ended_at: datetime | None = None,
) -> bool:
    """Store a signal; False (and nothing written) when its ``dedup_key`` was seen before."""
    statement = (
        insert(session, Signal)
        .values(
            team_id=team_id,
            debt_item_id=debt_item_id,
            kind=kind,
            value=value,
            source=source,
            observed_at=observed_at,
            dedup_key=dedup_key,
            received_at=received_at,
            ended_at=ended_at,
        )
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
        .returning(Signal.id)
    )
    return session.execute(statement).first() is not None


def record_end(session: Session, *, team_id: str, dedup_key: str, ended_at: datetime) -> bool:
    """Record when the stored signal ``dedup_key`` ended, if it has no end yet and began no
    later than ``ended_at``; whether it was recorded. An end once recorded is kept."""
    statement = (
        update(Signal)
        .where(
            col(Signal.team_id) == team_id,
            col(Signal.dedup_key) == dedup_key,
            col(Signal.ended_at).is_(None),
            col(Signal.observed_at) <= ended_at,
        )
        .values(ended_at=ended_at)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def signals_for_team(
    session: Session, *, team_id: str, since: datetime | None = None
) -> list[Signal]:
    query = select(Signal).where(Signal.team_id == team_id)
    if since is not None:
        query = query.where(Signal.observed_at >= since)
    return list(session.exec(query.order_by(col(Signal.observed_at))))


def source_counts(
    session: Session, *, team_id: str, debt_item_id: int, since: datetime
) -> dict[str, int]:
    """How many of the item's signals observed since ``since`` each source sent (the
    source as stored: ``""`` when the sender named none)."""
    query = (
        select(Signal.source, func.count())
        .where(
            Signal.team_id == team_id,
            Signal.debt_item_id == debt_item_id,
            col(Signal.observed_at) >= since,
        )
        .group_by(col(Signal.source))
    )
    return {str(source or ""): int(count) for source, count in session.exec(query)}
