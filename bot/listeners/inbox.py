"""The signals inbox in Slack: ``/debt inbox`` (leads) and what its elements do.

Every element is acknowledged at once; the work runs after (Bolt's lazy listeners) and
answers through the message's response URL. Picking an item or ticking "save as a rule"
redraws the inbox with the pick (kept in the group's ``block_id``); Route and Ignore
decide, in one transaction each, and replace the message with the outcome. Only leads
decide: anyone else is told so and nothing changes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.runtime import Runtime
from bot.services import inbox as inbox_service
from bot.slack import blocks, inbox_views
from bot.slack.inbox_views import Choice

logger = logging.getLogger(__name__)
Payload = dict[str, Any]


def inbox_reply(runtime: Runtime, team: str, choices: dict[str, Choice] | None = None) -> Payload:
    """The inbox as it stands: its waiting groups and the items they can go to."""
    with runtime.transaction(write=False) as session:
        groups = inbox_service.pending_groups(session, team)
        items = inbox_service.route_targets(session, team)
    return inbox_views.inbox_message(groups, items, choices=choices)


def _picks(body: dict[str, Any]) -> dict[str, Choice]:
    """What was picked in each group, as the blocks say; with the message's ``state`` (which
    Slack sends for a message, not always for an ephemeral one) over it, being newer."""
    picks: dict[str, Choice] = {}
    values = (body.get("state") or {}).get("values") or {}
    for block, elements in values.items():
        parsed = inbox_views.parse_block_id(str(block))
        if parsed is None or not isinstance(elements, dict):
            continue
        handle, choice = parsed
        picks[handle] = _with_state(choice, elements)
    return picks


def _with_state(choice: Choice, elements: dict[str, Any]) -> Choice:
    for name, element in elements.items():
        parsed = inbox_views.parse_action_id(str(name))
        if parsed is None or not isinstance(element, dict):
            continue
        if parsed[0] == inbox_views.ITEM_ACTION:
            chosen = element.get("selected_option") or {}
            choice = replace(choice, key=chosen.get("value") or None)
        elif parsed[0] == inbox_views.RULE_ACTION:
            choice = replace(choice, save_rule=_ticked(element.get("selected_options")))
    return choice


def _ticked(options: Any) -> bool:
    return any(
        isinstance(o, dict) and o.get("value") == inbox_views.SAVE_RULE for o in options or ()
    )


def _clicked(body: dict[str, Any]) -> tuple[str, str, Choice, dict[str, Any]] | None:
    """The element clicked: its action, its group's handle, the group's picks (the click
    included) and the action itself; None when it is not one of the inbox's."""
    actions = body.get("actions") or []
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    parsed = inbox_views.parse_action_id(str(action.get("action_id", "")))
    block = inbox_views.parse_block_id(str(action.get("block_id", "")))
    if parsed is None or block is None or block[0] != parsed[1]:
        return None
    name, handle = parsed
    choice = _picks(body).get(handle, block[1])
    if name == inbox_views.ITEM_ACTION:
        chosen = action.get("selected_option") or {}
        choice = replace(choice, key=chosen.get("value") or None)
    elif name == inbox_views.RULE_ACTION:
        choice = replace(choice, save_rule=_ticked(action.get("selected_options")))
    return name, handle, choice, action


def _tell(respond: Respond, payload: Payload, *, in_place: bool) -> None:
    respond(response_type="ephemeral", replace_original=in_place, **payload)


def acknowledge(ack: Ack) -> None:
    ack()


def handle_inbox_action(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """After the acknowledgement: redraw the inbox with a pick, or route or ignore a group."""
    clicked = _clicked(body)
    if clicked is None:
        logger.info("an inbox element that debtpulse did not draw was clicked; ignored")
        return
    if not context["is_lead"]:
        _tell(respond, inbox_views.leads_only(), in_place=False)
        return
    name, handle, choice, action = clicked
    runtime: Runtime = context["runtime"]
    team, user = context["team"], str((body.get("user") or {}).get("id", ""))
    try:
        if name in (inbox_views.ITEM_ACTION, inbox_views.RULE_ACTION):
            picks = {**_picks(body), handle: choice}
            _tell(respond, inbox_reply(runtime, team, picks), in_place=True)
            return
        group = str(action.get("value", ""))
        if name == inbox_views.ROUTE_ACTION and choice.key is None:
            _tell(respond, inbox_views.pick_an_item(), in_place=False)
            return
        _tell(
            respond,
            _decide(runtime, team, user, name=name, group=group, choice=choice),
            in_place=True,
        )
    except Exception:
        logger.exception("an inbox %s failed", name)
        failed = blocks.notice(":x: Something went wrong on our side; nothing was changed.")
        _tell(respond, failed, in_place=False)


def _decide(
    runtime: Runtime, team: str, user: str, *, name: str, group: str, choice: Choice
) -> Payload:
    """Route or ignore ``group`` in one transaction; the outcome to show in its place."""
    now = runtime.clock()
    try:
        with runtime.transaction() as session:
            if name == inbox_views.IGNORE_ACTION:
                ignored = inbox_service.ignore_group(session, team, group, actor=user, now=now)
                return inbox_views.ignored_message(group=group, signals=ignored.signals)
            assert choice.key is not None
            routed = inbox_service.route_group(
                session,
                team,
                group,
                choice.key,
                save_rule=choice.save_rule,
                actor=user,
                now=now,
            )
    except inbox_service.InboxRefused as refused:
        return inbox_views.refused_message(refused.message)
    rule = dict(routed.rule.match) if routed.rule is not None else None
    return inbox_views.routed_message(
        group=group,
        debt_key=routed.debt_key,
        signals=routed.signals,
        stored=routed.stored,
        rule=rule,
    )


def register_listeners(app: App) -> None:
    pattern = "|".join(inbox_views.ACTIONS)
    app.action(re.compile(rf"^(?:{pattern}):[0-9a-f]{{8}}$"))(
        ack=acknowledge, lazy=[handle_inbox_action]
    )
