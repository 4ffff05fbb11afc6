"""The worker's APScheduler 3: one cron job per template, a periodic tick, and catch-up.

Jobs live in memory and are rebuilt from the templates at every start (DESIGN §7): job ids
come from template ids (``survey:ID``, ``digest:ID``) and are added with
``replace_existing=True``; jobs whose template is gone are removed. Cron runs in each
schedule's own IANA zone, so a weekly slot stays at the same local hour across DST changes.
Missed slots are caught up at start (and hourly after, so a slot whose opening failed before
its run was recorded is retried): for each survey, the latest slot within the misfire grace
window that has no ``poll_run`` is opened — and should two callers race for it, the
database still refuses a second run for one slot. The review job reopens accepted debt
whose review date has come, at start (a date passed while no worker ran) and hourly.

Job functions are module-level and take plain ids; the runtime they need (which cannot be
pickled) is kept in a module-level registry set by :func:`build_scheduler`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Runtime
from bot.services import digest_jobs, poll_jobs, reviews
from bot.services.ranking import week_start
from storage import digests, polls
from surveys import Digest, Survey

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=6)
TICK_EVERY = timedelta(seconds=30)
CATCH_UP_EVERY = timedelta(hours=1)
REVIEW_EVERY = timedelta(hours=1)
JOB_DEFAULTS: dict[str, Any] = {
    "coalesce": True,
    "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
    "max_instances": 1,
}
SURVEY_PREFIX = "survey:"
DIGEST_PREFIX = "digest:"
TICK_JOB = "tick"
CATCH_UP_JOB = "catch-up"
REVIEW_JOB = "reviews"

Clock = Callable[[], datetime]

_RUNTIME: Runtime | None = None
_CLOCK: Clock | None = None


def register(runtime: Runtime, clock: Clock | None = None) -> None:
    """Make ``runtime`` (and the clock the jobs read) what the job functions use."""
    global _RUNTIME, _CLOCK  # the one registry the job functions read
    _RUNTIME, _CLOCK = runtime, clock or runtime.clock


def _registered() -> tuple[Runtime, Clock]:
    if _RUNTIME is None or _CLOCK is None:
        raise RuntimeError("no runtime registered for the scheduler's jobs")
    return _RUNTIME, _CLOCK


def build_scheduler(runtime: Runtime, *, clock: Clock | None = None) -> BackgroundScheduler:
    """A scheduler (memory job store, UTC) whose jobs will run against ``runtime``."""
    register(runtime, clock)
    return BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=UTC,
    )


def survey_job_id(survey_id: str) -> str:
    return f"{SURVEY_PREFIX}{survey_id}"


def digest_job_id(digest_id: str) -> str:
    return f"{DIGEST_PREFIX}{digest_id}"


class Synced(NamedTuple):
    """What :func:`sync_jobs` did: the template job ids now scheduled, and those removed."""

    scheduled: list[str]
    removed: list[str]


def digest_has_channels(runtime: Runtime, digest: Digest) -> bool:
    return bool(digest.channels or runtime.settings.digest_channels)


def sync_jobs(scheduler: BackgroundScheduler, runtime: Runtime) -> Synced:
    """Make the scheduler's jobs match ``runtime.catalog`` (plus the periodic tick).

    A digest is scheduled when it has channels (its own, or ``DEBTPULSE_DIGEST_CHANNELS``).
    """
    wanted: set[str] = set()
    func: Callable[[str], None]
    for template_id, loaded in sorted(runtime.catalog.items()):
        if loaded.survey is not None:
            job_id, func = survey_job_id(template_id), run_survey_slot
            trigger = slot_trigger(loaded.survey)
        elif loaded.digest is not None and digest_has_channels(runtime, loaded.digest):
            job_id, func = digest_job_id(template_id), run_digest_slot
            trigger = slot_trigger(loaded.digest)
        else:
            continue
        scheduler.add_job(
            func, trigger, args=[template_id], id=job_id, name=job_id, replace_existing=True
        )
        wanted.add(job_id)
    removed = sorted(
        job.id
        for job in scheduler.get_jobs()
        if job.id.startswith((SURVEY_PREFIX, DIGEST_PREFIX)) and job.id not in wanted
    )
    for job_id in removed:
        scheduler.remove_job(job_id)
        log.info("removed job %s: its template is gone", job_id)
    scheduler.add_job(
        run_tick,
        IntervalTrigger(seconds=int(TICK_EVERY.total_seconds()), timezone=UTC),
        id=TICK_JOB,
        name=TICK_JOB,
        replace_existing=True,
    )
    return Synced(sorted(wanted), removed)


def start_scheduler(runtime: Runtime, *, clock: Clock | None = None) -> BackgroundScheduler:
    """Build, fill and start the scheduler; missed slots are caught up at once (and hourly)."""
    scheduler = build_scheduler(runtime, clock=clock)
    scheduler.start(paused=True)
    synced = sync_jobs(scheduler, runtime)
    # Catch-up runs now and then hourly: a recurring job, since APScheduler 3 can fail to
    # remove a one-off job that fires while the scheduler shuts down.
    scheduler.add_job(
        run_catch_up,
        IntervalTrigger(seconds=int(CATCH_UP_EVERY.total_seconds()), timezone=UTC),
        id=CATCH_UP_JOB,
        name=CATCH_UP_JOB,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.add_job(  # accepted debt back for review: now, then hourly
        run_reviews,
        IntervalTrigger(seconds=int(REVIEW_EVERY.total_seconds()), timezone=UTC),
        id=REVIEW_JOB,
        name=REVIEW_JOB,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.resume()
    log.info("scheduler started with %d template jobs: %s", len(synced.scheduled), synced.scheduled)
    _guarded("looking for missed runs", lambda: _report_missed(runtime, (clock or runtime.clock)()))
    return scheduler


class OncePerLocalTime(CronTrigger):
    """A cron trigger that fires once per local time: when clocks go back, the repeated
    hour's second pass does not fire again (a daily 02:30 in Berlin opens once on the last
    Sunday of October, at 02:30 summer time). A local time skipped when clocks go forward
    fires once, just after the gap, as CronTrigger does."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and _second_pass(fire):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def _second_pass(moment: datetime) -> bool:
    """Whether ``moment`` is the second occurrence of a local time repeated by a DST change."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def slot_trigger(template: Survey | Digest) -> CronTrigger:
    """When the template's slots come due: its cron in its zone (a survey opens in its
    opening zone), once per local time."""
    if isinstance(template, Survey):
        return OncePerLocalTime.from_crontab(template.schedule.cron, timezone=template.opening_zone)
    return OncePerLocalTime.from_crontab(template.schedule.cron, timezone=template.schedule.zone)


def latest_fire_time(trigger: CronTrigger, now: datetime, *, within: timedelta) -> datetime | None:
    """The trigger's latest fire time in ``[now - within, now]`` (UTC), or None."""
    latest = None
    fire = trigger.get_next_fire_time(None, now - within)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return latest.astimezone(UTC) if latest is not None else None


