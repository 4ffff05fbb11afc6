"""`/debt inbox`: the webhook signals no item claimed, by group, with what a lead can do.

Each group shows its source and kind, how many signals, when first and last seen, a sample
title and what its signals share; below it an item select, a "save as a rule" checkbox, a
Route button and an Ignore button. What a lead picked travels in the group's ``block_id``
(``inbox|HANDLE|KEY|1``): each pick redraws the message with it, so a click on Route says
what to do even where Slack sends no ``state`` of the message (an ephemeral one). Each
element's ``action_id`` ends with the group's handle, so each group's can be told apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.routing import InboxGroup
from bot.slack.blocks import (
    button,
    context,
    header,
    message,
    notice,
    option,
    section,
    select_menu,
)
from bot.slack.limits import OPTION_TEXT, PLACEHOLDER, STATIC_SELECT_OPTIONS, SlackBlock, clip
from surveys import mrkdwn_escape as esc

ITEM_ACTION = "inbox_item"
RULE_ACTION = "inbox_rule"
ROUTE_ACTION = "inbox_route"
IGNORE_ACTION = "inbox_ignore"
ACTIONS = (ITEM_ACTION, RULE_ACTION, ROUTE_ACTION, IGNORE_ACTION)
SAVE_RULE = "save_rule"
BLOCK_PREFIX = "inbox"
#: Groups shown in one message (two blocks each, within Slack's 50).
MAX_GROUPS = 15
_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[0-9]+")
_HANDLE = re.compile(r"[0-9a-f]{8}")
_SAFE_URL = re.compile(r"https?://[^\s<>|]+")


@dataclass(frozen=True)
class Choice:
    """What a lead picked for a group so far: the item, and whether to save the rule."""

    key: str | None = None
    save_rule: bool = False


def action_id(action: str, handle: str) -> str:
    """The ``action_id`` of ``action`` for the group ``handle`` (``inbox_route:1a2b3c4d``)."""
    return f"{action}:{handle}"


def parse_action_id(value: str) -> tuple[str, str] | None:
    """(action, handle) of an ``action_id`` made by :func:`action_id`; None otherwise."""
    action, _, handle = value.partition(":")
    return (action, handle) if action in ACTIONS and _HANDLE.fullmatch(handle) else None


def block_id(handle: str, choice: Choice) -> str:
    return f"{BLOCK_PREFIX}|{handle}|{choice.key or ''}|{int(choice.save_rule)}"


def parse_block_id(value: str) -> tuple[str, Choice] | None:
    """(handle, choice) of a group's ``block_id``; None when it is not one of ours."""
    parts = value.split("|")
    if len(parts) != 4 or parts[0] != BLOCK_PREFIX or not _HANDLE.fullmatch(parts[1]):
        return None
    key = parts[2] if _KEY.fullmatch(parts[2]) else None
    return parts[1], Choice(key, parts[3] == "1")


def _code(value: str) -> str:
    """``value`` in a code span (a backtick in it would end the span: shown as ')."""
    quoted = esc(value.replace("`", "'"))
    return f"`{quoted}`"


def _group_text(group: InboxGroup) -> str:
    count = f"{group.count} signal{'' if group.count == 1 else 's'}"
    if group.suggestions:
        count += f" ({group.suggestions} suggested item{'' if group.suggestions == 1 else 's'})"
    seen = f"first seen {group.first_seen:%b %d %H:%M}, last {group.last_seen:%b %d %H:%M} UTC"
    lines = [f"*{esc(group.source)} · {esc(group.kind)}* — {count}, {seen}"]
    if group.shared:
        lines.append("They share " + " ".join(_code(f"{n}={v}") for n, v in group.shared))
    if group.title:
        title = esc(clip(group.title, 150))
        link = group.url if _SAFE_URL.fullmatch(group.url or "") else None
        lines.append(f"e.g. <{link}|{title}>" if link else f"e.g. {title}")
    lines.append(f"_group {group.handle}_")
    return "\n".join(lines)


