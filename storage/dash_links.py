"""The dashboard's one-time sign-in links, kept as their hashes (``dashboard_link``).

The caller hashes; this module never sees a link's token. Using a link is one ``UPDATE``
that sets ``used_at`` only where it is still empty, so of two requests racing with the same
link exactly one signs in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage.models import DashboardLink


def add(
    session: Session,
    *,
    token_hash: str,
    team_id: str,
    user_id: str,
    is_lead: bool,
    created_at: datetime,
) -> None:
    session.add(
        DashboardLink(
            token_hash=token_hash,
            team_id=team_id,
            user_id=user_id,
            is_lead=is_lead,
            created_at=created_at,
        )
    )
    session.flush()


def by_hash(session: Session, *, token_hash: str) -> DashboardLink | None:
    """The link holding ``token_hash`` (unique), or None."""
    return session.exec(select(DashboardLink).where(DashboardLink.token_hash == token_hash)).first()


def use(session: Session, *, link_id: int, at: datetime) -> bool:
    """Mark the link used at ``at``; False when it was used already (by a request that
    committed first: PostgreSQL re-checks the row, SQLite's write lock serialises)."""
    statement = (
        update(DashboardLink)
        .where(col(DashboardLink.id) == link_id, col(DashboardLink.used_at).is_(None))
        .values(used_at=at)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def forget_before(session: Session, *, before: datetime) -> int:
    """Delete the links made before ``before`` (long expired); how many."""
    statement = delete(DashboardLink).where(col(DashboardLink.created_at) < before)
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
