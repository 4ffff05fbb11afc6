"""`/debt roi KEY` through the real Bolt app: what fixing an item returned, told to whoever
asks; unknown and unresolved items refused in words; anonymous answers below the minimum
group never shown, here as anywhere."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.core.weights_file import load_weights
from bot.services.responses_csv import parse_responses, store_responses
from storage import register
from storage.models import DebtItem
from tests.listeners.conftest import MEMBER, TEAM, Harness, InProcessDriver, ack_json, shown_text
from tests.roi_factories import at_ten, metric_points, monday, noisy, resolve, weekly_answers

BEFORE, AFTER = 10, 5  # weeks with answers before and after the fix


def _item(session: Session, key: str) -> DebtItem:
    item = register.get_item(session, team_id=TEAM, key=key)
    assert item is not None
    return item


def _weeks(harness: Harness) -> tuple[list, object]:
    """The first Monday of the answers, and the fix: a Wednesday six weeks ago."""
    this_week = monday(harness.runtime.clock().date())
    first = this_week - timedelta(weeks=BEFORE + AFTER + 1)
    fixed = at_ten(this_week - timedelta(weeks=AFTER + 1, days=-2))
    return first, fixed


@pytest.fixture
def hourly_cost(harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``roi: {hourly_cost: 95, currency: EUR}`` in weights.yaml, loaded as at start."""
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "weights.yaml").write_text(
        "roi: {hourly_cost: 95, currency: eur}\n", encoding="utf-8"
    )
    loaded = load_weights(folder, min_group=harness.runtime.settings.min_group)
    monkeypatch.setattr(harness.runtime, "roi", loaded.roi)


def test_the_return_on_a_fix_is_told_metric_by_metric(
    harness: Harness, member: InProcessDriver, hourly_cost: None
) -> None:
    key = harness.add_item("Flaky data ingestion", component="ingest")
    first, fixed = _weeks(harness)
    with harness.runtime.transaction() as session:
        item = _item(session, key)
        pain = [noisy(4.0, seed=n) for n in range(BEFORE)] + [None]
        pain += [noisy(1.8, seed=100 + n) for n in range(AFTER)]
        weekly_answers(session, item, first_week=first, weeks=pain, team_id=TEAM)
        hours = [noisy(3.0, seed=200 + n) for n in range(BEFORE)] + [None]
        hours += [noisy(1.0, seed=300 + n) for n in range(AFTER)]
        weekly_answers(session, item, first_week=first, weeks=hours, question="hours", team_id=TEAM)
        resolve(session, key, on=fixed, effort_days=3, team_id=TEAM)

    member.slash(text=f"roi {key.lower()}")  # not a lead: the figures obey the group rule
    said = harness.reply_to(MEMBER, f"Return on fixing {key}")
    assert f"resolved {fixed:%b %d, %Y}" in said
    assert "3 days of effort (24 h, 2,280 EUR)" in said
    pain_line = next(line for line in said.splitlines() if "*pain*" in line)
    assert pain_line.startswith(":white_check_mark: *pain* · " + key)
    assert "lower is better" in pain_line
    means = said.split("*pain*", 1)[1].splitlines()[1]
    assert "(10 weeks before, 5 after)" in means
    assert "trend before the fix extrapolated" in means and "*improved*" in means
    assert "effect -" in means and "(90 %: -" in means
    assert "*hours lost per person*" in said
    assert "*Hours saved a week:* " in said and " EUR a week" in said
    assert "*Payback:* " in said
    assert "Weeks with answers from fewer than 5 people count as not measured." in said


def test_a_refused_key_is_told_why(harness: Harness, member: InProcessDriver) -> None:
    key = harness.add_item("Manual model deployment")

    member.slash(text="roi DEBT-404")
    assert "DEBT-404: no such debt item" in harness.reply_to(MEMBER, "DEBT-404")
    member.slash(text=f"roi {key}")
    said = harness.reply_to(MEMBER, f"{key} is open")
    assert "not resolved: the return on a fix is measured once it is resolved" in said


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("roi", "KEY: missing — the resolved item to measure, like DEBT-12"),
        ("roi 12", "`12` is not a debt item key like DEBT-12"),
        ("roi DEBT-1 DEBT-2", "KEY: one key only, not several"),
    ],
)
def test_bad_input_gets_the_usage_at_once(
    harness: Harness, member: InProcessDriver, text: str, problem: str
) -> None:
    ack = ack_json(member.slash(text=text))
    shown = shown_text(ack.get("text", ""), ack.get("blocks", []))
    assert problem in shown and "/debt roi KEY" in shown
    (told,) = harness.told(MEMBER)  # the usage alone: no report follows it
    assert problem in told


def test_anonymous_answers_under_the_minimum_group_show_no_pain(
    harness: Harness, member: InProcessDriver
) -> None:
    """Three people answered the anonymous pulse every week: under the group of five, their
    answers are held, never released, so the report has no pain (but the posted metric)."""
    key = harness.add_item("Copy-paste training notebooks")
    first, fixed = _weeks(harness)
    rows = ["survey_id,run_date,respondent,question_id,debt_key,value,text"]
    for n in range(BEFORE + AFTER + 1):
        day = first + timedelta(weeks=n)
        level = 5 if n < BEFORE else 1
        rows += [f"anon-pulse,{day.isoformat()},U0ANON{p},pain,{key},{level}," for p in range(3)]
    runtime = harness.runtime
    with runtime.transaction() as session:
        parsed = parse_responses(
            "\n".join(rows) + "\n",
            catalog=runtime.catalog,
            anon_secret_set=True,
            today=runtime.clock().date(),
        )
        summary = store_responses(
            session,
            team_id=TEAM,
            rows=parsed,
            anon_secret=runtime.anon_secret,
            settings=runtime.score_settings,
        )
        assert summary.held == 3 * (BEFORE + AFTER + 1)  # all stored, none released
        cycle = [(9.0 if n < BEFORE else 4.0) + n % 3 / 10 for n in range(BEFORE + AFTER + 1)]
        metric_points(
            session,
            metric="mttr_hours",
            scope=key,
            unit="hours",
            first_week=first,
            values=cycle,
            team_id=TEAM,
        )
        resolve(session, key, on=fixed, effort_days=2, team_id=TEAM)

    member.slash(text=f"roi {key}")
    said = harness.reply_to(MEMBER, f"Return on fixing {key}")
    assert "*mttr hours*" in said  # the report itself is there
    assert "*pain*" not in said and "5.00 → 1.00" not in said
    assert "*Hours saved a week:* not measured" in said


def test_help_lists_roi_for_everyone(harness: Harness, member: InProcessDriver) -> None:
    ack = ack_json(member.slash(text="help"))
    everyone = shown_text("", ack["blocks"]).split("*For leads*")[0]
    assert "`/debt roi KEY`" in everyone