def _guarded(what: str, call: Callable[[], object]) -> None:
    """Run one job's work; an error is logged, never raised into the scheduler."""
    try:
        call()
    except Exception:
        log.exception("%s failed", what)


def _slot(runtime: Runtime, template_id: str, now: datetime) -> datetime | None:
    loaded = runtime.catalog.get(template_id)
    template = (loaded.survey or loaded.digest) if loaded is not None else None
    if template is None:
        log.warning("no template %s any more; nothing to run", template_id)
        return None
    slot = latest_fire_time(slot_trigger(template), now, within=MISFIRE_GRACE)
    if slot is None:
        log.warning("%s: no slot due within the grace window at %s", template_id, now)
    return slot


def run_survey_slot(survey_id: str) -> None:
    """Job: open the survey's run for the slot that just came due."""
    runtime, clock = _registered()
    # APScheduler 3 does not hand the scheduled time to the job; with coalesce on, the
    # latest fire time up to now is the slot being run.
    slot = _slot(runtime, survey_id, clock())
    if slot is not None:
        _call_open(runtime, survey_id, slot)


def run_digest_slot(digest_id: str) -> None:
    """Job: post the digest for the slot that just came due."""
    runtime, clock = _registered()
    slot = _slot(runtime, digest_id, clock())
    if slot is not None:
        _call_post(runtime, digest_id, slot)


def run_tick() -> None:
    """Job: due work from database state (reminders, closing, unsent deliveries)."""
    runtime, _ = _registered()
    _guarded("tick", lambda: poll_jobs.tick(runtime))


def _team_or_none(runtime: Runtime) -> str | None:
    """The posting team, or None (logged) while it cannot be told: the next catch-up retries."""
    try:
        return runtime.posting_team()
    except LookupError as exc:
        log.warning("nothing caught up: %s", exc)
        return None


def due_slots(
    runtime: Runtime, *, now: datetime, grace: timedelta = MISFIRE_GRACE
) -> list[tuple[str, datetime]]:
    """Each survey's latest slot within ``grace`` before ``now`` that has no run yet."""
    due: list[tuple[str, datetime]] = []
    team = _team_or_none(runtime)
    if team is None:
        return due
    with runtime.transaction(write=False) as session:
        for survey_id, loaded in sorted(runtime.catalog.items()):
            if loaded.survey is None:
                continue
            slot = latest_fire_time(slot_trigger(loaded.survey), now, within=grace)
            if slot is None:
                continue
            run = polls.run_by_slot(session, team_id=team, survey_id=survey_id, scheduled_for=slot)
            if run is None:
                due.append((survey_id, slot))
    return due


