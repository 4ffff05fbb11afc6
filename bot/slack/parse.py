"""Parsing ``/debt`` text into a command. Pure: no Slack calls, no database.

Every malformed input becomes a :class:`UsageError` whose message names the argument, so
the user gets an ephemeral usage line instead of an error from Slack's side.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.records import CATEGORIES, STATUSES
from bot.core.register_input import parse_day, parse_effort

SUBCOMMANDS = (
    "help",
    "top",
    "show",
    "why",
    "roi",
    "add",
    "assess",
    "owner",
    "status",
    "polls",
    "poll",
    "digest",
    "export",
    "signals",
    "inbox",
    "dashboard",
    "config",
)
LEAD_ONLY = frozenset(
    {"add", "assess", "owner", "status", "poll", "digest post", "export", "signals", "inbox"}
    | {"config"}
)
USAGE = {
    "help": "/debt help",
    "top": "/debt top [N] [operational|experimentation] [component]",
    "show": "/debt show KEY",
    "why": "/debt why KEY",
    "roi": "/debt roi KEY",
    "add": "/debt add",
    "assess": "/debt assess KEY",
    "owner": "/debt owner KEY @user [why]",
    "status": (
        "/debt status KEY open|in_progress|wont_fix [why]"
        " | /debt status KEY resolved [effort 3d] [why]"
        " | /debt status KEY accepted until YYYY-MM-DD why"
    ),
    "polls": "/debt polls",
    "poll": "/debt poll send SURVEY_ID | /debt poll close RUN",
    "digest": "/debt digest preview | /debt digest post [force]",
    "export": "/debt export",
    "signals": "/debt signals token [rotate]",
    "inbox": "/debt inbox",
    "dashboard": "/debt dashboard",
    "config": "/debt config",
}
MAX_TOP = 50
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$")
_NUMBER = re.compile(r"^[0-9]{1,9}$")  # ASCII digits only: "²" or "٣" is not a number here
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class UsageError(ValueError):
    """The text does not form a valid command; ``usage`` is the line to show."""

    def __init__(self, message: str, usage: str) -> None:
        self.message = message
        self.usage = usage
        super().__init__(f"{message} — usage: {usage}")


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, object] = field(default_factory=dict)

    @property
    def lead_only(self) -> bool:
        if self.name == "digest":
            return self.args.get("action") == "post"
        return self.name in LEAD_ONLY


#: The longest argument a usage message quotes in full; a longer one is cut with "…".
SHOWN_LIMIT = 40


def _shown(value: str) -> str:
    """``value`` as a usage message quotes it: in backticks, cut when very long."""
    if len(value) > SHOWN_LIMIT:
        value = value[: SHOWN_LIMIT - 1] + "…"
    return f"`{value}`"


def _key(value: str, usage: str) -> str:
    if not _KEY.match(value):
        raise UsageError(f"{_shown(value)} is not a debt item key like DEBT-12", usage)
    return value.upper()


def _exact(words: list[str], count: int, name: str) -> None:
    if len(words) != count:
        what = "missing" if len(words) < count else "too many"
        raise UsageError(f"{what} arguments for `{name}`", USAGE[name])


def _at_least(words: list[str], count: int, name: str) -> None:
    if len(words) < count:
        raise UsageError(f"missing arguments for `{name}`", USAGE[name])


#: The longest reason a change keeps in the audit trail.
WHY_LIMIT = 500


def _why(words: list[str], name: str) -> str:
    """The reason given after a change's arguments ("" when none), for the audit trail."""
    # Slack sends &, < and > in a command's text as entities; the trail keeps the words.
    why = " ".join(words).strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if len(why) > WHY_LIMIT:
        raise UsageError(f"the reason is longer than {WHY_LIMIT} characters", USAGE[name])
    return why


