"""The workspaces installed through OAuth, read from slack_sdk's ``slack_installations``.

The table belongs to slack_sdk's installation store, which creates it (migration 0002) and
writes it on each install; debtpulse only reads it here, with plain SQL, so that storage
knows nothing of Slack.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, String, column, func, inspect, select, table
from sqlmodel import Session

INSTALLATIONS_TABLE = "slack_installations"
_INSTALLATIONS = table(
    INSTALLATIONS_TABLE,
    column("team_id", String),
    column("team_name", String),
    column("installed_at", DateTime),
)


def installed_teams(engine: Engine) -> list[str]:
    """The ids of the installed workspaces, sorted; empty when none is installed yet (and
    when the table does not exist yet)."""
    if not inspect(engine).has_table(INSTALLATIONS_TABLE):
        return []
    team_id = _INSTALLATIONS.c.team_id
    with engine.connect() as conn:
        rows = conn.execute(select(team_id).distinct().where(team_id.is_not(None))).scalars()
        return sorted(str(team) for team in rows)


def newest_installs(
    session: Session, *, team: str | None = None
) -> dict[str, tuple[str | None, datetime]]:
    """Each installed workspace's newest install (``team``'s only, when given): its name
    and when (UTC), by team id. The table is there at the schema's head (migration 0002)."""
    rows = _INSTALLATIONS.c
    which = rows.team_id.is_not(None) if team is None else rows.team_id == team
    newest = (
        select(rows.team_id, func.max(rows.installed_at).label("at"))
        .where(which)
        .group_by(rows.team_id)
        .subquery()
    )
    query = select(newest.c.team_id, newest.c.at, rows.team_name).join(
        _INSTALLATIONS,
        (rows.team_id == newest.c.team_id) & (rows.installed_at == newest.c.at),
    )
    return {str(team_id): (name or None, _utc(at)) for team_id, at, name in session.execute(query)}


def _utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
