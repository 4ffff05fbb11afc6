"""``/debt config``: the form of a workspace's own settings, and what saving it said.

Each field shows the value in effect (the team's own, or the default) and says where a
default comes from; block ids and action ids are the setting keys, so a refusal is shown
under its field (``response_action: errors``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.blocks import context, input_block, modal, plain_input, section, text
from bot.slack.limits import clip

CONFIG_CALLBACK = "debt_config"
#: The first block that takes input: a refusal of the whole form is shown under it.
FIRST_FIELD = "poll_channel"
MAX_CHANNELS = 20
MAX_LEAD_USERS = 50
HINT = 2000


@dataclass(frozen=True)
class ConfigForm:
    """The values the form opens with, and where each default comes from (``sources``:
    key → a line such as ``the deployment's default (DEBTPULSE_MIN_GROUP)``)."""

    poll_channel: str | None
    digest_channels: Sequence[str]
    lead_users: Sequence[str]
    lead_groups: Sequence[str]
    timezone: str
    min_group: int
    min_floor: int
    debt_budget: float
    sources: Mapping[str, str]


def _hint(block: dict[str, Any], value: str) -> dict[str, Any]:
    block["hint"] = text(clip(value, HINT), kind="plain_text")
    return block


def _percent(share: float) -> str:
    return f"{share * 100:.4g}"


def config_modal(form: ConfigForm, *, metadata: str) -> dict[str, Any]:
    """The settings form, opened from ``/debt config`` or App Home's setup steps."""
    poll: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "poll_channel",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if form.poll_channel:
        poll["initial_conversation"] = form.poll_channel
    digest: dict[str, Any] = {
        "type": "multi_conversations_select",
        "action_id": "digest_channels",
        "max_selected_items": MAX_CHANNELS,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if form.digest_channels:
        digest["initial_conversations"] = list(form.digest_channels)[:MAX_CHANNELS]
    leads: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": "leads",
        "max_selected_items": MAX_LEAD_USERS,
    }
    if form.lead_users:
        leads["initial_users"] = list(form.lead_users)[:MAX_LEAD_USERS]
    groups = (
        f" Members of the usergroup(s) {', '.join(form.lead_groups)} lead too (usergroups are "
        "set with `debtpulse config set leads`)."
        if form.lead_groups
        else ""
    )
    zone = plain_input("timezone", max_length=64, initial=form.timezone)
    zone["placeholder"] = text("Europe/Berlin", kind="plain_text")
    group = {
        "type": "number_input",
        "action_id": "min_group",
        "is_decimal_allowed": False,
        "min_value": str(form.min_floor),
        "initial_value": str(form.min_group),
    }
    budget = {
        "type": "number_input",
        "action_id": "debt_budget",
        "is_decimal_allowed": True,
        "min_value": "0.1",
        "max_value": "100",
        "initial_value": _percent(form.debt_budget),
    }
    src = form.sources
    blocks = [
        section(
            "Settings of this workspace. A field you empty goes back to the deployment's "
            "default; a field left as it is changes nothing."
        ),
        _hint(
            input_block("poll_channel", "Poll channel", poll, optional=True),
            "Where surveys without an audience of their own post; invite debtpulse to it. "
            f"Now: {src['poll_channel']}.",
        ),
        _hint(
            input_block("digest_channels", "Digest channels", digest, optional=True),
            f"Where the weekly digest is posted. Now: {src['digest_channels']}.",
        ),
        _hint(
            input_block("leads", "Leads", leads, optional=True),
            f"Who may run lead commands and change these settings. Now: {src['leads']}.{groups}",
        ),
        _hint(
            input_block("timezone", "Time zone", zone, optional=True),
            "The zone the team's days and weeks are read in and its schedules run in (an IANA "
            f"name). Now: {src['timezone']}.",
        ),
        _hint(
            input_block("min_group", "Minimum group", group, optional=True),
            f"Answers count only in groups of at least this many people; at least "
            f"{form.min_floor}, the deployment's minimum. Now: {src['min_group']}.",
        ),
        _hint(
            input_block("debt_budget", "Debt budget (% of a sprint)", budget, optional=True),
            f"The share of a sprint for debt work, for the digest's plan. Now: "
            f"{src['debt_budget']}.",
        ),
        context("Every change is audited with your name."),
    ]
    return modal(CONFIG_CALLBACK, "debtpulse settings", blocks, metadata)


def saved_text(changes: Sequence[tuple[str, str]]) -> str:
    """What saving the form did: each changed setting and its new value (as shown)."""
    if not changes:
        return "Nothing changed: the settings are as they were."
    lines = "\n".join(f"• *{key}*: {value}" for key, value in changes)
    return f":white_check_mark: Settings saved.\n{lines}"
