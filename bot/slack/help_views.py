"""`/debt help`, usage mistakes and refusals."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import (
    message,
    notice,
    section,
)
from bot.slack.parse import USAGE
from surveys import mrkdwn_escape as esc

#: What ``effort`` and ``accepted`` mean, under the lead commands.
STATUS_NOTE = (
    "_`effort` is what a fix cost: 3d, 4h (8 h a day), 2w (5 days a week). "
    "`accepted` keeps debt as it is on purpose: out of the ranking until its review date, "
    "when it reopens itself._"
)


def help_message(*, is_lead: bool) -> dict[str, Any]:
    everyone = [USAGE[name] for name in ("top", "show", "why", "roi", "polls")]
    everyone += ["/debt digest preview", USAGE["dashboard"]]
    leads = [USAGE[name] for name in ("add", "assess", "owner", "status", "poll", "export")]
    leads += ["/debt digest post [force]", USAGE["signals"], USAGE["inbox"], USAGE["config"]]
    lines = [f"`{usage}`" for usage in everyone]
    blocks = [
        section("*debtpulse* ranks technical debt by risk, the team's pain and signals."),
        section("*For everyone*\n" + "\n".join(lines)),
    ]
    # one line per form of a command ("send … | close …")
    lead_lines = "\n".join(f"`{form}`" for usage in leads for form in usage.split(" | "))
    lead_lines += "\n" + STATUS_NOTE
    suffix = "" if is_lead else "\n_(leads only — ask one of this workspace's leads)_"
    blocks.append(section("*For leads*\n" + lead_lines + suffix))
    return message(blocks, "debtpulse commands")


def usage_message(problem: str, usage: str) -> dict[str, Any]:
    return message(
        [section(f":warning: {esc(problem)}\nUsage: `{esc(usage)}` — see `/debt help`.")],
        f"{problem}. Usage: {usage}",
    )


def refusal(command: str) -> dict[str, Any]:
    return notice(
        f"Sorry, `/debt {esc(command)}` is for team leads. "
        "Ask a lead, or see `/debt help` for what everyone can do."
    )
