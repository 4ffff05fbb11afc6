"""Who is a person in Slack: channel members, and whether a user is a person (no bot,
not deactivated) — for poll audiences, App Home and debt owners alike."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


def channel_members(client: WebClient, channel: str) -> set[str]:
    """Every member of ``channel``, page by page."""
    members: set[str] = set()
    cursor = None
    while True:
        page = client.conversations_members(channel=channel, cursor=cursor, limit=200)
        members |= set(page["members"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


def why_not_a_person(user: str, info: Mapping[str, Any]) -> str | None:
    """From ``users.info``: why ``user`` is not a person (a bot, deactivated), or None."""
    if info.get("is_bot") or user == "USLACKBOT":
        return f"<@{user}> is a bot, not a person"
    if info.get("deleted"):
        return f"<@{user}> is deactivated"
    return None


def not_a_person(client: WebClient, user: str) -> str | None:
    """Why ``user`` cannot own a debt item (a bot, deactivated, unknown), or None if they can.

    When Slack cannot be asked (a network error, a rate limit that outlasted the retries),
    the user is taken as given rather than refused: the check protects from typos, and the
    owner can be changed again.
    """
    try:
        info = client.users_info(user=user)["user"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in {"user_not_found", "user_not_visible"}:
            return f"<@{user}> is not a member of this workspace"
        logger.warning("could not check a debt owner with users.info: %s", error)
        return None
    except OSError as exc:
        logger.warning("could not check a debt owner with users.info: %s", type(exc).__name__)
        return None
    return why_not_a_person(user, info)
