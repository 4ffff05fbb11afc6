"""Block Kit messages as plain terminal text: what a person would read in the channel.

Used by ``debtpulse digest preview`` and the demo to show a message without Slack. Only
reads the blocks; it knows nothing of how they were built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RULE = "─" * 60

_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<([@#!]?)([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_SPACED = {"section", "context", "actions", "image", "input"}  # blocks with a gap between


def mrkdwn_to_text(text: str) -> str:
    """Slack mrkdwn as plain text: links keep their label; bold, italics, code lose their marks."""
    text = _LINK.sub(lambda m: _label(m.group(1), m.group(2)), text)
    text = _BARE.sub(lambda m: _label(m.group(1) + m.group(2), ""), text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _label(target: str, label: str) -> str:
    if target.startswith("@"):
        return f"@{label}" if label else target  # <@U123|ana> shows as @ana
    if target.startswith("#"):
        return f"#{label}" if label else target
    if target.startswith("!"):
        return f"@{(label or target[1:]).removeprefix('@')}"  # <!subteam^S1|@ml> is @ml
    return label or target


def _text(obj: object) -> str:
    if not isinstance(obj, Mapping):
        return ""
    value = str(obj.get("text", ""))
    return mrkdwn_to_text(value) if obj.get("type") == "mrkdwn" else value


def _element(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind in {"mrkdwn", "plain_text"}:
        return _text(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    placeholder = _text(element.get("placeholder"))
    return f"[{placeholder or kind}]"


def _block(block: Mapping[str, Any]) -> Iterable[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"))
        yield title
        yield "═" * min(len(title), 60)
    elif kind == "divider":
        yield RULE
    elif kind == "section":
        if block.get("text"):
            yield _text(block["text"])
        fields = [_text(field) for field in block.get("fields", [])]
        for left, right in zip(fields[::2], [*fields[1::2], ""], strict=False):
            yield f"{left:<30}  {right}".rstrip()
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            yield f"    {_element(accessory)}"
    elif kind in {"context", "actions"}:
        yield "  ".join(_element(e) for e in block.get("elements", []))
    elif kind == "image":
        yield f"[image: {block.get('alt_text', '')}]"
    elif kind == "input":
        yield f"{_text(block.get('label'))}: {_element(block.get('element', {}))}"


def blocks_to_text(blocks: Sequence[Mapping[str, Any]], *, fallback: str = "") -> str:
    """The message as lines of text; ``fallback`` (the message's ``text``) when it has no blocks."""
    if not blocks:
        return mrkdwn_to_text(fallback)
    lines: list[str] = []
    previous: object = None
    for block in blocks:
        kind = block.get("type")
        if previous in _SPACED and kind in _SPACED:  # Slack leaves a gap between the two
            lines.append("")
        lines.extend(_block(block))
        previous = kind
    return "\n".join(lines)
