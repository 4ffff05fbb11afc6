"""Is this Slack user a person who can own debt? One ``users.info`` call, asked when set."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


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
        logger.warning("could not check %s with users.info: %s", user, error)
        return None
    except OSError as exc:
        logger.warning("could not check %s with users.info: %s", user, exc.__class__.__name__)
        return None
    if info.get("is_bot") or user == "USLACKBOT":
        return f"<@{user}> is a bot, not a person"
    if info.get("deleted"):
        return f"<@{user}> is deactivated"
    return None
