"""``/debt`` slash commands sent as Slack sends them, and the replies people would read.

The bot acknowledges a command at once and answers through the command's response URL;
the fake Slack records that post, which is the ephemeral reply the user sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core.blocktext import blocks_to_text
from bot.demo.stack import POLL_CHANNEL, Stack
from bot.demo.steps import StepFailed

REPLY_TIMEOUT_S = 10.0
_MENTION = re.compile(r"@([UW][A-Z0-9]{2,})\b")


class SlashFailed(StepFailed):
    """A slash command got no usable reply; the message says why."""


def slash(stack: Stack, *, user: str, text: str, channel: str = POLL_CHANNEL) -> dict[str, Any]:
    """Send ``/debt TEXT`` as ``user``; the reply's payload (``text`` and ``blocks``)."""
    before = len(stack.fake.response_url_posts)
    response = stack.driver(user).slash(text=text, user=user, channel=channel)
    if not response.ok:
        raise SlashFailed(f"/debt {text} got HTTP {response.status}")
    if response.body_text.strip():  # answered in the acknowledgement itself
        ack = response.json()
        if isinstance(ack, dict) and (ack.get("text") or ack.get("blocks")):
            return ack
    try:
        posts = stack.fake.wait_for(
            lambda: [p for p in stack.fake.response_url_posts[before:] if p.error is None],
            timeout=REPLY_TIMEOUT_S,
        )
    except TimeoutError:
        raise SlashFailed(f"/debt {text}: no reply within {REPLY_TIMEOUT_S:.0f} s") from None
    payload: dict[str, Any] = posts[0].payload
    return payload


def as_text(payload: dict[str, Any]) -> str:
    """A message payload as the lines a person reads."""
    return blocks_to_text(payload.get("blocks") or [], fallback=str(payload.get("text", "")))


def with_names(text: str, names: Mapping[str, str]) -> str:
    """Mentions as Slack shows them: ``@amara`` rather than ``@U0ENG001``."""
    return _MENTION.sub(lambda m: f"@{names.get(m.group(1), m.group(1))}", text)
