"""The register as the ranking reads it: plain rows of items and their newest assessment.

Plain SQL through a :class:`storage.reader.Reader` (see ``storage/aggregates.py``), so
``debtpulse top`` on SQLite needs neither SQLAlchemy nor the table models. Writes, and reads
that change what they read, stay with ``storage/register.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.reader import Reader, in_list, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class ItemRow:
    """A debt item as stored (the fields of ``bot.core.records.ItemRecord``, and its ids)."""

    id: int
    team_id: str
    key: str
    title: str
    description: str
    category: str
    component: str
    owner: str
    status: str
    effort: str
    problem: str
    affected_metrics: str
    remediation: str
    expected_impact: str
    success_criterion: str


@dataclass(frozen=True)
class RiskRow:
    """An item's newest assessment (``bot.core.records.AssessmentRecord``)."""

    impact: int
    likelihood: int
    detectability: int


_ITEM_COLUMNS = ", ".join(
    f'"{name}"' if name == "key" else name for name in ItemRow.__dataclass_fields__
)


def items(
    source: Session | Reader, *, team_id: str, statuses: Iterable[str] | None = None
) -> list[ItemRow]:
    """The team's items (those of ``statuses`` only, when given), oldest first."""
    sql = f"SELECT {_ITEM_COLUMNS} FROM debt_item WHERE team_id = :team"
    params: dict[str, object] = {"team": team_id}
    if statuses is not None:
        listed, more = in_list("status", statuses)
        sql += f" AND status IN {listed}"
        params |= more
    return [ItemRow(*row) for row in reader_of(source).rows(sql + " ORDER BY id", params)]


def items_by_key(
    source: Session | Reader, *, team_id: str, keys: list[str], status: str
) -> list[ItemRow]:
    """The team's items of ``keys`` that have ``status``."""
    listed, params = in_list("key", keys)
    sql = f"""SELECT {_ITEM_COLUMNS} FROM debt_item
              WHERE team_id = :team AND "key" IN {listed} AND status = :status"""
    rows = reader_of(source).rows(sql, params | {"team": team_id, "status": status})
    return [ItemRow(*row) for row in rows]


def latest_assessments(source: Session | Reader, *, team_id: str) -> dict[int, RiskRow]:
    """The newest assessment of every assessed item of a team, by item id."""
    sql = """
        SELECT assessment.debt_item_id, assessment.impact, assessment.likelihood,
               assessment.detectability
        FROM assessment JOIN (
            SELECT max(id) AS id FROM assessment WHERE team_id = :team GROUP BY debt_item_id
        ) AS newest ON newest.id = assessment.id"""
    rows = reader_of(source).rows(sql, {"team": team_id})
    return {item: RiskRow(impact, likelihood, d) for item, impact, likelihood, d in rows}


def team_item_counts(source: Session | Reader) -> dict[str, int]:
    """How many debt items (any status) each team has: to tell an empty team from a typo."""
    rows = reader_of(source).rows("SELECT team_id, count(*) FROM debt_item GROUP BY team_id")
    return {team: int(count) for team, count in rows}