def parse(text: str) -> Command:
    """``"top 5 operational"`` → ``Command("top", {"limit": 5, "category": "operational"})``."""
    try:
        words = shlex.split(text or "")
    except ValueError:
        words = (text or "").split()
    if not words:
        return Command("help")
    name, rest = words[0].lower(), words[1:]
    if name not in SUBCOMMANDS:
        raise UsageError(f"unknown command {_shown(words[0])}", "/debt help")
    usage = USAGE[name]
    if name in {"help", "add", "polls", "export", "inbox", "dashboard", "config"}:
        _exact(rest, 0, name)
        return Command(name)
    if name == "top":
        return _parse_top(rest)
    if name in {"show", "why", "assess"}:
        _exact(rest, 1, name)
        return Command(name, {"key": _key(rest[0], usage)})
    if name == "roi":
        if len(rest) != 1:
            problem = "missing" if not rest else "one key only, not several"
            raise UsageError(f"KEY: {problem} — the resolved item to measure, like DEBT-12", usage)
        return Command(name, {"key": _key(rest[0], usage)})
    if name == "owner":
        _at_least(rest, 2, name)
        mention = _MENTION.match(rest[1])
        user = mention.group(1) if mention else rest[1]
        if not _USER_ID.match(user):
            raise UsageError(f"{_shown(rest[1])} is not a @mention of a person", usage)
        return Command(
            name, {"key": _key(rest[0], usage), "user": user, "why": _why(rest[2:], name)}
        )
    if name == "status":
        return _parse_status(rest)
    if name == "poll":
        action = rest[0].lower() if rest else ""
        if len(rest) != 2 or action not in {"send", "close"}:
            raise UsageError("expected `send SURVEY_ID` or `close RUN`", usage)
        if action == "close" and not _NUMBER.match(rest[1]):
            raise UsageError(f"{_shown(rest[1])} is not a run number", usage)
        return Command(name, {"action": action, "target": rest[1]})
    if name == "signals":
        words = [word.lower() for word in rest]
        if words not in (["token"], ["token", "rotate"]):
            raise UsageError("expected `token` or `token rotate`", usage)
        return Command(name, {"action": "token", "rotate": len(words) == 2})
    # digest
    words = [word.lower() for word in rest]
    if words == ["post", "force"]:
        return Command(name, {"action": "post", "force": True})
    if len(words) != 1 or words[0] not in {"preview", "post"}:
        raise UsageError("expected `preview`, `post` or `post force`", usage)
    return Command(name, {"action": words[0]})


def _parse_status(rest: list[str]) -> Command:
    """``KEY STATUS [why]``; ``resolved [effort 3d] [why]``; ``accepted until DATE why``.

    ``effort`` (stored as days: ``3d``, ``4h`` at 8 h a day, ``2w`` at 5 days a week) goes
    with ``resolved`` only, ``until`` with ``accepted`` only (whether the date is after
    today is for the register service, which knows the team's time zone).
    """
    usage = USAGE["status"]
    _at_least(rest, 2, "status")
    key = _key(rest[0], usage)
    status = rest[1].lower()
    if status not in STATUSES:
        raise UsageError(f"{_shown(rest[1])} is not a status", usage)
    args: dict[str, object] = {"key": key, "status": status}
    more = rest[2:]
    keyword = more[0].lower() if more else ""
    if status == "resolved" and keyword == "effort":
        args["effort"] = _value_of("effort", more, parse_effort, usage)
        more = more[2:]
    elif status == "accepted":
        if keyword != "until":
            raise UsageError("`accepted` needs `until YYYY-MM-DD` and why", usage)
        args["until"] = _value_of("until", more, parse_day, usage)
        more = more[2:]
    elif keyword in {"effort", "until"} and _reads_as(keyword, more):
        needs = "resolved" if keyword == "effort" else "accepted"
        raise UsageError(f"`{keyword}` goes only with `{needs}`", usage)
    args["why"] = _why(more, "status")
    if status == "accepted" and not args["why"]:
        raise UsageError("why: required with `accepted`: say why the debt is kept", usage)
    return Command("status", args)


def _value_of(keyword: str, words: list[str], read: Callable[[str], object], usage: str) -> object:
    """The value after ``keyword`` (``words[1]``), read, or a usage error naming it."""
    if len(words) < 2:
        example = "3d" if keyword == "effort" else "YYYY-MM-DD"
        raise UsageError(f"{keyword}: missing, such as `{keyword} {example}`", usage)
    try:
        return read(words[1])
    except ValueError as exc:
        raise UsageError(f"{keyword}: {exc}", usage) from None


def _reads_as(keyword: str, words: list[str]) -> bool:
    """Whether ``keyword`` and the word after it read as an effort or a review date (so it
    is taken for one, misplaced, rather than for the first word of a reason)."""
    read: Callable[[str], object] = parse_effort if keyword == "effort" else parse_day
    try:
        return len(words) > 1 and read(words[1]) is not None
    except ValueError:
        return False


def _parse_top(rest: list[str]) -> Command:
    args: dict[str, object] = {"limit": 10}
    usage = USAGE["top"]
    remaining = list(rest)
    if remaining and re.fullmatch(r"[-+]?[0-9]+", remaining[0]):
        number = remaining.pop(0)
        digits = number.lstrip("+-").lstrip("0") or "0"
        # a number of thousands of digits is out of range too (int() would refuse to read it)
        too_long = len(digits) > len(str(MAX_TOP))
        limit = 0 if number.startswith("-") or too_long else int(digits)
        if not 1 <= limit <= MAX_TOP:
            raise UsageError(f"N must be between 1 and {MAX_TOP}", usage)
        args["limit"] = limit
    if remaining and remaining[0].lower() in CATEGORIES:
        args["category"] = remaining.pop(0).lower()
    if remaining:
        args["component"] = remaining.pop(0)
    if remaining:
        raise UsageError("too many arguments for `top`", usage)
    return Command("top", args)
