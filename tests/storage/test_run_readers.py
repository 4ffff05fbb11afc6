"""The readers of one poll run: by slot, by id (a copy), its state, its frozen questions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage import db, polls
from tests.factories import NOW, TEAM, make_run

FROZEN = {"title": "Pulse", "questions": []}


def test_a_run_is_found_by_its_slot_and_by_its_id(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        run = make_run(session, frozen=FROZEN, anonymous=True, content_hash="h1")
        run_id = run.id or 0
    with db.session_scope(engine, write=False) as session:
        by_slot = polls.run_by_slot(
            session, team_id=TEAM, survey_id="weekly-debt-pulse", scheduled_for=NOW
        )
        assert by_slot is not None and by_slot.id == run_id
        other_slot = NOW + timedelta(days=7)
        assert (
            polls.run_by_slot(
                session, team_id=TEAM, survey_id="weekly-debt-pulse", scheduled_for=other_slot
            )
            is None
        )
        copy = polls.run_by_id(session, run_id=run_id, team_id=TEAM)
        assert copy is not None
        assert (copy.id, copy.team_id, copy.status, copy.frozen) == (run_id, TEAM, "open", FROZEN)
        assert copy not in session  # a copy: the session does not track it
        assert polls.run_by_id(session, run_id=run_id) is not None
        assert polls.run_by_id(session, run_id=run_id, team_id="T0OTHER") is None
        assert polls.run_by_id(session, run_id=run_id + 1) is None


def test_the_state_of_a_run_leaves_its_questions_to_run_frozen(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        run_id = make_run(session, frozen=FROZEN, anonymous=True, content_hash="h1").id or 0
        polls.close_run(session, run_id=run_id, now=NOW)
    with db.session_scope(engine, write=False) as session:
        state = polls.run_state(session, run_id=run_id, team_id=TEAM)
        assert state is not None
        assert (state.id, state.team_id, state.status) == (run_id, TEAM, "closed")
        assert (state.anonymous, state.content_hash, state.closed_at) == (True, "h1", NOW)
        assert not hasattr(state, "frozen")
        assert polls.run_frozen(session, run_id=run_id) == FROZEN
        assert polls.run_state(session, run_id=run_id, team_id="T0OTHER") is None
        assert polls.run_state(session, run_id=run_id + 1) is None
