"""A weekly slot stays at 10:00 local time across DST changes: no week skipped or doubled."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.jobs.scheduler import build_scheduler, survey_job_id, sync_jobs
from tests.jobs.conftest import MakeRuntime, survey_yaml


@pytest.fixture
def scheduler_for(make_runtime: MakeRuntime) -> Iterator[Callable[[str], BackgroundScheduler]]:
    started: list[BackgroundScheduler] = []

    def make(zone: str) -> BackgroundScheduler:
        runtime = make_runtime({"pulse.yaml": survey_yaml("pulse", "0 10 * * MON", zone)})
        scheduler = build_scheduler(runtime)
        scheduler.start(paused=True)
        started.append(scheduler)
        sync_jobs(scheduler, runtime)
        return scheduler

    yield make
    for scheduler in started:
        scheduler.shutdown(wait=False)


def fire_times(scheduler: BackgroundScheduler, start: datetime, count: int) -> list[datetime]:
    trigger = scheduler.get_job(survey_job_id("pulse")).trigger
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while len(times) < count:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return times


CHANGES = [
    # zone, a Monday three weeks before the change, UTC hour before, UTC hour after
    pytest.param("Europe/Berlin", datetime(2026, 3, 9, tzinfo=UTC), 9, 8, id="berlin-spring"),
    pytest.param("Europe/Berlin", datetime(2026, 10, 5, tzinfo=UTC), 8, 9, id="berlin-fall"),
    pytest.param("America/New_York", datetime(2026, 2, 16, tzinfo=UTC), 15, 14, id="ny-spring"),
    pytest.param("America/New_York", datetime(2026, 10, 12, tzinfo=UTC), 14, 15, id="ny-fall"),
]


@pytest.mark.parametrize(("zone", "first_monday", "utc_before", "utc_after"), CHANGES)
def test_eight_mondays_across_a_dst_change(
    scheduler_for: Callable[[str], BackgroundScheduler],
    zone: str,
    first_monday: datetime,
    utc_before: int,
    utc_after: int,
) -> None:
    scheduler = scheduler_for(zone)
    times = fire_times(scheduler, first_monday - timedelta(hours=1), 8)
    local = [t.astimezone(ZoneInfo(zone)) for t in times]

    # Every Monday at 10:00 local time, one calendar week apart: none skipped, none doubled.
    assert all(t.weekday() == 0 and (t.hour, t.minute) == (10, 0) for t in local)
    assert [(b.date() - a.date()).days for a, b in itertools.pairwise(local)] == [7] * 7
    expected_dates = [first_monday.date() + timedelta(weeks=i) for i in range(8)]
    assert [t.date() for t in local] == expected_dates

    # The UTC time moves by an hour exactly once, between the third and fourth Monday.
    utc_hours = [t.astimezone(UTC).hour for t in times]
    assert utc_hours == [utc_before] * 3 + [utc_after] * 5
    offsets = {t.utcoffset() for t in local}
    assert len(offsets) == 2
