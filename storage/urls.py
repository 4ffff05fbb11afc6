"""Database URLs read without SQLAlchemy, so a command can tell a plain SQLite file from any
other URL before deciding whether it needs SQLAlchemy at all."""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///./debtpulse.db"
_PLAIN_SQLITE = ("sqlite:///", "sqlite+pysqlite:///")


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///PATH``, no query, no %-escapes), which
    the standard library's ``sqlite3`` opens as SQLAlchemy would; None for any other URL
    (PostgreSQL, an in-memory database, a URL with options), which only SQLAlchemy reads."""
    for prefix in _PLAIN_SQLITE:
        if url.startswith(prefix):
            path = url[len(prefix) :]
            if not path or path == ":memory:" or any(c in path for c in "%?#"):
                return None
            return Path(path)
    return None
