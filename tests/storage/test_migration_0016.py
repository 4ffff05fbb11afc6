"""Migration 0016 adds ``team_setting``: one JSON value per team and key, for the keys a team
can set, with who set it when. Its downgrade drops it, and every team takes the
environment's settings again (the audit trail keeps what was set)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

AT = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0015(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0015")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0016") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0015")
        yield engine
        engine.dispose()


def _put(engine: Engine, team: str, key: str, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO team_setting (team_id, "key", value, changed_by, changed_at)'
                " VALUES (:team, :key, :value, 'U0LEAD', :at)"
            ),
            {"team": team, "key": key, "value": value, "at": AT},
        )


def test_0016_adds_team_settings_with_their_constraints(at_0015: Engine) -> None:
    db.upgrade(at_0015, "0016")

    assert db.current_revision(at_0015) == "0016"
    assert "team_setting" in inspect(at_0015).get_table_names()
    for key, value in (("min_group", "7"), ("leads", '["U0A","S0B"]'), ("timezone", '"UTC"')):
        _put(at_0015, "T1", key, value)
    _put(at_0015, "T2", "min_group", "6")  # the same key in another workspace
    for team, key, value in (
        ("T1", "min_group", "8"),  # one value per team and key
        ("T1", "colour", '"blue"'),  # not a setting
        ("T1", "poll_channel", ""),  # no value
    ):
        with pytest.raises(IntegrityError):
            _put(at_0015, team, key, value)
    with at_0015.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM team_setting")).scalar() == 4


def test_0016_downgrade_drops_team_settings(at_0015: Engine) -> None:
    db.upgrade(at_0015, "0016")
    _put(at_0015, "T1", "min_group", "7")

    command.downgrade(db.alembic_config(at_0015), "0015")

    assert db.current_revision(at_0015) == "0015"
    assert "team_setting" not in inspect(at_0015).get_table_names()
    db.upgrade(at_0015, "0016")  # and up again, empty
    with at_0015.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM team_setting")).scalar() == 0
