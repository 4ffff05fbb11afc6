"""auth.test and the directory: conversations.members/info/open, users.info/list,
usergroups.users.list."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sandbox.records import JsonDict
from bot.sandbox.state import ApiError, ApiRequest, SlackState
from bot.sandbox.workspace import Channel, User

DEFAULT_PAGE = 100
MAX_PAGE = 1000
USERS_MAX_PAGE = 200
"""users.list: Slack asks for pages of no more than 200 and may return fewer than asked,
so the fake never returns more (a ``limit`` above it, or none, gets 200)."""


def auth_test(state: SlackState, req: ApiRequest) -> JsonDict:
    ws = req.workspace
    user = ws.users.get(req.token.user_id)
    body: JsonDict = {
        "ok": True,
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_domain,
        "user": user.name if user else req.token.user_id,
        "team_id": req.token.team_id or ws.team_id,
        "user_id": req.token.user_id,
        "is_enterprise_install": False,
    }
    if req.token.bot_id:
        body["bot_id"] = req.token.bot_id
    return body


def _needed_read_scope(channel: Channel) -> str:
    if channel.is_im:
        return "im:read"
    return "groups:read" if channel.is_private else "channels:read"


def _cursor_for(user_id: str) -> str:
    return base64.b64encode(f"user:{user_id}".encode()).decode()


def _position(cursor: str, members: list[str]) -> int:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError("invalid_cursor") from exc
    prefix, _, user_id = decoded.partition(":")
    if prefix != "user" or user_id not in members:
        raise ApiError("invalid_cursor")
    return members.index(user_id)


def _page(req: ApiRequest, ids: list[str], *, default: int, most: int) -> tuple[list[str], str]:
    """One page of ``ids`` from the request's cursor and limit, and the next cursor."""
    try:
        limit = int(req.params.get("limit") or default)
    except ValueError as exc:
        raise ApiError("invalid_limit") from exc
    limit = max(1, min(limit, most))
    cursor = str(req.params.get("cursor") or "")
    start = _position(cursor, ids) if cursor else 0
    page = ids[start : start + limit]
    rest = ids[start + limit :]
    return page, _cursor_for(rest[0]) if rest else ""


def conversations_members(state: SlackState, req: ApiRequest) -> JsonDict:
    channel = state.channel(req.params.get("channel"), req.workspace)
    needed = _needed_read_scope(channel)
    if needed not in req.token.scopes:
        raise ApiError("missing_scope", needed=needed, provided=",".join(sorted(req.token.scopes)))
    if channel.is_private and req.token.user_id not in channel.members:
        raise ApiError("channel_not_found")  # a private channel is invisible from outside
    page, next_cursor = _page(req, list(channel.members), default=DEFAULT_PAGE, most=MAX_PAGE)
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}


def conversations_info(state: SlackState, req: ApiRequest) -> JsonDict:
    """A channel's facts, ``is_member`` telling whether the caller is in it; a private
    channel the caller is not in does not exist for it."""
    channel = state.channel(req.params.get("channel"), req.workspace)
    needed = _needed_read_scope(channel)
    if needed not in req.token.scopes:
        raise ApiError("missing_scope", needed=needed, provided=",".join(sorted(req.token.scopes)))
    member = req.token.user_id in channel.members
    if channel.is_private and not member:
        raise ApiError("channel_not_found")
    body: JsonDict = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private and not channel.is_im,
        "is_group": channel.is_private,
        "is_im": channel.is_im,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "created": 0,
    }
    if not channel.is_im:
        body["is_member"] = member
    return {"ok": True, "channel": body}


def conversations_open(state: SlackState, req: ApiRequest) -> JsonDict:
    channel_id = req.params.get("channel")
    if channel_id:
        channel = state.channel(channel_id, req.workspace)
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel.id}}
    users = [u for u in str(req.params.get("users") or "").split(",") if u]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        raise ApiError("invalid_arguments", detail="the fake opens one-to-one DMs only")
    existed = ("D" + users[0][1:]) in req.workspace.channels
    channel = state.dm_target(users[0], req.workspace)
    body: JsonDict = {"id": channel.id}
    if req.params.get("return_im") in (True, "true", "1", 1):
        body |= {"created": int(state.clock()), "is_im": True, "is_org_shared": False}
        body |= {"user": users[0], "is_user_deleted": False, "priority": 0}
    return {"ok": True, "no_op": existed, "already_open": existed, "channel": body}


def user_json(user: User, *, team_id: str, now: float) -> JsonDict:
    try:
        zone = ZoneInfo(user.tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = datetime.fromtimestamp(now, tz=zone)
    offset = local.utcoffset()
    profile: JsonDict = {
        "real_name": user.real_name,
        "display_name": user.name,
        "real_name_normalized": user.real_name,
        "display_name_normalized": user.name,
        "team": team_id,
    }
    if user.email:
        profile["email"] = user.email
    return {
        "id": user.id,
        "team_id": team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": local.tzname() or user.tz,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(now),
    }


def users_info(state: SlackState, req: ApiRequest) -> JsonDict:
    user = req.workspace.users.get(str(req.params.get("user") or ""))
    if user is None:
        raise ApiError("user_not_found")
    team_id = req.workspace.team_id
    return {"ok": True, "user": user_json(user, team_id=team_id, now=state.clock())}


def users_list(state: SlackState, req: ApiRequest) -> JsonDict:
    """Every user of the workspace (bots and deactivated accounts included), page by page."""
    users = req.workspace.users
    page, next_cursor = _page(req, list(users), default=USERS_MAX_PAGE, most=USERS_MAX_PAGE)
    team_id, now = req.workspace.team_id, state.clock()
    return {
        "ok": True,
        "members": [user_json(users[user_id], team_id=team_id, now=now) for user_id in page],
        "cache_ts": int(now),
        "response_metadata": {"next_cursor": next_cursor},
    }


def usergroups_users_list(state: SlackState, req: ApiRequest) -> JsonDict:
    group = req.workspace.usergroups.get(str(req.params.get("usergroup") or ""))
    if group is None:
        raise ApiError("no_such_subteam")
    include_disabled = req.params.get("include_disabled") in (True, "true", "1", 1)
    if group.disabled and not include_disabled:
        return {"ok": True, "users": []}
    return {"ok": True, "users": list(group.users)}
