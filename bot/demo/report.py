"""What the demo prints: a line per simulated week, then what the channel would show."""

from __future__ import annotations

from collections.abc import Sequence

from bot.demo.week import WeekReport

WIDTH = 72


def week_line(report: WeekReport) -> str:
    parts = [
        "poll opened" if report.run_id is not None else "no poll",
        f"{report.answered} of {report.recipients} engineers answered",
        _count(report.reminders, "reminder"),
        _count(report.incidents, "incident"),
    ]
    parts += [f"{key} resolved" for key in report.resolved]
    if report.digest:
        parts.append(report.digest)
    return f"week {report.week} ({report.monday.isoformat()}): " + ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def section(title: str, body: str) -> str:
    """A titled block of text, indented, as the terminal shows a Slack message."""
    rule = f"── {title} " + "─" * max(3, WIDTH - len(title) - 4)
    lines = [f"  {line}".rstrip() for line in body.splitlines()]
    return "\n".join(["", rule, *lines])


def truth_check(truth_order: Sequence[str], ranking: Sequence[str], n: int = 3) -> str:
    """The simulation's hidden top items next to debtpulse's, and how many agree."""
    hidden, shown = list(truth_order[:n]), list(ranking[:n])
    agree = len(set(hidden) & set(shown))
    return (
        f"hidden truth's top {n}: {', '.join(hidden)} · debtpulse's top {n}: "
        f"{', '.join(shown)} ({agree} of {n} agree)"
    )
