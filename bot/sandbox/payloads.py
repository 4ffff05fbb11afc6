"""The request bodies Slack sends to an app: slash commands, interactions, events.

Pure functions over plain dicts; the driver signs and sends what they build.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox.records import JsonDict
from bot.sandbox.workspace import APP_ID, BOT_USER_ID, TEAM_DOMAIN

VERIFICATION_TOKEN = "debtpulse-verification-token"

_EMPTY_STATE: dict[str, JsonDict] = {
    "plain_text_input": {"value": None},
    "number_input": {"value": None},
    "email_text_input": {"value": None},
    "url_text_input": {"value": None},
    "static_select": {"selected_option": None},
    "radio_buttons": {"selected_option": None},
    "checkboxes": {"selected_options": []},
    "multi_static_select": {"selected_options": []},
    "users_select": {"selected_user": None},
    "multi_users_select": {"selected_users": []},
    "conversations_select": {"selected_conversation": None},
    "multi_conversations_select": {"selected_conversations": []},
    "channels_select": {"selected_channel": None},
    "datepicker": {"selected_date": None},
    "timepicker": {"selected_time": None},
}
_SINGLE_OPTION = {"static_select", "radio_buttons", "overflow"}
_MULTI_OPTION = {"checkboxes", "multi_static_select"}


def new_id(prefix: str, length: int = 10) -> str:
    return prefix + uuid.uuid4().hex[:length].upper()


def action_ts() -> str:
    return f"{time.time():.6f}"


def user_ref(user_id: str, *, team_id: str, name: str | None = None) -> JsonDict:
    username = name or user_id.lower()
    return {"id": user_id, "username": username, "name": username, "team_id": team_id}


def team_ref(team_id: str) -> JsonDict:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def options_of(element: Mapping[str, Any]) -> list[JsonDict]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def pick_option(element: Mapping[str, Any], wanted: object) -> JsonDict:
    """The option whose value (or, failing that, text) is ``wanted``."""
    options = options_of(element)
    for key in ("value", "text"):
        for option in options:
            shown = option.get("text", {}).get("text") if key == "text" else option.get("value")
            if shown == wanted:
                return copy.deepcopy(option)
    values = [o.get("value") for o in options]
    raise ValueError(f"{element.get('action_id')!r} has no option {wanted!r}; options: {values}")


def element_state(element: Mapping[str, Any], answer: object) -> JsonDict:
    """The ``state.values`` entry Slack sends for ``element`` holding ``answer``."""
    kind = str(element.get("type"))
    if kind not in _EMPTY_STATE:
        raise ValueError(f"cannot fill a {kind!r} element")
    out: JsonDict = {"type": kind}
    if answer is None:
        return out | copy.deepcopy(_EMPTY_STATE[kind])
    if kind in _SINGLE_OPTION:
        return out | {"selected_option": pick_option(element, answer)}
    several = [answer] if isinstance(answer, str) else list(_iterable(answer))
    if kind in _MULTI_OPTION:
        return out | {"selected_options": [pick_option(element, w) for w in several]}
    if kind == "multi_users_select":
        return out | {"selected_users": several}
    if kind == "multi_conversations_select":
        return out | {"selected_conversations": several}
    key = next(iter(_EMPTY_STATE[kind]))
    return out | {key: str(answer)}


def _iterable(value: object) -> Iterable[Any]:
    if isinstance(value, Iterable):
        return value
    return [value]


def action(*, action_id: str, block_id: str, action_type: str, **fields: object) -> JsonDict:
    """One entry of a ``block_actions`` payload's ``actions``; ``None`` fields are left out."""
    out: JsonDict = {"action_id": action_id, "block_id": block_id, "type": action_type}
    out.update({key: value for key, value in fields.items() if value is not None})
    return out | {"action_ts": action_ts()}


