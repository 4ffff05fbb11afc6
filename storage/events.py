"""Inbound event ids, so a redelivered event is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session

from storage.dialect import insert
from storage.models import InboundEvent


def first_delivery(session: Session, *, team_id: str, event_id: str, at: datetime) -> bool:
    """True the first time ``event_id`` is seen for the team; False for any redelivery."""
    statement = (
        insert(session, InboundEvent)
        .values(team_id=team_id, event_id=event_id, received_at=at)
        .on_conflict_do_nothing(index_elements=["team_id", "event_id"])
        .returning(InboundEvent.id)
    )
    return session.execute(statement).first() is not None


def forget_delivery(session: Session, *, team_id: str, event_id: str) -> None:
    """Forget that ``event_id`` was seen (its handling failed), so Slack's retry acts."""
    session.execute(
        delete(InboundEvent).where(
            InboundEvent.team_id == team_id,  # type: ignore[arg-type]
            InboundEvent.event_id == event_id,  # type: ignore[arg-type]
        )
    )
