"""What the fake Slack saw and what it now holds: calls, messages, ephemerals, views, files."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.workspace import APP_ID

SlackBlock = dict[str, Any]
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request to the fake, answered or not.

    ``method`` is the Web API method (``chat.postMessage``), or ``upload`` for the bytes
    sent to an upload URL, or ``response_url`` for a post to a response URL. ``status`` is
    the HTTP status sent back, 0 when the connection was reset instead. ``injected``: the
    answer was a planned fault (``fail_next``, ``fail_ratio``, ``drop_next``), not Slack's.
    """

    method: str
    params: JsonDict
    token: str | None
    response: JsonDict | None
    status: int
    at: float
    injected: bool = False
    team: str | None = None
    """The workspace the call's token acts for (None: no token, or one Slack does not know)."""

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass
class Message:
    """A channel or DM message as it stands now (updates applied)."""

    channel: str
    ts: str
    text: str
    blocks: list[SlackBlock]
    user: str
    bot_id: str | None = None
    thread_ts: str | None = None
    attachments: list[JsonDict] | None = None
    metadata: JsonDict | None = None
    via: str = "chat.postMessage"
    edits: int = 0
    deleted: bool = False
    team: str = ""
    """The workspace it was posted in."""

    def to_dict(self) -> JsonDict:
        """The message as Slack returns it in API responses and interaction payloads."""
        out: JsonDict = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "blocks": copy.deepcopy(self.blocks),
        }
        if self.bot_id:
            out["bot_id"] = self.bot_id
            out["app_id"] = APP_ID
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.attachments is not None:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.metadata is not None:
            out["metadata"] = copy.deepcopy(self.metadata)
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.ts}
        return out


@dataclass
class Ephemeral:
    """A message only ``user`` sees; ``via`` says how it arrived (API, ack, response URL)."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[SlackBlock]
    thread_ts: str | None = None
    via: str = "chat.postEphemeral"
    edits: int = 0
    deleted: bool = False

    def to_dict(self) -> JsonDict:
        return {
            "type": "message",
            "text": self.text,
            "ts": self.ts,
            "blocks": copy.deepcopy(self.blocks),
        }


@dataclass
class ViewRecord:
    """A modal or App Home view for one user, as it stands now.

    ``errors`` holds the field errors of the last ``response_action: errors`` answer;
    ``history`` the earlier versions, oldest first.
    """

    id: str
    user: str
    view: JsonDict
    trigger_id: str | None = None
    closed: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    history: list[JsonDict] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.view.get("type", ""))

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id", ""))

    @property
    def blocks(self) -> list[SlackBlock]:
        blocks: list[SlackBlock] = self.view.get("blocks", [])
        return blocks

    @property
    def hash(self) -> str:
        return str(self.view.get("hash", ""))


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded through the v2 flow and (once completed) shared."""

    file_id: str
    filename: str
    content: bytes
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


@dataclass(frozen=True)
class ResponseUrlPost:
    """One post to a response URL, accepted or refused."""

    url: str
    payload: JsonDict
    status: int
    error: str | None
    at: float


@dataclass(frozen=True)
class BlockRejection:
    """A payload refused for its Block Kit: which method, the errors, what was sent."""

    method: str
    errors: tuple[str, ...]
    params: JsonDict


@dataclass
class ResponseUrl:
    """A response URL and what it answers for (a command, or the message clicked in)."""

    key: str
    url: str
    created_at: float
    channel: str | None
    user: str | None
    message_ts: str | None = None
    ephemeral: bool = False
    uses: int = 0
    team: str | None = None  # the workspace the command or click came from


@dataclass
class PendingUpload:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class Trigger:
    issued_at: float
    user: str | None
    used: bool = False


@dataclass
class Records:
    """Everything the fake recorded since start or the last reset."""

    calls: list[Call] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, ViewRecord] = field(default_factory=dict)
    modal_stacks: dict[str, list[str]] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    response_url_posts: list[ResponseUrlPost] = field(default_factory=list)
    uploads: dict[str, PendingUpload] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)
    rejections: list[BlockRejection] = field(default_factory=list)
    dm_counts: Counter[str] = field(default_factory=Counter)
