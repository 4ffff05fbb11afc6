"""Block Kit primitives: text, sections, headers, buttons, inputs, messages and modals,
within Slack's limits. The message families (help, ranking, register, home, polls, digest)
are built from these; nothing here knows what a message is about."""

from __future__ import annotations

import re
from typing import Any

from bot.slack.limits import (
    BUTTON_TEXT,
    HEADER,
    MESSAGE_BLOCKS,
    MODAL_TITLE,
    OPTION_TEXT,
    OPTION_VALUE,
    PRIVATE_METADATA,
    TEXT,
    VIEW_BLOCKS,
    SlackBlock,
    cap_blocks,
    clip,
)

USER_ID = re.compile(r"^[UW](?=[A-Z]*[0-9])[A-Z0-9]{2,}$")  # Slack's ids carry digits


def is_user_id(owner: str) -> bool:
    """A Slack user id (shown as a mention), not a team name such as ``UX-team`` or ``WEB``."""
    return bool(USER_ID.match(owner))


def text(value: str, *, kind: str = "mrkdwn", limit: int = TEXT) -> dict[str, Any]:
    return {"type": kind, "text": clip(value, limit)}


def packed_sections(pieces: list[str], *, limit: int = TEXT, sep: str = "\n\n") -> list[SlackBlock]:
    """Sections holding as many pieces (separated by ``sep``) as fit in ``limit``."""
    blocks: list[SlackBlock] = []
    current = ""
    for raw in pieces:
        piece = clip(raw, limit)
        candidate = f"{current}{sep}{piece}" if current else piece
        if len(candidate) > limit:
            blocks.append(section(current))
            candidate = piece
        current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def section(value: str) -> SlackBlock:
    return {"type": "section", "text": text(value)}


def header(value: str) -> SlackBlock:
    return {"type": "header", "text": text(value, kind="plain_text", limit=HEADER)}


def context(value: str) -> SlackBlock:
    return {"type": "context", "elements": [text(value)]}


def divider() -> SlackBlock:
    return {"type": "divider"}


def option(label: str, value: str) -> dict[str, Any]:
    return {
        "text": text(label, kind="plain_text", limit=OPTION_TEXT),
        "value": value[:OPTION_VALUE],
    }


def button(label: str, action_id: str, value: str = "", *, style: str | None = None) -> dict:
    element: dict[str, Any] = {
        "type": "button",
        "text": text(label, kind="plain_text", limit=BUTTON_TEXT),
        "action_id": action_id,
    }
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    return element


def message(blocks: list[SlackBlock], fallback: str) -> dict[str, Any]:
    """A message payload: blocks capped at 50, plus the notification fallback text."""
    return {"blocks": cap_blocks(blocks, MESSAGE_BLOCKS), "text": clip(fallback, TEXT)}


def notice(value: str) -> dict[str, Any]:
    """A one-line reply (confirmation, refusal, error) — ``value`` is already mrkdwn."""
    return message([section(value)], value)


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": text(label, kind="plain_text", limit=2000),
        "element": element,
        "optional": optional,
    }


def plain_input(
    action_id: str, *, multiline: bool = False, max_length: int = 3000, initial: str = ""
) -> dict:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return element


def select_menu(action_id: str, options: list[dict[str, Any]], initial: str | None = None) -> dict:
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def modal(callback_id: str, title: str, blocks: list[SlackBlock], metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": text(title, kind="plain_text", limit=MODAL_TITLE),
        "submit": text("Save", kind="plain_text"),
        "close": text("Cancel", kind="plain_text"),
        "private_metadata": metadata[:PRIVATE_METADATA],
        "blocks": cap_blocks(blocks, VIEW_BLOCKS),
    }
