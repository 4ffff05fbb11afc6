"""Block Kit validation as strict as Slack's: what Slack would refuse, the fake refuses.

Every block goes through ``slack_sdk.models.blocks.Block.parse(b).to_dict()`` and must come
back with nothing lost (an unknown field, a misspelt key or a wrong type shows up as a
difference), then through Slack's documented limits (``LIMITS``). Errors read like Slack's:
``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from slack_sdk.models.blocks import Block

Surface = Literal["message", "modal", "home"]

LIMITS: dict[str, int] = {
    "blocks.message": 50,
    "blocks.modal": 100,
    "blocks.home": 100,
    "block_id": 255,
    "action_id": 255,
    "section.text": 3000,
    "section.fields": 10,
    "section.field": 2000,
    "header.text": 150,
    "context.elements": 10,
    "actions.elements": 25,
    "input.label": 2000,
    "input.hint": 2000,
    "image.alt_text": 2000,
    "button.text": 75,
    "button.value": 2000,
    "button.url": 3000,
    "option.text": 75,
    "option.value": 150,
    "option.description": 75,
    "select.options": 100,
    "select.option_groups": 100,
    "choices.options": 10,
    "overflow.options": 5,
    "placeholder": 150,
    "view.title": 24,
    "view.button": 24,
    "view.private_metadata": 3000,
    "view.callback_id": 255,
    "view.external_id": 255,
}

_SELECTS = {"static_select", "multi_static_select"}
_CHOICES = {"checkboxes", "radio_buttons"}
_TEXT_TYPES = {"plain_text", "mrkdwn"}


class _Errors(list[str]):
    def add(self, detail: str, pointer: str) -> None:
        self.append(f"{detail} [json-pointer:{pointer}]")

    def too_long(self, value: object, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(f"must be less than {limit + 1} characters", pointer)

    def too_many(self, value: object, limit: int, pointer: str) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(f"must provide no more than {limit} items", pointer)


def validate_blocks(blocks: object, *, surface: Surface, pointer: str = "/blocks") -> list[str]:
    """Errors for a ``blocks`` array shown on ``surface``; empty when Slack would accept it."""
    errors = _Errors()
    if not isinstance(blocks, list):
        errors.add("must be an array", pointer)
        return errors
    errors.too_many(blocks, LIMITS[f"blocks.{surface}"], pointer)
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.add("must be an object with a type", where)
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen_block_ids:
                errors.add(f"duplicate block_id {block_id!r}", f"{where}/block_id")
            seen_block_ids.add(block_id)
        before = len(errors)
        _check_block(block, where, errors)
        if len(errors) == before:
            errors.extend(_round_trip(block, where))
    return list(errors)


def validate_view(view: object, *, allowed_types: Iterable[str] = ("modal", "home")) -> list[str]:
    """Errors for a modal or App Home view object."""
    errors = _Errors()
    if not isinstance(view, dict):
        errors.add("must be an object", "/view")
        return errors
    view_type = view.get("type")
    if view_type not in set(allowed_types):
        errors.add(f"view type {view_type!r} is not allowed here", "/view/type")
        return errors
    if view_type == "modal":
        title = view.get("title")
        if title is None:
            errors.add("title is required for a modal", "/view/title")
        else:
            _plain_text(title, LIMITS["view.title"], "/view/title", errors)
        for button in ("submit", "close"):
            if view.get(button) is not None:
                _plain_text(view[button], LIMITS["view.button"], f"/view/{button}", errors)
        blocks = view.get("blocks", [])
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            errors.add("a modal with input blocks needs a submit button", "/view/submit")
    for key in ("private_metadata", "callback_id", "external_id"):
        errors.too_long(view.get(key), LIMITS[f"view.{key}"], f"/view/{key}")
    surface: Surface = "modal" if view_type == "modal" else "home"
    errors.extend(validate_blocks(view.get("blocks", []), surface=surface, pointer="/view/blocks"))
    return list(errors)


def validate_message(params: dict[str, Any]) -> list[str]:
    """Errors for the ``blocks`` (and blocks inside ``attachments``) of a message payload."""
    errors: list[str] = []
    if params.get("blocks") is not None:
        errors.extend(validate_blocks(params["blocks"], surface="message"))
    attachments = params.get("attachments")
    if isinstance(attachments, list):
        for index, attachment in enumerate(attachments):
            if isinstance(attachment, dict) and attachment.get("blocks") is not None:
                pointer = f"/attachments/{index}/blocks"
                errors.extend(
                    validate_blocks(attachment["blocks"], surface="message", pointer=pointer)
                )
    return errors


def _round_trip(block: dict[str, Any], pointer: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"unsupported block type {block['type']!r} [json-pointer:{pointer}/type]"]
        again = parsed.to_dict()
    except Exception as exc:  # slack_sdk raises several kinds for malformed input
        return [f"{exc} [json-pointer:{pointer}]"]
    if again.get("type") != block["type"]:
        return [f"block type {block['type']!r} did not survive parsing [json-pointer:{pointer}]"]
    return _lost(block, again, pointer)


def _lost(sent: object, parsed: object, pointer: str) -> list[str]:
    """What of ``sent`` is missing or different in ``parsed`` (extra defaults are fine)."""
    if isinstance(sent, dict) and isinstance(parsed, dict):
        out: list[str] = []
        for key, value in sent.items():
            if key not in parsed:
                out.append(f"unknown or misplaced field {key!r} [json-pointer:{pointer}/{key}]")
            else:
                out.extend(_lost(value, parsed[key], f"{pointer}/{key}"))
        return out
    if isinstance(sent, list) and isinstance(parsed, list):
        if len(sent) != len(parsed):
            return [f"expected {len(sent)} items, parsed {len(parsed)} [json-pointer:{pointer}]"]
        out = []
        for index, (a, b) in enumerate(zip(sent, parsed, strict=True)):
            out.extend(_lost(a, b, f"{pointer}/{index}"))
        return out
    if sent != parsed:
        return [f"invalid value {sent!r} [json-pointer:{pointer}]"]
    return []


def _text(obj: object, limit: int, pointer: str, errors: _Errors) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in _TEXT_TYPES:
        errors.add("must be a text object (plain_text or mrkdwn)", pointer)
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.add("must be more than 0 characters", f"{pointer}/text")
        return
    errors.too_long(text, limit, f"{pointer}/text")


def _plain_text(obj: object, limit: int, pointer: str, errors: _Errors) -> None:
    if isinstance(obj, dict) and obj.get("type") != "plain_text":
        errors.add("must be a plain_text object", f"{pointer}/type")
        return
    _text(obj, limit, pointer, errors)


def _check_block(block: dict[str, Any], pointer: str, errors: _Errors) -> None:
    errors.too_long(block.get("block_id"), LIMITS["block_id"], f"{pointer}/block_id")
    kind = block["type"]
    if kind == "header":
        _plain_text(block.get("text"), LIMITS["header.text"], f"{pointer}/text", errors)
    elif kind == "section":
        if block.get("text") is not None:
            _text(block["text"], LIMITS["section.text"], f"{pointer}/text", errors)
        fields = block.get("fields")
        errors.too_many(fields, LIMITS["section.fields"], f"{pointer}/fields")
        for index, item in enumerate(fields if isinstance(fields, list) else []):
            _text(item, LIMITS["section.field"], f"{pointer}/fields/{index}", errors)
        if block.get("text") is None and not fields:
            errors.add("a section needs text or fields", pointer)
        if isinstance(block.get("accessory"), dict):
            _check_element(block["accessory"], f"{pointer}/accessory", errors)
    elif kind in ("actions", "context"):
        elements = block.get("elements")
        errors.too_many(elements, LIMITS[f"{kind}.elements"], f"{pointer}/elements")
        action_ids: set[str] = set()
        for index, element in enumerate(elements if isinstance(elements, list) else []):
            where = f"{pointer}/elements/{index}"
            if not isinstance(element, dict):
                errors.add("must be an object", where)
            elif element.get("type") in _TEXT_TYPES:
                _text(element, LIMITS["section.text"], where, errors)
            else:
                action_id = element.get("action_id")
                if isinstance(action_id, str) and action_id in action_ids:
                    errors.add(f"duplicate action_id {action_id!r}", f"{where}/action_id")
                action_ids.add(str(action_id))
                _check_element(element, where, errors)
    elif kind == "input":
        _plain_text(block.get("label"), LIMITS["input.label"], f"{pointer}/label", errors)
        if block.get("hint") is not None:
            _plain_text(block["hint"], LIMITS["input.hint"], f"{pointer}/hint", errors)
        if isinstance(block.get("element"), dict):
            _check_element(block["element"], f"{pointer}/element", errors)
        else:
            errors.add("an input block needs an element", f"{pointer}/element")
    elif kind == "image":
        errors.too_long(block.get("alt_text"), LIMITS["image.alt_text"], f"{pointer}/alt_text")


def _check_element(element: dict[str, Any], pointer: str, errors: _Errors) -> None:
    kind = element.get("type")
    errors.too_long(element.get("action_id"), LIMITS["action_id"], f"{pointer}/action_id")
    if element.get("placeholder") is not None:
        _plain_text(element["placeholder"], LIMITS["placeholder"], f"{pointer}/placeholder", errors)
    if kind == "button":
        _plain_text(element.get("text"), LIMITS["button.text"], f"{pointer}/text", errors)
        errors.too_long(element.get("value"), LIMITS["button.value"], f"{pointer}/value")
        errors.too_long(element.get("url"), LIMITS["button.url"], f"{pointer}/url")
    elif kind == "image":
        errors.too_long(element.get("alt_text"), LIMITS["image.alt_text"], f"{pointer}/alt_text")
    limit = {"overflow": LIMITS["overflow.options"]}.get(str(kind), LIMITS["select.options"])
    if kind in _CHOICES:
        limit = LIMITS["choices.options"]
    errors.too_many(element.get("options"), limit, f"{pointer}/options")
    if kind in _SELECTS:
        groups = element.get("option_groups")
        errors.too_many(groups, LIMITS["select.option_groups"], f"{pointer}/option_groups")
        for g, group in enumerate(groups if isinstance(groups, list) else []):
            if isinstance(group, dict):
                _check_options(group.get("options"), f"{pointer}/option_groups/{g}", errors)
    _check_options(element.get("options"), pointer, errors)
    if isinstance(element.get("initial_option"), dict):
        _check_option(element["initial_option"], f"{pointer}/initial_option", errors)
    _check_options(element.get("initial_options"), pointer, errors, key="initial_options")


def _check_options(options: object, pointer: str, errors: _Errors, key: str = "options") -> None:
    for index, option in enumerate(options if isinstance(options, list) else []):
        _check_option(option, f"{pointer}/{key}/{index}", errors)


def _check_option(option: object, pointer: str, errors: _Errors) -> None:
    if not isinstance(option, dict):
        errors.add("must be an option object", pointer)
        return
    _text(option.get("text"), LIMITS["option.text"], f"{pointer}/text", errors)
    errors.too_long(option.get("value"), LIMITS["option.value"], f"{pointer}/value")
    if option.get("description") is not None:
        _text(option["description"], LIMITS["option.description"], f"{pointer}/description", errors)
