"""Migration 0013 gives the register an effort spent and the ``accepted`` status with a review
date, and loses nothing on the way: on SQLite it rebuilds ``debt_item`` (a CHECK cannot be
altered in place), and every row pointing at an item, every trigger and every index stays.
Its downgrade turns accepted items back to open and drops the two columns the same way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

DAY = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
#: Every table that points at debt_item, seeded below (and compared row for row).
DEPENDENTS = (
    "assessment",
    "response",
    "pain_sum",
    "held_answer",
    "answer_release",
    "signal",
    "priority_snapshot",
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0012(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0012")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0013") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0012")
        yield engine
        engine.dispose()


def _item(conn, item_id: int, status: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO debt_item (id, team_id, key, title, description, category, component,"
            " owner, status, effort, risk_flags, problem, affected_metrics, remediation,"
            " expected_impact, success_criterion, created_at, updated_at, resolved_at) VALUES"
            " (:id, 'T1', :key, :title, '', 'operational', 'ingest', 'U1', :status, 'M',"
            " '[\"pii\"]', '', '', '', '', '', :at, :at, :resolved)"
        ),
        {
            "id": item_id,
            "key": f"DEBT-{item_id}",
            "title": f"Item {item_id}",
            "status": status,
            "at": DAY,
            "resolved": DAY if status == "resolved" else None,
        },
    )


def _seed(engine: Engine) -> None:
    """Two items and a row of every kind that points at one."""
    with engine.begin() as conn:
        _item(conn, 1, "open")
        _item(conn, 2, "resolved")
        conn.execute(
            text(
                "INSERT INTO assessment (team_id, debt_item_id, impact, likelihood, detectability,"
                " assessed_by, assessed_at, note) VALUES ('T1', 1, 4, 3, 2, 'U1', :at, 'first')"
            ),
            {"at": DAY},
        )
        conn.execute(
            text(
                "INSERT INTO poll_run (id, team_id, survey_id, scheduled_for, opened_at,"
                " status, anonymous, content_hash, frozen, source) VALUES"
                " (1, 'T1', 'pulse', :at, :at, 'closed', :no, '', '{}', 'schedule')"
            ),
            {"at": DAY, "no": False},
        )
        for n, (item, value) in enumerate([(1, 4), (1, 5), (2, 2)]):
            conn.execute(  # the response triggers add each pain answer to pain_sum
                text(
                    "INSERT INTO response (team_id, poll_run_id, question_id, debt_item_id,"
                    " respondent, value, answered_at, answered_day, updated_at) VALUES"
                    " ('T1', 1, 'pain', :item, :who, :value, :at, :day, :at)"
                ),
                {"item": item, "who": f"U{n}", "value": value, "at": DAY, "day": DAY.date()},
            )
        conn.execute(
            text(
                "INSERT INTO held_answer (team_id, poll_run_id, question_id, debt_item_id,"
                " respondent, key_id, person, value, answered_day) VALUES"
                " ('T1', 1, 'pain', 1, 'r1', 'k', 'p1', 3, :day)"
            ),
            {"day": DAY.date()},
        )
        conn.execute(
            text(
                "INSERT INTO answer_release (team_id, poll_run_id, question_id, debt_item_id,"
                " day, people, answers) VALUES ('T1', 1, 'pain', 2, :day, 5, 5)"
            ),
            {"day": DAY.date()},
        )
        conn.execute(
            text(
                "INSERT INTO signal (team_id, debt_item_id, kind, value, source, observed_at,"
                " dedup_key, received_at) VALUES ('T1', 1, 'incident', 1, 'pd', :at, 'PD-1', :at)"
            ),
            {"at": DAY},
        )
        conn.execute(
            text(
                "INSERT INTO priority_snapshot (team_id, taken_for, debt_item_id, rank, score,"
                " components, n_respondents, suppressed, weights_version, created_at) VALUES"
                " ('T1', :day, 1, 1, 42.5, '{\"risk\": 10}', 2, :no, 'w1', :at)"
            ),
            {"day": DAY.date(), "at": DAY, "no": False},
        )


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in DEPENDENTS
        }


def _items(engine: Engine) -> list[tuple[object, ...]]:
    columns = "id, team_id, key, title, status, effort, risk_flags, created_at, resolved_at"
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM debt_item ORDER BY id"))
        ]


def _schema_objects(engine: Engine) -> tuple[dict[str, set[str]], set[str]]:
    """Index names per table (debt_item and its dependents), and the trigger names."""
    inspector = inspect(engine)
    indexes = {
        table: {str(index["name"]) for index in inspector.get_indexes(table)}
        for table in ("debt_item", *DEPENDENTS)
    }
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        triggers = set(conn.execute(text(sql)).scalars())
    return indexes, triggers


def _pain_sums(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        sql = "SELECT debt_item_id, n, sum_x, sum_x2 FROM pain_sum ORDER BY debt_item_id"
        return [tuple(row) for row in conn.execute(text(sql))]


def _answer(engine: Engine, who: str, value: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO response (team_id, poll_run_id, question_id, debt_item_id,"
                " respondent, value, answered_at, answered_day, updated_at) VALUES"
                " ('T1', 1, 'pain', 1, :who, :value, :at, :day, :at)"
            ),
            {"who": who, "value": value, "at": DAY, "day": DAY.date()},
        )


def _set(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def test_0013_adds_the_fields_and_accepted_and_keeps_every_row_trigger_and_index(
    at_0012: Engine,
) -> None:
    _seed(at_0012)
    rows, items = _rows(at_0012), _items(at_0012)
    objects = _schema_objects(at_0012)
    assert objects[1] and all(rows.values())  # triggers exist, every dependent has a row
    assert _pain_sums(at_0012) == [(1, 2, 9.0, 41.0), (2, 1, 2.0, 4.0)]

    db.upgrade(at_0012, "0013")

    assert db.current_revision(at_0012) == "0013"
    assert _rows(at_0012) == rows  # not one answer, assessment, signal or snapshot lost
    assert _items(at_0012) == items
    assert _schema_objects(at_0012) == objects
    columns = {c["name"]: c for c in inspect(at_0012).get_columns("debt_item")}
    assert columns["effort_spent_days"]["nullable"] and columns["accepted_until"]["nullable"]
    # the pain triggers still count, once: a new answer adds to the sums carried over
    _answer(at_0012, "U9", 1)
    assert _pain_sums(at_0012) == [(1, 3, 10.0, 42.0), (2, 1, 2.0, 4.0)]
    # the new status and fields, and the checks that guard them
    _set(
        at_0012,
        "UPDATE debt_item SET status = 'accepted', accepted_until = :d WHERE id = 1",
        d=date(2027, 3, 1),
    )
    _set(at_0012, "UPDATE debt_item SET effort_spent_days = 2.5 WHERE id = 2")
    refused = [
        "UPDATE debt_item SET accepted_until = NULL WHERE id = 1",  # accepted needs its date
        "UPDATE debt_item SET accepted_until = '2027-01-01' WHERE id = 2",  # only accepted
        "UPDATE debt_item SET effort_spent_days = -1 WHERE id = 2",
        "UPDATE debt_item SET status = 'parked' WHERE id = 2",
    ]
    for sql in refused:
        with pytest.raises(IntegrityError):
            _set(at_0012, sql)
    # deleting an item still takes its rows with it (the foreign keys point at the new table)
    _set(at_0012, "DELETE FROM debt_item WHERE id = 2")
    assert all(row[2] != 2 for row in _rows(at_0012)["response"])


def test_0013_downgrade_reopens_accepted_items_and_keeps_the_rest(at_0012: Engine) -> None:
    _seed(at_0012)
    db.upgrade(at_0012, "0013")
    _set(
        at_0012,
        "UPDATE debt_item SET status = 'accepted', accepted_until = :d WHERE id = 1",
        d=date(2027, 3, 1),
    )
    _set(at_0012, "UPDATE debt_item SET effort_spent_days = 3 WHERE id = 2")
    rows, objects = _rows(at_0012), _schema_objects(at_0012)

    command.downgrade(db.alembic_config(at_0012), "0012")

    assert db.current_revision(at_0012) == "0012"
    assert [(i[0], i[4]) for i in _items(at_0012)] == [(1, "open"), (2, "resolved")]
    columns = {c["name"] for c in inspect(at_0012).get_columns("debt_item")}
    assert not columns & {"effort_spent_days", "accepted_until"}
    assert _rows(at_0012) == rows
    assert _schema_objects(at_0012) == objects
    with pytest.raises(IntegrityError):
        _set(at_0012, "UPDATE debt_item SET status = 'accepted' WHERE id = 1")
    db.upgrade(at_0012, "0013")  # and up again
    assert _rows(at_0012) == rows
