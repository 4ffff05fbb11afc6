"""What a lead is told after opening or closing a poll by hand, when Slack refused a message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.runtime import Runtime
from bot.sandbox import BOT_USER_ID, FakeSlack
from bot.services import poll_jobs, poll_report
from storage import polls
from tests.jobs.conftest import MakeRuntime, slack_env

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PEOPLE = ["U0ANA", "U0BEN", "U0CAI"]
SURVEY = """\
id: check
title: Check
schedule: {{cron: "0 10 * * MON", timezone: UTC}}
{audience}
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(post_rate=None) as fake:
        for person in PEOPLE:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_user("U0GONE", name="gone", deleted=True)
        fake.workspace.add_usergroup("S0TEAM", handle="team", users=PEOPLE)
        fake.workspace.add_channel("C0POLLS", name="polls", members=[BOT_USER_ID, *PEOPLE])
        yield fake


def _runtime(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, audience: str
) -> Runtime:
    slack_env(monkeypatch, fake.base_url, "report")
    return make_runtime({"check.yaml": SURVEY.format(audience=audience)}, clock=lambda: NOW)


def test_a_channel_that_refuses_the_results_is_named(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _runtime(make_runtime, fake, monkeypatch, "audience: {channel: C0POLLS}")
    run_id = poll_jobs.open_poll(runtime, "check", NOW)
    assert run_id is not None
    reached = poll_report.reach(runtime, run_id)
    expected = f"Opened check as run #{run_id}: posted in C0POLLS."
    assert poll_report.describe_open("check", run_id, reached) == expected

    fake.workspace.channels["C0POLLS"].is_archived = True  # archived while the poll was open
    closed = poll_jobs.close_poll(runtime, run_id)
    assert closed is not None and closed.posted_in == ()
    assert poll_report.describe_close(run_id, closed) == (
        f"Closed run #{run_id} (0 answered), but its results were not posted in C0POLLS "
        "(is_archived)."
    )
    assert poll_jobs.close_poll(runtime, run_id) is None  # closed already


def test_a_dm_poll_without_a_results_channel_says_so(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _runtime(make_runtime, fake, monkeypatch, "audience: {dm: {usergroup: S0TEAM}}")
    run_id = poll_jobs.open_poll(runtime, "check", NOW)
    assert run_id is not None
    said = poll_report.describe_open("check", run_id, poll_report.reach(runtime, run_id))
    assert said == f"Opened check as run #{run_id}: sent to 3 people."
    # A DM poll posts its results in DEBTPULSE_POLL_CHANNEL; without one, the lead is told.
    assert runtime.settings.poll_channel is None
    closed = poll_jobs.close_poll(runtime, run_id)
    assert closed is not None
    assert poll_report.describe_close(run_id, closed) == (
        f"Closed run #{run_id} (0 answered), but its results were not posted: a poll without a "
        "channel message posts them in DEBTPULSE_POLL_CHANNEL, which is not set."
    )


def test_what_was_not_sent_is_told_without_naming_a_person(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the worker stores it: sends given up or skipped, per channel and per kind of DM."""
    runtime = _runtime(make_runtime, fake, monkeypatch, "audience: {channel: C0POLLS}")
    outcomes = {
        "C0OLD": ("skipped", "is_archived"),
        "U0ANA": ("skipped", "user_disabled"),
        "U0BEN": ("skipped", "user_disabled"),
        "U0CAI": ("failed", "ratelimited"),
        "U0DAN": ("pending", "ratelimited"),
        "U0EVE": ("sent", ""),
    }
    with runtime.transaction() as session:
        run, _ = polls.claim_run(session, team_id="T0001", survey_id="check", scheduled_for=NOW)
        for recipient in outcomes:
            polls.plan_delivery(session, run=run, recipient=recipient)
        for delivery in polls.deliveries(session, run_id=run.id or 0):
            status, error = outcomes[delivery.recipient]
            polls.mark_delivery(
                session, delivery_id=delivery.id or 0, status=status, now=NOW, error=error
            )
    reached = poll_report.reach(runtime, run.id or 0)
    assert not reached.complete
    said = poll_report.describe_open("check", run.id or 0, reached)
    assert said == (
        f"Opened check as run #{run.id}, but sent to 1 person; 1 to be retried by the worker; "
        "the poll in C0OLD was skipped (is_archived): the channel is archived: unarchive it or "
        "change the survey's audience; 1 DM was given up (ratelimited); "
        "2 DMs were skipped (user_disabled)."
    )
    assert not any(person in said for person in outcomes if person.startswith("U"))


def test_dms_for_later_local_times_are_counted_apart() -> None:
    reached = poll_report.Reach(channels=(), dms=2, later=5, retrying=1, problems=())
    assert reached.describe() == (
        "sent to 2 people; 5 more at their own local time; 1 to be retried by the worker"
    )
    assert not reached.complete  # nothing is lost, but nothing has reached anyone yet either
    assert poll_report.Reach((), 0, 0, 0, ()).describe() == "nothing sent"