def _elements(
    group: InboxGroup, items: Sequence[tuple[str, str]], choice: Choice
) -> list[dict[str, Any]]:
    handle = group.handle
    elements: list[dict[str, Any]] = []
    if items:
        options = [option(f"{key} {title}", key) for key, title in items]
        select = select_menu(action_id(ITEM_ACTION, handle), options, initial=choice.key)
        select["placeholder"] = {"type": "plain_text", "text": clip("Route to…", PLACEHOLDER)}
        save = option("Save as a rule", SAVE_RULE)
        if group.match:
            matched = ", ".join(f"{name}={value}" for name, value in group.match.items())
            save["description"] = {"type": "plain_text", "text": clip(matched, OPTION_TEXT)}
        rule: dict[str, Any] = {
            "type": "checkboxes",
            "action_id": action_id(RULE_ACTION, handle),
            "options": [save],
        }
        if choice.save_rule:
            rule["initial_options"] = rule["options"]
        route = button("Route", action_id(ROUTE_ACTION, handle), group.key, style="primary")
        elements += [select, rule, route]
    ignore = button("Ignore", action_id(IGNORE_ACTION, handle), group.key, style="danger")
    ignore["confirm"] = {
        "title": {"type": "plain_text", "text": "Ignore these signals?"},
        "text": {
            "type": "mrkdwn",
            "text": f"The {group.count} waiting signal{'' if group.count == 1 else 's'} of "
            "this group leave the inbox and count for no item.",
        },
        "confirm": {"type": "plain_text", "text": "Ignore"},
        "deny": {"type": "plain_text", "text": "Keep"},
    }
    return [*elements, ignore]


def inbox_message(
    groups: Sequence[InboxGroup],
    items: Sequence[tuple[str, str]],
    *,
    choices: Mapping[str, Choice] | None = None,
) -> dict[str, Any]:
    """The inbox: each waiting group (the largest first) with its select and buttons.
    ``items``: (key, title) of the items a group can go to; ``choices`` by group handle."""
    if not groups:
        return notice(
            ":inbox_tray: The signals inbox is empty: every webhook signal found its item."
        )
    picked = choices or {}
    total = sum(group.count for group in groups)
    blocks: list[SlackBlock] = [
        header("Signals inbox"),
        context(
            f"{total} webhook signal{'' if total == 1 else 's'} in {len(groups)} "
            f"group{'' if len(groups) == 1 else 's'} found no item. Route a group to an item "
            "(its signals count from when each was observed) — tick *Save as a rule* to send "
            "its signals to come there too — or ignore it."
        ),
    ]
    shown_items = items[:STATIC_SELECT_OPTIONS]
    listed = {key for key, _ in shown_items}
    for group in groups[:MAX_GROUPS]:
        choice = picked.get(group.handle, Choice())
        if choice.key not in listed:  # an item no longer open: not picked any more
            choice = Choice(None, choice.save_rule)
        blocks.append(section(_group_text(group)))
        blocks.append(
            {
                "type": "actions",
                "block_id": block_id(group.handle, choice),
                "elements": _elements(group, shown_items, choice),
            }
        )
    notes = []
    if len(groups) > MAX_GROUPS:
        notes.append(
            f"{len(groups) - MAX_GROUPS} more groups: `debtpulse signals inbox` lists them all."
        )
    if not items:
        notes.append("No open item to route to: `/debt add` adds one.")
    elif len(items) > STATIC_SELECT_OPTIONS:
        notes.append(
            f"The first {STATIC_SELECT_OPTIONS} open items are listed; "
            "`debtpulse signals inbox route GROUP KEY` takes any key."
        )
    blocks += [context(note) for note in notes]
    return message(blocks, f"Signals inbox: {len(groups)} groups wait to be routed")


def routed_message(
    *, group: str, debt_key: str, signals: int, stored: int, rule: Mapping[str, str] | None
) -> dict[str, Any]:
    """What routing a group did, in place of the inbox message."""
    count = f"{signals} signal{'' if signals == 1 else 's'}"
    text = (
        f":white_check_mark: Routed {count} of {_code(group)} to `{debt_key}`; each counts "
        "from when it was observed."
    )
    if stored < signals:
        text += f" ({signals - stored} the item had already.)"
    if rule is not None:
        shown = ", ".join(f"{n}={v}" for n, v in rule.items())
        text += f"\nSaved a rule: signals matching {_code(shown)} go to `{debt_key}` from now on."
    return notice(text + "\n`/debt inbox` shows what still waits.")


def ignored_message(*, group: str, signals: int) -> dict[str, Any]:
    """What ignoring a group did, in place of the inbox message."""
    count = f"{signals} signal{'' if signals == 1 else 's'}"
    return notice(
        f":wastebasket: Ignored {count} of {_code(group)}: they count for no item. "
        "A signal of this group that arrives later waits in the inbox again.\n"
        "`/debt inbox` shows what still waits."
    )


def refused_message(reason: str) -> dict[str, Any]:
    """A decision that could not be made; nothing was changed."""
    return notice(f":x: {esc(reason)}. Nothing was changed.")


def pick_an_item() -> dict[str, Any]:
    return notice(":point_up: Pick the item to route this group to first, then click *Route*.")


def leads_only() -> dict[str, Any]:
    return notice(
        "Sorry, routing or ignoring the signals inbox is for team leads. Nothing was changed."
    )
