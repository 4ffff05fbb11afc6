"""``debtpulse_job_lag_seconds``: how late each kind of job started, its label a job kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from prometheus_client import REGISTRY
from sqlalchemy import Engine

from bot.config import load_settings
from bot.jobs import scheduler
from bot.runtime import build_runtime
from bot.services import poll_jobs

SLOT = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def lag(job: str) -> float | None:
    return REGISTRY.get_sample_value("debtpulse_job_lag_seconds", {"job": job})


def test_a_periodic_job_reports_how_late_it_was_handed_to_the_executor() -> None:
    planned = datetime.now(UTC) - timedelta(seconds=90)
    scheduler._note_lag(JobSubmissionEvent(EVENT_JOB_SUBMITTED, "catch-up", "default", [planned]))
    measured = lag("catch_up")
    assert measured is not None and 90 <= measured < 120
    survey_before = lag("survey")
    scheduler._note_lag(JobSubmissionEvent(EVENT_JOB_SUBMITTED, "survey:x", "default", [planned]))
    assert lag("survey") == survey_before  # a slot's lag is taken as it opens, not here
    assert lag("survey:x") is None  # never a template id as a label


def test_a_slot_opened_late_reports_its_lag(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    opened: list[tuple[str, datetime]] = []
    monkeypatch.setattr(
        poll_jobs, "open_poll", lambda _rt, survey, slot, **_: opened.append((survey, slot))
    )
    late = SLOT + timedelta(hours=3, seconds=5)
    runtime = build_runtime(
        load_settings(), engine=engine, default_team="T0001", clock=lambda: late
    )
    scheduler._call_open(runtime, "weekly-debt-pulse", SLOT)
    assert opened == [("weekly-debt-pulse", SLOT)]
    assert lag("survey") == 3 * 3600 + 5
