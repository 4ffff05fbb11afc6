"""The dialect-specific INSERT that supports ON CONFLICT (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert(session: Session, table: Any) -> Any:
    """An ``INSERT`` for ``table`` with ``on_conflict_do_*`` for the session's database."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table: Any) -> Any:
    """The same, by dialect name (for statements built once and cached)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"debtpulse supports SQLite and PostgreSQL, not {dialect}")
