"""The signals inbox (``signal_inbox``) and the routing rules saved from it (``signal_route``).

A webhook signal no item claims is filed once per team and ``dedup_key``; it waits
``pending`` in its group until a lead routes or ignores the group. Deciding takes the
group's pending rows in one ``UPDATE … RETURNING``, so two leads deciding at once never
both take a row, and a signal filed meanwhile waits for the next decision. The reads of
the waiting groups are plain SQL (:class:`storage.reader.Reader`), as the ranking's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.dialect import insert
from storage.models import InboxStatus, SignalInbox, SignalRoute
from storage.reader import Reader, as_json, as_utc, reader_of

PENDING = InboxStatus.pending.value


@dataclass(frozen=True)
class WaitingGroup:
    """A group's pending rows, counted: how many, how many suggestions, first and last seen."""

    group_key: str
    source: str
    kind: str
    count: int
    suggestions: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Sample:
    """One of a group's newest pending rows: what it says and the attributes it carries."""

    group_key: str
    title: str
    url: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class Taken:
    """A row a decision took out of the inbox, with what its signal needs."""

    source: str
    kind: str
    dedup_key: str
    observed_at: datetime
    ended_at: datetime | None
    value: float
    attributes: Mapping[str, str]
    received_at: datetime


def file_signal(
    session: Session,
    *,
    team_id: str,
    source: str,
    kind: str,
    action: str,
    dedup_key: str,
    observed_at: datetime,
    ended_at: datetime | None,
    value: float,
    title: str,
    url: str,
    group_key: str,
    attributes: Mapping[str, str],
    received_at: datetime,
) -> bool:
    """File a pending signal; False (and nothing written) when its ``dedup_key`` is there."""
    statement = (
        insert(session, SignalInbox)
        .values(
            team_id=team_id,
            source=source,
            kind=kind,
            action=action,
            dedup_key=dedup_key,
            observed_at=observed_at,
            ended_at=ended_at,
            value=value,
            title=title,
            url=url,
            group_key=group_key,
            attributes=dict(attributes),
            status=PENDING,
            received_at=received_at,
        )
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
        .returning(SignalInbox.id)
    )
    return session.execute(statement).first() is not None


def record_end(session: Session, *, team_id: str, dedup_key: str, ended_at: datetime) -> bool:
    """Record when the filed signal ``dedup_key`` ended, if it has no end yet and began no
    later than ``ended_at``; whether it was recorded (as ``storage.signals.record_end``)."""
    statement = (
        update(SignalInbox)
        .where(
            col(SignalInbox.team_id) == team_id,
            col(SignalInbox.dedup_key) == dedup_key,
            col(SignalInbox.ended_at).is_(None),
            col(SignalInbox.observed_at) <= ended_at,
        )
        .values(ended_at=ended_at)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def waiting_groups(source: Session | Reader, *, team_id: str) -> list[WaitingGroup]:
    """Every group with pending rows, counted (in no particular order)."""
    sql = """
        SELECT group_key, source, kind, count(*),
               sum(CASE WHEN action = 'suggest' THEN 1 ELSE 0 END),
               min(observed_at), max(observed_at)
        FROM signal_inbox
        WHERE team_id = :team AND status = :pending
        GROUP BY group_key, source, kind"""
    rows = reader_of(source).rows(sql, {"team": team_id, "pending": PENDING})
    return [
        WaitingGroup(key, src, kind, int(n), int(suggested or 0), as_utc(first), as_utc(last))
        for key, src, kind, n, suggested, first, last in rows
    ]


def newest_samples(source: Session | Reader, *, team_id: str, per_group: int) -> list[Sample]:
    """The newest ``per_group`` pending rows of each group, newest first within a group."""
    sql = """
        SELECT group_key, title, url, attributes FROM (
            SELECT group_key, title, url, attributes,
                   row_number() OVER (
                       PARTITION BY group_key ORDER BY observed_at DESC, id DESC
                   ) AS place
            FROM signal_inbox
            WHERE team_id = :team AND status = :pending
        ) AS ranked
        WHERE place <= :per_group
        ORDER BY group_key, place"""
    params = {"team": team_id, "pending": PENDING, "per_group": per_group}
    return [
        Sample(key, title or "", url or "", _attributes(attributes))
        for key, title, url, attributes in reader_of(source).rows(sql, params)
    ]


def _attributes(value: Any) -> dict[str, str]:
    loaded = as_json(value) if value is not None else {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def take_pending(
    session: Session,
    *,
    team_id: str,
    group_key: str,
    status: InboxStatus,
    routed_to: str | None,
    decided_by: str,
    decided_at: datetime,
) -> list[Taken]:
    """Mark the group's pending rows ``status`` (routed to ``routed_to``, or ignored) and
    return them, oldest first; none when the group has no pending row."""
    statement = (
        update(SignalInbox)
        .where(
            col(SignalInbox.team_id) == team_id,
            col(SignalInbox.group_key) == group_key,
            col(SignalInbox.status) == PENDING,
        )
        .values(
            status=status.value,
            routed_to=routed_to,
            decided_by=decided_by,
            decided_at=decided_at,
        )
        .returning(
            col(SignalInbox.source),
            col(SignalInbox.kind),
            col(SignalInbox.dedup_key),
            col(SignalInbox.observed_at),
            col(SignalInbox.ended_at),
            col(SignalInbox.value),
            col(SignalInbox.attributes),
            col(SignalInbox.received_at),
        )
    )
    taken = [
        Taken(src, kind, key, observed, ended, value, _attributes(attrs), received)
        for src, kind, key, observed, ended, value, attrs, received in session.execute(statement)
    ]
    return sorted(taken, key=lambda row: (row.observed_at, row.dedup_key))


def saved_routes(session: Session, *, team_id: str) -> list[SignalRoute]:
    """The team's saved rules, oldest first (the order they are tried in)."""
    query = select(SignalRoute).where(SignalRoute.team_id == team_id)
    return list(session.exec(query.order_by(col(SignalRoute.id))))


def save_route(
    session: Session,
    *,
    team_id: str,
    match: Mapping[str, str],
    debt_key: str,
    created_by: str,
    created_at: datetime,
) -> str | None:
    """Save the rule ``match`` → ``debt_key``; a rule with the same match is given the new
    key instead (it keeps its place). Returns the key that rule had, or None."""
    wanted = dict(match)
    for route in saved_routes(session, team_id=team_id):
        if dict(route.match) == wanted:
            before = route.debt_key
            route.debt_key, route.created_by, route.created_at = debt_key, created_by, created_at
            session.add(route)
            session.flush()
            return before
    session.add(
        SignalRoute(
            team_id=team_id,
            match=wanted,
            debt_key=debt_key,
            created_by=created_by,
            created_at=created_at,
        )
    )
    session.flush()
    return None
