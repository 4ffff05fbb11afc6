"""The digest's "Return on debt work" from stored answers: the return on each fix of the last
13 weeks, a fix too recent to tell, answers from too few people never shown, a faded fix
flagged for reopening, and the ROI chart in the digest's thread.

Answers and fixes are stored as the app stores them; the digest is posted to the local
fake Slack over HTTP and previewed from the SQLite file, with the clock set by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.core.blocktext import blocks_to_text
from bot.core.chart import charts_available
from bot.sandbox import FakeSlack
from bot.services import digest_jobs
from storage import db
from tests.factories import make_item
from tests.jobs.conftest import Clock, MakeRuntime
from tests.roi_factories import at_ten, noisy, resolve, weekly_answers

SLOT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
WEEK = SLOT.date()
DIGEST = """\
id: weekly
kind: digest
title: Platform debt digest
channels: [C0DIGESTA]
schedule: {cron: "0 9 * * MON", timezone: UTC}
"""
WEIGHTS = "roi: {hourly_cost: 95, currency: EUR}\n"


def weeks_from(first: date, count: int) -> date:
    return first + timedelta(weeks=count)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_channel("C0DIGESTA", name="debt", members=["U0BOT"])
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        yield fake


def _seed(engine: Engine) -> None:
    """DEBT-1 fixed six weeks ago and measured; DEBT-5 fixed then too, but rated by four
    people only; DEBT-2 fixed last week; DEBT-3 still open."""
    fix_week = WEEK - timedelta(weeks=6)
    first = fix_week - timedelta(weeks=10)
    with db.session_scope(engine) as session:
        measured = make_item(session, "DEBT-1", title="Flaky data ingestion")
        few = make_item(session, "DEBT-5", title="Manual feature backfills")
        make_item(session, "DEBT-2", title="Copy-paste notebooks")
        make_item(session, "DEBT-3", title="Missing drift monitoring")
        pain = [noisy(4.0, seed=n) for n in range(10)] + [None]
        pain += [noisy(1.8, seed=50 + n) for n in range(5)]
        weekly_answers(session, measured, first_week=first, weeks=pain)
        hours = [noisy(3.0, seed=80 + n) for n in range(10)] + [None]
        hours += [noisy(1.0, seed=90 + n) for n in range(5)]
        weekly_answers(session, measured, first_week=first, weeks=hours, question="hours")
        four = [[5.0] * 4 for _ in range(10)] + [None] + [[1.0] * 4 for _ in range(5)]
        weekly_answers(session, few, first_week=first, weeks=four, survey="small-pulse")
        fixed = at_ten(fix_week + timedelta(days=2))
        resolve(session, "DEBT-1", on=fixed, effort_days=3)
        resolve(session, "DEBT-5", on=fixed, effort_days=1)
        resolve(session, "DEBT-2", on=at_ten(WEEK - timedelta(days=5)))


def test_the_digest_tells_the_return_on_each_fix_with_its_chart_in_the_thread(
    make_runtime: MakeRuntime, engine: Engine, fake: FakeSlack
) -> None:
    clock = Clock(SLOT + timedelta(seconds=5))
    files = {"weekly.yaml": DIGEST, "weights.yaml": WEIGHTS}
    runtime = make_runtime(files, clock=clock, engine=engine)
    _seed(engine)

    (result,) = digest_jobs.post_digest(runtime, "weekly", SLOT)

    assert result.outcome == "posted"
    (message,) = [m for m in fake.messages(channel="C0DIGESTA") if not m.thread_ts]
    text = blocks_to_text(message.blocks)
    assert "Return on debt work — fixes of the last 13 weeks" in text
    line = next(row for row in text.splitlines() if row.startswith("📈 DEBT-1 "))
    assert "resolved Oct 14, 3 days of effort: improved pain -" in line
    assert "hours lost per person -" in line and " h saved a week (90 %: " in line
    assert " EUR a week; pays back in " in line
    # too soon to tell, and too few people: one line each, no figure
    assert (
        "⏳ DEBT-2 Copy-paste notebooks — resolved Nov 18: nothing measured around the fix yet."
    ) in text
    few = next(row for row in text.splitlines() if "DEBT-5" in row and "resolved" in row)
    assert few == (
        "⏳ DEBT-5 Manual feature backfills — resolved Oct 14: insufficient data yet — "
        "pain: 0 weeks with a value before the fix (4 needed)."
    )
    assert "Total: 3 fixes, 4 days of effort recorded; " in text
    assert fake.rejections == []
    if charts_available():
        files = {f.filename: f for f in fake.uploaded_files}
        roi = files["debt-roi-DEBT-1-2026-11-23.png"]
        assert roi.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert roi.thread_ts == message.ts and roi.channel == "C0DIGESTA"
        assert result.detail == "with chart, with ROI chart"


def test_a_fix_whose_effect_faded_is_flagged_for_reopening(
    make_runtime: MakeRuntime, engine: Engine
) -> None:
    """Pain fell after the fix, then came back to where it was for the last three weeks."""
    fix_week = WEEK - timedelta(weeks=9)
    first = fix_week - timedelta(weeks=8)
    with db.session_scope(engine) as session:
        item = make_item(session, "DEBT-4", title="Retry storms in the feature store")
        pain = [noisy(4.0, seed=n) for n in range(8)] + [None]
        pain += [noisy(1.8, seed=40 + n) for n in range(5)]
        pain += [noisy(4.0, seed=60 + n) for n in range(3)]
        weekly_answers(session, item, first_week=first, weeks=pain)
        resolve(session, "DEBT-4", on=at_ten(fix_week + timedelta(days=1)), effort_days=2)
    runtime = make_runtime({"weekly.yaml": DIGEST}, clock=Clock(SLOT), engine=engine)

    text = blocks_to_text(digest_jobs.preview(runtime, "weekly").message["blocks"])

    flag = next(row for row in text.splitlines() if row.startswith("⚠️ DEBT-4 "))
    assert "pain is back near its level before the fix" in flag
    assert "in the last 3 weeks). Reopen it? /debt status DEBT-4 open why…" in flag


def test_with_the_section_off_nothing_is_read_or_shown(
    make_runtime: MakeRuntime, sqlite_engine: Engine
) -> None:
    off = DIGEST + "sections: {roi: false}\n"
    runtime = make_runtime({"weekly.yaml": off}, clock=Clock(SLOT))
    _seed(sqlite_engine)

    built = digest_jobs.preview(runtime, "weekly")

    assert built.gathered.roi is None and built.content.roi is None
    assert "Return on debt work" not in blocks_to_text(built.message["blocks"])
    assert digest_jobs.roi_chart_png(built) is None
