"""Migration 0014 lets ``signal`` hold the webhook kinds (ci_failure, data_quality,
code_quality) and adds ``webhook_secret``, losing nothing on the way: on SQLite it rebuilds
``signal`` (a CHECK cannot be altered in place) with its rows, indexes, unique and foreign
keys. Its downgrade turns the new kinds into ``custom`` and drops the secrets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

AT = datetime(2026, 12, 1, 9, 0)
COLUMNS = "team_id, debt_item_id, kind, value, source, observed_at, dedup_key, received_at"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0013(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0013")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0014") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0013")
        yield engine
        engine.dispose()


def _signal(engine: Engine, kind: str, dedup_key: str, ended: datetime | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO signal ({COLUMNS}, ended_at) SELECT 'T1', id, :kind, 2.0, "
                "'github', :at, :key, :at, :ended FROM debt_item WHERE key = 'DEBT-1'"
            ),
            {"kind": kind, "key": dedup_key, "at": AT, "ended": ended},
        )


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO debt_item (team_id, key, title, description, category, component, "
                "owner, status, effort, risk_flags, problem, affected_metrics, remediation, "
                "expected_impact, success_criterion, created_at, updated_at) VALUES ('T1', "
                "'DEBT-1', 'Flaky CI', '', 'operational', 'ci', '', 'open', '', '[]', '', '', "
                "'', '', '', :at, :at)"
            ),
            {"at": AT},
        )
    _signal(engine, "incident", "PD-1", ended=datetime(2026, 12, 1, 10, 30))
    _signal(engine, "flaky_test", "GH-1")


def _signals(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, value, source, dedup_key, ended_at FROM signal ORDER BY dedup_key")
        ).all()
    return [(row[0], row[1], row[2], row[3], row[4] is not None) for row in rows]


def _secret(engine: Engine, source: str, team: str = "T1", sealed: str = "v1:abc") -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO webhook_secret (team_id, source, sealed, key_id, created_at, "
                "created_by) VALUES (:team, :source, :sealed, '0123456789abcdef', :at, 'cli:ops')"
            ),
            {"team": team, "source": source, "sealed": sealed, "at": AT},
        )


def test_0014_takes_the_webhook_kinds_keeps_every_signal_and_adds_webhook_secrets(
    at_0013: Engine,
) -> None:
    _seed(at_0013)
    with pytest.raises(IntegrityError):  # not before 0014
        _signal(at_0013, "ci_failure", "GH-RUN-0")
    before = _signals(at_0013)
    assert before == [
        ("flaky_test", 2.0, "github", "GH-1", False),
        ("incident", 2.0, "github", "PD-1", True),
    ]

    db.upgrade(at_0013, "0014")
    assert db.current_revision(at_0013) == "0014"
    assert _signals(at_0013) == before
    for n, kind in enumerate(("ci_failure", "data_quality", "code_quality")):
        _signal(at_0013, kind, f"HOOK-{n}")
    with pytest.raises(IntegrityError), at_0013.begin() as conn:  # the kind check stays
        conn.execute(text("UPDATE signal SET kind = 'rumour'"))
    with pytest.raises(IntegrityError):  # the dedup key too
        _signal(at_0013, "ci_failure", "HOOK-0")
    with pytest.raises(IntegrityError), at_0013.begin() as conn:  # and the end check
        conn.execute(
            text("UPDATE signal SET ended_at = :at WHERE dedup_key = 'HOOK-0'"),
            {"at": datetime(2026, 11, 30)},
        )
    indexes = {i["name"] for i in inspect(at_0013).get_indexes("signal")}
    assert {"ix_signal_item_observed", "ix_signal_team_id"} <= indexes
    with at_0013.begin() as conn:  # the foreign key still deletes an item's signals with it
        conn.execute(text("DELETE FROM debt_item WHERE key = 'DEBT-1'"))
        assert conn.execute(text("SELECT count(*) FROM signal")).scalar_one() == 0
    _seed(at_0013)

    columns = {c["name"] for c in inspect(at_0013).get_columns("webhook_secret")}
    assert columns == {"id", "team_id", "source", "sealed", "key_id", "created_at", "created_by"}
    _secret(at_0013, "github")
    _secret(at_0013, "github", team="T2")  # another workspace: a secret of its own
    with pytest.raises(IntegrityError):  # one per team and source
        _secret(at_0013, "github")
    with pytest.raises(IntegrityError):
        _secret(at_0013, "jenkins")
    with pytest.raises(IntegrityError):
        _secret(at_0013, "gitlab", sealed="")


def test_0014_downgrade_keeps_the_webhook_signals_as_custom(at_0013: Engine) -> None:
    _seed(at_0013)
    db.upgrade(at_0013, "0014")
    _signal(at_0013, "ci_failure", "GH-RUN-1")
    _signal(at_0013, "code_quality", "SONAR-1", ended=datetime(2026, 12, 2))
    _secret(at_0013, "sonarqube")

    command.downgrade(db.alembic_config(at_0013), "0013")
    assert db.current_revision(at_0013) == "0013"
    assert "webhook_secret" not in inspect(at_0013).get_table_names()
    assert _signals(at_0013) == [
        ("flaky_test", 2.0, "github", "GH-1", False),
        ("custom", 2.0, "github", "GH-RUN-1", False),
        ("incident", 2.0, "github", "PD-1", True),
        ("custom", 2.0, "github", "SONAR-1", True),
    ]
    with pytest.raises(IntegrityError):  # the old check is back
        _signal(at_0013, "ci_failure", "GH-RUN-2")
    db.upgrade(at_0013, "0014")  # and up again
    assert len(_signals(at_0013)) == 4
