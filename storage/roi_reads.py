"""What the return on debt work is computed from, besides the series: resolved items, their
cost, and the other items resolved near them.

Plain SQL through :class:`storage.reader.Reader`, like the ranking's reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from storage.reader import Reader, as_utc, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class FixedItem:
    """A debt item and, once resolved, when and at what cost."""

    id: int
    key: str
    title: str
    component: str
    status: str
    resolved_at: datetime | None
    effort_spent_days: float | None


_COLUMNS = 'id, "key", title, component, status, resolved_at, effort_spent_days'


def _fixed(row: tuple[object, ...]) -> FixedItem:
    item_id, key, title, component, status, resolved_at, effort = row
    return FixedItem(
        int(item_id),  # type: ignore[call-overload]
        str(key),
        str(title),
        str(component or ""),
        str(status),
        as_utc(resolved_at) if resolved_at is not None else None,
        float(effort) if effort is not None else None,  # type: ignore[arg-type]
    )


def item(source: Session | Reader, *, team_id: str, key: str) -> FixedItem | None:
    """The team's item ``key`` (keys are matched as stored), or None."""
    sql = f'SELECT {_COLUMNS} FROM debt_item WHERE team_id = :team AND "key" = :key'
    rows = reader_of(source).rows(sql, {"team": team_id, "key": key})
    return _fixed(rows[0]) if rows else None


def resolved_between(
    source: Session | Reader, *, team_id: str, since: datetime, until: datetime
) -> list[FixedItem]:
    """Items whose status is ``resolved`` and that were resolved in ``[since, until)``,
    oldest fix first."""
    sql = f"""SELECT {_COLUMNS} FROM debt_item
              WHERE team_id = :team AND status = 'resolved' AND resolved_at IS NOT NULL
                AND resolved_at >= :since AND resolved_at < :until
              ORDER BY resolved_at, "key\""""
    rows = reader_of(source).rows(sql, {"team": team_id, "since": since, "until": until})
    return [_fixed(row) for row in rows]


def all_items(source: Session | Reader, *, team_id: str) -> list[FixedItem]:
    """Every item of the team (controls are chosen among them), by id."""
    sql = f"SELECT {_COLUMNS} FROM debt_item WHERE team_id = :team ORDER BY id"
    return [_fixed(row) for row in reader_of(source).rows(sql, {"team": team_id})]
