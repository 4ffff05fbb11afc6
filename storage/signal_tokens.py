"""Each workspace's own signals token, kept as its hash: one row per team.

The caller hashes; this module never sees a token.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from storage.dialect import insert, lock_for_transaction
from storage.models import SignalToken


def for_team(session: Session, *, team_id: str) -> SignalToken | None:
    """The team's token row, or None when it has none."""
    return session.exec(select(SignalToken).where(SignalToken.team_id == team_id)).first()


def by_hash(session: Session, *, token_hash: str) -> SignalToken | None:
    """The row holding ``token_hash`` (unique), or None."""
    return session.exec(select(SignalToken).where(SignalToken.token_hash == token_hash)).first()


def any_token(session: Session) -> bool:
    """Whether any workspace has a token."""
    return session.exec(select(func.count()).select_from(SignalToken)).one() > 0


def lock_team(session: Session, *, team_id: str) -> None:
    """Serialise changes of one team's token until the end of the transaction."""
    lock_for_transaction(session, f"debtpulse:signal_token:{team_id}")


def replace(
    session: Session,
    *,
    team_id: str,
    token_hash: str,
    hint: str,
    created_at: datetime,
    created_by: str,
) -> None:
    """Make ``token_hash`` the team's one token, replacing any other in the same statement."""
    values = {
        "token_hash": token_hash,
        "hint": hint,
        "created_at": created_at,
        "created_by": created_by,
    }
    statement = (
        insert(session, SignalToken)
        .values(team_id=team_id, **values)
        .on_conflict_do_update(index_elements=["team_id"], set_=values)
    )
    session.execute(statement)
