"""Migration 0012 adds ``metric_point`` and ``signal.ended_at``; the signals stored before it
keep every field (with no end), and its downgrade drops both and keeps the signals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

SIGNAL_COLUMNS = "team_id, debt_item_id, kind, value, source, observed_at, dedup_key, received_at"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0011(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0011")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0012") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0011")
        yield engine
        engine.dispose()


def _item_with_a_signal(engine: Engine) -> None:
    now = datetime(2026, 12, 1, 9, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO debt_item (team_id, key, title, description, category, component, "
                "owner, status, effort, risk_flags, problem, affected_metrics, remediation, "
                "expected_impact, success_criterion, created_at, updated_at) VALUES ('T1', "
                "'DEBT-1', 'Flaky ingestion', '', 'operational', 'ingestion', '', 'open', '', "
                "'[]', '', '', '', '', '', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                f"INSERT INTO signal ({SIGNAL_COLUMNS}) SELECT 'T1', id, 'incident', 2.0, "
                "'pagerduty', :now, 'PD-1', :now FROM debt_item WHERE key = 'DEBT-1'"
            ),
            {"now": now},
        )


def _signals(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, value, source, dedup_key FROM signal")).all()
    return [tuple(row) for row in rows]


def _point(engine: Engine, *, scope: str = "team", value: str = "1.5", source: str = "api"):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO metric_point (team_id, metric, scope, value, unit, observed_at, "
                f"source, received_at) VALUES ('T1', 'mttr_hours', :scope, {value}, 'hours', "
                ":at, :source, :at)"
            ),
            {"scope": scope, "source": source, "at": datetime(2026, 12, 1, 9, 0)},
        )


def test_0012_adds_metric_points_and_signal_ends_and_its_downgrade_keeps_the_signals(
    at_0011: Engine,
) -> None:
    _item_with_a_signal(at_0011)
    db.upgrade(at_0011, "0012")
    assert db.current_revision(at_0011) == "0012"
    columns = {c["name"] for c in inspect(at_0011).get_columns("metric_point")}
    assert columns == {
        "id",
        "team_id",
        "metric",
        "scope",
        "value",
        "unit",
        "observed_at",
        "source",
        "received_at",
    }
    # the signal stored before is all there, with no end
    assert _signals(at_0011) == [("incident", 2.0, "pagerduty", "PD-1")]
    with at_0011.connect() as conn:
        assert conn.execute(text("SELECT ended_at FROM signal")).scalar_one() is None
    indexes = {i["name"] for i in inspect(at_0011).get_indexes("signal")}
    assert {"ix_signal_item_observed", "ix_signal_team_id"} <= indexes

    with at_0011.begin() as conn:  # an end after the start is kept
        conn.execute(text("UPDATE signal SET ended_at = :at"), {"at": datetime(2026, 12, 1, 11)})
    with pytest.raises(IntegrityError), at_0011.begin() as conn:  # an end before it is not
        conn.execute(text("UPDATE signal SET ended_at = :at"), {"at": datetime(2026, 12, 1, 8)})
    with pytest.raises(IntegrityError), at_0011.begin() as conn:  # the kind check survived
        conn.execute(text("UPDATE signal SET kind = 'rumour'"))
    copy = f"INSERT INTO signal ({SIGNAL_COLUMNS}) SELECT {SIGNAL_COLUMNS} FROM signal"
    with pytest.raises(IntegrityError), at_0011.begin() as conn:  # the dedup key too
        conn.execute(text(copy))

    _point(at_0011)
    _point(at_0011, scope="ingestion")  # another scope at the same moment: a point of its own
    with pytest.raises(IntegrityError):  # one value per metric, scope and moment
        _point(at_0011)
    with pytest.raises(IntegrityError):
        _point(at_0011, scope="DEBT-1", source="email")
    with pytest.raises(IntegrityError):
        _point(at_0011, scope="")

    command.downgrade(db.alembic_config(at_0011), "0011")
    assert db.current_revision(at_0011) == "0011"
    assert "metric_point" not in inspect(at_0011).get_table_names()
    assert "ended_at" not in {c["name"] for c in inspect(at_0011).get_columns("signal")}
    assert _signals(at_0011) == [("incident", 2.0, "pagerduty", "PD-1")]
    indexes = {i["name"] for i in inspect(at_0011).get_indexes("signal")}
    assert {"ix_signal_item_observed", "ix_signal_team_id"} <= indexes
