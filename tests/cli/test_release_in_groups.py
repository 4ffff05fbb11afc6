"""Anonymous answers are released in groups of at least MIN_GROUP distinct people, pooled
across runs while held; a released answer keeps no key (`debtpulse responses import`)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.models import AnswerRelease, HeldAnswer, Participation, PollRun, Response
from storage.types import utcnow

REGISTER = (
    "key,title,category\n"
    "DEBT-1,Flaky data ingestion,experimentation\n"
    "DEBT-2,No schema validation,operational\n"
)
HEADER = "survey_id,run_date,respondent,question_id,debt_key,value,text\n"


def _weeks_ago(weeks: int) -> str:
    today = utcnow().date()
    return (today - timedelta(days=today.weekday(), weeks=weeks)).isoformat()


def _csv() -> str:
    """Three weekly anonymous runs: DEBT-1 answered by two new people each week (6 people),
    DEBT-2 by the same three people each week (3 people, 9 answers)."""
    rows = []
    for week in (1, 2, 3):
        day = _weeks_ago(week)
        for person in (f"new{week}a@example.com", f"new{week}b@example.com"):
            rows.append(f"weekly-debt-pulse,{day},{person},pain,DEBT-1,4,")
        for person in ("ann@example.com", "bo@example.com", "cy@example.com"):
            rows.append(f"weekly-debt-pulse,{day},{person},pain,DEBT-2,5,")
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def imported(cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret-for-tests")
    register = tmp_path / "reg.csv"
    register.write_text(REGISTER)
    assert cli("debt", "import", str(register)).code == 0
    answers = tmp_path / "answers.csv"
    answers.write_text(_csv())
    result = cli("responses", "import", str(answers))
    assert result.code == 0, result
    return cli_db


def test_held_answers_pool_across_runs_until_a_group_releases_them(cli, imported: Engine) -> None:
    rows = {row["key"]: row for row in json.loads(cli("top", "--json").out)}
    # two new people a week: held in weeks 3 and 2, released with week 1's two as six people
    assert rows["DEBT-1"]["suppressed"] is False
    assert rows["DEBT-1"]["n_respondents"] == 6
    # the same three people, week after week, stay three: 9 answers are not 9 people
    assert rows["DEBT-2"]["suppressed"] is True
    assert rows["DEBT-2"]["n_respondents"] is None
    why = cli("why", "DEBT-1")
    assert "mean 4.00 from 6 respondents" in why.out, why
    assert "fewer than 5" in cli("why", "DEBT-2").out
    with Session(imported) as session:
        newest = session.exec(select(PollRun).order_by(col(PollRun.scheduled_for).desc())).first()
        released = session.exec(select(Response)).all()
        groups = session.exec(select(AnswerRelease)).all()
        kept = session.exec(select(HeldAnswer)).all()
    assert newest is not None
    # one group, all of it under the newest run and its day: no week's part can be read off
    assert [(g.poll_run_id, g.people, g.answers) for g in groups] == [(newest.id, 6, 6)]
    assert {(r.poll_run_id, r.answered_day) for r in released} == {
        (newest.id, newest.scheduled_for.date())
    }
    assert len(kept) == 9 and {h.value for h in kept} == {5.0}


def test_released_answers_keep_no_key_and_nothing_holds_a_respondent(imported: Engine) -> None:
    with Session(imported) as session:
        released = session.exec(select(Response)).all()
        kept = session.exec(select(HeldAnswer)).all()
        taken = session.exec(select(Participation)).all()
    assert len({r.respondent for r in released}) == len(released)  # random, one per answer
    assert not {r.respondent for r in released} & {h.respondent for h in kept}
    assert not {r.respondent for r in released} & {t.user_id for t in taken}
    # the stable person key is beside held answers only
    assert all(h.person.startswith("person:") for h in kept)
    dumped = json.dumps(
        [r.model_dump(mode="json") for r in [*released, *kept, *taken]], default=str
    )
    assert "example.com" not in dumped


def test_an_anonymous_run_is_imported_once(cli, imported: Engine, tmp_path: Path) -> None:
    with Session(imported) as session:
        before = len(session.exec(select(Response)).all())
    again = tmp_path / "again.csv"
    again.write_text(HEADER + f"weekly-debt-pulse,{_weeks_ago(1)},zed@example.com,pain,DEBT-1,1,\n")
    result = cli("responses", "import", str(again))
    assert result.code == 1
    assert (
        f"line 2: run_date: weekly-debt-pulse is anonymous and its run of {_weeks_ago(1)} has"
        " answers already" in result.err
    )
    with Session(imported) as session:
        assert len(session.exec(select(Response)).all()) == before
        assert session.exec(select(HeldAnswer).where(HeldAnswer.value == 1.0)).all() == []


def test_a_rotated_secret_never_adds_up_two_counts(
    cli, imported: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # after a rotation the same three people answer DEBT-2 in a new run, under new keys:
    # still three people, not six
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "a-new-secret-after-rotation")
    day = _weeks_ago(0)
    again = HEADER + "".join(
        f"weekly-debt-pulse,{day},{p}@example.com,pain,DEBT-2,5,\n" for p in ("ann", "bo", "cy")
    )
    answers = tmp_path / "again.csv"
    answers.write_text(again)
    assert cli("responses", "import", str(answers)).code == 0
    rows = {row["key"]: row for row in json.loads(cli("top", "--json").out)}
    assert rows["DEBT-2"]["suppressed"] is True


def test_a_lone_answer_never_shows_through_the_team_mean(
    cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One person rates DEBT-2 a 5: its Pain must not read "the team's mean 5.00"."""
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret-for-tests")
    register = tmp_path / "reg.csv"
    register.write_text(REGISTER)
    assert cli("debt", "import", str(register)).code == 0
    answers = tmp_path / "answers.csv"
    answers.write_text(
        HEADER + f"weekly-debt-pulse,{_weeks_ago(2)},lone@example.com,pain,DEBT-2,5,\n"
    )
    assert cli("responses", "import", str(answers)).code == 0
    why = cli("why", "DEBT-2")
    assert "no item has that many yet: the default 1.00 is used" in why.out
    assert "5.00" not in why.out
    shown = json.loads(cli("why", "DEBT-2", "--json").out)
    assert shown["components"]["pain"] == 0.0

    # Five people rate DEBT-1 a 2: the team's mean is theirs, without the lone 5.
    rows = [
        f"weekly-debt-pulse,{_weeks_ago(1)},p{n}@example.com,pain,DEBT-1,2,\n" for n in range(5)
    ]
    answers.write_text(HEADER + "".join(rows))
    assert cli("responses", "import", str(answers)).code == 0
    assert "the team's mean 2.00 is used" in cli("why", "DEBT-2").out
    assert "toward the team's 2.00" in cli("why", "DEBT-1").out


def test_filters_read_the_one_team_prior(cli, imported: Engine) -> None:
    """`top --category operational` holds only DEBT-2, whose answers are held: its Pain is
    still the whole team's mean (DEBT-1's 4.00), never a mean over the filtered subset that
    another view could be subtracted from."""
    whole = {row["key"]: row for row in json.loads(cli("top", "--json").out)}
    only = json.loads(cli("top", "--category", "operational", "--json").out)
    assert [row["key"] for row in only] == ["DEBT-2"]
    assert only[0]["components"] == whole["DEBT-2"]["components"]
    assert "the team's mean 4.00 is used" in cli("why", "DEBT-2").out
