"""Migration 0015 adds the signals inbox (``signal_inbox``) and the rules saved from it
(``signal_route``), with the constraints that keep a row honest: one row per team and dedup
key, known kinds, actions and statuses, an end not before the start, a routed row naming its
item and a decided row saying who decided when. Its downgrade drops both and keeps every
signal."""

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
COLUMNS = (
    "team_id, source, kind, action, dedup_key, observed_at, ended_at, value, title, url,"
    " group_key, attributes, status, routed_to, decided_by, decided_at, received_at"
)
ROW = {
    "team": "T1",
    "source": "alertmanager",
    "kind": "alert",
    "action": "open",
    "dedup": "am:1",
    "observed": AT,
    "ended": None,
    "value": 1.0,
    "title": "HighErrorRate",
    "url": "",
    "group": "alertmanager/alert: alertname=HighErrorRate",
    "attributes": '{"alertname": "HighErrorRate"}',
    "status": "pending",
    "routed_to": None,
    "decided_by": None,
    "decided_at": None,
    "received": AT,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0014(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0014")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0015") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0014")
        yield engine
        engine.dispose()


def _file(engine: Engine, **changes: object) -> None:
    names = ", ".join(f":{name}" for name in ROW)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO signal_inbox ({COLUMNS}) VALUES ({names})"), ROW | changes)


def _signal(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO debt_item (id, team_id, key, title, description, category,"
                " component, owner, status, effort, risk_flags, problem, affected_metrics,"
                " remediation, expected_impact, success_criterion, created_at, updated_at)"
                " VALUES (1, 'T1', 'DEBT-1', 'Ingest', '', 'operational', '', '', 'open', '',"
                " '[]', '', '', '', '', '', :at, :at)"
            ),
            {"at": AT},
        )
        conn.execute(
            text(
                "INSERT INTO signal (team_id, debt_item_id, kind, value, source, observed_at,"
                " dedup_key, received_at) VALUES ('T1', 1, 'alert', 1, 'alertmanager', :at,"
                " 'am:0', :at)"
            ),
            {"at": AT},
        )


def _signals(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM signal ORDER BY id"))]


def test_0015_adds_the_inbox_and_its_rules_with_their_constraints(at_0014: Engine) -> None:
    _signal(at_0014)
    signals = _signals(at_0014)

    db.upgrade(at_0014, "0015")

    assert db.current_revision(at_0014) == "0015"
    assert _signals(at_0014) == signals
    inspector = inspect(at_0014)
    assert {"signal_inbox", "signal_route"} <= set(inspector.get_table_names())
    indexes = {index["name"] for index in inspector.get_indexes("signal_inbox")}
    assert "ix_signal_inbox_waiting" in indexes

    _file(at_0014)
    _file(at_0014, team="T2")  # the same key in another workspace is another signal
    _file(at_0014, dedup="am:2", kind="ci_failure", action="suggest", ended=AT)
    _file(
        at_0014,
        dedup="am:3",
        status="routed",
        routed_to="DEBT-1",
        decided_by="U1",
        decided_at=AT + timedelta(days=1),
    )
    _file(at_0014, dedup="am:4", status="ignored", decided_by="U1", decided_at=AT)
    refused = [
        {},  # the same team and dedup key
        {"dedup": "x1", "kind": "page"},
        {"dedup": "x2", "action": "close"},
        {"dedup": "x3", "status": "parked"},
        {"dedup": "x4", "ended": AT - timedelta(minutes=1)},
        {"dedup": "x5", "status": "routed", "decided_by": "U1", "decided_at": AT},  # no item
        {"dedup": "x6", "routed_to": "DEBT-1"},  # pending, yet routed somewhere
        {"dedup": "x7", "status": "ignored"},  # decided by nobody
        {"dedup": "x8", "decided_by": "U1", "decided_at": AT},  # pending, yet decided
        {"dedup": "x9", "group": ""},
    ]
    for changes in refused:
        with pytest.raises(IntegrityError):
            _file(at_0014, **changes)
    with at_0014.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO signal_route (team_id, match, debt_key, created_by, created_at)"
                " VALUES ('T1', :match, 'DEBT-1', 'U1', :at)"
            ),
            {"match": '{"source": "alertmanager"}', "at": AT},
        )
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO signal_route (team_id, match, debt_key, created_by, created_at)"
                    " VALUES ('T1', '{}', '', 'U1', :at)"
                ),
                {"at": AT},
            )
        count = conn.execute(text("SELECT count(*) FROM signal_inbox")).scalar()
    assert count == 5


def test_0015_downgrade_drops_the_inbox_and_keeps_the_signals(at_0014: Engine) -> None:
    _signal(at_0014)
    db.upgrade(at_0014, "0015")
    _file(at_0014)
    signals = _signals(at_0014)

    command.downgrade(db.alembic_config(at_0014), "0014")

    assert db.current_revision(at_0014) == "0014"
    tables = set(inspect(at_0014).get_table_names())
    assert not tables & {"signal_inbox", "signal_route"}
    assert _signals(at_0014) == signals
    db.upgrade(at_0014, "0015")  # and up again, empty
    with at_0014.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signal_inbox")).scalar() == 0
