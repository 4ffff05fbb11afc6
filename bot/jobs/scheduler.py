"""The worker's APScheduler 3: one cron job per template and zone, a periodic tick, and catch-up.

Jobs live in memory and are rebuilt from the templates at every start (DESIGN §7): job ids
come from template ids (``survey:ID``, ``digest:ID``) and are added with
``replace_existing=True``; jobs whose template is gone are removed. Cron runs in each
schedule's own IANA zone, so a weekly slot stays at the same local hour across DST changes.

Every workspace served runs every survey, and a digest when it has channels (its own or the
template's): :mod:`bot.jobs.team_slots`. A team that set its own time zone has its slots in
that zone, under a job of their own (``survey:ID@Europe/Berlin``); the jobs follow the
teams' settings within :data:`SYNC_EVERY`. When a job fires, each team of its zone opens its
run (or posts its digest) with its own runtime and token, several teams at once, each
guarded (:mod:`bot.services.per_team`): one team's failure, rate limit or revoked token
never delays or fails another's. Catch-up, missed-slot reports and the tick go per team too.
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
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import sender, team_slots
from bot.jobs.triggers import latest_fire_time, slot_trigger
from bot.runtime import Runtime
from bot.services import digest_jobs, per_team, poll_jobs, reviews, team_settings, telemetry
from surveys import Digest, Survey

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=6)
TICK_EVERY = timedelta(seconds=30)
CATCH_UP_EVERY = timedelta(hours=1)
REVIEW_EVERY = timedelta(hours=1)
SYNC_EVERY = timedelta(minutes=1)
#: How long a slot's job sends the messages of the runs it opened, every team's at once
#: (:func:`sender.send_due`), before leaving the rest to the workers' senders.
SEND_FOR_S = 60.0
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
SYNC_JOB = "sync"

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
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=UTC,
    )
    scheduler.add_listener(_note_lag, EVENT_JOB_SUBMITTED)
    return scheduler


#: The periodic jobs' kinds for ``debtpulse_job_lag_seconds`` (a slot's lag is taken as it
#: opens or posts, caught up late or not: :func:`_call_open`, :func:`_call_post`).
_PERIODIC_KINDS = {TICK_JOB: "tick", CATCH_UP_JOB: "catch_up", REVIEW_JOB: "reviews"}


def _note_lag(event: JobSubmissionEvent) -> None:
    """How late a periodic job was handed to the executor, against its planned run."""
    kind = _PERIODIC_KINDS.get(str(event.job_id).partition(":")[0])
    if kind is not None and event.scheduled_run_times:
        late = datetime.now(UTC) - max(event.scheduled_run_times)
        telemetry.job_lag(kind, late.total_seconds())


def survey_job_id(survey_id: str, zone: str | None = None) -> str:
    """``survey:ID``, or ``survey:ID@ZONE`` for the teams that run it in a zone of their own."""
    return f"{SURVEY_PREFIX}{survey_id}" + (f"@{zone}" if zone else "")


def digest_job_id(digest_id: str, zone: str | None = None) -> str:
    return f"{DIGEST_PREFIX}{digest_id}" + (f"@{zone}" if zone else "")


class Synced(NamedTuple):
    """What :func:`sync_jobs` did: the template job ids now scheduled, and those removed."""

    scheduled: list[str]
    removed: list[str]


def _settings_view(runtime: Runtime, team: str) -> Runtime:
    """``team``'s runtime with its effective settings, without its token (nothing is posted)."""
    return runtime.for_team(team, settings=team_settings.effective(runtime, team))


def _teams(runtime: Runtime, nothing: str) -> list[Runtime]:
    """Each served team's settings view; none (logged: ``nothing: why``) while the team of a
    single-workspace install cannot be told: the next catch-up retries."""
    try:
        teams = per_team.serving(runtime)
    except LookupError as exc:
        log.warning("%s: %s", nothing, exc)
        return []
    return [_settings_view(runtime, team) for team in teams]


