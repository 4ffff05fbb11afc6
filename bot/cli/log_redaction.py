"""Database errors in log lines, told without the values they carry.

``storage.db.make_engine`` hides a statement's parameters (``hide_parameters=True``), but a
database's own message can still repeat them: PostgreSQL's ``DETAIL: Key (poll_run_id,
user_id)=(7, U123) already exists`` or ``Failing row contains (…)`` holds the user id and the
answer of the row that failed. So wherever a log line carries a database error — as the
exception of ``logger.exception``, as an argument of the message, or spliced into the message
text (Bolt's ``f"… (error: {e})"``) — it is told by :func:`describe` instead: the error's
class, its SQLSTATE, and the part of the driver's message that names only the schema (the
constraint, table or column), never a value. The traceback's frames are kept.

Used by every formatter of :mod:`bot.cli.log_setup`, text and JSON alike.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from types import TracebackType
from typing import Any

_DATABASE_PACKAGES = frozenset({"sqlalchemy", "psycopg", "sqlite3", "_sqlite3"})
#: SQLSTATE class 22 (data exception): the driver's message may quote the value it refused.
_QUOTES_VALUES = ("22",)
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def is_database_error(exc: BaseException) -> bool:
    """An error of SQLAlchemy or of a database driver (without importing either)."""
    return any(cls.__module__.split(".", 1)[0] in _DATABASE_PACKAGES for cls in type(exc).__mro__)


def _chain(exc: BaseException) -> Iterator[tuple[BaseException, str | None]]:
    """``exc`` and the exceptions it came from, each with how it led to the one before."""
    seen: set[int] = set()
    current: BaseException | None = exc
    how: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current, how
        if current.__cause__ is not None:
            current, how = current.__cause__, "cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, how = current.__context__, "context"
        else:
            current = None


def database_errors(exc: BaseException | None) -> list[BaseException]:
    """The database errors in ``exc``'s chain (and the driver errors they wrap)."""
    found: list[BaseException] = []
    for link, _ in _chain(exc) if exc is not None else ():
        if is_database_error(link):
            found.append(link)
            orig = getattr(link, "orig", None)
            if isinstance(orig, BaseException) and orig not in found:
                found.append(orig)
    return found


def describe(exc: BaseException) -> str:
    """``IntegrityError (SQLSTATE 23514): new row for relation "response" violates check
    constraint "…"`` — the class, the code and the schema-only part of the reason."""
    driver = getattr(exc, "orig", None) or exc
    code = getattr(driver, "sqlstate", None)
    reason: str | None = None
    if isinstance(code, str):
        primary = getattr(getattr(driver, "diag", None), "message_primary", None)
        if primary and not code.startswith(_QUOTES_VALUES):
            reason = str(primary)
    elif type(driver).__module__.split(".", 1)[0] in ("sqlite3", "_sqlite3"):
        # SQLite's messages name tables, columns and constraints, never a row's values
        lines = str(driver).strip().splitlines()
        reason = lines[0][:200] if lines else None
    name = type(exc).__name__
    if driver is not exc:
        name += f" ({type(driver).__module__}.{type(driver).__name__})"
    if isinstance(code, str):
        name += f" [SQLSTATE {code}]"
    return f"{name}: {reason or 'reason withheld'} (values withheld)"


def _scrubbed(text: str, errors: list[BaseException]) -> str:
    for error in errors:
        told = str(error)
        if told and told in text:
            text = text.replace(told, describe(error))
    return text


def format_exception(exc_info: ExcInfo) -> str:
    """The traceback of ``exc_info``; when a database error is in its chain, with every
    frame, each database error told by :func:`describe` and every other message cleared of
    their text."""
    errors = database_errors(exc_info[1])
    if not errors:  # as Python prints it
        return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    links = list(_chain(exc_info[1]))
    parts: list[str] = []
    for index in range(len(links) - 1, -1, -1):
        exc, how = links[index]
        if exc.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(exc.__traceback__))
        kind = type(exc)
        qualified = kind.__qualname__
        if kind.__module__ not in ("builtins", "__main__"):
            qualified = f"{kind.__module__}.{qualified}"
        told = describe(exc) if is_database_error(exc) else _scrubbed(str(exc), errors)
        parts.append(f"{qualified}: {told}\n" if told else f"{qualified}\n")
        if how is not None:
            parts.append(_CAUSE if how == "cause" else _CONTEXT)
    return "".join(parts).rstrip("\n")


def safe_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` as it may be written: the same record when no database error is in it,
    else a copy whose message tells each database error by :func:`describe`."""
    exc = record.exc_info[1] if record.exc_info else None
    errors = database_errors(exc)
    args: Any = record.args
    values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else ()
    for value in values:
        if isinstance(value, BaseException):
            errors.extend(e for e in database_errors(value) if e not in errors)
    if not errors:
        return record
    safe = logging.makeLogRecord(record.__dict__)
    if isinstance(args, tuple):
        safe.args = tuple(
            describe(a) if isinstance(a, BaseException) and is_database_error(a) else a
            for a in args
        )
    safe.msg, safe.args = _scrubbed(safe.getMessage(), errors), None
    safe.exc_text = None  # never a traceback another formatter rendered in full
    return safe
