"""Several web threads writing at once, each on its own connection: on PostgreSQL nothing
may deadlock or duplicate, and on SQLite the writers queue. Real threads, real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from bot.core.polls import FrozenItem, freeze, sample_items
from bot.core.score_settings import ScoreSettings
from bot.services.poll_answers import GivenAnswer, record_answers
from bot.services.ranking import current_ranking
from bot.services.register import add_item
from bot.services.snapshots import WEIGHTS_ACTION, SnapshotResult, take_snapshot
from storage import db, held, polls
from storage.models import (
    AuditEvent,
    DebtItem,
    HeldAnswer,
    PainSum,
    Participation,
    PollRun,
    PrioritySnapshot,
    Response,
)
from surveys import Survey, builtin_dir, load_directory
from tests.factories import NOW, TEAM, make_item, make_run

ANSWERED_AT = datetime(2026, 11, 16, 10, 30, tzinfo=UTC)


def _all_at_once(jobs: list[Callable[[], None]]) -> list[str]:
    """Run the jobs in threads released together; the errors they raised, as text."""
    start = threading.Barrier(len(jobs))
    errors: list[str] = []

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _pulse_run(engine: Engine, n_items: int) -> tuple[int, list[int]]:
    """An open run of the built-in weekly pulse (5 of the items asked per person), named."""
    template = load_directory(builtin_dir()).templates["weekly-debt-pulse"].template
    assert isinstance(template, Survey)
    survey = template.model_copy(update={"anonymous": False})
    with db.session_scope(engine) as session:
        items = [make_item(session, key=f"DEBT-{n}") for n in range(1, n_items + 1)]
        frozen_items = [FrozenItem(id=i.id or 0, key=i.key, title=i.title) for i in items]
        frozen = freeze(survey, items_for={"pain": frozen_items}, choices=frozen_items)
        run = make_run(session, status="open", anonymous=False, frozen=frozen)
        assert run.id is not None
        return run.id, [item.id or 0 for item in items]


def test_people_answering_overlapping_samples_at_once_are_all_stored(engine: Engine) -> None:
    run_id, item_ids = _pulse_run(engine, n_items=8)
    frozen_items = [{"id": item_id} for item_id in item_ids]
    users = [f"U0PERSON{n:02d}" for n in range(8)]
    rounds = 4  # everybody answers, then re-answers three times

    def answer(user: str) -> Callable[[], None]:
        # Each person's modal lists a window of the items, wrapping around the end, so two
        # people meet the same items in a different order.
        asked = [item["id"] for item in sample_items(frozen_items, n=5, user=user, run_id=run_id)]

        def job() -> None:
            for value in range(1, rounds + 1):
                with db.session_scope(engine) as session:
                    run = session.get(PollRun, run_id)
                    assert run is not None
                    given = [GivenAnswer(f"pain|{i}", "pain", i, str(value), None) for i in asked]
                    record_answers(
                        session, run=run, user=user, answers=given, secret=None, now=ANSWERED_AT
                    )

        return job

    assert _all_at_once([answer(user) for user in users]) == []
    with Session(engine) as session:
        answers = session.exec(select(Response.respondent, Response.value)).all()
        sums = session.exec(select(PainSum.debt_item_id, PainSum.n, PainSum.sum_x)).all()
        took_part = session.exec(select(func.count()).select_from(Participation)).one()
    assert len(answers) == len(users) * 5  # one per person and asked item: re-answers replace
    assert {value for _, value in answers} == {rounds}
    assert sum(n for _, n, _ in sums) == len(users) * 5
    assert all(sum_x == n * rounds for _, n, sum_x in sums)
    assert took_part == len(users)


def _second_waits_for_the_first(
    engine: Engine,
    first: Callable[[], None],
    second: Callable[[], None],
    second_pid: list[int],
    release: threading.Event,
) -> None:
    """Run both; ``release`` the first (holding its lock) only once the second is waiting
    for a lock, as ``pg_stat_activity`` shows for the backend ``second`` put in second_pid."""
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    with engine.connect() as watcher:
        waiting = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
        while threads[1].is_alive() and (
            not second_pid or watcher.execute(waiting, {"pid": second_pid[0]}).scalar() != "Lock"
        ):
            watcher.rollback()
            threading.Event().wait(0.02)
    release.set()
    for thread in threads:
        thread.join()


@pytest.mark.postgres
def test_a_second_snapshot_of_the_week_taken_at_once_waits_and_changes_nothing(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a writer holds the one write lock for its whole transaction")
    with db.session_scope(engine) as session:
        for n in (1, 2, 3):
            make_item(session, key=f"DEBT-{n}")

    def take(session: Session) -> SnapshotResult:
        ranking = current_ranking(session, team_id=TEAM, now=NOW, settings=ScoreSettings())
        return take_snapshot(session, ranking=ranking, team_id=TEAM, actor="cli:a", at=NOW)

    first_taken, release = threading.Event(), threading.Event()
    second_pid: list[int] = []
    results: dict[str, SnapshotResult] = {}

    def first() -> None:
        with db.session_scope(engine) as session:
            results["first"] = take(session)
            first_taken.set()
            release.wait()  # commits only once the second one is waiting

    def second() -> None:
        first_taken.wait()
        with db.session_scope(engine) as session:
            second_pid.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            results["second"] = take(session)

    _second_waits_for_the_first(engine, first, second, second_pid, release)

    assert str(results["first"]) == "snapshot for the week of 2026-11-16: 3 items"
    assert str(results["second"]) == "the week of 2026-11-16 was already taken; nothing changed"
    with Session(engine) as session:
        rows = session.exec(select(func.count()).select_from(PrioritySnapshot)).one()
        events = session.exec(select(func.count()).where(AuditEvent.action == WEIGHTS_ACTION)).one()
    assert (rows, events) == (3, 1)


@pytest.mark.postgres
def test_two_leads_adding_an_item_at_once_get_two_keys(engine: Engine) -> None:
    """The second `/debt add` waits for the first one's key, then takes the next."""
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a writer holds the one write lock for its whole transaction")
    first_added, release = threading.Event(), threading.Event()
    second_pid: list[int] = []
    keys: dict[str, str] = {}

    def add(who: str) -> str:
        with db.session_scope(engine) as session:
            if who == "second":
                second_pid.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            item = add_item(
                session,
                team_id=TEAM,
                fields={"title": f"Added by the {who} lead"},
                actor=who,
                reason="/debt add",
                now=NOW,
            )
            if who == "first":
                first_added.set()
                release.wait()  # commits only once the second one is waiting
            return item.key

    def first() -> None:
        keys["first"] = add("first")

    def second() -> None:
        first_added.wait()
        keys["second"] = add("second")

    _second_waits_for_the_first(engine, first, second, second_pid, release)

    assert keys == {"first": "DEBT-1", "second": "DEBT-2"}
    with Session(engine) as session:
        titles = dict(session.exec(select(DebtItem.key, DebtItem.title)).all())
        created = session.exec(
            select(func.count()).where(AuditEvent.action == "item.created")
        ).one()
    assert titles == {"DEBT-1": "Added by the first lead", "DEBT-2": "Added by the second lead"}
    assert created == 2


