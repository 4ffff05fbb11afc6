"""The fake Slack's memory: everything posted, opened, uploaded and called, behind one lock.

The API handlers (``api_*.py``) read and change a ``SlackState`` while holding
``state.lock``; the front object (``FakeSlack``) reads it for assertions.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.sandbox.clock import Clock
from bot.sandbox.faults import TokenBucket
from bot.sandbox.ids import IdFactory
from bot.sandbox.records import (  # PendingUpload, ResponseUrl: the API modules read them here
    BlockRejection,
    Call,
    Ephemeral,
    JsonDict,
    Message,
    PendingUpload,
    Records,
    ResponseUrl,
    SlackBlock,
    Trigger,
)
from bot.sandbox.tenancy import Tenancy
from bot.sandbox.workspace import BOT_ID, BOT_USER_ID, Channel, Token, Workspace

__all__ = ["ApiError", "ApiRequest", "PendingUpload", "ResponseUrl", "SlackState"]


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error": error, **extra}`` with an HTTP status."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> JsonDict:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass(frozen=True)
class ApiRequest:
    """A Web API call after parsing: method, decoded parameters, the caller's token and the
    workspace that token belongs to (every lookup of a user or channel is made in it)."""

    method: str
    params: JsonDict
    token: Token
    workspace: Workspace


SLACK_TIERS: Mapping[str, float] = MappingProxyType(
    {"tier1": 1.0, "tier2": 20.0, "tier3": 50.0, "tier4": 100.0}
)
"""Slack's Web API rate-limit tiers: calls a minute each method of the tier allows."""


@dataclass
class Settings:
    """Timings and limits; shorten them in tests instead of sleeping.

    A changed ``post_rate`` / ``post_burst`` / ``post_workspace_rate`` / ``tier_rates`` takes
    effect at the next ``reset()``. ``tier_rates``: calls a minute per Slack rate-limit tier
    (each method's tier is in ``server.METHODS``), counted per method and workspace with a
    burst of one minute's calls; ``None`` turns the tier limits off, as ``post_rate=None`` does
    for the per-channel posting limit.

    ``chat.postMessage`` has Slack's special limit: about one message a second per channel
    (``post_rate``, ``post_burst``) and, per workspace, "several hundred messages per minute"
    with bursts (``post_workspace_rate`` messages a minute, ``post_workspace_burst``). Slack
    does not publish the workspace figure; 200 a minute and a burst of 20 are the least any
    reading of "several hundred" allows, so the fake is never more lenient than Slack.
    """

    trigger_ttl: float = 3.0
    response_url_ttl: float = 30 * 60
    response_url_max_uses: int = 5
    post_rate: float | None = 1.0
    post_burst: int = 5
    post_workspace_rate: float | None = 200.0
    post_workspace_burst: int = 20
    retry_after: int = 1
    tier_rates: Mapping[str, float] | None = field(default_factory=lambda: dict(SLACK_TIERS))


