"""Where a webhook event goes when it names no item, and how the events left over group.

A :class:`Rule` matches an event when every field of its ``match`` does: ``source`` and
``kind`` are the event's own, any other name is one of its ``attributes`` (``repo``,
``workflow``, ``service``, ``alertname``, ``labels.service``...). Each value is a glob
pattern (``nightly-*``, ``acme/*``) compared case-sensitively (:func:`fnmatch.fnmatchcase`);
an attribute the event lacks matches nothing, and a rule with an empty ``match`` matches
nothing either. Rules come from ``routes.yaml`` beside the templates (``where`` is its
``file:line``) or were saved from the inbox (``where`` says who saved it); the first rule
that matches wins.

The events no rule takes wait in the inbox, grouped by what they have in common
(:func:`group_match`): their source, kind and most telling attribute — the alert's name, the
service, the workflow (within its repository: a workflow's name is only unique there), the
project, or else the repository. A rule saved from a group matches exactly that, its values
escaped so that a ``*`` or ``[`` in a name matches only itself.

Pure: no storage, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from bot.core.webhooks.events import HookEvent

__all__ = [
    "EVENT_FIELDS",
    "GROUP_ATTRIBUTES",
    "MAX_GROUP_KEY",
    "InboxGroup",
    "Rule",
    "escape_glob",
    "first_match",
    "group_handle",
    "group_key",
    "group_match",
    "key_of",
    "matches",
    "saved_match",
    "shared_attributes",
]

#: Match names that are the event's own fields; any other name is one of its attributes.
EVENT_FIELDS = ("source", "kind")
#: The attributes an inbox group is told apart by, most telling first (the first present).
GROUP_ATTRIBUTES = ("alertname", "service", "workflow", "project", "repo")
#: The longest group key kept (the column's width): a longer one is cut and made unique
#: again with a hash of the whole.
MAX_GROUP_KEY = 300
_HANDLE_LENGTH = 8


@dataclass(frozen=True)
class Rule:
    """Events matching ``match`` go to the item ``to``; ``where`` tells where the rule was
    written (``routes.yaml:3``) or who saved it (``saved by U123``)."""

    match: Mapping[str, str]
    to: str
    where: str


def _value(event: HookEvent, name: str) -> str | None:
    if name in EVENT_FIELDS:
        return str(getattr(event, name))
    return event.attributes.get(name)


def matches(rule: Rule, event: HookEvent) -> bool:
    """Whether every field of the rule's match matches the event (glob patterns)."""
    if not rule.match:
        return False
    for name, pattern in rule.match.items():
        value = _value(event, name)
        if value is None or not fnmatchcase(value, pattern):
            return False
    return True


def first_match(rules: Iterable[Rule], event: HookEvent) -> Rule | None:
    """The first rule that matches the event, in the order given; None when none does."""
    return next((rule for rule in rules if matches(rule, event)), None)


def group_match(source: str, kind: str, attributes: Mapping[str, str]) -> dict[str, str]:
    """What the inbox groups an event by: its source, kind and most telling attribute
    (a workflow with its repository). Exact values, not patterns."""
    found = {"source": source, "kind": kind}
    for name in GROUP_ATTRIBUTES:
        value = attributes.get(name)
        if value:
            found[name] = value
            repo = attributes.get("repo")
            if name == "workflow" and repo:
                found["repo"] = repo
            break
    return found


def key_of(match: Mapping[str, str]) -> str:
    """A group's key, readable: ``alertmanager/alert: alertname=HighErrorRate``."""
    head = f"{match.get('source', '')}/{match.get('kind', '')}"
    rest = ", ".join(f"{name}={value}" for name, value in match.items() if name not in EVENT_FIELDS)
    key = f"{head}: {rest}" if rest else head
    if len(key) <= MAX_GROUP_KEY:
        return key
    digest = hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]
    return f"{key[: MAX_GROUP_KEY - len(digest) - 2]}… {digest}"


def group_key(event: HookEvent) -> str:
    """The key of the inbox group ``event`` joins (see :func:`group_match`)."""
    return key_of(group_match(event.source, event.kind, event.attributes))


def group_handle(key: str) -> str:
    """A short, stable name for a group, to type on a command line (8 hex characters)."""
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:_HANDLE_LENGTH]


def escape_glob(value: str) -> str:
    """``value`` as a glob pattern that matches only itself (``*``, ``?``, ``[`` bracketed)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in value)


def saved_match(match: Mapping[str, str]) -> dict[str, str]:
    """The match a rule saved from a group keeps: the group's values, escaped."""
    return {name: escape_glob(value) for name, value in match.items()}


def shared_attributes(samples: Sequence[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    """The attributes every one of ``samples`` has, with the same value, sorted by name."""
    if not samples:
        return ()
    first, *others = samples
    return tuple(
        sorted(
            (name, value)
            for name, value in first.items()
            if all(other.get(name) == value for other in others)
        )
    )


@dataclass(frozen=True)
class InboxGroup:
    """Signals waiting in the inbox that share a group key: how many, when, and what a rule
    saved from them would match (``match``, exact values)."""

    key: str
    source: str
    kind: str
    count: int
    first_seen: datetime
    last_seen: datetime
    title: str
    """The newest signal's title, as a sample."""
    url: str = ""
    suggestions: int = 0
    """Of ``count``, issues labelled as debt without a key (suggested items)."""
    shared: tuple[tuple[str, str], ...] = ()
    """The attributes all its signals share (of the newest ones read), by name."""
    match: Mapping[str, str] = field(default_factory=dict)

    @property
    def handle(self) -> str:
        return group_handle(self.key)
