"""Replies that do not go through the Web API: response URL posts and acknowledgements.

Both carry a message payload (``text``, ``blocks``, ``response_type``, ``replace_original``,
``delete_original``) and land where Slack would put them: in the channel, as an ephemeral
for the user, or over the message the interaction came from.
"""

from __future__ import annotations

import copy

from bot.sandbox.blockkit import validate_message
from bot.sandbox.records import Call, Ephemeral, JsonDict, Message, ResponseUrlPost
from bot.sandbox.state import ApiError, ResponseUrl, SlackState

RESPONSE_URL = "response_url"


def _flag(payload: JsonDict, key: str) -> bool:
    return payload.get(key) in (True, "true", "1", 1)


def apply_reply(
    state: SlackState,
    payload: JsonDict,
    *,
    channel: str | None,
    user: str | None,
    source_ts: str | None,
    source_ephemeral: bool,
    via: str,
    team: str | None = None,
) -> None:
    """Show a reply the way Slack would; raises ``ApiError`` for invalid blocks."""
    errors = validate_message(payload)
    if errors:
        raise state.reject(via, errors, payload)
    text = str(payload.get("text") or "")
    blocks = payload.get("blocks")
    with state.lock:
        if source_ts is not None and channel is not None:
            target: Message | Ephemeral | None = None
            if source_ephemeral:
                target = state.ephemeral(channel, source_ts, user)
            else:
                try:
                    target = state.message(channel, source_ts)
                except ApiError:
                    target = None
            if target is not None and _flag(payload, "delete_original"):
                target.deleted = True
                return
            if target is not None and _flag(payload, "replace_original"):
                target.text = text or target.text
                if blocks is not None:
                    target.blocks = state.with_ids(blocks)
                target.edits += 1
                return
        if channel is None or _flag(payload, "delete_original"):
            return
        if not text and not blocks:
            raise ApiError("no_text", status=400)
        if payload.get("response_type") == "in_channel":
            state.add_message(
                channel=state.channel(channel, state.tenancy.named(team)),
                team=team,
                text=text,
                blocks=blocks or [],
                via=via,
                thread_ts=payload.get("thread_ts"),
            )
        elif user is not None:
            state.add_ephemeral(channel=channel, user=user, text=text, blocks=blocks or [], via=via)


def _refuse(response_url: ResponseUrl | None, state: SlackState) -> str | None:
    if response_url is None:
        return "no_service"
    if state.clock() - response_url.created_at > state.settings.response_url_ttl:
        return "expired_url"
    if response_url.uses >= state.settings.response_url_max_uses:
        return "used_url"
    return None


def post_to_response_url(state: SlackState, key: str, payload: JsonDict) -> tuple[int, JsonDict]:
    """Handle a POST to a response URL: at most 5 uses within 30 minutes (by default)."""
    with state.lock:
        response_url = state.records.response_urls.get(key)
        url = response_url.url if response_url else f"{state.root_url}actions/{key}"
        error = _refuse(response_url, state)
        status, body = (404, {"ok": False, "error": error}) if error else (200, {"ok": True})
        if response_url is not None and error is None:
            try:
                apply_reply(
                    state,
                    payload,
                    channel=response_url.channel,
                    user=response_url.user,
                    source_ts=response_url.message_ts,
                    source_ephemeral=response_url.ephemeral,
                    via=RESPONSE_URL,
                    team=response_url.team,
                )
                response_url.uses += 1
            except ApiError as exc:
                status, body, error = 400, exc.body(), exc.error
        now = state.clock()
        state.records.response_url_posts.append(
            ResponseUrlPost(
                url=url, payload=copy.deepcopy(payload), status=status, error=error, at=now
            )
        )
        state.record_call(
            Call(
                method=RESPONSE_URL,
                params=payload,
                token=None,
                response=body,
                status=status,
                at=now,
            )
        )
        return status, body
