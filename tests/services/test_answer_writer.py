"""Answers committed in groups: each listener gets its own outcome, none is lost or changed.

On SQLite and PostgreSQL: on PostgreSQL the writer keeps its connection between groups and
sends a group's writes with its COMMIT in one pipeline (``storage.writer_conn``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.services.answer_writer import AnswerWriter
from storage import db
from tests.conftest import POSTGRES_URL, postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
        else:
            schema = stack.enter_context(postgres_schema("debtpulse_writer"))
            engine = db.make_engine(
                POSTGRES_URL,
                connect_args={"options": f"-csearch_path={schema}", "application_name": schema},
            )
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE answer (who TEXT PRIMARY KEY, value INTEGER)"))
        yield engine
        engine.dispose()


def _stored(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT who, value FROM answer")).all())


def _insert(who: str, value: int, *, fail: bool = False):
    def work(session: Session) -> str:
        session.connection().execute(
            text("INSERT INTO answer (who, value) VALUES (:who, :value)"),
            {"who": who, "value": value},
        )
        if fail:
            raise ValueError(f"{who} refused")  # after writing: must leave nothing behind
        return who

    return work


def _burst(writer: AnswerWriter, engine, works) -> list[object]:
    """Run every work from a thread of its own, all at once; their outcomes in order."""
    outcomes: list[object] = [None] * len(works)
    start = threading.Barrier(len(works))

    def one(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = writer.run(engine, works[index])
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_a_burst_is_committed_in_groups_and_every_answer_is_stored(engine) -> None:
    writer = AnswerWriter()
    people = [f"U{n:03d}" for n in range(200)]
    outcomes = _burst(writer, engine, [_insert(who, n) for n, who in enumerate(people)])
    assert outcomes == people  # each listener got its own result
    assert _stored(engine) == {who: n for n, who in enumerate(people)}
    assert writer.groups > 0  # some transactions held several answers


def test_one_failing_answer_in_a_group_loses_and_changes_no_other(engine) -> None:
    writer = AnswerWriter()
    works = [_insert(f"U{n:03d}", n, fail=(n % 7 == 3)) for n in range(100)]
    outcomes = _burst(writer, engine, works)
    for n, outcome in enumerate(outcomes):
        if n % 7 == 3:
            assert isinstance(outcome, ValueError) and str(outcome) == f"U{n:03d} refused"
        else:
            assert outcome == f"U{n:03d}"
    stored = _stored(engine)
    assert stored == {f"U{n:03d}": n for n in range(100) if n % 7 != 3}


def test_a_database_error_is_the_listeners_own(engine) -> None:
    writer = AnswerWriter()
    writer.run(engine, _insert("U1", 1))
    with pytest.raises(Exception, match=r"(?i)unique"):
        writer.run(engine, _insert("U1", 2))  # the same person twice: the constraint says no
    assert writer.run(engine, _insert("U2", 2)) == "U2"  # and the writer goes on
    assert _stored(engine) == {"U1": 1, "U2": 2}


def test_answers_written_together_send_each_statement_once(engine) -> None:
    """A group's rows for one statement go to the database in one execution, in order."""
    from sqlalchemy import event

    from storage import deferred

    executions: list[int] = []

    def count(*args: Any) -> None:  # (conn, cursor, statement, parameters, context, many)
        statement, parameters, many = args[2], args[3], args[5]
        if statement.startswith("INSERT INTO answer"):
            executions.append(len(parameters) if many else 1)

    event.listen(engine, "before_cursor_execute", count)
    insert = text("INSERT INTO answer (who, value) VALUES (:who, :value)")

    def work(who: str, value: int):
        def write(session: Session) -> str:
            deferred.execute(session, insert, [{"who": who, "value": value}])
            return who

        return write

    writer = AnswerWriter()
    outcomes = _burst(writer, engine, [work(f"U{n:03d}", n) for n in range(60)])
    assert outcomes == [f"U{n:03d}" for n in range(60)]
    assert _stored(engine) == {f"U{n:03d}": n for n in range(60)}
    assert sum(executions) == 60 and len(executions) < 60  # fewer executions than answers


def test_a_connection_dropped_between_answers_loses_no_answer(engine) -> None:
    """PostgreSQL: the writer keeps its connection (no ping before each group); when the
    server ends it, the next answer is still stored, on a new connection."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    writer = AnswerWriter()
    assert writer.run(engine, _insert("U1", 1)) == "U1"
    with engine.connect() as admin:
        ended = admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": engine.url.query.get("application_name") or _application(engine)},
        ).all()
    assert ended  # the writer's connection was there, and is gone
    assert writer.run(engine, _insert("U2", 2)) == "U2"
    outcomes = _burst(writer, engine, [_insert(f"U{n}", n) for n in range(3, 40)])
    assert outcomes == [f"U{n}" for n in range(3, 40)]
    assert _stored(engine) == {f"U{n}": n for n in range(1, 40)}


def _application(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_setting('application_name')")).scalar())