class SlackState:
    def __init__(
        self, *, workspace: Workspace, clock: Clock, settings: Settings, seed: int = 0
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.workspace = workspace
        """The first workspace; others are added to ``tenancy``."""
        self.tenancy = Tenancy(workspace)
        self.clock = clock
        self.settings = settings
        self.seed = seed
        self.root_url = "http://127.0.0.1/"
        self.oauth_app: Any = None  # api_oauth.OAuthApp once enabled
        self.oauth_codes: dict[str, Any] = {}
        self.socket_mode: Any = None  # fake_socket_mode.FakeSocketMode, set by FakeSlack
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.ids = IdFactory(seed=self.seed)
            self.records = Records()
            rate, burst = self.settings.post_rate, self.settings.post_burst
            self.post_rate = TokenBucket(rate=rate, burst=burst, clock=self.clock) if rate else None
            per_minute = self.settings.post_workspace_rate
            self.post_workspace = (
                TokenBucket(
                    rate=per_minute / 60,
                    burst=self.settings.post_workspace_burst,
                    clock=self.clock,
                )
                if per_minute
                else None
            )
            tiers = self.settings.tier_rates or {}
            self.tier_buckets = {
                tier: TokenBucket(
                    rate=per_minute / 60, burst=max(1, int(per_minute)), clock=self.clock
                )
                for tier, per_minute in tiers.items()
                if per_minute
            }
            self.changed.notify_all()

    def rate_limit(self, method: str, tier: str | None, token: Token) -> None:
        """Refuse a call over its tier's rate with 429 and ``Retry-After``, as Slack does:
        counted per method and workspace."""
        bucket = self.tier_buckets.get(tier) if tier else None
        if bucket is None:
            return
        key = f"{self.tenancy.team_of(token)} {method}"
        if not bucket.try_take(key):
            retry_after = str(bucket.retry_after(key))
            raise ApiError("ratelimited", status=429, headers={"Retry-After": retry_after})

    def limit_posting(self, channel: Channel, token: Token) -> None:
        """``chat.postMessage``'s special limit: per channel, then per workspace; a refusal
        is a 429 with ``Retry-After`` in whole seconds, as Slack answers it."""
        team = self.tenancy.team_of(token)
        if self.post_rate is not None and not self.post_rate.try_take(f"{team} {channel.id}"):
            retry_after = str(self.settings.retry_after)
            raise ApiError("ratelimited", status=429, headers={"Retry-After": retry_after})
        if self.post_workspace is not None and not self.post_workspace.try_take(team):
            retry_after = str(self.post_workspace.retry_after(team))
            raise ApiError("ratelimited", status=429, headers={"Retry-After": retry_after})

    # -- recording ------------------------------------------------------------------------

    def record_call(self, call: Call) -> None:
        with self.lock:
            self.records.calls.append(call)
            self.changed.notify_all()

    def reject(self, method: str, errors: list[str], params: JsonDict) -> ApiError:
        """Record a Block Kit refusal and return the error to raise."""
        with self.lock:
            self.records.rejections.append(
                BlockRejection(method=method, errors=tuple(errors), params=copy.deepcopy(params))
            )
        messages = [f"[ERROR] {e}" for e in errors]
        return ApiError("invalid_blocks", errors=errors, response_metadata={"messages": messages})

    # -- workspace lookups ----------------------------------------------------------------

    def channel(self, channel_id: object, workspace: Workspace | None = None) -> Channel:
        """A channel of ``workspace`` (the first one when not given): another workspace's
        channel is not found, as in Slack."""
        ws = workspace or self.workspace
        channel = ws.channels.get(str(channel_id or ""))
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def dm_target(self, user_id: str, workspace: Workspace | None = None) -> Channel:
        """The DM channel with a person, refusing bots and deactivated accounts."""
        ws = workspace or self.workspace
        user = ws.users.get(user_id)
        if user is None:
            raise ApiError("user_not_found")
        if user.is_bot:
            raise ApiError("cannot_dm_bot")
        if user.deleted:
            raise ApiError("user_disabled")
        return ws.im_for(user_id)

    def postable_channel(self, target: object, token: Token) -> Channel:
        """Where a message to ``target`` (channel, DM or user id) lands, or the error: in the
        token's workspace only."""
        ws = self.tenancy.holder(token)
        target_id = str(target or "")
        if target_id.startswith("#"):
            named = (c for c in ws.channels.values() if c.name == target_id[1:])
            target_id = next((c.id for c in named if not c.is_im), target_id)
        if target_id[:1] in ("U", "W"):
            if target_id not in ws.users:
                raise ApiError("channel_not_found")
            return self.dm_target(target_id, ws)
        channel = self.channel(target_id, ws)
        if channel.is_archived:
            raise ApiError("is_archived")
        if channel.is_im:
            other = ws.im_user(channel)
            if other is not None:
                self.dm_target(other, ws)
        elif BOT_USER_ID not in channel.members:
            if channel.is_private:
                raise ApiError("channel_not_found")
            if "chat:write.public" not in token.scopes:
                raise ApiError("not_in_channel")
        return channel

    def message(self, channel_id: str, ts: object) -> Message:
        for message in self.records.messages:
            if message.channel == channel_id and message.ts == ts and not message.deleted:
                return message
        raise ApiError("message_not_found")

    def ephemeral(self, channel_id: str, ts: object, user: str | None) -> Ephemeral | None:
        for ephemeral in self.records.ephemerals:
            same_user = user is None or ephemeral.user == user
            if ephemeral.channel == channel_id and ephemeral.ts == ts and same_user:
                return None if ephemeral.deleted else ephemeral
        return None

    # -- posting --------------------------------------------------------------------------

    def with_ids(self, blocks: list[SlackBlock]) -> list[SlackBlock]:
        """A copy of ``blocks`` with the block_id / action_id Slack fills in when missing."""
        out = copy.deepcopy(blocks)
        for block in out:
            block.setdefault("block_id", self.ids.block_id())
            elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
            for key in ("accessory", "element"):
                if isinstance(block.get(key), dict):
                    elements.append(block[key])
            for element in elements:
                if isinstance(element, dict) and element.get("type") not in ("image", None):
                    element.setdefault("action_id", self.ids.block_id())
        return out

    def add_message(
        self,
        *,
        channel: Channel,
        text: str,
        blocks: list[SlackBlock],
        via: str,
        thread_ts: str | None = None,
        attachments: list[JsonDict] | None = None,
        metadata: JsonDict | None = None,
        team: str | None = None,
    ) -> Message:
        """Record a message (``team``: the workspace it was posted in; the first one when
        not given)."""
        ws = self.tenancy.named(team)
        message = Message(
            channel=channel.id,
            ts=self.ids.ts(self.clock()),
            text=text,
            blocks=self.with_ids(blocks),
            user=BOT_USER_ID,
            bot_id=BOT_ID,
            thread_ts=thread_ts,
            attachments=copy.deepcopy(attachments),
            metadata=copy.deepcopy(metadata),
            via=via,
            team=team or ws.team_id,
        )
        self.records.messages.append(message)
        other = ws.im_user(channel)
        if other is not None:
            self.records.dm_counts[other] += 1
        return message

    def add_ephemeral(
        self,
        *,
        channel: str,
        user: str,
        text: str,
        blocks: list[SlackBlock],
        via: str,
        thread_ts: str | None = None,
    ) -> Ephemeral:
        ephemeral = Ephemeral(
            channel=channel,
            user=user,
            ts=self.ids.ts(self.clock()),
            text=text,
            blocks=self.with_ids(blocks),
            thread_ts=thread_ts,
            via=via,
        )
        self.records.ephemerals.append(ephemeral)
        return ephemeral

    # -- triggers and response URLs -------------------------------------------------------

    def new_trigger_id(self, user: str | None) -> str:
        with self.lock:
            now = self.clock()
            trigger_id = self.ids.trigger_id(now)
            self.records.triggers[trigger_id] = Trigger(issued_at=now, user=user)
            return trigger_id

    def register_trigger_id(self, trigger_id: str, user: str | None) -> None:
        with self.lock:
            self.records.triggers[trigger_id] = Trigger(issued_at=self.clock(), user=user)

    def check_trigger(self, trigger_id: object) -> str | None:
        """The user a still-valid trigger id belongs to, or the error Slack gives."""
        trigger = self.records.triggers.get(str(trigger_id or ""))
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("expired_trigger_id", detail="trigger_id was already used")
        if self.clock() - trigger.issued_at > self.settings.trigger_ttl:
            raise ApiError("expired_trigger_id", detail="trigger_id is older than 3 seconds")
        return trigger.user

    def use_trigger(self, trigger_id: object) -> None:
        self.records.triggers[str(trigger_id)].used = True

    def new_response_url(
        self,
        *,
        channel: str | None,
        user: str | None,
        message_ts: str | None = None,
        ephemeral: bool = False,
        team: str | None = None,
    ) -> str:
        with self.lock:
            serial = len(self.records.response_urls) + 1
            key = f"{team or self.workspace.team_id}/{serial}/{self.ids.secret()}"
            url = f"{self.root_url}actions/{key}"
            self.records.response_urls[key] = ResponseUrl(
                key=key,
                url=url,
                created_at=self.clock(),
                channel=channel,
                user=user,
                message_ts=message_ts,
                ephemeral=ephemeral,
                team=team,
            )
            return url