def sync_jobs(scheduler: BackgroundScheduler, runtime: Runtime) -> Synced:
    """Make the scheduler's jobs match the templates the served teams run, in the zones they
    run them in (plus the periodic tick).

    A digest is scheduled when a team has channels for it (the template's own, or the team's
    ``digest_channels``: ``DEBTPULSE_DIGEST_CHANNELS`` by default).
    """
    try:
        views = [_settings_view(runtime, team) for team in per_team.serving(runtime)]
    except LookupError:  # the workspace cannot be told yet: the process's settings
        views = [runtime]
    plans = {(p.template_id, p.zone): p for view in views for p in team_slots.plans(view)}
    wanted: set[str] = set()
    for (template_id, zone), plan in sorted(plans.items(), key=lambda kv: str(kv[0])):
        func: Callable[..., None]
        if isinstance(plan.template, Survey):
            job_id, func = survey_job_id(template_id, zone), run_survey_slot
        else:
            job_id, func = digest_job_id(template_id, zone), run_digest_slot
        args = [template_id] if zone is None else [template_id, zone]
        trigger = slot_trigger(plan.template, zone)
        job = scheduler.get_job(job_id)
        if job is None or str(job.trigger) != str(trigger) or list(job.args) != args:
            scheduler.add_job(
                func, trigger, args=args, id=job_id, name=job_id, replace_existing=True
            )
        wanted.add(job_id)
    removed = sorted(
        job.id
        for job in scheduler.get_jobs()
        if job.id.startswith((SURVEY_PREFIX, DIGEST_PREFIX)) and job.id not in wanted
    )
    for job_id in removed:
        scheduler.remove_job(job_id)
        log.info("removed job %s: no team runs it (its template, or zone, is gone)", job_id)
    if scheduler.get_job(TICK_JOB) is None:  # added once: a resync keeps its rhythm
        scheduler.add_job(
            run_tick,
            IntervalTrigger(seconds=int(TICK_EVERY.total_seconds()), timezone=UTC),
            id=TICK_JOB,
            name=TICK_JOB,
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
    scheduler.add_job(  # the teams' zones and channels, as they change them
        run_sync,
        IntervalTrigger(seconds=int(SYNC_EVERY.total_seconds()), timezone=UTC),
        args=[scheduler],
        id=SYNC_JOB,
        name=SYNC_JOB,
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
    scheduler.add_job(  # uninstalled workspaces' data purged once due: hourly
        run_purges,
        IntervalTrigger(seconds=int(REVIEW_EVERY.total_seconds()), timezone=UTC),
        id="purges",
        name="purges",
        replace_existing=True,
    )
    scheduler.resume()
    log.info("scheduler started with %d template jobs: %s", len(synced.scheduled), synced.scheduled)
    _guarded("looking for missed runs", lambda: _report_missed(runtime, (clock or runtime.clock)()))
    return scheduler


def _guarded(what: str, call: Callable[[], object]) -> None:
    """Run one job's work; an error is logged, never raised into the scheduler."""
    try:
        call()
    except Exception:
        log.exception("%s failed", what)


def _template(runtime: Runtime, template_id: str) -> Survey | Digest | None:
    loaded = runtime.catalog.get(template_id)
    template = (loaded.survey or loaded.digest) if loaded is not None else None
    if template is None:
        log.warning("no template %s any more; nothing to run", template_id)
    return template


def _slot_teams(template_id: str, zone: str | None, now: datetime) -> None:
    """Run the slot of ``template_id`` in ``zone`` that just came due, for each team that
    runs the template in that zone: several teams at once, each with its own runtime."""
    runtime, _ = _registered()
    template = _template(runtime, template_id)
    if template is None:
        return
    # APScheduler 3 does not hand the scheduled time to the job; with coalesce on, the
    # latest fire time up to now is the slot being run.
    slot = latest_fire_time(slot_trigger(template, zone), now, within=MISFIRE_GRACE)
    if slot is None:
        log.warning("%s: no slot due within the grace window at %s", template_id, now)
        return
    teams = [
        view.default_team
        for view in _teams(runtime, "nothing opened")
        if any(p.template_id == template_id and p.zone == zone for p in team_slots.plans(view))
    ]
    call = _call_open if isinstance(template, Survey) else _call_post
    per_team.for_each_team(
        runtime,
        teams,
        lambda view: call(view, template_id, slot),
        what=lambda team: f"{template_id} for {slot.isoformat()}{per_team.in_team(runtime, team)}",
    )
    if isinstance(template, Survey):
        _send_opened(runtime)


def _send_opened(runtime: Runtime) -> None:
    """Send what the runs just opened planned, every team's at once (each paced by its own
    limits), for a while; the workers' senders, woken, share the work and send the rest."""
    sender.wake()
    stop = threading.Event()
    timer = threading.Timer(SEND_FOR_S, stop.set)
    timer.start()
    try:
        _guarded("sending the runs just opened", lambda: sender.send_due(runtime, stop=stop))
    finally:
        timer.cancel()


def run_survey_slot(survey_id: str, zone: str | None = None) -> None:
    """Job: open the survey's run for the slot that just came due, for each team of ``zone``
    (None: the teams that run it in the template's own zone)."""
    _, clock = _registered()
    _slot_teams(survey_id, zone, clock())


def run_digest_slot(digest_id: str, zone: str | None = None) -> None:
    """Job: post the digest for the slot that just came due, for each team of ``zone``."""
    _, clock = _registered()
    _slot_teams(digest_id, zone, clock())


def run_tick() -> None:
    """Job: due work from database state (reminders, closing, unsent deliveries)."""
    runtime, _ = _registered()
    _guarded("tick", lambda: poll_jobs.tick(runtime))


def missed_slots(
    runtime: Runtime, *, now: datetime, grace: timedelta = MISFIRE_GRACE
) -> list[tuple[str, datetime, datetime | None]]:
    """Each served team's surveys whose latest slot before the grace window opened no run,
    none was sent by hand since, and the survey ran for the team before: (survey, missed
    slot, next slot). Too late to open; worth a log line at start."""
    return [
        missed
        for view in _teams(runtime, "no missed runs looked for")
        for missed in team_slots.missed_slots(view, now=now, grace=grace)
    ]


def _report_missed(runtime: Runtime, now: datetime) -> None:
    for view in _teams(runtime, "no missed runs looked for"):
        team = view.default_team
        where, option = per_team.in_team(runtime, team), ""
        if where:
            option = f" --team {team}"
        for survey_id, slot, following in team_slots.missed_slots(
            view, now=now, grace=MISFIRE_GRACE
        ):
            upcoming = f"; the next opens {following:%Y-%m-%d %H:%M} UTC" if following else ""
            log.warning(
                "%s%s: the run of %s UTC was missed while no worker ran (over %d h ago, too "
                "late to open; `debtpulse poll send %s%s` opens one now)%s",
                survey_id,
                where,
                f"{slot:%Y-%m-%d %H:%M}",
                MISFIRE_GRACE.total_seconds() // 3600,
                survey_id,
                option,
                upcoming,
            )


def catch_up(runtime: Runtime, *, now: datetime) -> list[tuple[str, datetime]]:
    """For each served team (several at once): open each survey's latest due slot with no
    run, and post each due digest not yet posted (both are idempotent regardless). What was
    due, team after team."""
    teams = [view.default_team for view in _teams(runtime, "nothing caught up")]
    done = per_team.for_each_team(
        runtime,
        teams,
        lambda view: catch_up_team(view, now=now),
        what=lambda team: f"catch-up{per_team.in_team(runtime, team)}",
    )
    caught = [due for team in teams for due in done.get(team, [])]
    if caught:
        _send_opened(runtime)
    return caught


def catch_up_team(runtime: Runtime, *, now: datetime) -> list[tuple[str, datetime]]:
    """One team's catch-up (``runtime``: the team's)."""
    where = per_team.in_team(runtime, runtime.posting_team())
    due = team_slots.due_slots(runtime, now=now, grace=MISFIRE_GRACE)
    for survey_id, slot in due:
        log.info("catching up %s%s for %s", survey_id, where, slot.isoformat())
        _call_open(runtime, survey_id, slot)
    digests_due = team_slots.due_digests(runtime, now=now, grace=MISFIRE_GRACE)
    for digest_id, slot in digests_due:
        log.info("catching up digest %s%s for %s", digest_id, where, slot.isoformat())
        _call_post(runtime, digest_id, slot)
    return due + digests_due


def _call_post(runtime: Runtime, digest_id: str, slot: datetime) -> None:
    telemetry.job_lag("digest", (runtime.clock() - slot).total_seconds())
    where = per_team.in_team(runtime, runtime.default_team)
    _guarded(
        f"posting digest {digest_id}{where} for {slot.isoformat()}",
        lambda: digest_jobs.post_digest(runtime, digest_id, slot),
    )


def _call_open(runtime: Runtime, survey_id: str, slot: datetime) -> None:
    telemetry.job_lag("survey", (runtime.clock() - slot).total_seconds())
    where = per_team.in_team(runtime, runtime.default_team)
    _guarded(
        f"opening {survey_id}{where} for {slot.isoformat()}",
        lambda: poll_jobs.open_poll(runtime, survey_id, slot, send_for=0.0),
    )


def run_reviews() -> None:
    """Job (at start, then hourly): reopen accepted items whose review date has come."""
    runtime, clock = _registered()
    _guarded("reopening accepted items", lambda: reviews.reopen_due_items(runtime, now=clock()))


def run_purges() -> None:
    """Job (hourly): purge the uninstalled workspaces whose purge date has passed."""
    from bot.services import team_lifecycle

    runtime, clock = _registered()
    _guarded("purging workspaces", lambda: team_lifecycle.purge_due(runtime, clock()))


def run_sync(scheduler: BackgroundScheduler) -> None:
    """Job (every minute): the template jobs follow the teams' zones and channels."""
    runtime, _ = _registered()
    _guarded("following the teams' settings", lambda: sync_jobs(scheduler, runtime))


def run_catch_up() -> None:
    """Job (at start, then hourly): open the slots missed while no worker ran."""
    runtime, clock = _registered()
    _guarded("catch-up", lambda: catch_up(runtime, now=clock()))
