"""Slack's Block Kit limits, enforced before anything is sent.

Long content is truncated with a visible ellipsis, and block lists over the limit end with a
note saying how many were left out. Nothing is sent that Slack would refuse.
"""

from __future__ import annotations

from typing import Any

SlackBlock = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT = 3000
HEADER = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
#: Slack takes option values of up to 150 characters, and the survey schema allows as many:
#: a value that fits is never cut (a cut one would fail the answer check, and two options
#: sharing their first characters would collide).
OPTION_VALUE = 150
STATIC_SELECT_OPTIONS = 100
MODAL_TITLE = 24
PRIVATE_METADATA = 3000
CONTEXT_ELEMENTS = 10
SECTION_FIELDS = 10
FIELD_TEXT = 2000
INPUT_LABEL = 2000
PLACEHOLDER = 150


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cap_blocks(blocks: list[SlackBlock], limit: int, *, what: str = "items") -> list[SlackBlock]:
    """At most ``limit`` blocks; when cut, the last one says how many were left out."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    left_out = len(blocks) - len(kept)
    note = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"_{left_out} more {what} not shown._"}],
    }
    return [*kept, note]
