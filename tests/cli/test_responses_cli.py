"""`debtpulse responses import` and `surveys check` through the real entry point."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from storage.models import DebtItem, HeldAnswer, Participation, PollRun, Response

REGISTER = "key,title\nDEBT-1,Flaky data ingestion\nDEBT-2,No schema validation\n"
HEADER = "survey_id,run_date,respondent,question_id,debt_key,value,text\n"
GOOD = HEADER + (
    "weekly-debt-pulse,2026-11-16,alice@example.com,pain,DEBT-1,4,\n"
    "weekly-debt-pulse,2026-11-16,alice@example.com,pain,DEBT-2,2,\n"
    "weekly-debt-pulse,2026-11-16,bob@example.com,pain,DEBT-1,5,\n"
    "weekly-debt-pulse,2026-11-16,bob@example.com,worst,DEBT-1,,\n"
    'weekly-debt-pulse,2026-11-16,bob@example.com,note,,,"Ingestion broke twice, again"\n'
    "weekly-debt-pulse,2026-11-09,alice@example.com,pain,DEBT-1,3,\n"
)


@pytest.fixture
def registered(cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret-for-tests")
    path = tmp_path / "reg.csv"
    path.write_text(REGISTER)
    assert cli("debt", "import", str(path)).code == 0
    return cli_db


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answers.csv"
    path.write_text(text)
    return str(path)


def test_import_holds_anonymous_answers_under_keys(cli, registered: Engine, tmp_path: Path) -> None:
    result = cli("responses", "import", _write(tmp_path, GOOD))
    assert result.code == 0, result
    # three people: no question about an item reaches a group of 5, so all are held
    assert (
        "6 answers stored from 3 respondents, 2 runs created; 6 anonymous answers held until"
        " at least 5 people have answered the same question about the same item"
    ) in result.out
    with Session(registered) as session:
        runs = session.exec(select(PollRun).order_by(col(PollRun.scheduled_for))).all()
        assert [(r.survey_id, r.scheduled_for.date().isoformat(), r.status) for r in runs] == [
            ("weekly-debt-pulse", "2026-11-09", "closed"),
            ("weekly-debt-pulse", "2026-11-16", "closed"),
        ]
        assert session.exec(select(Response)).all() == []  # nothing shown, counted or exported
        rows = session.exec(select(HeldAnswer)).all()
        assert len(rows) == 6
        # the weekly pulse is anonymous: no raw respondent next to an answer, only its day
        assert all(r.respondent.startswith("anon:") for r in rows)
        assert all(r.person.startswith("person:") for r in rows)
        assert not any("example.com" in r.respondent + r.person for r in rows)
        worst = next(r for r in rows if r.question_id == "worst")
        assert (worst.debt_item_id, worst.text) == (None, "DEBT-1")
        note = next(r for r in rows if r.question_id == "note")
        assert note.text == "Ingestion broke twice, again"
        # one respondent, one run: one key; across runs the keys differ
        alice = {r.respondent for r in rows if r.question_id == "pain" and r.value in (4, 2)}
        assert len(alice) == 1
        older = next(r for r in rows if r.value == 3)
        assert older.respondent not in alice
        taken = session.exec(select(Participation)).all()
        assert len(taken) == 3
        assert {t.user_id for t in taken} <= {r.respondent for r in rows}  # keys, no emails


def test_re_import_of_an_anonymous_run_is_refused(cli, registered: Engine, tmp_path: Path) -> None:
    cli("responses", "import", _write(tmp_path, GOOD))
    changed = HEADER + "weekly-debt-pulse,2026-11-16,alice@example.com,pain,DEBT-1,1,\n"
    result = cli("responses", "import", _write(tmp_path, changed))
    assert result.code == 1
    assert (
        "line 2: run_date: weekly-debt-pulse is anonymous and its run of 2026-11-16 has answers"
        " already: anonymous answers are released in groups and keep no key, so they cannot be"
        " replaced or added to (import each anonymous run once, in one file)"
    ) in result.err
    with Session(registered) as session:
        assert session.exec(select(func.count()).select_from(HeldAnswer)).one() == 6
        values = sorted(r.value for r in session.exec(select(HeldAnswer)) if r.value is not None)
    assert values == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("nope,2026-11-16,a,pain,DEBT-1,3,", "line 8: survey_id: no survey 'nope'"),
        ("weekly-debt-pulse,16/11/2026,a,pain,DEBT-1,3,", "line 8: run_date: expected YYYY-MM-DD"),
        ("weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,7,", "line 8: value: 7 is outside the scale"),
        ("weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,lots,", "line 8: value: not a number"),
        ("weekly-debt-pulse,2026-11-16,a,pain,,3,", "line 8: debt_key: question pain is about"),
        ("weekly-debt-pulse,2026-11-16,a,pain,DEBT-9,3,", "line 8: debt_key: no debt item DEBT-9"),
        ("weekly-debt-pulse,2026-11-16,a,mood,,3,", "line 8: question_id: weekly-debt-pulse has"),
        ("weekly-debt-pulse,2026-11-16,,pain,DEBT-1,3,", "line 8: respondent: required"),
        ("weekly-debt-pulse,2026-11-16,a,note,,," + "x" * 501, "line 8: text: 501 characters"),
        (
            "weekly-debt-pulse,2026-11-16,a,note,DEBT-1,,hi",
            "line 8: debt_key: question note is not",
        ),
        # a run in the future would become the newest run in the digest
        (
            "weekly-debt-pulse,2099-11-02,c,pain,DEBT-2,3,",
            "line 8: run_date: 2099-11-02 is after today (",
        ),
        # only the points of the scale
        (
            "weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,4.5,",
            "line 8: value: expected a whole number from 1 to 5",
        ),
        ("weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,6.5,", "line 8: value: 6.5 is outside"),
        # the same answer twice: only one could be stored (keys match in any case)
        (
            "weekly-debt-pulse,2026-11-16,bob@example.com,pain,debt-1,2,",
            "line 8: respondent: bob@example.com's answer to pain about DEBT-1 on 2026-11-16"
            " is already on line 4",
        ),
        (
            "weekly-debt-pulse,2026-11-16,bob@example.com,worst,DEBT-2,,",
            "line 8: respondent: bob@example.com's answer to worst on 2026-11-16"
            " is already on line 5",
        ),
        # a cell the question does not take
        ("weekly-debt-pulse,2026-11-16,a,note,,3,hi", "line 8: value: question note takes text"),
        (
            "weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,3,awful",
            "line 8: text: question pain takes a value, not text",
        ),
        (
            "weekly-debt-pulse,2026-11-16,a,worst,DEBT-1,3,",
            "line 8: value: question worst takes its answer in debt_key only",
        ),
        (
            "weekly-debt-pulse,2026-11-16,a,worst,DEBT-1,,DEBT-2",
            "line 8: text: question worst takes its answer in debt_key only",
        ),
        (
            "monthly-category-check,2026-11-16,a,focus,,both,operational",
            "line 8: text: question focus takes its option in value only",
        ),
        # malformed CSV
        ("weekly-debt-pulse,2026-11-16,a", "line 8: row: expected 7 cells, found 3"),
        (
            "weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,3,,x,y",
            "line 8: row: expected 7 cells, found 9",
        ),
        (
            'weekly-debt-pulse,2026-11-16,a,note,,,"unterminated',
            'line 8: row: a quoted cell is never closed (a " is missing)',
        ),
        (
            "weekly-debt-pulse,2026-11-16,a,note,,," + "x" * 200_000,
            "line 8: row: a cell is longer than 131072 characters",
        ),
    ],
)
def test_a_bad_row_rejects_the_file(
    cli, registered: Engine, tmp_path: Path, row: str, expected: str
) -> None:
    result = cli("responses", "import", _write(tmp_path, GOOD + row + "\n"))
    assert result.code == 1
    assert expected in result.err
    assert "Traceback" not in result.err
    assert "nothing was changed" in result.err
    with Session(registered) as session:
        assert session.exec(select(func.count()).select_from(Response)).one() == 0
        assert session.exec(select(func.count()).select_from(PollRun)).one() == 0


def test_one_answer_is_counted_in_the_singular(cli, registered: Engine, tmp_path: Path) -> None:
    one = HEADER + "weekly-debt-pulse,2026-11-16,c,pain,DEBT-2,3,\n"
    result = cli("responses", "import", _write(tmp_path, one))
    assert result.code == 0, result
    assert result.out.endswith(
        ": 1 answer stored from 1 respondent, 1 run created; 1 anonymous answer held until at"
        " least 5 people have answered the same question about the same item\n"
    )


def test_debt_keys_match_in_any_case(cli, registered: Engine, tmp_path: Path) -> None:
    text = HEADER + (
        "weekly-debt-pulse,2026-11-16,c,pain,debt-2,3,\n"
        "weekly-debt-pulse,2026-11-16,c,worst,Debt-1,,\n"
    )
    result = cli("responses", "import", _write(tmp_path, text))
    assert result.code == 0, result
    assert "2 answers stored from 1 respondent, 1 run created" in result.out
    with Session(registered) as session:
        item = session.exec(select(DebtItem).where(DebtItem.key == "DEBT-2")).one()
        rows = {r.question_id: r for r in session.exec(select(HeldAnswer))}
    assert (rows["pain"].debt_item_id, rows["pain"].value) == (item.id, 3)
    assert rows["worst"].text == "DEBT-1"


def test_todays_run_date_is_accepted(cli, registered: Engine, tmp_path: Path) -> None:
    today = date.today().isoformat()
    result = cli(
        "responses",
        "import",
        _write(tmp_path, HEADER + f"weekly-debt-pulse,{today},c,pain,DEBT-2,3,\n"),
    )
    assert result.code == 0, result


def test_anonymous_survey_needs_the_secret(
    cli, registered: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEBTPULSE_ANON_SECRET")
    result = cli("responses", "import", _write(tmp_path, GOOD))
    assert result.code == 1
    assert (
        "line 2: survey_id: weekly-debt-pulse is anonymous: set DEBTPULSE_ANON_SECRET" in result.err
    )


def test_surveys_check_lists_every_problem(cli, tmp_path: Path) -> None:
    ok = cli("surveys", "check")
    assert ok.code == 0, ok
    for survey_id in (
        "weekly-debt-pulse",
        "monthly-category-check",
        "post-incident",
        "quarterly-fix-next",
        "weekly-digest",
    ):
        assert survey_id in ok.out
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "broken.yaml").write_text(
        "id: broken\n"
        "title: Broken\n"
        "schedule: {cron: '0 10 * * MON', timezone: Europe/Atlantis}\n"
        "open_for: 2d\n"
        "questions:\n"
        "  - id: pain\n"
        "    type: likert\n"
        "    prompt: 'How bad is {{ item.title }'\n"
        "    for_each: {debt_items: {status: open}}\n"
    )
    bad = cli("surveys", "check", str(folder))
    assert bad.code == 1
    assert f"{folder / 'broken.yaml'}:3: schedule.timezone: unknown time zone" in bad.err
    assert f"{folder / 'broken.yaml'}:8: questions.0.prompt:" in bad.err
    assert "2 problems" in bad.err
