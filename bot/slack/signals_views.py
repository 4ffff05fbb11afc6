"""`/debt signals token`: a workspace's signals token, shown once to the lead who made it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.blocks import context, is_user_id, message, notice, section
from surveys import mrkdwn_escape as esc

ROTATE = "/debt signals token rotate"


def _made(hint: str, created_at: datetime, created_by: str) -> str:
    by = f"<@{created_by}>" if is_user_id(created_by) else esc(created_by)
    return f"`{esc(hint)}…`, made {created_at:%Y-%m-%d %H:%M} UTC by {by}"


def token_status(current: tuple[str, datetime, str] | None) -> dict[str, Any]:
    """Whether this workspace has a token of its own (its hint, when and by whom): never
    the token."""
    if current is None:
        return notice(
            "This workspace has no signals token of its own yet. "
            f"`{ROTATE}` makes one and shows it to you once."
        )
    return notice(
        f"This workspace's signals token is {_made(*current)}. "
        f"`{ROTATE}` replaces it: the old one stops working at once."
    )


def token_issued(token: str, replaced: tuple[str, datetime, str] | None) -> dict[str, Any]:
    """The new token, in the reply only the lead sees. The fallback text leaves it out."""
    before = (
        f"The previous token ({_made(*replaced)}) no longer works."
        if replaced is not None
        else "It is this workspace's first token."
    )
    return message(
        [
            section(
                ":key: *New signals token for this workspace.* It is shown this once, to you "
                "alone: debtpulse keeps only its hash. Copy it now:"
            ),
            section(f"```{token}```"),
            section(
                "Send it as `Authorization: Bearer TOKEN` with each `POST /api/signals`; "
                f"it is valid for this workspace only, so `?team=` can be left out. {before}"
            ),
            context("Lost it? Rotate again: a new token replaces it."),
        ],
        "Your new signals token, shown once (open the message to copy it)",
    )
