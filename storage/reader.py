"""Read-only SQL on one DB-API connection, for SQLite and PostgreSQL alike.

The reads the ranking and the digest are computed from are written once, as plain SQL with
``:name`` parameters, and run through a :class:`Reader`:

- in the server and every write path, on the connection of the caller's SQLAlchemy session,
  inside its transaction (:func:`reader_of` takes the session itself);
- in a read-only CLI command on a plain SQLite file, on a connection of the standard
  library's ``sqlite3`` (:func:`open_sqlite`), so neither SQLAlchemy nor the table models
  load for ``debtpulse top``: their import alone takes longer than the whole command.

This module imports nothing heavy. Values cross the boundary as the tables store them:
SQLite keeps dates as ``YYYY-MM-DD`` text, times as naive UTC text and booleans as 0/1, so
parameters are converted here, and results go through :func:`as_date`, :func:`as_utc`,
:func:`as_json`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.revision import SCHEMA_HEAD, SchemaOutOfDate, require_head

if TYPE_CHECKING:
    from sqlmodel import Session

#: How SQLAlchemy stores a ``DateTime`` in SQLite (naive UTC, always with microseconds).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
#: The same busy timeout as the engine's (``storage.db``), so a reader waits as long.
SQLITE_BUSY_TIMEOUT_S = 30.0
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class Reader:
    """Runs read-only SQL (``:name`` parameters) on ``connection``, a DB-API connection of
    ``dialect`` (``sqlite`` or ``postgresql``) already in the transaction to read in."""

    def __init__(self, connection: Any, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"debtpulse supports SQLite and PostgreSQL, not {dialect}")
        self.connection = connection
        self.dialect = dialect
        self._statements: dict[str, str] = {}

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(self._statement(sql), self._params(params or {}))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def _statement(self, sql: str) -> str:
        if self.dialect == "sqlite":
            return sql
        statement = self._statements.get(sql)
        if statement is None:  # psycopg's parameters are %(name)s, and % is escaped
            statement = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
            self._statements[sql] = statement
        return statement

    def _params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {name: self._value(value) for name, value in params.items()}

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
            naive = value.astimezone(UTC).replace(tzinfo=None)
            return naive.strftime(SQLITE_DATETIME) if self.dialect == "sqlite" else naive
        if isinstance(value, date) and self.dialect == "sqlite":
            return value.isoformat()
        return value


def in_list(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``(:name_0, :name_1, …)`` and its parameters, for ``column IN`` a list of values
    (``(NULL)``, which matches nothing, for an empty list)."""
    params = {f"{name}_{i}": value for i, value in enumerate(values)}
    if not params:
        return "(NULL)", {}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


def as_date(value: Any) -> date:
    """A stored date (or a time's day): a ``date`` from SQLite's text or PostgreSQL's value."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_utc(value: Any) -> datetime:
    """A stored time (naive UTC) as an aware UTC ``datetime``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a stored time: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_json(value: Any) -> Any:
    """A JSON column's value: SQLite returns its text, psycopg the decoded value."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def reader_of(source: Session | Reader) -> Reader:
    """``source`` itself, or a reader on the connection of a SQLAlchemy session, inside its
    transaction (pending changes of the session are flushed first, so the SQL sees them)."""
    if isinstance(source, Reader):
        return source
    source.flush()
    connection = source.connection()
    return Reader(connection.connection.dbapi_connection, connection.dialect.name)


@contextmanager
def open_sqlite(path: Path) -> Iterator[Reader]:
    """One read transaction on the SQLite file ``path`` (at the newest schema), through the
    standard library alone; nothing can be written on it.

    A file that does not exist is refused before connecting (which would leave an empty file
    behind, a typo'd path), as SQLAlchemy's engine is in ``bot.runtime``.
    """
    if not path.exists():
        raise SchemaOutOfDate(None, SCHEMA_HEAD)
    connection = sqlite3.connect(
        path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA query_only=ON")
        connection.execute("BEGIN")  # one snapshot for every read of the command
        reader = Reader(connection, "sqlite")
        require_head(_sqlite_revision(reader))
        yield reader
    finally:
        connection.close()  # ends the read transaction


def _sqlite_revision(reader: Reader) -> str | None:
    """The revision recorded in a SQLite database (None for an empty one)."""
    if not reader.rows(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name",
        {"name": "alembic_version"},
    ):
        return None
    value = reader.scalar("SELECT version_num FROM alembic_version")
    return None if value is None else str(value)
