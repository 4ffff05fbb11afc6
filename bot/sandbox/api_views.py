"""views.open, views.push, views.update, views.publish — modals and the App Home tab."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from bot.sandbox.blockkit import validate_view
from bot.sandbox.records import JsonDict, ViewRecord
from bot.sandbox.state import ApiError, ApiRequest, SlackState
from bot.sandbox.workspace import APP_ID, BOT_ID, DEFAULT_USER_ID

MAX_MODAL_STACK = 3
_SERVER_KEYS = ("id", "hash", "state", "team_id", "app_id", "bot_id", "root_view_id")


def _view_param(state: SlackState, req: ApiRequest, *, allowed: Iterable[str]) -> JsonDict:
    view = req.params.get("view")
    if view in (None, ""):
        raise ApiError("missing_argument", detail="view is required")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", detail="view must be a JSON object")
    errors = validate_view(view, allowed_types=allowed)
    if errors:
        raise state.reject(req.method, errors, req.params)
    return view


def full_view(
    state: SlackState,
    sent: JsonDict,
    *,
    view_id: str,
    root_view_id: str | None,
    previous_view_id: str | None,
    team_id: str | None = None,
) -> JsonDict:
    """The view as Slack returns it: what was sent plus the fields Slack adds.

    ``team_id`` is the installing team of the calling token (OAuth installs).
    """
    team_id = team_id or state.workspace.team_id
    view: JsonDict = {
        "id": view_id,
        "team_id": team_id,
        "type": sent["type"],
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "state": {"values": {}},
        "hash": state.ids.view_hash(state.clock()),
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": APP_ID,
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }
    view.update({k: copy.deepcopy(v) for k, v in sent.items() if k not in _SERVER_KEYS})
    view["blocks"] = state.with_ids(sent.get("blocks", []))
    return view


def _store(state: SlackState, *, user: str, view: JsonDict, trigger_id: str | None) -> ViewRecord:
    record = ViewRecord(id=view["id"], user=user, view=view, trigger_id=trigger_id)
    state.records.views[record.id] = record
    return record


def _open_modal(state: SlackState, req: ApiRequest, *, push: bool) -> JsonDict:
    trigger_id = req.params.get("trigger_id")
    user = state.check_trigger(trigger_id) or DEFAULT_USER_ID
    sent = _view_param(state, req, allowed=("modal",))
    stack = state.records.modal_stacks.get(user, [])
    if push and len(stack) >= MAX_MODAL_STACK:
        raise ApiError("push_limit_reached")
    state.use_trigger(trigger_id)
    if not push:
        for view_id in stack:
            state.records.views[view_id].closed = True
        stack = []
    view_id = state.ids.prefixed("V")
    view = full_view(
        state,
        sent,
        view_id=view_id,
        root_view_id=stack[0] if stack else None,
        previous_view_id=stack[-1] if stack else None,
        team_id=state.tenancy.team_of(req.token),
    )
    _store(state, user=user, view=view, trigger_id=str(trigger_id))
    state.records.modal_stacks[user] = [*stack, view_id]
    return {"ok": True, "view": copy.deepcopy(view)}


def open_(state: SlackState, req: ApiRequest) -> JsonDict:
    return _open_modal(state, req, push=False)


def push(state: SlackState, req: ApiRequest) -> JsonDict:
    return _open_modal(state, req, push=True)


def _find(state: SlackState, req: ApiRequest) -> ViewRecord:
    view_id = req.params.get("view_id")
    external_id = req.params.get("external_id")
    if view_id:
        record = state.records.views.get(str(view_id))
    elif external_id:
        matching = [
            r for r in state.records.views.values() if r.view.get("external_id") == external_id
        ]
        record = matching[-1] if matching else None
    else:
        raise ApiError("missing_argument", detail="give view_id or external_id")
    if record is None or record.closed:
        raise ApiError("not_found")
    return record


def replace(state: SlackState, record: ViewRecord, sent: JsonDict) -> JsonDict:
    """Put new content in an existing view, keeping its id and stack position."""
    record.history.append(record.view)
    record.view = full_view(
        state,
        sent,
        view_id=record.id,
        root_view_id=record.view.get("root_view_id"),
        previous_view_id=record.view.get("previous_view_id"),
        team_id=record.view.get("app_installed_team_id"),
    )
    return copy.deepcopy(record.view)


def update(state: SlackState, req: ApiRequest) -> JsonDict:
    record = _find(state, req)
    expected_hash = req.params.get("hash")
    if expected_hash and expected_hash != record.hash:
        raise ApiError("hash_conflict")
    sent = _view_param(state, req, allowed=(record.type,))
    return {"ok": True, "view": replace(state, record, sent)}


def publish(state: SlackState, req: ApiRequest) -> JsonDict:
    user_id = str(req.params.get("user_id") or "")
    user = req.workspace.users.get(user_id)
    if user is None or user.deleted:
        raise ApiError("user_not_found")
    sent = _view_param(state, req, allowed=("home",))
    home_id = state.records.homes.get(user_id)
    if home_id is not None:
        record = state.records.views[home_id]
        expected_hash = req.params.get("hash")
        if expected_hash and expected_hash != record.hash:
            raise ApiError("hash_conflict")
        return {"ok": True, "view": replace(state, record, sent)}
    view_id = state.ids.prefixed("V")
    view = full_view(
        state,
        sent,
        view_id=view_id,
        root_view_id=None,
        previous_view_id=None,
        team_id=state.tenancy.team_of(req.token),
    )
    _store(state, user=user_id, view=view, trigger_id=None)
    state.records.homes[user_id] = view_id
    return {"ok": True, "view": copy.deepcopy(view)}
