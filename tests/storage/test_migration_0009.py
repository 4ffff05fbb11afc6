"""Migration 0009 carries what an earlier debtpulse stored into release in groups.

Open anonymous runs: their answers become held (they were visible live before). Closed
anonymous runs: each (run, question, item) becomes a recorded group of its distinct
respondents, their keys random; a group under the minimum group is never read. Anonymous
participation is keyed by the per-run key (so reminders still skip who answered), and the
stable per-person table `item_respondent` is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text

from bot.core.anonymity import respondent_key
from storage import db
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema

SECRET = "migration-secret"
DAY = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0008(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(engine, "0008")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    with postgres_schema("debtpulse_0009") as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine, "0008")
        yield engine
        engine.dispose()


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO debt_item (id, team_id, key, title, description, category, component,"
                " owner, status, effort, risk_flags, problem, affected_metrics, remediation,"
                " expected_impact, success_criterion, created_at, updated_at) VALUES"
                " (1, 'T1', 'DEBT-1', 'Item', '', 'operational', '', '', 'open', '', '[]', '',"
                " '', '', '', '', :at, :at)"
            ),
            {"at": DAY},
        )
        for run_id, status in ((1, "closed"), (2, "open")):
            conn.execute(
                text(
                    "INSERT INTO poll_run (id, team_id, survey_id, scheduled_for, opened_at,"
                    " status, anonymous, content_hash, frozen, source) VALUES"
                    " (:id, 'T1', 'pulse', :at, :at, :status, :yes, '', '{}', 'schedule')"
                ),
                {
                    "id": run_id,
                    "at": DAY.replace(day=9 + 7 * (run_id - 1)),
                    "status": status,
                    "yes": True,
                },
            )
        people = {1: [f"U{n}" for n in range(6)], 2: ["U0", "U1"]}
        for run_id, users in people.items():
            for n, user in enumerate(users):
                key = respondent_key(secret=SECRET, run_id=run_id, user_id=user)
                conn.execute(
                    text(
                        "INSERT INTO response (team_id, poll_run_id, question_id, debt_item_id,"
                        " respondent, value, answered_at, answered_day, updated_at) VALUES"
                        " ('T1', :run, 'pain', 1, :key, :value, :at, :day, :at)"
                    ),
                    {"run": run_id, "key": key, "value": 1 + n % 5, "at": DAY, "day": DAY.date()},
                )
                conn.execute(
                    text(
                        "INSERT INTO participation (team_id, poll_run_id, user_id, answered_on)"
                        " VALUES ('T1', :run, :user, :day)"
                    ),
                    {"run": run_id, "user": user, "day": DAY.date()},
                )
        conn.execute(
            text(
                "INSERT INTO item_respondent (team_id, debt_item_id, key_id, person, last_day)"
                " VALUES ('T1', 1, 'k', 'person:x', :day)"
            ),
            {"day": DAY.date()},
        )


def test_0009_holds_open_answers_records_groups_and_keys_participation(at_0008: Engine) -> None:
    _seed(at_0008)
    db.upgrade(at_0008, anon_secret=SECRET)
    assert "item_respondent" not in inspect(at_0008).get_table_names()
    with at_0008.connect() as conn:
        released = conn.execute(text("SELECT poll_run_id, respondent FROM response")).all()
        kept = conn.execute(text("SELECT poll_run_id, value FROM held_answer")).all()
        key_ids = conn.execute(text("SELECT DISTINCT key_id FROM held_answer")).scalars().all()
        groups = conn.execute(
            text(
                "SELECT poll_run_id, question_id, debt_item_id, people, answers FROM answer_release"
            )
        ).all()
        taken = conn.execute(text("SELECT poll_run_id, user_id FROM participation")).all()
    # the open run's two answers are held now; the closed run's six stay released
    assert sorted(kept) == [(2, 1.0), (2, 2.0)]
    assert key_ids == ["legacy:2"]  # people counted per run: no one counted twice
    assert [run for run, _ in released] == [1] * 6
    assert groups == [(1, "pain", 1, 6, 6)]
    # keys: no old per-run key survives beside a released answer; participation is keyed
    old_keys = {respondent_key(secret=SECRET, run_id=1, user_id=f"U{n}") for n in range(6)}
    assert not old_keys & {key for _, key in released}
    assert len({key for _, key in released}) == 6
    assert {(run, user) for run, user in taken} == {
        (run, respondent_key(secret=SECRET, run_id=run, user_id=user))
        for run, users in {1: [f"U{n}" for n in range(6)], 2: ["U0", "U1"]}.items()
        for user in users
    }


def test_0009_without_the_secret_keys_participation_at_random(at_0008: Engine) -> None:
    _seed(at_0008)
    db.upgrade(at_0008)
    with at_0008.connect() as conn:
        taken = conn.execute(text("SELECT poll_run_id, user_id FROM participation")).all()
    assert len(taken) == 8
    assert all(user.startswith("anon:") for _, user in taken)
    assert not any(user.startswith("U") for _, user in taken)
