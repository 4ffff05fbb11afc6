"""The audit reason of a register change made by a command, written and read back (pure)."""

from __future__ import annotations


def command_reason(command: str, why: str) -> str:
    """The audit reason of a change made by a command: the command, and the words a lead
    gave after it (``/debt status: fixed by PR 412``); :func:`stated_why` reads them back."""
    return f"{command}: {why}" if why else command


def stated_why(reason: str) -> str:
    """The words a lead gave for a change made with a ``/debt`` command or a ``debtpulse``
    command ("" when none)."""
    command, _, why = reason.partition(": ")
    return why if command.startswith(("/debt ", "debtpulse ")) else ""
