"""The workspaces installed through OAuth, read from slack_sdk's ``slack_installations``.

The table belongs to slack_sdk's installation store, which creates it (migration 0002) and
writes it on each install; debtpulse only reads it here, with plain SQL, so that storage
knows nothing of Slack.
"""

from __future__ import annotations

from sqlalchemy import Engine, column, inspect, select, table

INSTALLATIONS_TABLE = "slack_installations"
_INSTALLATIONS = table(INSTALLATIONS_TABLE, column("team_id"))


def installed_teams(engine: Engine) -> list[str]:
    """The ids of the installed workspaces, sorted; empty when none is installed yet (and
    when the table does not exist yet)."""
    if not inspect(engine).has_table(INSTALLATIONS_TABLE):
        return []
    team_id = _INSTALLATIONS.c.team_id
    with engine.connect() as conn:
        rows = conn.execute(select(team_id).distinct().where(team_id.is_not(None))).scalars()
        return sorted(str(team) for team in rows)
