"""What an issue's labels say to debtpulse (pure), for GitHub and GitLab alike.

A label ``debt:KEY`` (``debt:DEBT-7``) ties the issue to the debt item KEY: a ``link`` event
per key named. Without one, a ``tech-debt`` label makes the issue a ``suggest`` event: a
suggestion waiting in the inbox for a lead to route. Labels are read case-insensitively, as
both hosts treat them; a ``debt:`` label whose key is not one (``debt:someday``) names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.core.webhooks.events import Action, HookEvent

#: The label that suggests an issue is technical debt without naming its item.
SUGGEST_LABEL = "tech-debt"
#: The prefix of a label naming the item: ``debt:DEBT-7``.
LINK_PREFIX = "debt:"
#: A debt item's key, as the register takes it (stored upper-case, at most 32 characters).
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9]+")
KEY_LENGTH = 32


def debt_key(text: str | None) -> str | None:
    """The debt key written in a label or tag, upper-case; None when it is not a key."""
    if text is None:
        return None
    written = text.strip()
    if len(written) > KEY_LENGTH or not _KEY.fullmatch(written):
        return None
    return written.upper()


def linked_keys(labels: Iterable[str]) -> list[str]:
    """The keys of the ``debt:KEY`` labels, in order, each once."""
    keys: list[str] = []
    for label in labels:
        name = label.strip()
        if name.lower().startswith(LINK_PREFIX):
            key = debt_key(name[len(LINK_PREFIX) :])
            if key is not None and key not in keys:
                keys.append(key)
    return keys


def is_suggested(labels: Iterable[str]) -> bool:
    return any(label.strip().lower() == SUGGEST_LABEL for label in labels)


def issue_events(
    *,
    source: str,
    issue_id: int,
    labels: list[str],
    title: str,
    url: str,
    observed_at: datetime,
    attributes: Mapping[str, str],
) -> tuple[HookEvent, ...]:
    """The events of an issue carrying ``labels``: a link per named key, else a suggestion,
    else nothing. One occurrence per issue and key (``<source>:issue:<id>:<KEY>``), so the
    same label sent again is a duplicate."""
    keys = linked_keys(labels)

    def event(action: Action, dedup_key: str, key: str | None) -> HookEvent:
        return HookEvent(
            source=source,
            kind="custom",
            action=action,
            dedup_key=dedup_key,
            observed_at=observed_at,
            title=title,
            debt_key=key,
            url=url,
            attributes=dict(attributes),
        )

    if keys:
        return tuple(event("link", f"{source}:issue:{issue_id}:{key}", key) for key in keys)
    if is_suggested(labels):
        return (event("suggest", f"{source}:issue:{issue_id}", None),)
    return ()
