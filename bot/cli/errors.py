"""Turning failures into one clear line for the terminal — never a traceback."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

EXIT_INPUT = 1
EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    print(f"debtpulse: {message}", file=sys.stderr)
    raise SystemExit(code)


def _cannot_write(option: str, path: Path, exc: OSError) -> NoReturn:
    fail(f"{option}: cannot write {path} ({exc.strerror or exc.__class__.__name__})")


def check_writable(path: Path, option: str) -> None:
    """Fail early, before any work, when ``path`` surely cannot be written."""
    if path.is_dir():
        fail(f"{option}: cannot write {path} (Is a directory)")
    if not path.parent.is_dir():
        reason = "Not a directory" if path.parent.exists() else "No such file or directory"
        fail(f"{option}: cannot write {path} ({reason})")


def write_file(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` to ``path`` whole or not at all; a failure is one line naming ``option``.

    A regular file is written beside the target and renamed over it, so neither a partial
    file nor a half-overwritten old one is ever left behind. A device or pipe
    (``/dev/stdout``) is written in place.
    """
    check_writable(path, option)
    try:
        if path.exists() and not path.is_file():
            with path.open("wb") as out:
                out.write(data)
            return
        target = path.resolve()  # a symlink's file is replaced, not the link
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        _cannot_write(option, path, exc)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        _cannot_write(option, path, exc)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """The old file's permissions, or a new file's (0666 less the umask) like ``open``."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _loaded(module: str, name: str) -> type[BaseException] | None:
    """The exception class ``module.name`` if that module was imported: an exception of a
    module this process never loaded cannot have been raised (so none is loaded here)."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _is(exc: BaseException, module: str, name: str) -> bool:
    kind = _loaded(module, name)
    return kind is not None and isinstance(exc, kind)


def guarded(main: Callable[[], object]) -> None:
    """Run the CLI, mapping known failures to messages and exit codes."""
    try:
        main()
    except Exception as exc:
        _fail_known(exc)
        raise


def _fail_known(exc: Exception) -> None:
    """Fail with the one line of a known failure; return for any other (a bug: re-raised)."""
    if _is(exc, "bot.config", "ConfigError"):
        fail(str(exc), EXIT_CONFIG)
    if _is(exc, "storage.revision", "SchemaOutOfDate"):
        fail(str(exc), EXIT_CONFIG)
    if _is(exc, "bot.teams", "TeamError"):
        fail(str(exc), EXIT_CONFIG)
    if _is(exc, "bot.core.problems", "InputRejected"):
        problems = getattr(exc, "problems", [])
        count = len(problems)
        print("\n".join(str(problem) for problem in problems), file=sys.stderr)
        fail(f"rejected: {count} problem{'s' if count != 1 else ''}; nothing was changed")
    if _is(exc, "surveys.loader", "TemplateErrors"):
        print(str(exc), file=sys.stderr)
        fail("the survey templates have problems: run `debtpulse surveys check`", EXIT_CONFIG)
    reason = _database_failure(exc)
    if reason is not None:
        # The driver's message can include the URL; show only its first line's reason.
        fail(f"database error: {reason} (check DATABASE_URL)", EXIT_CONFIG)


def _database_failure(exc: Exception) -> str | None:
    """Why the database could not be used, or None for any other failure.

    Through SQLAlchemy, an OperationalError (cannot connect or open) or a plain
    DatabaseError (not a database at all: SQLite's "file is not a database"); read with
    ``sqlite3`` directly (``storage/reader.py``), the same two of the driver. Constraint
    errors and the like are bugs.
    """
    operational = _loaded("sqlalchemy.exc", "OperationalError")
    database = _loaded("sqlalchemy.exc", "DatabaseError")
    if operational is not None and database is not None and isinstance(exc, database):
        if not isinstance(exc, operational) and type(exc) is not database:
            return None
        orig = getattr(exc, "orig", None)
        return str(orig).splitlines()[0] if orig else "unknown error"
    if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
        return (str(exc).splitlines() or ["unknown error"])[0]
    return None
