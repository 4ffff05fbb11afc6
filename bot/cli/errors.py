"""Turning failures into one clear line for the terminal — never a traceback."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import DatabaseError, OperationalError

from bot.config import ConfigError
from bot.core.problems import InputRejected
from bot.teams import TeamError
from storage.db import SchemaOutOfDate
from surveys import TemplateErrors

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


def guarded(main: Callable[[], object]) -> None:
    """Run the CLI, mapping known failures to messages and exit codes."""
    try:
        main()
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)
    except SchemaOutOfDate as exc:
        fail(str(exc), EXIT_CONFIG)
    except TeamError as exc:
        fail(str(exc), EXIT_CONFIG)
    except InputRejected as exc:
        count = len(exc.problems)
        print("\n".join(str(problem) for problem in exc.problems), file=sys.stderr)
        fail(f"rejected: {count} problem{'s' if count != 1 else ''}; nothing was changed")
    except TemplateErrors as exc:
        print(str(exc), file=sys.stderr)
        fail("the survey templates have problems: run `debtpulse surveys check`", EXIT_CONFIG)
    except DatabaseError as exc:
        # OperationalError: cannot connect or open; a plain DatabaseError: not a database at
        # all (SQLite's "file is not a database"). Constraint errors and the like are bugs.
        if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
            raise
        # The driver's message can include the URL; show only its first line's reason.
        reason = str(exc.orig).splitlines()[0] if exc.orig else "unknown error"
        fail(f"database error: {reason} (check DATABASE_URL)", EXIT_CONFIG)
