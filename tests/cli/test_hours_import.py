"""`debtpulse responses import` of hours lost: the ``value`` is the number of hours of an
offered range, stored as it is; any other number is refused with its line, not rounded.
Anonymous hours are held until a group of at least the minimum releases them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.hours import WeekHours, weekly_hours
from storage.models import DebtItem, HeldAnswer, Response
from tests.conftest import CliResult

REGISTER = "key,title\nDEBT-1,Flaky data ingestion\nDEBT-2,No schema validation\n"
HEADER = "survey_id,run_date,respondent,question_id,debt_key,value,text\n"
NAMED_HOURS = """\
id: team-hours
title: Team hours
schedule: {cron: "0 14 * * THU", timezone: UTC}
anonymous: false
open_for: 48h
questions:
  - id: hours
    type: hours
    prompt: "How many hours did *{{ item.title }}* cost you this week?"
    for_each: {debt_items: {status: open}}
"""
LIBRARY = Path(__file__).parents[2] / "surveys" / "library"


@pytest.fixture
def registered(cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "team-hours.yaml").write_text(NAMED_HOURS, encoding="utf-8")
    library = (LIBRARY / "weekly-hours-lost.yaml").read_text(encoding="utf-8")
    (folder / "weekly-hours-lost.yaml").write_text(library, encoding="utf-8")
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(folder))
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret-for-tests")
    path = tmp_path / "reg.csv"
    path.write_text(REGISTER)
    assert cli("debt", "import", str(path)).code == 0
    return cli_db


def _import(cli: Callable[..., CliResult], tmp_path: Path, *rows: str) -> CliResult:
    path = tmp_path / "answers.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return cli("responses", "import", str(path))


def _hours(engine: Engine) -> list[tuple[str, str, float | None]]:
    with Session(engine) as session:
        keys = {item.id: item.key for item in session.exec(select(DebtItem))}
        rows = session.exec(select(Response).order_by(col(Response.id)))
        return [(keys[r.debt_item_id], r.respondent, r.value) for r in rows if r.debt_item_id]


def test_named_hours_are_stored_as_the_hours_given(cli, registered: Engine, tmp_path: Path) -> None:
    result = _import(
        cli,
        tmp_path,
        "team-hours,2026-11-12,ann@example.com,hours,DEBT-1,0.5,",
        "team-hours,2026-11-12,ann@example.com,hours,debt-2,20,",
        "team-hours,2026-11-12,bo@example.com,hours,DEBT-1,0,",
        "team-hours,2026-11-19,bo@example.com,hours,DEBT-1,12.0,",
    )
    assert result.code == 0, result
    assert "4 answers stored from 3 respondents, 2 runs created" in result.out
    assert sorted(_hours(registered)) == [
        ("DEBT-1", "ann@example.com", 0.5),
        ("DEBT-1", "bo@example.com", 0.0),
        ("DEBT-1", "bo@example.com", 12.0),
        ("DEBT-2", "ann@example.com", 20.0),
    ]
    with Session(registered) as session:
        item = session.exec(select(DebtItem).where(DebtItem.key == "DEBT-1")).one()
        assert item.team_id and item.id
        weeks = weekly_hours(
            session,
            item.team_id,
            item.id,
            since=date(2026, 11, 1),
            until=date(2026, 12, 1),
            min_group=5,
        )
    assert weeks == [
        WeekHours(date(2026, 11, 9), 2, 0.5, 0.25),
        WeekHours(date(2026, 11, 16), 1, 12.0, 12.0),
    ]


def test_hours_not_offered_are_refused_by_line_and_nothing_is_stored(
    cli, registered: Engine, tmp_path: Path
) -> None:
    result = _import(
        cli,
        tmp_path,
        "team-hours,2026-11-12,ann@example.com,hours,DEBT-1,3,",
        "team-hours,2026-11-12,bo@example.com,hours,DEBT-1,2,",
        "team-hours,2026-11-12,cy@example.com,hours,DEBT-1,,",
        "team-hours,2026-11-12,di@example.com,hours,DEBT-1,6,a lot",
        "team-hours,2026-11-12,ed@example.com,hours,,6,",
    )
    assert result.code == 1
    offered = "is not one of the hours offered (0, 0.5, 1.5, 3, 6, 12, 20)"
    for problem in (
        f"line 3: value: 2 {offered}",
        "line 4: value: a number is required",
        "line 5: text: question hours takes a value, not text",
        "line 6: debt_key: question hours is about a debt item",
    ):
        assert problem in result.err
    assert "line 2" not in result.err
    assert "Traceback" not in result.out + result.err
    assert _hours(registered) == []


def test_anonymous_hours_of_too_few_people_stay_held(
    cli, registered: Engine, tmp_path: Path
) -> None:
    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    rows = [
        f"weekly-hours-lost,{monday},{person}@example.com,hours,DEBT-1,6,"
        for person in ("ann", "bo", "cy", "di")
    ]
    result = _import(cli, tmp_path, *rows)
    assert result.code == 0, result
    assert (
        "4 anonymous answers held until at least 5 people have answered the same question"
        " about the same item"
    ) in result.out
    assert _hours(registered) == []
    with Session(registered) as session:
        held = session.exec(select(HeldAnswer)).all()
    assert [(h.question_id, h.value) for h in held] == [("hours", 6.0)] * 4
    assert not any("example.com" in h.respondent for h in held)
