"""Every constraint of the data model is enforced by the database itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, func, select

from storage import audit, polls, responses, signals, snapshots
from storage.models import (
    Assessment,
    AuditEvent,
    DebtItem,
    PollDelivery,
    PollRun,
    PrioritySnapshot,
    Response,
    Signal,
    Survey,
)
from tests.factories import NOW, TEAM, make_item, make_run


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_debt_item_key_is_unique_per_team(session: Session) -> None:
    make_item(session, "DEBT-1")
    make_item(session, "DEBT-1", team_id="T0002")  # another workspace may reuse the key
    session.commit()
    session.add(DebtItem(team_id=TEAM, key="DEBT-1", title="again"))
    with pytest.raises(IntegrityError):
        session.commit()


@pytest.mark.parametrize(
    ("column", "value"),
    [("category", "misc"), ("status", "closed"), ("title", ""), ("key", "")],
)
def test_debt_item_check_constraints(session: Session, column: str, value: str) -> None:
    item = DebtItem(team_id=TEAM, key="DEBT-9", title="t")
    setattr(item, column, value)
    session.add(item)
    with pytest.raises(IntegrityError):
        session.commit()


@pytest.mark.parametrize("field", ["impact", "likelihood", "detectability"])
@pytest.mark.parametrize("value", [0, 6])
def test_assessment_scores_are_one_to_five(session: Session, field: str, value: int) -> None:
    item = make_item(session)
    scores = {"impact": 3, "likelihood": 3, "detectability": 3, field: value}
    session.add(Assessment(team_id=TEAM, debt_item_id=item.id, assessed_by="U1", **scores))
    with pytest.raises(IntegrityError):
        session.commit()


def test_assessment_needs_an_existing_item(session: Session) -> None:
    session.add(
        Assessment(
            team_id=TEAM, debt_item_id=999, impact=1, likelihood=1, detectability=1, assessed_by="U"
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_survey_id_is_unique_per_team(session: Session) -> None:
    session.add(Survey(team_id=TEAM, survey_id="weekly-debt-pulse", content_hash="a"))
    session.commit()
    session.add(Survey(team_id=TEAM, survey_id="weekly-debt-pulse", content_hash="b"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_poll_slot_fires_once(session: Session) -> None:
    first, created = polls.claim_run(
        session, team_id=TEAM, survey_id="weekly-debt-pulse", scheduled_for=NOW
    )
    again, created_again = polls.claim_run(
        session, team_id=TEAM, survey_id="weekly-debt-pulse", scheduled_for=NOW
    )
    session.commit()
    assert created and not created_again
    assert again.id == first.id
    assert _count(session, PollRun) == 1
    # the database itself refuses a second row for the slot, whatever the code path
    session.add(PollRun(team_id=TEAM, survey_id="weekly-debt-pulse", scheduled_for=NOW))
    with pytest.raises(IntegrityError):
        session.commit()


def test_other_slots_and_teams_are_separate_runs(session: Session) -> None:
    make_run(session)
    make_run(session, scheduled_for=NOW + timedelta(days=7))
    make_run(session, team_id="T0002")
    session.commit()
    assert _count(session, PollRun) == 3


def test_a_delivery_is_planned_once_per_recipient(session: Session) -> None:
    run = make_run(session)
    assert polls.plan_delivery(session, run=run, recipient="U1")
    assert not polls.plan_delivery(session, run=run, recipient="U1")
    assert polls.plan_delivery(session, run=run, recipient="U2")
    session.commit()
    assert _count(session, PollDelivery) == 2
    session.add(PollDelivery(team_id=TEAM, poll_run_id=run.id, recipient="U1"))
    with pytest.raises(IntegrityError):
        session.commit()


def _answer(session: Session, run_id: int, item_id: int | None, value: float, at_offset: int = 0):
    responses.upsert_response(
        session,
        team_id=TEAM,
        poll_run_id=run_id,
        question_id="pain" if item_id else "note",
        debt_item_id=item_id,
        respondent="anon:abc",
        value=value,
        text_value=None,
        at=NOW + timedelta(minutes=at_offset),
    )


def test_re_answering_replaces_the_answer(session: Session) -> None:
    item, run = make_item(session), make_run(session)
    assert item.id and run.id
    _answer(session, run.id, item.id, 2)
    _answer(session, run.id, item.id, 5, at_offset=3)
    session.commit()
    rows = session.exec(select(Response)).all()
    assert [(r.value, r.answered_at, r.updated_at) for r in rows] == [
        (5, NOW, NOW + timedelta(minutes=3))
    ]


def test_re_answering_a_question_not_about_an_item_replaces_too(session: Session) -> None:
    run = make_run(session)
    assert run.id
    _answer(session, run.id, None, 1)
    _answer(session, run.id, None, 4)
    session.commit()
    assert [r.value for r in session.exec(select(Response))] == [4]
    # and the database refuses a plain duplicate insert of such an answer
    session.add(
        Response(team_id=TEAM, poll_run_id=run.id, question_id="note", respondent="anon:abc")
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_answers_about_different_items_are_kept_apart(session: Session) -> None:
    one, two, run = make_item(session, "DEBT-1"), make_item(session, "DEBT-2"), make_run(session)
    assert one.id and two.id and run.id
    _answer(session, run.id, one.id, 2)
    _answer(session, run.id, two.id, 3)
    session.commit()
    assert _count(session, Response) == 2


def test_duplicate_response_row_is_refused_by_the_database(session: Session) -> None:
    item, run = make_item(session), make_run(session)
    row = {"team_id": TEAM, "poll_run_id": run.id, "question_id": "pain", "respondent": "x"}
    session.add(Response(debt_item_id=item.id, value=1, **row))
    session.commit()
    session.add(Response(debt_item_id=item.id, value=2, **row))
    with pytest.raises(IntegrityError):
        session.commit()


def test_signal_dedup_key_is_unique_per_team(session: Session) -> None:
    item = make_item(session)
    assert item.id
    kwargs = {
        "debt_item_id": item.id,
        "kind": "incident",
        "value": 1.0,
        "source": "pagerduty",
        "observed_at": NOW,
        "dedup_key": "PD-1",
        "received_at": NOW,
    }
    assert signals.add_signal(session, team_id=TEAM, **kwargs)
    assert not signals.add_signal(session, team_id=TEAM, **kwargs | {"value": 9.0})
    session.commit()
    assert [s.value for s in session.exec(select(Signal))] == [1.0]
    session.add(Signal(team_id=TEAM, **kwargs))
    with pytest.raises(IntegrityError):
        session.commit()


def test_signal_kind_is_checked(session: Session) -> None:
    item = make_item(session)
    session.add(
        Signal(team_id=TEAM, debt_item_id=item.id, kind="rumour", observed_at=NOW, dedup_key="k")
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_snapshot_is_taken_once_per_team_and_week(session: Session) -> None:
    item = make_item(session)
    row = {
        "debt_item_id": item.id,
        "rank": 1,
        "score": 42.0,
        "components": {"risk": 42.0},
        "n_respondents": 6,
        "suppressed": False,
    }
    week = NOW.date()
    kwargs = {"team_id": TEAM, "taken_for": week, "weights_version": "v1", "at": NOW}
    assert snapshots.write_snapshot(session, rows=[row], **kwargs) == 1
    assert snapshots.write_snapshot(session, rows=[row | {"score": 50.0}], **kwargs) == 0
    session.commit()
    assert [s.score for s in snapshots.snapshot(session, team_id=TEAM, taken_for=week)] == [42.0]
    session.add(PrioritySnapshot(team_id=TEAM, taken_for=week, weights_version="v1", **row))
    with pytest.raises(IntegrityError):
        session.commit()


def test_audit_events_cannot_be_changed_or_deleted(engine: Engine, session: Session) -> None:
    audit.record(session, team_id=TEAM, actor="U1", action="item.status", subject="DEBT-1", at=NOW)
    session.commit()
    for statement in ("UPDATE audit_event SET actor = 'U2'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.actor for e in session.exec(select(AuditEvent))] == ["U1"]


def test_deleting_an_item_takes_its_answers_and_signals_along(session: Session) -> None:
    item, run = make_item(session), make_run(session)
    assert item.id and run.id
    _answer(session, run.id, item.id, 3)
    session.commit()
    session.delete(session.get(DebtItem, item.id))
    session.commit()
    assert _count(session, Response) == 0