def due_digests(
    runtime: Runtime, *, now: datetime, grace: timedelta = MISFIRE_GRACE
) -> list[tuple[str, datetime]]:
    """Each digest's latest slot within ``grace`` before ``now`` not yet posted everywhere."""
    due: list[tuple[str, datetime]] = []
    team = _team_or_none(runtime)
    if team is None:
        return due
    with runtime.transaction(write=False) as session:
        for digest_id, loaded in sorted(runtime.catalog.items()):
            digest = loaded.digest
            if digest is None or not digest_has_channels(runtime, digest):
                continue
            slot = latest_fire_time(slot_trigger(digest), now, within=grace)
            if slot is None:
                continue
            posted = digests.posts_for_week(
                session,
                team_id=team,
                digest_id=digest_id,
                week=week_start(slot.date()),
            )
            channels = digest.channels or runtime.settings.digest_channels
            if {p.channel_id for p in posted} < set(channels):
                due.append((digest_id, slot))
    return due


#: How far back a start looks for a slot missed beyond the grace window.
MISSED_LOOKBACK = timedelta(days=35)


def missed_slots(
    runtime: Runtime, *, now: datetime, grace: timedelta = MISFIRE_GRACE
) -> list[tuple[str, datetime, datetime | None]]:
    """Surveys whose latest slot before the grace window opened no run, none was sent by
    hand since, and the survey ran here before: (survey, missed slot, next slot). Too late
    to open; worth a log line at start."""
    missed: list[tuple[str, datetime, datetime | None]] = []
    team = _team_or_none(runtime)
    if team is None:
        return missed
    with runtime.transaction(write=False) as session:
        for survey_id, loaded in sorted(runtime.catalog.items()):
            if loaded.survey is None:
                continue
            trigger = slot_trigger(loaded.survey)
            slot = latest_fire_time(trigger, now - grace, within=MISSED_LOOKBACK)
            if slot is None:
                continue
            kw = {"team_id": team, "survey_id": survey_id}
            # a run since (the slot, or one sent by hand later) covers it
            if polls.ran_between(session, **kw, start=slot, end=now + timedelta(minutes=1)):
                continue
            if polls.ran_between(session, **kw, start=None, end=slot):
                following = trigger.get_next_fire_time(None, now)
                missed.append((survey_id, slot, following.astimezone(UTC) if following else None))
    return missed


def _report_missed(runtime: Runtime, now: datetime) -> None:
    for survey_id, slot, following in missed_slots(runtime, now=now):
        upcoming = f"; the next opens {following:%Y-%m-%d %H:%M} UTC" if following else ""
        log.warning(
            "%s: the run of %s UTC was missed while no worker ran (over %d h ago, too late to "
            "open; `debtpulse poll send %s` opens one now)%s",
            survey_id,
            f"{slot:%Y-%m-%d %H:%M}",
            MISFIRE_GRACE.total_seconds() // 3600,
            survey_id,
            upcoming,
        )


def catch_up(runtime: Runtime, *, now: datetime) -> list[tuple[str, datetime]]:
    """Open each survey's latest due slot with no run, and post each due digest not yet
    posted (both are idempotent regardless)."""
    due = due_slots(runtime, now=now)
    for survey_id, slot in due:
        log.info("catching up %s for %s", survey_id, slot.isoformat())
        _call_open(runtime, survey_id, slot)
    digests_due = due_digests(runtime, now=now)
    for digest_id, slot in digests_due:
        log.info("catching up digest %s for %s", digest_id, slot.isoformat())
        _call_post(runtime, digest_id, slot)
    return due + digests_due


def _call_post(runtime: Runtime, digest_id: str, slot: datetime) -> None:
    _guarded(
        f"posting digest {digest_id} for {slot.isoformat()}",
        lambda: digest_jobs.post_digest(runtime, digest_id, slot),
    )


def _call_open(runtime: Runtime, survey_id: str, slot: datetime) -> None:
    _guarded(
        f"opening {survey_id} for {slot.isoformat()}",
        lambda: poll_jobs.open_poll(runtime, survey_id, slot),
    )


def run_reviews() -> None:
    """Job (at start, then hourly): reopen accepted items whose review date has come."""
    runtime, clock = _registered()
    _guarded("reopening accepted items", lambda: reviews.reopen_due_items(runtime, now=clock()))


def run_catch_up() -> None:
    """Job (at start, then hourly): open the slots missed while no worker ran."""
    runtime, clock = _registered()
    _guarded("catch-up", lambda: catch_up(runtime, now=clock()))
