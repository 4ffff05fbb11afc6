"""Migration 0018 adds the dashboard's one-time sign-in links (``dashboard_link``): a link's
hash is unique and 64 hex characters, and a link is not used before it was made. Its
downgrade drops the table and keeps everything else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROW = {"hash": "a" * 64, "team": "T1", "user": "U1", "lead": True, "created": AT, "used": None}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0017(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0017")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0018") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0017")
        yield engine
        engine.dispose()


def _link(engine: Engine, **changes: object) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dashboard_link (token_hash, team_id, user_id, is_lead, created_at,"
                " used_at) VALUES (:hash, :team, :user, :lead, :created, :used)"
            ),
            ROW | changes,
        )


def test_0018_adds_the_sign_in_links_with_their_constraints(at_0017: Engine) -> None:
    db.upgrade(at_0017, "0018")

    assert db.current_revision(at_0017) == "0018"
    inspector = inspect(at_0017)
    assert "dashboard_link" in inspector.get_table_names()
    assert "ix_dashboard_link_created" in {
        i["name"] for i in inspector.get_indexes("dashboard_link")
    }
    _link(at_0017)
    _link(at_0017, hash="b" * 64, team="T2", lead=False, used=AT + timedelta(minutes=3))
    refused = [
        {},  # the same hash again
        {"hash": "c" * 63},
        {"hash": "d" * 64, "used": AT - timedelta(seconds=1)},
    ]
    for changes in refused:
        with pytest.raises(IntegrityError):
            _link(at_0017, **changes)
    with at_0017.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dashboard_link")).scalar() == 2


def test_0018_downgrade_drops_the_links(at_0017: Engine) -> None:
    db.upgrade(at_0017, "0018")
    _link(at_0017)

    command.downgrade(db.alembic_config(at_0017), "0017")

    assert db.current_revision(at_0017) == "0017"
    assert "dashboard_link" not in inspect(at_0017).get_table_names()
    db.upgrade(at_0017, "0018")  # and up again, empty
    with at_0017.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dashboard_link")).scalar() == 0
