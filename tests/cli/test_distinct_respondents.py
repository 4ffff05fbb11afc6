"""The anonymity threshold counts distinct people across anonymous runs, without linking
their answers: `item_respondent` holds a per-person keyed hash and a day, nothing else."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import ItemRespondent, PollRun, Response
from storage.types import utcnow

REGISTER = "key,title\nDEBT-1,Flaky data ingestion\nDEBT-2,No schema validation\n"
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


def test_people_are_counted_across_anonymous_runs(cli, imported: Engine) -> None:
    rows = {row["key"]: row for row in json.loads(cli("top", "--json").out)}
    # two people a run never reach the threshold of 5 in one run; six different people do
    assert rows["DEBT-1"]["suppressed"] is False
    assert rows["DEBT-1"]["n_respondents"] == 6
    # the same three people, week after week, stay three: 9 answers are not 9 people
    assert rows["DEBT-2"]["suppressed"] is True
    assert rows["DEBT-2"]["n_respondents"] is None
    why = cli("why", "DEBT-1")
    assert "from 6 respondents" in why.out, why
    assert "fewer than 5" in cli("why", "DEBT-2").out


def test_counting_people_links_no_answer_to_anyone(imported: Engine) -> None:
    with Session(imported) as session:
        people = session.exec(select(ItemRespondent)).all()
        answers = session.exec(select(Response)).all()
    assert len(people) == 9  # (person, item) pairs, whatever the number of runs
    assert all(p.person.startswith("person:") for p in people)
    assert {p.last_day for p in people} <= {date.fromisoformat(_weeks_ago(w)) for w in (1, 2, 3)}
    # the stable person key is never an answer's key, and neither table holds a raw id
    assert not {p.person for p in people} & {a.respondent for a in answers}
    assert not any(
        "example.com" in p.person or "example.com" in a.respondent for p in people for a in answers
    )


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
        HEADER + f"weekly-debt-pulse,{_weeks_ago(1)},lone@example.com,pain,DEBT-2,5,\n"
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


def test_an_open_anonymous_run_moves_no_shown_number_until_it_closes(
    cli, imported: Engine, tmp_path: Path
) -> None:
    """`why` before and after a known person answers an open poll must not subtract to that
    person's answer: the run's answers enter the score when it closes, all at once."""
    before = json.loads(cli("why", "DEBT-1", "--json").out)
    today = utcnow().date().isoformat()
    answers = tmp_path / "alice.csv"
    answers.write_text(HEADER + f"weekly-debt-pulse,{today},alice@example.com,pain,DEBT-1,1,\n")
    assert cli("responses", "import", str(answers)).code == 0
    with Session(imported) as session:  # the run Alice answered is still open
        run = session.exec(select(PollRun).where(PollRun.scheduled_for >= _today_start())).one()
        run.status, run.closed_at = "open", None
        session.add(run)
        session.commit()
    during = json.loads(cli("why", "DEBT-1", "--json").out)
    assert during["components"] == before["components"]
    # "mean 4.00 … 90% interval 4.00–4.00": no trace of the 1. The count of people does
    # count Alice (who answered about what is kept apart from any run).
    assert _without_count(during["lines"]) == _without_count(before["lines"])
    shown = json.dumps(during, ensure_ascii=False)
    assert "mean 4.00 from 7 respondents, 90% interval 4.00–4.00" in shown

    with Session(imported) as session:
        run = session.exec(select(PollRun).where(PollRun.scheduled_for >= _today_start())).one()
        run.status, run.closed_at = "closed", utcnow()
        session.add(run)
        session.commit()
    after = json.loads(cli("why", "DEBT-1", "--json").out)
    assert after["components"]["pain"] < before["components"]["pain"]


def _without_count(lines: list[dict]) -> list[dict]:
    return [line | {"detail": re.sub(r"from \d+ ", "from N ", line["detail"])} for line in lines]


def _today_start() -> datetime:
    return datetime.combine(utcnow().date(), time(), tzinfo=UTC)