@pytest.mark.postgres
def test_two_runs_closing_at_once_release_an_earlier_pool_once(engine: Engine) -> None:
    """Two anonymous runs of different surveys close at once (the tick and `/debt poll
    close`), each completing a group with the same held answers of an earlier run: the
    second waits for the first, finds them released, and releases nothing twice."""
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a writer holds the one write lock for its whole transaction")
    with db.session_scope(engine) as session:
        item = make_item(session).id
        earlier = make_run(session, scheduled_for=NOW, anonymous=True, status="closed")
        runs = [
            make_run(session, survey_id=f"s{n}", scheduled_for=NOW, anonymous=True, status="open")
            for n in (1, 2)
        ]
        for run, people in ((earlier, "abcd"), (runs[0], "e"), (runs[1], "f")):
            for person in people:
                held.hold_answer(
                    session,
                    team_id=TEAM,
                    poll_run_id=run.id or 0,
                    question_id="pain",
                    debt_item_id=item,
                    respondent=f"anon:{run.id}:{person}",
                    person=("k1", f"person:{person}"),
                    value=3.0,
                    text_value=None,
                    day=NOW.date(),
                )
    first_closed, release = threading.Event(), threading.Event()
    second_pid: list[int] = []
    released: dict[str, list[held.Released]] = {}

    def close(run: PollRun, who: str) -> None:
        with db.session_scope(engine) as session:
            if who == "second":
                second_pid.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            polls.close_run(session, run_id=run.id or 0, now=NOW)
            closing = session.get(PollRun, run.id)
            assert closing is not None
            released[who] = held.release_at_close(
                session, run=closing, min_group=5, horizon=timedelta(weeks=8)
            )
            if who == "first":
                first_closed.set()
                release.wait()  # commits only once the second one is waiting

    def first() -> None:
        close(runs[0], "first")

    def second() -> None:
        first_closed.wait()
        close(runs[1], "second")

    _second_waits_for_the_first(engine, first, second, second_pid, release)

    assert [r.people for r in released["first"]] == [5]
    assert released["second"] == []  # f alone is held: a, b, c, d went with e
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Response)).one() == 5
        left = session.exec(select(HeldAnswer.respondent)).all()
    assert left == [f"anon:{runs[1].id}:f"]
