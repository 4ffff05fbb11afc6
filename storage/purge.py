"""Deleting every row of one workspace, in the caller's one transaction, with a log row
(``team_purge``) that says who, when, why and how many rows per table — never the data.

Which rows are the workspace's is read from the table definitions, so a table added later
is purged too: a row with the team's ``team_id``; in a table without one, a row reaching a
team's row through a foreign key; plus slack_sdk's installation tables (``slack_bots``,
``slack_installations``). A table with neither (``scheduler_lease``) holds no team's data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    column,
    delete,
    false,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy import table as plain_table
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from storage.models import TeamPurge, metadata

#: slack_sdk's installation tables that hold a row per team (created by migration 0002).
LIBRARY_TABLES = ("slack_bots", "slack_installations")
#: The log of purges outlives them.
LOG_TABLE = TeamPurge.__tablename__


def _owned(
    table: Table, team_id: str, seen: frozenset[str] = frozenset()
) -> ColumnElement[bool] | None:
    """Which rows of ``table`` belong to ``team_id``: by its ``team_id`` column, else through
    its foreign keys to tables that do; None for a table of no team."""
    if "team_id" in table.c:
        return table.c.team_id == team_id
    reaches: list[ColumnElement[bool]] = []
    for key in table.foreign_keys:
        parent = key.column.table
        if parent.name in seen or not isinstance(parent, Table):
            continue
        condition = _owned(parent, team_id, seen | {table.name})
        if condition is not None:
            reaches.append(key.parent.in_(select(key.column).where(condition)))
    return or_(*reaches) if reaches else None


def team_tables() -> tuple[list[str], list[str]]:
    """(tables holding a team's rows, tables of no team), from the table definitions."""
    owned: list[str] = []
    shared: list[str] = []
    for table in metadata.sorted_tables:
        if table.name == LOG_TABLE:
            continue
        (shared if _owned(table, "") is None else owned).append(table.name)
    return owned, shared


def owned_rows(table: Table, team_id: str) -> Select[tuple[int]]:
    """A count of ``team_id``'s rows in ``table`` (none for a table of no team)."""
    condition = _owned(table, team_id)
    count: Select[tuple[int]] = select(func.count()).select_from(table)  # type: ignore[assignment]
    return count.where(false() if condition is None else condition)


def purge_team(
    session: Session, *, team_id: str, actor: str, reason: str, now: datetime
) -> TeamPurge:
    """Delete every row of ``team_id`` (children before parents) and log it; the caller's
    transaction makes it all or nothing."""
    log = TeamPurge(team_id=team_id, purged_at=now, purged_by=actor, reason=reason)
    session.add(log)
    session.flush()  # a running purge of the team lets its audit rows go (migration 0017)
    counts: dict[str, int] = {}
    for table in reversed(metadata.sorted_tables):
        if table.name == LOG_TABLE:
            continue
        condition = _owned(table, team_id)
        if condition is None:
            continue
        result = session.execute(delete(table).where(condition))
        counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    existing = set(inspect(session.connection()).get_table_names())
    for name in LIBRARY_TABLES:
        if name in existing:
            library = plain_table(name, column("team_id"))
            result = session.execute(delete(library).where(library.c.team_id == team_id))
            counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    log.counts = {name: count for name, count in sorted(counts.items()) if count}
    log.status = "done"
    session.add(log)
    session.flush()
    return log


def purges(session: Session, *, team_id: str | None = None) -> list[TeamPurge]:
    """The purge log, newest first (one team's, or every team's)."""
    query = select_rows(TeamPurge)
    if team_id is not None:
        query = query.where(col(TeamPurge.team_id) == team_id)
    return list(session.exec(query.order_by(col(TeamPurge.purged_at).desc())))
