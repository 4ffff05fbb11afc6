"""Named demo steps: any failure inside one becomes a ``DemoError`` naming the step.

The command line prints ``demo failed at step '…': reason`` and exits non-zero, never a
traceback. Reasons are one line and carry no secrets (the demo's secrets are random and
never part of an exception message).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

MAX_REASON = 300


class StepFailed(Exception):
    """Raised inside a step: ``str()`` is the reason, the enclosing step adds its name."""


class DemoError(Exception):
    """A demo step failed. ``str()`` is the one line shown to the user."""

    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        self.hint = ""  # e.g. where the bot's warnings were written
        super().__init__(step, reason)

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"demo failed at step '{self.step}': {self.reason}{hint}"


def describe(exc: BaseException) -> str:
    """One line for an exception: Slack's error code, or the first line of its message."""
    getter = getattr(getattr(exc, "response", None), "get", None)  # slack_sdk's SlackApiError
    error = getter("error") if callable(getter) else None
    if error:
        return f"Slack answered {error!r}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


@contextmanager
def step(name: str) -> Iterator[None]:
    """Run a block as the step ``name``; any exception is re-raised as a DemoError."""
    try:
        yield
    except DemoError:
        raise
    except StepFailed as exc:
        raise DemoError(name, str(exc)) from exc
    except Exception as exc:
        raise DemoError(name, describe(exc)) from exc


def check(condition: object, reason: str) -> None:
    """Fail the enclosing step with ``reason`` unless ``condition`` holds."""
    if not condition:
        raise StepFailed(reason)
