"""Turning failures into one clear line for the terminal — never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from sqlalchemy.exc import OperationalError

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
    except OperationalError as exc:
        # The driver's message can include the URL; show only its first line's reason.
        reason = str(exc.orig).splitlines()[0] if exc.orig else "unknown error"
        fail(f"database error: {reason} (check DATABASE_URL)", EXIT_CONFIG)
