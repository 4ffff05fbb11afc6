"""Reading a sender's request (pure): its headers, and its JSON body field by field.

A body debtpulse cannot read is refused with ``HookRefused(400, "<path>: <problem>")``, the
path written as the sender documents it (``workflow_run.head_sha: missing``,
``alerts[1].startsAt: not a timestamp``), so whoever set the webhook up knows which field to
look at. Values are never repeated in a message: a body may carry anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.webhooks.events import Headers, HookRefused

#: Titles longer than this are cut (with an ellipsis): they are shown in Slack and the CLI.
TITLE_LENGTH = 200
#: The longest delivery id taken from a header; a longer one is refused.
ID_LENGTH = 200
# a space before the zone, as GitLab writes it: "2016-08-12 15:23:28 UTC", "... +0200"
_SPACED_ZONE = re.compile(r"\s+(UTC|[+-][0-9]{2}:?[0-9]{2})$")


def header(headers: Headers, name: str) -> str | None:
    """A header's value without surrounding blanks; None when absent or blank."""
    value = headers.get(name.lower(), "").strip()
    return value or None


def delivery_header(headers: Headers, name: str, shown: str) -> str | None:
    """A delivery id from a header (``shown`` is its name as the sender documents it)."""
    value = header(headers, name)
    if value is not None and (len(value) > ID_LENGTH or not value.isprintable()):
        raise HookRefused(400, f"{shown}: not a delivery id (at most {ID_LENGTH} characters)")
    return value


def short(text: str) -> str:
    """A title on one line, cut to TITLE_LENGTH characters."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def load_object(body: bytes) -> Fields:
    """The body as a JSON object (UTF-8, as RFC 8259 has it), or HookRefused(400)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise HookRefused(400, "body: not valid JSON (not UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise HookRefused(400, f"body: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise HookRefused(400, "body: not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise HookRefused(400, "body: expected a JSON object")
    return Fields(data)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 / RFC 3339 moment with its zone, in UTC; None when it is not one.

    Takes what the senders write: ``2020-10-05T16:33:24Z``, nanoseconds
    (``...26.739266876+02:00``, cut to microseconds) and GitLab's ``2016-08-12 15:23:28 UTC``.
    """
    written = _SPACED_ZONE.sub(lambda m: "+00:00" if m[1] == "UTC" else m[1], text.strip())
    try:
        moment = datetime.fromisoformat(written)
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


class Fields:
    """One JSON object of a body, and where it sits in it (for the messages)."""

    def __init__(self, data: Mapping[str, Any], where: str = "") -> None:
        self.data = data
        self.where = where

    def path(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def refuse(self, name: str, problem: str) -> HookRefused:
        return HookRefused(400, f"{self.path(name)}: {problem}")

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str) -> str:
        """A string that is not blank."""
        value = self.optional_text(name)
        if value is None:
            raise self.refuse(name, "missing")
        return value

    def optional_text(self, name: str) -> str | None:
        """A string, or None when absent, null or blank."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.refuse(name, "expected a string")
        return value.strip() or None

    def integer(self, name: str) -> int:
        value = self.optional_integer(name)
        if value is None:
            raise self.refuse(name, "missing")
        return value

    def optional_integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.refuse(name, "expected an integer")
        return value

    def flag(self, name: str) -> bool:
        """A boolean, False when absent or null."""
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.refuse(name, "expected true or false")
        return value

    def timestamp(self, name: str) -> datetime:
        moment = self.optional_timestamp(name)
        if moment is None:
            raise self.refuse(name, "missing")
        return moment

    def optional_timestamp(self, name: str) -> datetime | None:
        """A moment in UTC, or None when absent, null or blank."""
        written = self.optional_text(name)
        if written is None:
            return None
        moment = parse_time(written)
        if moment is None:
            raise self.refuse(name, "not a timestamp with a time zone (ISO 8601)")
        return moment

    def child(self, name: str) -> Fields:
        """A nested object."""
        value = self.data.get(name)
        if value is None:
            raise self.refuse(name, "missing")
        if not isinstance(value, dict):
            raise self.refuse(name, "expected an object")
        return Fields(value, self.path(name))

    def optional_child(self, name: str) -> Fields | None:
        return self.child(name) if self.has(name) else None

    def children(self, name: str) -> list[Fields]:
        """A list of objects (empty when absent or null)."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.refuse(name, "expected a list")
        where = self.path(name)
        items: list[Fields] = []
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                raise HookRefused(400, f"{where}[{n}]: expected an object")
            items.append(Fields(item, f"{where}[{n}]"))
        return items

    def strings(self, name: str) -> dict[str, str]:
        """An object of strings, such as alert labels (empty when absent or null)."""
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.refuse(name, "expected an object")
        for key, item in value.items():
            if not isinstance(item, str):
                raise HookRefused(400, f"{self.path(name)}.{key}: expected a string")
        return dict(value)
