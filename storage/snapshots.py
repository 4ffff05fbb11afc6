"""Weekly priority snapshots: the ranking as it stood, kept as an audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from storage.dialect import insert, lock_for_transaction
from storage.models import PrioritySnapshot


def lock_week(session: Session, *, team_id: str, taken_for: date) -> None:
    """Wait, until the end of the transaction, for any other transaction taking the same
    team's snapshot of that week, so the second one sees the first one's rows."""
    lock_for_transaction(session, f"debtpulse:snapshot:{team_id}:{taken_for.isoformat()}")


def write_snapshot(
    session: Session,
    *,
    team_id: str,
    taken_for: date,
    rows: Sequence[dict[str, Any]],
    weights_version: str,
    at: datetime,
) -> int:
    """Store a week's ranking once. Rows already stored for that week are kept as they were.

    Each row holds ``debt_item_id, rank, score, components, n_respondents, suppressed``.
    Returns the number of rows written (0 when the week was already taken).
    """
    written = 0
    for row in rows:
        statement = (
            insert(session, PrioritySnapshot)
            .values(
                team_id=team_id,
                taken_for=taken_for,
                weights_version=weights_version,
                created_at=at,
                **row,
            )
            .on_conflict_do_nothing(index_elements=["team_id", "taken_for", "debt_item_id"])
            .returning(PrioritySnapshot.id)
        )
        written += session.execute(statement).first() is not None
    return written


def snapshot(session: Session, *, team_id: str, taken_for: date) -> list[PrioritySnapshot]:
    return list(
        session.exec(
            select(PrioritySnapshot)
            .where(PrioritySnapshot.team_id == team_id, PrioritySnapshot.taken_for == taken_for)
            .order_by(col(PrioritySnapshot.rank))
        )
    )


def previous_week(session: Session, *, team_id: str, before: date) -> date | None:
    """The most recent snapshot week strictly before ``before``."""
    return session.exec(
        select(func.max(PrioritySnapshot.taken_for)).where(
            PrioritySnapshot.team_id == team_id, PrioritySnapshot.taken_for < before
        )
    ).first()


def item_row(
    session: Session, *, team_id: str, taken_for: date, debt_item_id: int | None
) -> PrioritySnapshot | None:
    return session.exec(
        select(PrioritySnapshot).where(
            PrioritySnapshot.team_id == team_id,
            PrioritySnapshot.taken_for == taken_for,
            PrioritySnapshot.debt_item_id == debt_item_id,
        )
    ).first()
