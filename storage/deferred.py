"""Rows written when their transaction commits, one statement for many answers.

The answer writer (``bot.services.answer_writer``) runs the answers that arrive together
in one transaction. Each answer would still send its own INSERTs; a session marked with
:func:`defer_writes` instead collects the rows of the statements that take many, and
:func:`flush` sends each statement once with all its rows, in the order they came, just
before the commit. Without the mark, rows are written at once, as usual.

Nothing is read back from these statements (they are built with ``Insert.inline()``, so no
RETURNING of the new rows' ids): on PostgreSQL they go out in one pipeline with the COMMIT
(``storage.writer_conn``).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

_KEY = "deferred_rows"


def defer_writes(session: Session) -> None:
    """From now on, :func:`execute` collects rows in ``session`` until :func:`flush`."""
    session.info[_KEY] = {}


def execute(session: Session, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` with ``statement`` now, or at :func:`flush` when deferred."""
    pending: dict[int, tuple[Any, list[dict[str, Any]]]] | None = session.info.get(_KEY)
    if pending is None:
        session.connection().execute(statement, rows)
        return
    pending.setdefault(id(statement), (statement, []))[1].extend(rows)


def flush(session: Session) -> None:
    """Send every deferred statement once with all its rows, in order of first use."""
    pending: dict[int, tuple[Any, list[dict[str, Any]]]] = session.info.get(_KEY) or {}
    for statement, rows in pending.values():
        session.connection().execute(statement, rows)
    pending.clear()
