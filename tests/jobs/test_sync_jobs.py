"""sync_jobs: one job per template, replaced when it changes, removed when it is gone."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.jobs import scheduler as jobs
from bot.jobs.scheduler import build_scheduler, sync_jobs
from bot.runtime import Runtime
from tests.jobs.conftest import MakeRuntime, digest_yaml, survey_yaml

TEMPLATES = {
    "a.yaml": survey_yaml("pulse-a", "0 10 * * MON", "Europe/Berlin"),
    "b.yaml": survey_yaml("pulse-b", "30 9 * * FRI", "America/New_York"),
    "d.yaml": digest_yaml("digest-d"),
}


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    return make_runtime(TEMPLATES)


@pytest.fixture
def scheduler(runtime: Runtime) -> Iterator[BackgroundScheduler]:
    scheduler = build_scheduler(runtime)
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def ids(scheduler: BackgroundScheduler) -> list[str]:
    return sorted(job.id for job in scheduler.get_jobs())


def test_one_job_per_survey_and_a_tick(scheduler: BackgroundScheduler, runtime: Runtime) -> None:
    synced = sync_jobs(scheduler, runtime)

    assert synced == jobs.Synced(["survey:pulse-a", "survey:pulse-b"], [])
    assert ids(scheduler) == ["survey:pulse-a", "survey:pulse-b", "tick"]
    job = scheduler.get_job("survey:pulse-a")
    assert job.func is jobs.run_survey_slot
    assert job.args == ("pulse-a",)
    assert job.trigger.timezone == ZoneInfo("Europe/Berlin")
    assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (True, 6 * 3600, 1)
    assert scheduler.get_job("survey:pulse-b").trigger.timezone == ZoneInfo("America/New_York")
    tick = scheduler.get_job("tick")
    assert tick.func is jobs.run_tick
    assert tick.trigger.interval.total_seconds() == 30


def test_a_digest_is_scheduled_only_when_it_has_channels(
    scheduler: BackgroundScheduler,
    runtime: Runtime,
    make_runtime: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_jobs(scheduler, runtime)  # no channels in the template nor in the environment
    assert "digest:digest-d" not in ids(scheduler)

    monkeypatch.setenv("DEBTPULSE_DIGEST_CHANNELS", "C0DIGEST1")
    with_channels = make_runtime(TEMPLATES)
    sync_jobs(scheduler, with_channels)
    assert "digest:digest-d" in ids(scheduler)
    job = scheduler.get_job("digest:digest-d")
    assert job.func is jobs.run_digest_slot
    assert job.args == ("digest-d",)

    synced = sync_jobs(scheduler, runtime)  # channels gone again: the digest job goes
    assert synced.removed == ["digest:digest-d"]
    assert "digest:digest-d" not in ids(scheduler)


def test_a_changed_template_replaces_its_job(
    scheduler: BackgroundScheduler, runtime: Runtime, make_runtime: MakeRuntime
) -> None:
    sync_jobs(scheduler, runtime)
    before = str(scheduler.get_job("survey:pulse-a").trigger)

    changed = make_runtime({**TEMPLATES, "a.yaml": survey_yaml("pulse-a", "0 14 * * TUE")})
    sync_jobs(scheduler, changed)

    assert ids(scheduler) == ["survey:pulse-a", "survey:pulse-b", "tick"]
    after = scheduler.get_job("survey:pulse-a").trigger
    assert str(after) != before
    assert after.timezone == ZoneInfo("UTC")
    assert "hour='14'" in str(after)
    assert "day_of_week='tue'" in str(after)


def test_jobs_of_removed_templates_go_and_others_stay(
    scheduler: BackgroundScheduler, runtime: Runtime, make_runtime: MakeRuntime
) -> None:
    sync_jobs(scheduler, runtime)
    scheduler.add_job(print, "interval", hours=1, id="unrelated")

    fewer = make_runtime({"a.yaml": TEMPLATES["a.yaml"]})
    synced = sync_jobs(scheduler, fewer)

    assert synced == jobs.Synced(["survey:pulse-a"], ["survey:pulse-b"])
    assert ids(scheduler) == ["survey:pulse-a", "tick", "unrelated"]
