"""Automated signals about debt items, deduplicated by the sender's ``dedup_key``."""

from __future__ import annotations

from datetime import datetime

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
        )
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
        .returning(Signal.id)
    )
    return session.execute(statement).first() is not None


def signals_for_team(
    session: Session, *, team_id: str, since: datetime | None = None
) -> list[Signal]:
    query = select(Signal).where(Signal.team_id == team_id)
    if since is not None:
        query = query.where(Signal.observed_at >= since)
    return list(session.exec(query.order_by(col(Signal.observed_at))))
