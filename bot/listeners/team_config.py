"""``/debt config``: a workspace's settings form, for its leads, and what saving it does.

The form opens from ``/debt config`` or App Home's "Open settings" (the setup steps). Its
submission is checked field by field (a refusal is shown under its field, ``response_action:
errors``), recorded once per view (a replayed submission is refused), then every change is
written in one transaction, audited with the lead's id (``bot.services.team_settings``);
the next request of the workspace sees it. Others get the polite refusal.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.listeners import home
from bot.listeners.modals import (
    ALREADY_SUBMITTED,
    first_submission,
    metadata_channel,
    modal_metadata,
)
from bot.runtime import Runtime
from bot.services import team_settings
from bot.slack import blocks, config_views, help_views
from bot.slack.confirmations import confirm_later
from bot.slack.home_views import CONFIG_OPEN_ACTION
from bot.slack.people import not_a_person
from bot.slack.replies import tell

logger = logging.getLogger(__name__)
Payload = dict[str, Any]
NOT_A_LEAD = "Only team leads can change these settings."
#: Where each source of a value is told, in the form's hints.
SOURCES = {"team": "set for this workspace", "installer": "the user who installed debtpulse"}


def _shown(value: Any) -> str:
    if value is None or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)


def config_form(runtime: Runtime, team: str) -> config_views.ConfigForm:
    """The form's opening values: each setting in effect for ``team``, and its source."""
    shown = {item.key: item for item in team_settings.show(runtime, team)}
    sources = {}
    for key, item in shown.items():
        value = item.value
        if key == "debt_budget":
            value = f"{value * 100:.4g}%"
        source = SOURCES.get(item.source) or f"default: {team_settings.origin(runtime, key)}"
        sources[key] = f"{_shown(value)} ({source})"
    leads = list(shown["leads"].value)
    return config_views.ConfigForm(
        poll_channel=shown["poll_channel"].value,
        digest_channels=list(shown["digest_channels"].value),
        lead_users=[lead for lead in leads if not lead.startswith("S")],
        lead_groups=[lead for lead in leads if lead.startswith("S")],
        timezone=str(shown["timezone"].value),
        min_group=int(shown["min_group"].value),
        min_floor=runtime.process.settings.min_group,
        debt_budget=float(shown["debt_budget"].value),
        sources=sources,
    )


def open_form(
    runtime: Runtime,
    team: str,
    *,
    client: WebClient,
    trigger_id: str,
    channel: str | None = None,
    from_home: bool = False,
) -> Payload | None:
    """Open the settings form; a reply to show only when Slack would not open it."""
    metadata = json.dumps({"channel": channel} if channel else {"home": from_home})
    view = config_views.config_modal(config_form(runtime, team), metadata=metadata)
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return blocks.notice(f":x: Could not open the settings ({error}). Please try again.")
    return None


def _selected(view: dict[str, Any]) -> dict[str, Any]:
    """Each field's value from the submission's state, as Slack sends it for its element
    (None for an empty field); a part of another shape than Slack's is left out."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    picked: dict[str, Any] = {}
    for block_id, actions in (values if isinstance(values, dict) else {}).items():
        action = actions.get(block_id) if isinstance(actions, dict) else None
        if not isinstance(action, dict):
            continue
        kind = action.get("type")
        if kind == "conversations_select":
            picked[block_id] = action.get("selected_conversation")
        elif kind == "multi_conversations_select":
            picked[block_id] = action.get("selected_conversations")
        elif kind == "multi_users_select":
            picked[block_id] = action.get("selected_users")
        elif kind in ("plain_text_input", "number_input"):
            picked[block_id] = action.get("value")
    return picked


def _wanted(runtime: Runtime, team: str, view: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as values :func:`team_settings.form_changes` reads: the lead users
    with the usergroups already leading (the form cannot show those), the budget in %."""
    picked = _selected(view)
    wanted = {key: picked.get(key) for key in team_settings.KEYS}
    users = [u for u in wanted["leads"] or [] if isinstance(u, str)]
    current = team_settings.effective(runtime, team).leads
    wanted["leads"] = users + [lead for lead in current if lead.startswith("S")]
    budget = wanted["debt_budget"]
    if isinstance(budget, str) and budget.strip():
        wanted["debt_budget"] = budget.strip() + "%"
    return wanted


def _not_people(client: WebClient, added: list[str]) -> str | None:
    for user in added:
        problem = not_a_person(client, user)
        if problem is not None:  # a modal's error is plain text: no mention
            return f"{problem.replace(f'<@{user}>', user)}: choose people."
    return None


def handle_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    runtime: Runtime = context["runtime"]
    team, user = context["team"], body["user"]["id"]
    if not context["is_lead"]:
        ack(response_action="errors", errors={config_views.FIRST_FIELD: NOT_A_LEAD})
        return
    wanted = _wanted(runtime, team, view)
    try:
        plan = team_settings.form_changes(runtime, team, wanted)
    except team_settings.SettingRefused as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    if plan.get("leads"):
        current = set(team_settings.effective(runtime, team).leads)
        added = [lead for lead in plan["leads"] if lead not in current and lead[0] in "UW"]
        problem = _not_people(context.client, added)
        if problem is not None:
            ack(response_action="errors", errors={"leads": problem})
            return
    with runtime.transaction() as session:
        first = first_submission(session, team=team, view=view, at=runtime.clock())
    if not first:
        ack(response_action="errors", errors={config_views.FIRST_FIELD: ALREADY_SUBMITTED})
        return
    try:
        changes = team_settings.apply(runtime, team, plan, actor=user, reason="/debt config")
    except team_settings.SettingRefused as refused:  # changed meanwhile (another process)
        ack(response_action="errors", errors=refused.errors)
        return
    now = {item.key: item.value for item in team_settings.show(runtime, team)}
    said = [(c.key, _shown(now[c.key])) for c in changes if c.changed]
    ack()
    meta = modal_metadata(view)
    text = config_views.saved_text(said)
    confirm_later(tell, context.client, channel=metadata_channel(meta), user=user, text=text)
    if meta.get("home"):  # the setup steps as they stand now
        settings = team_settings.effective(runtime, team)
        lead_view = runtime.process.for_team(team, settings=settings)
        confirm_later(home.publish, lead_view, team, user, context.client, is_lead=True)


def handle_open(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """App Home's "Open settings": the form, for a lead; a notice in their DMs otherwise."""
    ack()
    runtime: Runtime = context["runtime"]
    user = body.get("user", {}).get("id", "")
    reply: Payload | None
    if not context["is_lead"]:
        reply = help_views.refusal("config")
    else:
        reply = open_form(
            runtime,
            context["team"],
            client=context.client,
            trigger_id=body.get("trigger_id", ""),
            from_home=True,
        )
    if reply is not None:
        tell(context.client, channel=None, user=user, text=reply["text"])


def register_listeners(app: App) -> None:
    app.view(config_views.CONFIG_CALLBACK)(handle_submission)
    app.action(CONFIG_OPEN_ACTION)(handle_open)
