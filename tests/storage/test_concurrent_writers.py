"""Several web threads writing at once, each on its own connection: on PostgreSQL nothing
may deadlock or duplicate, and on SQLite the writers queue. Real threads, real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.core.poll_answers import GivenAnswer, record_answers
from bot.core.polls import FrozenItem, freeze, sample_items
from storage import db
from storage.models import PainSum, Participation, PollRun, Response
from surveys import Survey, builtin_dir, load_directory
from tests.factories import make_item, make_run

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
