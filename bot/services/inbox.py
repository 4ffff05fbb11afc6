"""The signals inbox: where a webhook signal goes, and what a lead does with those no item
claimed.

A receiver asks :func:`destination` for the item an event goes to — the key the sender
named when the team has that item, else the first matching rule of ``routes.yaml``, else
the first matching rule saved from the inbox — and, when there is none, files the event
with :func:`file_unrouted`. There it waits in its group (its source, kind and most telling
attribute: :func:`bot.core.routing.group_key`) until a lead routes the group to an item
(:func:`route_group`: each waiting signal becomes a signal of the item, counted from when it
was observed, not from when it was routed; optionally the group's match is saved as a rule
for the signals to come) or ignores it (:func:`ignore_group`). Both are audited.

``/debt inbox`` and ``debtpulse signals inbox`` call this module; each call runs in the
caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core import routing
from bot.core.routing import (
    InboxGroup,
    Rule,
    group_handle,
    group_match,
    matches,
    saved_match,
    shared_attributes,
)
from bot.services.ranking import OPEN_STATUSES
from storage import audit, register, signals
from storage import inbox as stored
from storage.models import InboxAction, InboxStatus

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.webhooks.events import HookEvent
    from storage.reader import Reader

#: The widths of the inbox's columns: a longer title is cut.
MAX_TITLE = 300
MAX_ACTOR = 64
#: How many of a group's newest signals tell what the group's signals share.
SAMPLES_PER_GROUP = 50


class InboxRefused(Exception):
    """A decision that cannot be made: ``argument`` is what is wrong (``KEY``: no such item;
    ``GROUP``: no such waiting group), the message says how; nothing was changed."""

    def __init__(self, message: str, *, argument: str) -> None:
        super().__init__(message)
        self.message = message
        self.argument = argument


@dataclass(frozen=True)
class Routed:
    """What routing a group did: how many signals the item got (``stored``; a signal the
    item had already is not stored twice), and the rule saved, if asked."""

    group: str
    debt_key: str
    signals: int
    stored: int
    rule: Rule | None = None
    replaced: str | None = None
    """The key the same saved rule routed to before, when saving changed it."""


@dataclass(frozen=True)
class Ignored:
    group: str
    signals: int


def saved_rules(session: Session, team_id: str) -> list[Rule]:
    """The rules saved from the team's inbox, oldest first (the order they are tried in)."""
    return [
        Rule(dict(route.match), route.debt_key, f"saved by {route.created_by}")
        for route in stored.saved_routes(session, team_id=team_id)
    ]


def _existing(session: Session, team_id: str, key: str) -> str | None:
    item = register.get_item(session, team_id=team_id, key=key.upper())
    return None if item is None else item.key


def destination(
    session: Session, team_id: str, event: HookEvent, rules: Sequence[Rule]
) -> str | None:
    """The debt key ``event`` goes to in ``team_id``; None: it waits in the inbox.

    The key the sender named when the team has that item; else the first rule of ``rules``
    (``routes.yaml``, from the runtime) that matches, then the first saved from the inbox.
    A rule naming an item the team does not have is passed over.
    """
    if event.debt_key:
        named = _existing(session, team_id, event.debt_key)
        if named is not None:
            return named
    for rule in rules:
        if matches(rule, event) and (key := _existing(session, team_id, rule.to)) is not None:
            return key
    for rule in saved_rules(session, team_id):
        if matches(rule, event) and (key := _existing(session, team_id, rule.to)) is not None:
            return key
    return None


def file_unrouted(
    session: Session, team_id: str, event: HookEvent, *, received_at: datetime
) -> bool:
    """Put ``event`` in the inbox; False when its ``dedup_key`` is there already.

    An event sent again that says when it ended records that end on the waiting signal
    (if it has none), and so does a ``close`` event, which files nothing itself.
    """
    if event.action == "close":
        end = event.ended_at or event.observed_at
        stored.record_end(session, team_id=team_id, dedup_key=event.dedup_key, ended_at=end)
        return False
    action = InboxAction.suggest if event.action in ("suggest", "link") else InboxAction.open
    filed = stored.file_signal(
        session,
        team_id=team_id,
        source=event.source,
        kind=event.kind,
        action=action.value,
        dedup_key=event.dedup_key,
        observed_at=event.observed_at,
        ended_at=event.ended_at,
        value=event.value,
        title=event.title[:MAX_TITLE],
        url=event.url,
        group_key=routing.group_key(event),
        attributes=dict(event.attributes),
        received_at=received_at,
    )
    if not filed and event.ended_at is not None:
        stored.record_end(
            session, team_id=team_id, dedup_key=event.dedup_key, ended_at=event.ended_at
        )
    return filed


