"""Telling one person something privately: ephemeral in the channel, else a DM."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


def tell(client: WebClient, *, channel: str | None, user: str, text: str) -> None:
    """Ephemeral in ``channel`` when it is a channel the bot can post in; otherwise (or when
    that fails) a DM. A failure of both is logged, never raised to the listener."""
    if channel and channel.startswith(("C", "G")):
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        except SlackApiError as exc:
            logger.info("ephemeral reply failed (%s); sending a DM", exc.response.get("error"))
    try:
        client.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        logger.warning("a private reply could not be sent (%s)", exc.response.get("error"))
