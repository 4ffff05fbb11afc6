"""Migration 0017 adds each workspace's state (``team_state``) and the purge log
(``team_purge``), with their constraints; the audit trail stays append-only except inside a
running purge of the same team, and the purge log is kept as written. Its downgrade drops
both and makes the audit trail strictly append-only again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STATE = {
    "team": "T1",
    "state": "uninstalled",
    "installed": AT - timedelta(days=9),
    "uninstalled": AT,
    "purge": AT + timedelta(days=30),
    "gone": None,
    "updated": AT,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0016(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0016")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0017") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0016")
        yield engine
        engine.dispose()


def _state(engine: Engine, **changes: object) -> None:
    values = STATE | changes
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO team_state (team_id, state, installed_at, uninstalled_at,"
                " purge_after, gone_token, updated_at) VALUES (:team, :state, :installed,"
                " :uninstalled, :purge, :gone, :updated)"
            ),
            values,
        )


def _audit(conn: Connection, team: str) -> None:
    conn.execute(
        text(
            "INSERT INTO audit_event (team_id, actor, action, subject, reason, at)"
            " VALUES (:team, 'U1', 'item.add', 'DEBT-1', '', :at)"
        ),
        {"team": team, "at": AT},
    )


def _purge_row(conn: Connection, team: str, status: str = "running") -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO team_purge (team_id, purged_at, purged_by, reason, status, counts)"
                " VALUES (:team, :at, 'cli:ops', '', :status, '{}') RETURNING id"
            ),
            {"team": team, "at": AT, "status": status},
        ).scalar_one()
    )


def _refused(engine: Engine, sql: str, **params: object) -> None:
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(sql), params)


def test_0017_adds_team_state_with_its_constraints(at_0016: Engine) -> None:
    db.upgrade(at_0016, "0017")

    assert db.current_revision(at_0016) == "0017"
    assert {"team_state", "team_purge"} <= set(inspect(at_0016).get_table_names())
    _state(at_0016)
    _state(at_0016, team="T2", state="active", uninstalled=None, purge=None)
    _state(at_0016, team="T3", state="tokens_revoked", purge=None, gone="0123456789abcdef")
    refused = [
        {"team": "T1"},  # one row per team
        {"team": "T4", "state": "paused"},
        {"team": "T5", "uninstalled": None},  # gone since no time
        {"team": "T6", "state": "active"},  # active, yet uninstalled and due for a purge
        {"team": "T7", "state": "active", "uninstalled": None, "gone": "0123"},
        {"team": "T8", "purge": AT - timedelta(days=1)},  # purged before it went
    ]
    for changes in refused:
        with pytest.raises(IntegrityError):
            _state(at_0016, **changes)


def test_audit_rows_go_only_inside_their_teams_running_purge(at_0016: Engine) -> None:
    db.upgrade(at_0016, "0017")
    with at_0016.begin() as conn:
        _audit(conn, "T1")
        _audit(conn, "T2")
    _refused(at_0016, "DELETE FROM audit_event WHERE team_id = 'T1'")
    _refused(at_0016, "UPDATE audit_event SET actor = 'x'")
    with at_0016.begin() as conn:  # a finished purge opens nothing
        _purge_row(conn, "T1", status="done")
    _refused(at_0016, "DELETE FROM audit_event WHERE team_id = 'T1'")

    with at_0016.begin() as conn:
        purge = _purge_row(conn, "T1")
        conn.execute(text("DELETE FROM audit_event WHERE team_id = 'T1'"))
        with pytest.raises(DBAPIError), conn.begin_nested():  # another team's rows stay
            conn.execute(text("DELETE FROM audit_event WHERE team_id = 'T2'"))
        with pytest.raises(DBAPIError), conn.begin_nested():  # and nobody may change them
            conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE team_id = 'T2'"))
        conn.execute(
            text(
                "UPDATE team_purge SET status = 'done', counts = '{\"audit_event\": 1}'"
                " WHERE id = :id"
            ),
            {"id": purge},
        )
    with at_0016.connect() as conn:
        teams = conn.execute(text("SELECT team_id FROM audit_event")).scalars().all()
    assert teams == ["T2"]
    # the purge log is kept as written
    _refused(at_0016, "UPDATE team_purge SET reason = 'x' WHERE id = :id", id=purge)
    _refused(at_0016, "DELETE FROM team_purge")
    _refused(at_0016, "DELETE FROM audit_event WHERE team_id = 'T2'")


def test_0017_downgrade_drops_both_and_the_audit_trail_is_strict_again(at_0016: Engine) -> None:
    db.upgrade(at_0016, "0017")
    _state(at_0016)
    with at_0016.begin() as conn:
        _audit(conn, "T1")

    command.downgrade(db.alembic_config(at_0016), "0016")

    assert db.current_revision(at_0016) == "0016"
    assert not {"team_state", "team_purge"} & set(inspect(at_0016).get_table_names())
    _refused(at_0016, "DELETE FROM audit_event")
    _refused(at_0016, "UPDATE audit_event SET actor = 'x'")
    db.upgrade(at_0016, "0017")  # and up again, empty
    with at_0016.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM team_state")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 1
