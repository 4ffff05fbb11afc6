"""The current time, for every layer; this module imports nothing heavy (no SQLAlchemy)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware UTC. Storage callers pass explicit times where it matters."""
    return datetime.now(UTC)