def pending_groups(source: Session | Reader, team_id: str) -> list[InboxGroup]:
    """The team's waiting groups, the largest first (then the most recently seen)."""
    samples: dict[str, list[stored.Sample]] = defaultdict(list)
    for sample in stored.newest_samples(source, team_id=team_id, per_group=SAMPLES_PER_GROUP):
        samples[sample.group_key].append(sample)
    groups = []
    for waiting in stored.waiting_groups(source, team_id=team_id):
        mine = samples.get(waiting.group_key, [])
        newest = mine[0] if mine else stored.Sample(waiting.group_key, "", "", {})
        groups.append(
            InboxGroup(
                key=waiting.group_key,
                source=waiting.source,
                kind=waiting.kind,
                count=waiting.count,
                first_seen=waiting.first_seen,
                last_seen=waiting.last_seen,
                title=newest.title,
                url=newest.url,
                suggestions=waiting.suggestions,
                shared=shared_attributes([sample.attributes for sample in mine]),
                match=group_match(waiting.source, waiting.kind, newest.attributes),
            )
        )
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.key))


def find_group(source: Session | Reader, team_id: str, given: str) -> InboxGroup | None:
    """The waiting group ``given`` names: its key, or its handle (what the lists show)."""
    wanted = given.strip()
    for group in pending_groups(source, team_id):
        if wanted in (group.key, group.handle):
            return group
    return None


def route_targets(session: Session, team_id: str) -> list[tuple[str, str]]:
    """(key, title) of the items a group can be routed to from Slack: the open ones, in
    key order (``DEBT-2`` before ``DEBT-10``)."""
    items = register.list_items(session, team_id=team_id, statuses=OPEN_STATUSES)
    return [(item.key, item.title) for item in sorted(items, key=lambda i: _key_order(i.key))]


def _key_order(key: str) -> tuple[str, int, str]:
    prefix, _, number = key.rpartition("-")
    return (prefix, int(number), key) if number.isdigit() else (key, 0, key)


def _decider(actor: str) -> str:
    return actor.strip()[:MAX_ACTOR] or "unknown"


def route_group(
    session: Session,
    team_id: str,
    group_key: str,
    debt_key: str,
    *,
    save_rule: bool,
    actor: str,
    now: datetime,
) -> Routed:
    """Route the group's waiting signals to the item ``debt_key`` (each keeps its own
    ``observed_at`` and ``ended_at``); with ``save_rule``, the group's match is saved as a
    rule, so its signals to come go to the item too. Audited (``signal_inbox.routed``).

    Raises :class:`InboxRefused` when the team has no such item or the group has no waiting
    signal (routed or ignored meanwhile); nothing is changed then.
    """
    key = debt_key.strip().upper()
    item = register.get_item(session, team_id=team_id, key=key)
    if item is None or item.id is None:
        raise InboxRefused(f"no debt item {key} in this team", argument="KEY")
    actor = _decider(actor)
    taken = stored.take_pending(
        session,
        team_id=team_id,
        group_key=group_key,
        status=InboxStatus.routed,
        routed_to=item.key,
        decided_by=actor,
        decided_at=now,
    )
    if not taken:
        raise InboxRefused(_nothing_waits(group_key), argument="GROUP")
    added = 0
    for row in taken:
        added += signals.add_signal(
            session,
            team_id=team_id,
            debt_item_id=item.id,
            kind=row.kind,
            value=row.value,
            source=row.source,
            observed_at=row.observed_at,
            dedup_key=row.dedup_key,
            received_at=row.received_at,
            ended_at=row.ended_at,
        )
    rule, replaced = None, None
    if save_rule:
        newest = taken[-1]
        match = saved_match(group_match(newest.source, newest.kind, newest.attributes))
        replaced = stored.save_route(
            session,
            team_id=team_id,
            match=match,
            debt_key=item.key,
            created_by=actor,
            created_at=now,
        )
        rule = Rule(match, item.key, f"saved by {actor}")
    audit.record(
        session,
        team_id=team_id,
        actor=actor,
        action="signal_inbox.routed",
        subject=item.key,
        after={
            "group": group_key,
            "signals": len(taken),
            "stored": added,
            "rule": dict(rule.match) if rule is not None else None,
        },
        before={"rule_to": replaced} if replaced is not None else None,
        reason=f"inbox group {group_handle(group_key)} routed to {item.key}",
        at=now,
    )
    return Routed(group_key, item.key, len(taken), added, rule, replaced)


def ignore_group(
    session: Session, team_id: str, group_key: str, *, actor: str, now: datetime
) -> Ignored:
    """Take the group's waiting signals out of the inbox without a signal on any item (a
    signal of the group that arrives later waits again). Audited (``signal_inbox.ignored``).

    Raises :class:`InboxRefused` when the group has no waiting signal.
    """
    actor = _decider(actor)
    taken = stored.take_pending(
        session,
        team_id=team_id,
        group_key=group_key,
        status=InboxStatus.ignored,
        routed_to=None,
        decided_by=actor,
        decided_at=now,
    )
    if not taken:
        raise InboxRefused(_nothing_waits(group_key), argument="GROUP")
    handle = group_handle(group_key)
    audit.record(
        session,
        team_id=team_id,
        actor=actor,
        action="signal_inbox.ignored",
        subject=f"inbox {handle}",
        after={"group": group_key, "signals": len(taken)},
        reason=f"inbox group {handle} ignored",
        at=now,
    )
    return Ignored(group_key, len(taken))


def _nothing_waits(group_key: str) -> str:
    return (
        f"no signals wait in the inbox group {group_handle(group_key)} ({group_key}): "
        "it was routed or ignored already"
    )
