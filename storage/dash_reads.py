"""What the dashboard reads besides the ranking, the snapshots and the pain sums: the
components a filter offers, one item's assessment history, its signals by source and kind,
and its audit trail. Plain SQL through a :class:`storage.reader.Reader` (see
``storage/aggregates.py``); nothing here is about answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.reader import Reader, as_json, as_utc, in_list, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class AssessmentRow:
    impact: int
    likelihood: int
    detectability: int
    assessed_by: str
    assessed_at: datetime
    note: str


@dataclass(frozen=True)
class SignalCount:
    """How many of an item's signals one source sent of one kind, and the newest one."""

    source: str  # "" when the sender named none
    kind: str
    count: int
    newest: datetime


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


def components(source: Session | Reader, *, team_id: str, statuses: Iterable[str]) -> list[str]:
    """The components named by the team's items of ``statuses``, sorted (none empty)."""
    listed, params = in_list("status", statuses)
    sql = f"""
        SELECT DISTINCT component FROM debt_item
        WHERE team_id = :team AND status IN {listed} AND component <> ''
        ORDER BY component"""
    return [str(row[0]) for row in reader_of(source).rows(sql, params | {"team": team_id})]


def assessments(source: Session | Reader, *, team_id: str, item_id: int) -> list[AssessmentRow]:
    """Every assessment of the item, newest first."""
    sql = """
        SELECT impact, likelihood, detectability, assessed_by, assessed_at, note
        FROM assessment WHERE team_id = :team AND debt_item_id = :item
        ORDER BY assessed_at DESC, id DESC"""
    rows = reader_of(source).rows(sql, {"team": team_id, "item": item_id})
    return [
        AssessmentRow(int(i), int(li), int(d), str(by), as_utc(at), str(note or ""))
        for i, li, d, by, at, note in rows
    ]


def signal_counts(
    source: Session | Reader, *, team_id: str, item_id: int, since: datetime
) -> list[SignalCount]:
    """The item's signals observed since ``since``, counted by source and kind (the most
    first)."""
    sql = """
        SELECT source, kind, count(*), max(observed_at) FROM signal
        WHERE team_id = :team AND debt_item_id = :item AND observed_at >= :since
        GROUP BY source, kind"""
    rows = reader_of(source).rows(sql, {"team": team_id, "item": item_id, "since": since})
    counts = [
        SignalCount(str(src or ""), str(kind), int(n), as_utc(newest))
        for src, kind, n, newest in rows
    ]
    return sorted(counts, key=lambda c: (-c.count, c.source, c.kind))


def audit_trail(
    source: Session | Reader, *, team_id: str, subject: str, limit: int
) -> list[AuditRow]:
    """The team's audit events about ``subject`` (an item's key), newest first."""
    sql = """
        SELECT at, actor, action, before, after, reason FROM audit_event
        WHERE team_id = :team AND subject = :subject
        ORDER BY id DESC LIMIT :limit"""
    rows = reader_of(source).rows(sql, {"team": team_id, "subject": subject, "limit": limit})
    return [
        AuditRow(as_utc(at), str(actor), str(action), as_json(b), as_json(a), str(why or ""))
        for at, actor, action, b, a, why in rows
    ]