def element_action(
    element: Mapping[str, Any],
    *,
    block_id: str,
    value: object = None,
    values: Iterable[object] | None = None,
    user_id: str | None = None,
) -> JsonDict:
    """The action Slack reports when ``element`` is clicked or a choice is made in it."""
    kind = str(element.get("type"))
    fields: JsonDict = {}
    if kind == "button":
        fields = {k: element.get(k) for k in ("text", "value", "style")}
    elif values is not None:
        fields["selected_options"] = [pick_option(element, v) for v in values]
    elif user_id is not None:
        fields["selected_user"] = user_id
    elif value is not None:
        fields["selected_option"] = pick_option(element, value)
    action_id = str(element.get("action_id", ""))
    return action(action_id=action_id, block_id=block_id, action_type=kind, **fields)


#: Where an element keeps the value it opens with: an input left alone is submitted with it.
_INITIAL = {
    "plain_text_input": "initial_value",
    "number_input": "initial_value",
    "static_select": "initial_option",
    "radio_buttons": "initial_option",
    "checkboxes": "initial_options",
    "multi_static_select": "initial_options",
    "users_select": "initial_user",
    "multi_users_select": "initial_users",
    "conversations_select": "initial_conversation",
    "multi_conversations_select": "initial_conversations",
    "channels_select": "initial_channel",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
}


def _initial(element: Mapping[str, Any]) -> object:
    """The answer an untouched ``element`` holds, as :func:`element_state` takes it."""
    value = element.get(_INITIAL.get(str(element.get("type")), ""))
    if isinstance(value, dict):
        return value.get("value")
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [option.get("value") for option in value]
    return value


def fill_modal(view: Mapping[str, Any], answers: Mapping[str, object]) -> dict[str, JsonDict]:
    """``view.state.values`` for ``answers`` keyed by block_id, as Slack sends it: an input
    not answered keeps the value it opened with (``initial_*``), else it is empty.

    Values: text for text inputs, an option value (or its text) for selects and radio
    buttons, a list of them for checkboxes, a user id for users_select, a list of ids for
    multi_users_select and multi_conversations_select (``[]`` or None empties a field).
    """
    values: dict[str, JsonDict] = {}
    known: list[str] = []
    for block in view.get("blocks") or []:
        block_id = block.get("block_id")
        element = block.get("element") if block.get("type") == "input" else None
        if block.get("type") == "section" and block_id in answers:
            element = block.get("accessory")
        if not isinstance(element, dict) or block_id is None:
            continue
        known.append(block_id)
        answer = answers[block_id] if block_id in answers else _initial(element)
        state = element_state(element, answer if answer != [] else None)
        values[block_id] = {str(element.get("action_id")): state}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise KeyError(f"no input block {unknown} in the view; input blocks: {known}")
    return values


def slash_command_form(
    *,
    command: str,
    text: str,
    user: str,
    user_name: str,
    channel: str,
    channel_name: str,
    team: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(
    *,
    action: JsonDict,
    user: JsonDict,
    team: str,
    trigger_id: str,
    container: JsonDict,
    channel: JsonDict | None = None,
    message: JsonDict | None = None,
    view: JsonDict | None = None,
    response_url: str | None = None,
) -> JsonDict:
    payload: JsonDict = {
        "type": "block_actions",
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_ref(team),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
        payload["state"] = {"values": {}}
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_payload(
    kind: str, *, view: JsonDict, values: Mapping[str, JsonDict], user: JsonDict, team: str
) -> JsonDict:
    """A ``view_submission`` or ``view_closed`` payload for ``view`` with ``values``."""
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": copy.deepcopy(dict(values))}
    payload: JsonDict = {
        "type": kind,
        "team": team_ref(team),
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": submitted,
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if kind == "view_submission":
        payload["trigger_id"] = new_id("", 20)
        payload["response_urls"] = []
    else:
        payload["is_cleared"] = False
    return payload


def event_callback(event: JsonDict, *, team: str, event_id: str | None) -> JsonDict:
    body = dict(event)
    body.setdefault("event_ts", action_ts())
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team,
        "api_app_id": APP_ID,
        "event": body,
        "type": "event_callback",
        "event_id": event_id or new_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }
