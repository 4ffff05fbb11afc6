"""chat.postMessage, chat.update, chat.postEphemeral, chat.delete."""

from __future__ import annotations

from typing import Any

from bot.sandbox.blockkit import validate_message
from bot.sandbox.records import JsonDict, SlackBlock
from bot.sandbox.state import ApiError, ApiRequest, SlackState


def _content(state: SlackState, req: ApiRequest) -> tuple[str, list[SlackBlock] | None]:
    """Text and blocks of a message payload, validated; raises what Slack would."""
    params = req.params
    text = params.get("text")
    blocks = params.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    errors = validate_message(params)
    if errors:
        raise state.reject(req.method, errors, params)
    return ("" if text is None else str(text)), blocks


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def post_message(state: SlackState, req: ApiRequest) -> JsonDict:
    channel = state.postable_channel(req.params.get("channel"), req.token)
    text, blocks = _content(state, req)
    attachments = req.params.get("attachments")
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    state.limit_posting(channel, req.token)
    message = state.add_message(
        team=state.tenancy.team_of(req.token),
        channel=channel,
        text=text,
        blocks=blocks or [],
        via=req.method,
        thread_ts=_str_or_none(req.params.get("thread_ts")),
        attachments=attachments if isinstance(attachments, list) else None,
        metadata=req.params.get("metadata")
        if isinstance(req.params.get("metadata"), dict)
        else None,
    )
    body = {**message.to_dict(), "team": req.workspace.team_id}
    return {"ok": True, "channel": channel.id, "ts": message.ts, "message": body}


def update(state: SlackState, req: ApiRequest) -> JsonDict:
    channel = state.channel(req.params.get("channel"), req.workspace)
    message = state.message(channel.id, req.params.get("ts"))
    text, blocks = _content(state, req)
    if text:
        message.text = text
    if blocks is not None:
        message.blocks = state.with_ids(blocks)
    if isinstance(req.params.get("attachments"), list):
        message.attachments = req.params["attachments"]
    if isinstance(req.params.get("metadata"), dict):
        message.metadata = req.params["metadata"]
    message.edits += 1
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_dict(),
    }


def post_ephemeral(state: SlackState, req: ApiRequest) -> JsonDict:
    target = str(req.params.get("channel") or "")
    channel = state.postable_channel(target, req.token)
    user_id = str(req.params.get("user") or "")
    user = req.workspace.users.get(user_id)
    if user is None or user.deleted:
        raise ApiError("user_not_found")
    if user_id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks = _content(state, req)
    if not text and not blocks and not req.params.get("attachments"):
        raise ApiError("no_text")
    ephemeral = state.add_ephemeral(
        channel=channel.id,
        user=user_id,
        text=text,
        blocks=blocks or [],
        via=req.method,
        thread_ts=_str_or_none(req.params.get("thread_ts")),
    )
    return {"ok": True, "message_ts": ephemeral.ts}


def delete(state: SlackState, req: ApiRequest) -> JsonDict:
    channel = state.channel(req.params.get("channel"), req.workspace)
    message = state.message(channel.id, req.params.get("ts"))
    message.deleted = True
    return {"ok": True, "channel": channel.id, "ts": message.ts}
