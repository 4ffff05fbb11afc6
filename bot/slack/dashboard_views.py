"""`/debt dashboard`: the one-time sign-in link, shown to the person who asked alone."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import context, message, section
from surveys import mrkdwn_escape as esc


def dashboard_link(url: str, *, is_lead: bool, minutes: int, hours: int) -> dict[str, Any]:
    """The link as a reply only its person sees; the notification's fallback text leaves
    the link out."""
    parts = "the ranking, each item's reasons and history, polls and the return on fixes"
    if is_lead:
        parts += ", and, as a lead, the register as CSV"
    return message(
        [
            section(f":bar_chart: *<{esc(url)}|Open the debtpulse dashboard>*"),
            section(
                f"The link signs you in once, within {minutes} minutes, to this workspace's "
                f"dashboard: {parts}. Your session lasts {hours} hours."
            ),
            context("Shown to you alone: do not share it. Need another? `/debt dashboard`."),
        ],
        "Your dashboard sign-in link (open the message)",
    )
