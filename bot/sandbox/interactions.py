"""What Slack does with the bot's answers to interactions (the HTTP response, not the API).

* a slash command's acknowledgement with a body is shown to the user (or the channel);
* a view submission's acknowledgement closes the modal, or updates, pushes, clears it,
  or shows field errors (``response_action``).
"""

from __future__ import annotations

from bot.sandbox import api_views
from bot.sandbox.blockkit import validate_view
from bot.sandbox.records import JsonDict, ViewRecord
from bot.sandbox.replies import apply_reply
from bot.sandbox.state import ApiError, SlackState

ACK = "ack"


def apply_command_ack(
    state: SlackState, payload: JsonDict, *, channel: str, user: str, team: str | None = None
) -> list[str]:
    """Show a slash command's acknowledgement body; the Block Kit errors when refused."""
    try:
        apply_reply(
            state,
            payload,
            channel=channel,
            user=user,
            source_ts=None,
            source_ephemeral=False,
            via=ACK,
            team=team,
        )
    except ApiError as exc:
        return list(exc.extra.get("errors", [exc.error]))
    finally:
        with state.lock:
            state.changed.notify_all()
    return []


def close_view(state: SlackState, view_id: str, *, whole_stack: bool = False) -> None:
    with state.lock:
        record = state.records.views.get(view_id)
        if record is None:
            return
        stack = state.records.modal_stacks.get(record.user, [])
        doomed = list(stack) if whole_stack else [view_id]
        for closing in doomed:
            state.records.views[closing].closed = True
        state.records.modal_stacks[record.user] = [v for v in stack if v not in doomed]
        state.changed.notify_all()


def apply_view_ack(state: SlackState, *, view_id: str, ack: JsonDict | None) -> list[str]:
    """Apply a view_submission acknowledgement; the Block Kit errors when refused."""
    action = (ack or {}).get("response_action")
    if action is None:
        close_view(state, view_id)
        return []
    if action == "clear":
        close_view(state, view_id, whole_stack=True)
        return []
    with state.lock:
        record = state.records.views.get(view_id)
        if record is None:
            return [f"unknown view {view_id}"]
        if action == "errors":
            errors = (ack or {}).get("errors")
            record.errors = dict(errors) if isinstance(errors, dict) else {}
            state.changed.notify_all()
            return []
        if action not in ("update", "push"):
            return [f"unknown response_action {action!r}"]
        sent = (ack or {}).get("view")
        problems = validate_view(sent, allowed_types=("modal",))
        if problems:
            state.reject(f"{ACK}.{action}", problems, dict(ack or {}))
            return problems
        assert isinstance(sent, dict)
        if action == "update":
            api_views.replace(state, record, sent)
        else:
            _push(state, record, sent)
        state.changed.notify_all()
        return []


def _push(state: SlackState, below: ViewRecord, sent: JsonDict) -> None:
    stack = state.records.modal_stacks.setdefault(below.user, [])
    view_id = state.ids.prefixed("V")
    view = api_views.full_view(
        state,
        sent,
        view_id=view_id,
        root_view_id=stack[0] if stack else below.id,
        previous_view_id=stack[-1] if stack else below.id,
    )
    state.records.views[view_id] = ViewRecord(id=view_id, user=below.user, view=view)
    stack.append(view_id)
