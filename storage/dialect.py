"""What differs between SQLite and PostgreSQL: INSERT … ON CONFLICT, and waiting for a lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
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


def lock_for_transaction(session: Session, name: str) -> None:
    """Wait, until the end of the transaction, for any other transaction holding ``name``.

    PostgreSQL: a transaction-level advisory lock. SQLite: nothing to do, a write
    transaction already holds the database's one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
