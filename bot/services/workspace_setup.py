"""What a workspace still has to set up before its polls can run, for App Home's checklist:
a poll channel (unless every survey has an audience of its own), debtpulse invited to its
channels (asked of Slack with ``conversations.info``), digest channels, its leads, and the
deployment's anonymity secret.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.services import team_settings
from bot.slack.home_views import SetupState

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.runtime import Runtime

logger = logging.getLogger(__name__)


def _bot_in(client: WebClient, channel: str) -> bool | None:
    """Whether debtpulse is a member of ``channel``; None when Slack will not say. A private
    channel it is not in is one Slack does not show it at all."""
    try:
        found = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "channel_not_found":
            return False
        logger.info("conversations.info %s: %s", channel, error)
        return None
    except OSError as exc:
        logger.info("conversations.info %s: %s", channel, type(exc).__name__)
        return None
    return bool(found.get("is_member"))


def setup_state(runtime: Runtime, team: str, client: WebClient) -> SetupState:
    """Where ``team`` stands (``runtime``: its own; ``client``: with its bot token)."""
    shown = {item.key: item for item in team_settings.show(runtime, team)}
    poll_channel = shown["poll_channel"].value
    digest_channels = tuple(shown["digest_channels"].value)
    templates = list(runtime.catalog.values())
    needs_poll_channel = any(t.survey is not None and t.survey.audience is None for t in templates)
    needs_digest = any(t.digest is not None and not t.digest.channels for t in templates)
    channels = [poll_channel] if poll_channel else []
    channels += [channel for channel in digest_channels if channel not in channels]
    member = {channel: _bot_in(client, channel) for channel in channels}
    leads = shown["leads"]
    return SetupState(
        poll_channel=poll_channel,
        poll_channel_needed=needs_poll_channel,
        not_invited=tuple(channel for channel, inside in member.items() if inside is False),
        unchecked=tuple(channel for channel, inside in member.items() if inside is None),
        digest_channels=digest_channels,
        digest_needed=needs_digest,
        leads_chosen=bool(leads.value) and leads.source != "installer",
        anon_secret=runtime.anon_secret is not None,
    )
