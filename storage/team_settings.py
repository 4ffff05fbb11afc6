"""Each workspace's own settings (``team_setting``): one row per team and key, the value as
JSON text. What a key means and how its value is checked is the service's
(``bot.services.team_settings``); this module only reads and writes rows.

The reads are plain SQL through :class:`storage.reader.Reader`, so a command reading a
SQLite file with ``sqlite3`` (``debtpulse top``) reads a team's settings without loading
SQLAlchemy; so is the installer, read from slack_sdk's installation table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.reader import Reader, as_json, as_utc, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class StoredSetting:
    """A team's own value of ``key`` (decoded from JSON), and who set it when."""

    key: str
    value: Any
    changed_by: str
    changed_at: datetime


def stored(source: Session | Reader, *, team_id: str) -> dict[str, StoredSetting]:
    """Every setting ``team_id`` set for itself, by key."""
    rows = reader_of(source).rows(
        'SELECT "key", value, changed_by, changed_at FROM team_setting WHERE team_id = :team '
        'ORDER BY "key"',
        {"team": team_id},
    )
    return {
        str(key): StoredSetting(str(key), as_json(value), str(by), as_utc(at))
        for key, value, by, at in rows
    }


def installer(source: Session | Reader, *, team_id: str) -> str | None:
    """The user who installed the app in ``team_id``: the installing user of its earliest
    installation still kept in slack_sdk's ``slack_installations`` (a re-install by someone
    else does not replace them); None when it was not installed through OAuth."""
    return reader_of(source).scalar(
        "SELECT user_id FROM slack_installations WHERE team_id = :team AND user_id IS NOT NULL "
        "ORDER BY installed_at, id LIMIT 1",
        {"team": team_id},
    )


def lock_team(session: Session, *, team_id: str) -> None:
    """Serialise changes of one team's settings until the end of the transaction, so what a
    change records as the value before is the value it replaced."""
    from storage.dialect import lock_for_transaction

    lock_for_transaction(session, f"debtpulse:team_setting:{team_id}")


def put(
    session: Session, *, team_id: str, key: str, value: Any, changed_by: str, changed_at: datetime
) -> None:
    """Make ``value`` the team's own value of ``key``, replacing any earlier one."""
    from storage.dialect import insert
    from storage.models import TeamSetting

    values = {
        "value": json.dumps(value, separators=(",", ":")),
        "changed_by": changed_by,
        "changed_at": changed_at,
    }
    statement = (
        insert(session, TeamSetting)
        .values(team_id=team_id, key=key, **values)
        .on_conflict_do_update(index_elements=["team_id", "key"], set_=values)
    )
    session.execute(statement)


def remove(session: Session, *, team_id: str, key: str) -> bool:
    """Drop the team's own value of ``key`` (the environment's applies again); False when it
    had none."""
    from sqlmodel import col, delete

    from storage.models import TeamSetting

    result = session.execute(
        delete(TeamSetting).where(col(TeamSetting.team_id) == team_id, col(TeamSetting.key) == key)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
