"""Two workers on one database: one scheduler at a time; the other takes over when it stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, update

from bot.jobs import worker as worker_module
from bot.jobs.lease import Lease
from bot.runtime import Runtime
from storage.db import session_scope
from storage.models import SchedulerLease
from tests.jobs.conftest import MakeRuntime, survey_yaml

FAST: dict[str, Any] = {"ttl": timedelta(seconds=2), "renew_every": 0.05, "poll_every": 0.02}


class Recorder:
    """Scheduler starts and stops, in order, by worker (thread) name."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.at: dict[tuple[str, str], datetime] = {}  # when each event happened (UTC)
        self._changed = threading.Condition()

    def add(self, event: str) -> None:
        with self._changed:
            key = (event, threading.current_thread().name)
            self.events.append(key)
            self.at.setdefault(key, datetime.now(UTC))
            self._changed.notify_all()

    def wait_for(self, event: tuple[str, str], timeout: float = 3.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: event in self.events, timeout), self.events


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    real_start = worker_module.start_scheduler

    def start_scheduler(runtime: Runtime, **options: Any) -> BackgroundScheduler:
        scheduler = real_start(runtime, **options)
        recorder.add("start")
        real_shutdown = scheduler.shutdown

        def shutdown(wait: bool = True) -> None:
            real_shutdown(wait=wait)
            recorder.add("stop")

        scheduler.shutdown = shutdown
        return scheduler

    monkeypatch.setattr(worker_module, "start_scheduler", start_scheduler)
    monkeypatch.setattr("bot.services.poll_jobs.open_poll", lambda *args: None)
    monkeypatch.setattr("bot.services.poll_jobs.tick", lambda runtime: None)
    return recorder


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    return make_runtime({"pulse.yaml": survey_yaml("pulse")})


@pytest.fixture
def start_worker(runtime: Runtime) -> Iterator[Callable[[str], threading.Event]]:
    """Start ``run_worker`` in a thread named after its holder; returns its stop event."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(name: str) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(
            target=worker_module.run_worker,
            args=(runtime,),
            kwargs={"stop_event": stop, "holder": name, **FAST},
            name=name,
        )
        thread.start()
        running.append((stop, thread))
        return stop

    yield start
    for stop, _ in running:
        stop.set()
    for _, thread in running:
        thread.join(5)
        assert not thread.is_alive()


def wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in message for message in caplog.messages):
        assert time.monotonic() < deadline, caplog.messages
        time.sleep(0.01)


def test_the_second_worker_waits_and_starts_when_the_first_stops(
    recorder: Recorder,
    start_worker: Callable[[str], threading.Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    stop_a = start_worker("worker-a")
    recorder.wait_for(("start", "worker-a"))

    start_worker("worker-b")
    wait_for_log(caplog, "waiting: the scheduler lease is held by worker-a until")
    time.sleep(0.2)  # ten polls and four renewals later, still only worker-a runs
    assert recorder.events == [("start", "worker-a")]

    stop_a.set()
    recorder.wait_for(("start", "worker-b"))
    assert recorder.events == [("start", "worker-a"), ("stop", "worker-a"), ("start", "worker-b")]
    assert "scheduler lease released by worker-a" in caplog.messages
    assert "scheduler lease taken by worker-b" in caplog.messages


def test_a_dead_workers_lease_is_taken_over_when_it_expires(
    runtime: Runtime,
    recorder: Recorder,
    start_worker: Callable[[str], threading.Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    # A lease long enough that the new worker surely finds it held, even on a loaded machine.
    dead = Lease(runtime.engine, holder="dead-host:1:0000", ttl=timedelta(seconds=1.5))
    assert dead.try_take()  # ...and never renews: the process died
    with session_scope(runtime.engine, write=False) as session:
        expires = session.execute(select(SchedulerLease.expires_at)).scalar_one()

    start_worker("worker-b")
    recorder.wait_for(("start", "worker-b"), timeout=6.0)
    # measured against the lease itself, not a stopwatch started after it was taken: a busy
    # machine can pause between the two
    assert recorder.at[("start", "worker-b")] >= expires
    assert any(
        m.startswith("waiting: the scheduler lease is held by dead-host:1:0000")
        for m in caplog.messages
    )
    assert any(
        m.startswith("took over the scheduler lease from dead-host:1:0000 (expired at ")
        for m in caplog.messages
    )


def test_a_worker_that_loses_its_lease_stops_its_scheduler_and_waits(
    runtime: Runtime,
    recorder: Recorder,
    start_worker: Callable[[str], threading.Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    start_worker("worker-a")
    recorder.wait_for(("start", "worker-a"))

    with session_scope(runtime.engine) as session:  # another process stole it (clock skew…)
        session.execute(update(SchedulerLease).values(holder="thief:9:9999"))

    recorder.wait_for(("stop", "worker-a"))
    wait_for_log(caplog, "waiting: the scheduler lease is held by thief:9:9999")
    assert "lost the scheduler lease to thief:9:9999; stopping the scheduler" in caplog.messages
    assert recorder.events == [("start", "worker-a"), ("stop", "worker-a")]


def test_renewing_more_rarely_than_the_lease_lasts_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="more often"):
        worker_module.run_worker(
            runtime, stop_event=threading.Event(), ttl=timedelta(seconds=10), renew_every=10
        )
