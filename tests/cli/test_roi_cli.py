"""`debtpulse roi`: the return on a fix in the terminal, as text and as the JSON contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from tests.factories import TEAM
from tests.services.test_roi import FIX_WEEK, START, WEEKS, _team

TODAY = datetime.combine(START + timedelta(weeks=WEEKS, days=2), datetime.min.time(), UTC)


@pytest.fixture
def fixed(cli_db, monkeypatch: pytest.MonkeyPatch):
    with Session(cli_db) as session:
        _team(session)
    monkeypatch.setattr("bot.cli.roi_cmds.utcnow", lambda: TODAY)
    return cli_db


def test_roi_json_is_the_documented_contract(fixed, cli) -> None:
    result = cli("roi", "DEBT-1", "--json", "--team", TEAM)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["key"] == "DEBT-1"
    assert report["resolved_on"] == (START + timedelta(weeks=FIX_WEEK, days=2)).isoformat()
    assert report["cost"] == {"effort_days": 3.0, "hours": 24.0, "money": None, "currency": None}
    pain = next(m for m in report["metrics"] if m["name"] == "pain")
    assert pain["scope"] == "DEBT-1" and pain["direction"] == "lower"
    assert pain["verdict"] == "improved" and pain["effect"]["method"] == "did"
    assert pain["effect"]["low"] <= pain["effect"]["estimate"] <= pain["effect"]["high"] < 0
    assert pain["pre"]["weeks"] >= 4 and pain["post"]["weeks"] >= 2
    assert report["hours_saved_per_week"] is None  # nobody reported hours lost
    assert report["payback_weeks"] is None
    assert isinstance(report["caveats"], list)


def test_roi_text_names_each_metric_and_its_interval(fixed, cli) -> None:
    result = cli("roi", "debt-1", "--team", TEAM)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("DEBT-1 Item DEBT-1: resolved ")
    assert "effort 3 days (24 h)" in lines[0]
    pain = next(line for line in lines if line.strip().startswith("pain (DEBT-1"))
    assert "90 %:" in pain and pain.endswith(": improved")
    assert any(line.strip().startswith("feature_cycle_time_hours (ingest") for line in lines)


def test_roi_since_lists_every_fix_with_totals(fixed, cli) -> None:
    result = cli("roi", "--since", START.isoformat(), "--json", "--team", TEAM)
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert [item["key"] for item in payload["items"]] == ["DEBT-1"]
    assert payload["totals"]["items"] == 1 and payload["totals"]["effort_days"] == 3.0
    text = cli("roi", "--since", START.isoformat(), "--team", TEAM)
    assert text.out.splitlines()[-1].startswith("Since 2026-03-02: 1 item(s) resolved, 3 days")
    later = (START + timedelta(weeks=WEEKS)).isoformat()
    assert cli("roi", "--since", later, "--team", TEAM).out == f"No item resolved since {later}.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a KEY or --since DATE"),
        (("DEBT-1", "--since", "2026-03-02"), "give a KEY or --since DATE"),
        (("--since", "2026-13-01"), "--since: expected a date as YYYY-MM-DD, got '2026-13-01'"),
        (("--since", "2027-01-01"), "--since: 2027-01-01 is after today"),
        (("DEBT-9",), "DEBT-9: no such debt item"),
        (("DEBT-2",), "DEBT-2 is open, not resolved"),
        (("--since", "2026-03-02", "--chart", "x.png"), "--chart: draws one item's report"),
    ],
)
def test_roi_refuses_bad_arguments_in_one_line(fixed, cli, args, message) -> None:
    result = cli("roi", *args, "--team", TEAM)
    assert result.code != 0
    assert message in result.err
    assert "Traceback" not in result.err + result.out


def test_roi_chart_is_written_as_png(fixed, cli, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "roi.png"
    result = cli("roi", "DEBT-1", "--chart", str(out), "--team", TEAM)
    assert result.code == 0, result.err
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert result.out.startswith("DEBT-1 ")  # the report is printed too
