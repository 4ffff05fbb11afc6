"""Migration 0010 adds ``signal_token`` (a workspace's signals token, as its hash only) and
its downgrade drops it, leaving everything else as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

AT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
HASH = "a" * 64


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0009(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0009")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0010") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0009")
        yield engine
        engine.dispose()


def _add_token(engine: Engine, team: str, token_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO signal_token (team_id, token_hash, hint, created_at, created_by)"
                " VALUES (:team, :hash, 'dps_AbCd', :at, 'cli:ops')"
            ),
            {"team": team, "hash": token_hash, "at": AT.replace(tzinfo=None)},
        )


def test_0010_adds_the_token_table_and_its_downgrade_drops_it(at_0009: Engine) -> None:
    with at_0009.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO debt_item (id, team_id, key, title, description, category,"
                " component, owner, status, effort, risk_flags, problem, affected_metrics,"
                " remediation, expected_impact, success_criterion, created_at, updated_at)"
                " VALUES (1, 'T1', 'DEBT-1', 'Item', '', 'operational', '', '', 'open', '',"
                " '[]', '', '', '', '', '', :at, :at)"
            ),
            {"at": AT.replace(tzinfo=None)},
        )
    assert "signal_token" not in inspect(at_0009).get_table_names()

    db.upgrade(at_0009, "0010")
    assert db.current_revision(at_0009) == "0010"
    columns = {c["name"] for c in inspect(at_0009).get_columns("signal_token")}
    assert columns == {"id", "team_id", "token_hash", "hint", "created_at", "created_by"}
    _add_token(at_0009, "T1", HASH)
    with pytest.raises(IntegrityError):  # one token per team
        _add_token(at_0009, "T1", "b" * 64)
    with pytest.raises(IntegrityError):  # a hash belongs to one team
        _add_token(at_0009, "T2", HASH)
    with pytest.raises(IntegrityError):  # a SHA-256 in hex, nothing shorter (a token, say)
        _add_token(at_0009, "T2", "dps_not-a-hash")

    command.downgrade(db.alembic_config(at_0009), "0009")
    assert db.current_revision(at_0009) == "0009"
    assert "signal_token" not in inspect(at_0009).get_table_names()
    with at_0009.connect() as conn:
        assert conn.execute(text("SELECT key FROM debt_item")).scalars().all() == ["DEBT-1"]

    db.upgrade(at_0009)  # and up again, empty
    with at_0009.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signal_token")).scalar() == 0
