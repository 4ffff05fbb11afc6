"""`debtpulse demo` end to end: a small team for three weeks, through HTTP and the fake Slack."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from bot.demo import stack
from bot.demo.run import DemoOptions, DemoResult, run_demo
from storage import db
from storage.models import (
    AuditEvent,
    DebtItem,
    HeldAnswer,
    Participation,
    PollRun,
    Response,
    Signal,
)
from tests.conftest import CliResult

pytestmark = pytest.mark.e2e
START = date(2025, 1, 6)  # a Monday
WEEKS, TEAM = 3, 10
TOP_LINE = re.compile(r"^\s*\d+\. (DEBT-\d+) ·", re.MULTILINE)


class Run:
    def __init__(self, result: DemoResult, output: list[str]) -> None:
        self.result, self.output = result, output

    def session(self) -> Session:
        return Session(db.make_engine(f"sqlite:///{self.result.database}"))

    def count(self, model: type) -> int:
        with self.session() as session:
            return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("demo")
    output: list[str] = []
    options = DemoOptions(
        weeks=WEEKS,
        team_size=TEAM,
        seed=11,
        db=folder / "demo.db",
        chart=folder / "chart.png",
        start=START,
    )
    return Run(run_demo(options, echo=output.append), output)


def test_polls_answers_signals_and_digests_went_through_slack_and_http(run: Run) -> None:
    fake, weeks = run.result.fake, run.result.weeks
    polls = [
        m for m in fake.messages(stack.POLL_CHANNEL) if m.thread_ts is None and "pulse" in m.text
    ]
    assert len(polls) == WEEKS
    assert all("poll_open" not in json.dumps(m.blocks) for m in polls)  # all closed again
    answered = sum(w.answered for w in weeks)
    assert 0 < answered <= WEEKS * TEAM
    assert len(fake.calls_to("views.open")) == answered  # one Answer click each
    with run.session() as session:
        runs = session.exec(select(PollRun)).all()
    assert [r.status for r in runs] == ["closed"] * WEEKS
    # every answer is kept: released in a group of at least 5 people, or held until one
    assert run.count(Response) + run.count(HeldAnswer) == run.result.answers_sent
    assert run.count(Response) > 0
    assert run.count(Participation) == answered
    assert run.count(Signal) == sum(w.incidents for w in weeks)
    digests = [m for m in fake.messages(stack.DIGEST_CHANNEL) if m.thread_ts is None]
    assert len(digests) == WEEKS
    assert run.result.digest_text and "digest" in run.result.digest_text.lower()
    assert not fake.rejections  # every Block Kit payload was valid


def test_answers_and_changes_carry_simulated_dates(run: Run) -> None:
    first = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    last = first + timedelta(weeks=WEEKS + 1)
    with run.session() as session:
        answered = {r.answered_at for r in session.exec(select(Response))}
        resolved = session.exec(select(DebtItem).where(DebtItem.status == "resolved")).all()
        status_changes = session.exec(
            select(AuditEvent).where(AuditEvent.action == "item.status")
        ).all()
    assert answered and all(first <= at < last for at in answered)
    assert [item.key for item in resolved] == ["DEBT-3"]
    assert [(e.actor, e.subject) for e in status_changes] == [(stack.LEAD_ID, "DEBT-3")]
    assert all(first <= e.at < last for e in status_changes)


def test_progress_lines_and_terminal_views(run: Run) -> None:
    lines = [line for line in run.output if line.startswith("week ")]
    assert len(lines) == WEEKS
    assert lines[0].startswith("week 1 (2025-01-06): poll opened, ")
    assert "DEBT-3 resolved" in lines[1]  # the middle week
    text = "\n".join(run.output)
    assert "/debt top" in text and f"/debt why {run.result.why_key}" in text
    assert run.result.why_key == run.result.ranking[0]
    assert "Risk" in run.result.why_text and "Pain" in run.result.why_text


def test_the_digest_top_three_recovers_the_hidden_truth(run: Run) -> None:
    assert run.result.digest_text is not None
    shown = TOP_LINE.findall(run.result.digest_text)[:3]
    truth = run.result.truth_order
    assert len(shown) == 3
    assert truth[0] in shown  # the truly worst item is among the top three
    assert len(set(shown) & set(truth[:5])) >= 2
    assert "DEBT-3" not in shown  # resolved items leave the ranking


def test_a_used_database_file_is_refused_in_one_line(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    used = tmp_path / "used.db"
    used.write_text("not empty")
    result = cli("demo", "--db", str(used), "--weeks", "1")
    assert result.code != 0
    err = result.err
    assert err.strip().splitlines() == [
        f"debtpulse: demo failed at step 'check the options': --db {used} exists and is not "
        "empty; the demo needs a fresh database file"
    ]
    assert used.read_text() == "not empty"


def test_a_chart_path_that_cannot_be_written_is_refused_before_anything_runs(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh.db"
    result = cli("demo", "--db", str(fresh), "--chart", str(tmp_path), "--weeks", "1")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        f"debtpulse: --chart: cannot write {tmp_path} (Is a directory)"
    ]
    assert not fresh.exists()


def test_a_failing_step_is_named_and_the_servers_stop(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the digest channel is unreachable")

    monkeypatch.setattr("bot.services.digest_jobs.post_digest", down)
    result = cli("demo", "--db", str(tmp_path / "fresh.db"), "--weeks", "1", "--team-size", "5")
    assert result.code == 1
    err = result.err
    assert err.strip().splitlines() == [
        "debtpulse: demo failed at step 'week 1: post the digest': "
        "ConnectionError: the digest channel is unreachable"
    ]
    assert "Traceback" not in err
    running = {thread.name for thread in threading.enumerate() if thread.is_alive()}
    assert not running & {"fake-slack", "demo-wsgi"}


def test_the_last_line_says_how_to_look_around_and_that_works(
    run: Run, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    last = run.output[-1]
    match = re.fullmatch(
        r"look around: DATABASE_URL=(\S+) debtpulse top --team (\S+) \(or why KEY, .*\)", last
    )
    assert match, last
    monkeypatch.setenv("DATABASE_URL", match[1])
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "DEBTPULSE_SURVEYS_DIR"):
        monkeypatch.delenv(name, raising=False)
    top = cli("top", "--team", match[2], "--json", "--limit", "100")
    assert top.code == 0, top
    # The same open items (their order depends on today's date: the demo's weeks are fixed here)
    assert {row["key"] for row in json.loads(top.out)} == set(run.result.ranking)
