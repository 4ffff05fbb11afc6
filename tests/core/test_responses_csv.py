"""parse_responses takes "today" from its caller: a run date after it is refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.catalog import load_catalog
from bot.core.problems import InputRejected
from bot.services.responses_csv import ResponsesSummary, parse_responses

HEADER = "survey_id,run_date,respondent,question_id,debt_key,value,text\n"
TODAY = date(2026, 11, 16)


def _parse(*rows: str) -> list[str]:
    text = HEADER + "".join(row + "\n" for row in rows)
    try:
        parsed = parse_responses(
            text, catalog=load_catalog(None), anon_secret_set=True, today=TODAY
        )
    except InputRejected as exc:
        return [str(p) for p in exc.problems]
    return [f"ok {row.run_date} {row.debt_key} {row.value}" for row in parsed]


def test_today_is_fine_tomorrow_is_not() -> None:
    assert _parse("weekly-debt-pulse,2026-11-16,a,pain,debt-1,3,") == ["ok 2026-11-16 DEBT-1 3.0"]
    assert _parse("weekly-debt-pulse,2026-11-17,a,pain,DEBT-1,3,") == [
        "line 2: run_date: 2026-11-17 is after today (2026-11-16)"
    ]


@pytest.mark.parametrize(("value", "ok"), [("4", True), ("4.0", True), ("4.5", False)])
def test_likert_takes_whole_points(value: str, ok: bool) -> None:
    result = _parse(f"weekly-debt-pulse,2026-11-16,a,pain,DEBT-1,{value},")
    if ok:
        assert result == ["ok 2026-11-16 DEBT-1 4.0"]
    else:
        assert result == ["line 2: value: expected a whole number from 1 to 5"]


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        ((1, 1, 1), "1 answer stored from 1 respondent, 1 run created"),
        ((2, 0, 2), "2 answers stored from 2 respondents, 0 runs created"),
    ],
)
def test_summary_counts_agree_with_their_nouns(counts: tuple[int, int, int], text: str) -> None:
    answers, runs, respondents = counts
    summary = ResponsesSummary(answers=answers, runs_created=runs, respondents=respondents)
    assert str(summary) == text
