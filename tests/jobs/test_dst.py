"""A weekly slot stays at 10:00 local time across DST changes: no week skipped or doubled."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.jobs.scheduler import build_scheduler, catch_up, survey_job_id, sync_jobs
from tests.factories import make_run
from tests.jobs.conftest import TEAM, MakeRuntime, survey_yaml


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


NIGHTLY = {"nightly.yaml": survey_yaml("nightly", "30 2 * * *", "Europe/Berlin")}


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        # clocks go back at 03:00 CEST: 02:30 happens twice; the poll opens at the first
        pytest.param(datetime(2026, 10, 25, tzinfo=UTC), [(0, 30)], id="berlin-fall"),
        # clocks go forward at 02:00 CET: 02:30 does not exist; the poll opens just after
        pytest.param(datetime(2026, 3, 29, tzinfo=UTC), [(1, 30)], id="berlin-spring"),
    ],
)
def test_a_nightly_slot_opens_once_on_the_night_of_a_dst_change(
    make_runtime: MakeRuntime,
    day: datetime,
    expected_utc: list[tuple[int, int]],
) -> None:
    runtime = make_runtime(NIGHTLY)
    scheduler = build_scheduler(runtime)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, runtime)
        trigger = scheduler.get_job(survey_job_id("nightly")).trigger
        fires: list[datetime] = []
        fire = trigger.get_next_fire_time(None, day - timedelta(hours=3))
        while fire is not None and fire < day + timedelta(hours=21):
            fires.append(fire.astimezone(UTC))
            fire = trigger.get_next_fire_time(fire, fire)
    finally:
        scheduler.shutdown(wait=False)
    assert [(f.hour, f.minute) for f in fires if f.date() == day.date()] == expected_utc
    assert len(fires) == 1  # the night before and after fall outside this window


def test_catch_up_does_not_open_the_repeated_hour_of_a_fall_back_night(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened at 02:30 summer time; at 03:00 winter time (after 02:30 came round a second
    time) the catch-up finds that night's slot has its run."""
    opened: list[tuple[str, datetime]] = []
    monkeypatch.setattr(
        "bot.services.poll_jobs.open_poll",
        lambda runtime, survey_id, slot: opened.append((survey_id, slot)),
    )
    runtime = make_runtime(NIGHTLY)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    with runtime.transaction() as session:
        make_run(session, survey_id="nightly", scheduled_for=first, team_id=TEAM)
    assert catch_up(runtime, now=datetime(2026, 10, 25, 2, 0, tzinfo=UTC)) == []  # 03:00 CET
    assert opened == []
