"""Find interactive elements (buttons, selects) in what the fake Slack is showing."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from bot.sandbox.records import Ephemeral, JsonDict, Message, SlackBlock, ViewRecord

Source = Literal["view", "ephemeral", "message"]
SOURCES: tuple[Source, ...] = ("view", "ephemeral", "message")


@dataclass(frozen=True)
class Found:
    """An element and the surface it sits on — everything a click needs."""

    element: JsonDict
    block_id: str
    source: Source
    channel: str | None = None
    message_ts: str | None = None
    user: str | None = None
    message: JsonDict | None = None
    view: JsonDict | None = None

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id", ""))

    @property
    def type(self) -> str:
        return str(self.element.get("type", ""))

    @property
    def text(self) -> str | None:
        text = self.element.get("text")
        return text.get("text") if isinstance(text, dict) else None

    @property
    def value(self) -> str | None:
        value = self.element.get("value")
        return None if value is None else str(value)


def elements_in(blocks: Iterable[SlackBlock]) -> Iterator[tuple[str, JsonDict]]:
    """(block_id, element) for every interactive element in ``blocks``."""
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates.extend(block.get("elements") or [])
        candidates.extend(block.get(key) for key in ("accessory", "element"))
        for element in candidates:
            if isinstance(element, dict) and "action_id" in element:
                yield block_id, element


def _matches(
    element: JsonDict, *, action_id: str | None, text: str | None, element_type: str | None
) -> bool:
    if action_id is not None and element.get("action_id") != action_id:
        return False
    if element_type is not None and element.get("type") != element_type:
        return False
    if text is not None:
        label = element.get("text")
        return isinstance(label, dict) and label.get("text") == text
    return True


def candidates(
    *,
    views: list[ViewRecord],
    ephemerals: list[Ephemeral],
    messages: list[Message],
    user: str | None,
    channel: str | None,
    sources: Iterable[Source],
    im_users: dict[str, str],
) -> Iterator[Found]:
    """Every element a user could interact with, newest surface first."""
    for source in sources:
        if source == "view":
            for record in reversed(views):
                if record.closed or (user is not None and record.user != user):
                    continue
                for block_id, element in elements_in(record.blocks):
                    view = copy.deepcopy(record.view)
                    yield Found(element, block_id, "view", user=record.user, view=view)
        elif source == "ephemeral":
            for eph in reversed(ephemerals):
                if eph.deleted or (user is not None and eph.user != user):
                    continue
                if channel is not None and eph.channel != channel:
                    continue
                for block_id, element in elements_in(eph.blocks):
                    yield Found(
                        element, block_id, "ephemeral", eph.channel, eph.ts, eph.user, eph.to_dict()
                    )
        else:
            for msg in reversed(messages):
                if msg.deleted or (channel is not None and msg.channel != channel):
                    continue
                dm_user = im_users.get(msg.channel)
                if user is not None and dm_user is not None and dm_user != user:
                    continue
                for block_id, element in elements_in(msg.blocks):
                    yield Found(
                        element, block_id, "message", msg.channel, msg.ts, dm_user, msg.to_dict()
                    )


def find(
    found: Iterable[Found],
    *,
    action_id: str | None = None,
    text: str | None = None,
    element_type: str | None = None,
) -> Found:
    """The first element matching; ``LookupError`` naming what is there otherwise."""
    seen: list[str] = []
    for item in found:
        if _matches(item.element, action_id=action_id, text=text, element_type=element_type):
            return item
        seen.append(f"{item.action_id} ({item.type}: {item.text or item.value or ''})")
    wanted = ", ".join(
        f"{k}={v!r}"
        for k, v in (("action_id", action_id), ("text", text), ("type", element_type))
        if v is not None
    )
    raise LookupError(f"no element with {wanted}; on screen: {', '.join(seen) or 'nothing'}")
