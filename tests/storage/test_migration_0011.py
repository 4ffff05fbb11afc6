"""Migration 0011 adds ``slack_pace`` (each workspace's Slack calls, booked) and the index
the senders claim due deliveries with; its downgrade drops both and leaves the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0010(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0010")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0011") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0010")
        yield engine
        engine.dispose()


def _book(engine: Engine, team: str, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO slack_pace (team_id, key, booked_until) VALUES (:t, :k, 1.5)"),
            {"t": team, "k": key},
        )


def test_0011_adds_the_pace_table_and_the_queue_index_and_its_downgrade_drops_them(
    at_0010: Engine,
) -> None:
    assert "slack_pace" not in inspect(at_0010).get_table_names()
    db.upgrade(at_0010, "0011")
    assert db.current_revision(at_0010) == "0011"
    columns = {c["name"] for c in inspect(at_0010).get_columns("slack_pace")}
    assert columns == {"id", "team_id", "key", "booked_until"}
    indexes = {i["name"] for i in inspect(at_0010).get_indexes("poll_delivery")}
    assert "ix_poll_delivery_queue" in indexes
    _book(at_0010, "T1", "chat.postMessage")
    _book(at_0010, "T2", "chat.postMessage")  # another workspace: a budget of its own
    with pytest.raises(IntegrityError):  # one row per workspace and method
        _book(at_0010, "T1", "chat.postMessage")

    command.downgrade(db.alembic_config(at_0010), "0010")
    assert db.current_revision(at_0010) == "0010"
    assert "slack_pace" not in inspect(at_0010).get_table_names()
    indexes = {i["name"] for i in inspect(at_0010).get_indexes("poll_delivery")}
    assert "ix_poll_delivery_queue" not in indexes
