"""The scheduler lease: one row per name, held by one process until it expires.

Taking the lease is one atomic statement (``INSERT … ON CONFLICT DO UPDATE … WHERE``), so two
workers racing for it cannot both win, on SQLite or PostgreSQL: the row is inserted when
absent, taken over when expired, renewed when already ours, and left alone otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_
from sqlmodel import Session, col, select

from storage.dialect import insert
from storage.models import SchedulerLease


def try_acquire(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + ttl``; True if held.

    Succeeds when nobody holds it, when its holder's lease expired before ``now``, or when
    ``holder`` already holds it (a renewal keeps the original ``acquired_at``).
    """
    stmt = insert(session, SchedulerLease).values(
        name=name, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl
    )
    holder_col, expires_col = col(SchedulerLease.holder), col(SchedulerLease.expires_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={
            "holder": stmt.excluded.holder,
            "acquired_at": case(
                (holder_col == stmt.excluded.holder, col(SchedulerLease.acquired_at)),
                else_=stmt.excluded.acquired_at,
            ),
            "renewed_at": stmt.excluded.renewed_at,
            "expires_at": stmt.excluded.expires_at,
        },
        where=or_(expires_col < now, holder_col == holder),
    ).returning(holder_col)
    row = session.execute(stmt).first()
    return row is not None and row[0] == holder


def release(session: Session, *, name: str, holder: str) -> bool:
    """Give the lease up if ``holder`` holds it; True if it was released."""
    result = session.execute(
        delete(SchedulerLease).where(
            col(SchedulerLease.name) == name, col(SchedulerLease.holder) == holder
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def current(session: Session, *, name: str) -> SchedulerLease | None:
    """The lease row as stored (possibly expired), or None when nobody took it yet."""
    return session.exec(select(SchedulerLease).where(SchedulerLease.name == name)).first()
