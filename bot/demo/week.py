"""One simulated week, as a timeline of what happens and when.

Monday at the pulse's cron slot the real job opens the poll (``poll_jobs.open_poll``, as the
worker's survey job does); people answer over the next two days; the real tick job
(``poll_jobs.tick``) runs as the clock passes each reminder offset and the closing time;
incidents arrive at ``POST /api/signals`` during the week; in the middle week the lead
resolves an item with ``/debt status``. Each event sets the simulated clock to its time
before it runs, so everything is stamped with simulated dates.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from apscheduler.triggers.cron import CronTrigger

from bot.demo import incidents, people, slash
from bot.demo.sim import Sim
from bot.demo.stack import LEAD_ID, POLL_CHANNEL
from bot.demo.steps import check, step
from bot.jobs.scheduler import MISFIRE_GRACE, latest_fire_time
from bot.services import poll_jobs

PULSE_ID = "weekly-debt-pulse"
FIRST_DAY_SHARE = 0.7  # most people answer on the day the poll opens
TICK_EVERY = timedelta(hours=6)  # the worker ticks every 30 s; every 6 h is enough here
JOB_DELAY = timedelta(seconds=2)  # a cron job starts a moment after its slot


@dataclass
class WeekReport:
    week: int
    monday: date
    recipients: int
    run_id: int | None = None
    answered: int = 0
    answers_sent: int = 0
    reminders: int = 0
    incidents: int = 0
    resolved: list[str] = field(default_factory=list)
    digest: str = ""


@dataclass(frozen=True)
class Event:
    at: datetime
    order: int  # breaks ties: the poll opens before anything else at the same time
    name: str
    action: Callable[[], None]


def next_slot(trigger: CronTrigger, after: datetime) -> datetime:
    fire = trigger.get_next_fire_time(None, after)
    if fire is None:
        raise LookupError("the schedule has no next slot")
    return fire


def _open(sim: Sim, report: WeekReport, monday: datetime) -> datetime:
    """Open the week's pulse at its slot, the way the worker's survey job does."""
    survey = sim.survey(PULSE_ID)
    slot_time = next_slot(survey.schedule.trigger(), monday)
    sim.clock.set(slot_time + JOB_DELAY)
    slot = latest_fire_time(survey.schedule.trigger(), sim.clock(), within=MISFIRE_GRACE)
    check(slot is not None, "no pulse slot is due")
    assert slot is not None
    posts_before = len(sim.stack.fake.messages(POLL_CHANNEL))
    report.run_id = poll_jobs.open_poll(sim.runtime, PULSE_ID, slot)
    check(report.run_id is not None, f"the slot {slot} had a run already")
    posted = len(sim.stack.fake.messages(POLL_CHANNEL)) > posts_before
    check(posted, "the poll message did not reach the poll channel")
    return slot_time


def _answer(sim: Sim, report: WeekReport, engineer_index: int) -> None:
    engineer = sim.truth.engineers[engineer_index]
    assert report.run_id is not None
    rng = random.Random(f"debtpulse-demo:{sim.seed}:answer:{report.week}:{engineer.user_id}")
    report.answers_sent += people.answer_poll(
        sim.stack,
        run_id=report.run_id,
        engineer=engineer,
        truth=sim.truth,
        keys_by_id=sim.keys_by_id,
        titles=sim.titles,
        rng=rng,
    )
    report.answered += 1


def _tick(sim: Sim, report: WeekReport) -> None:
    before = sim.reminders_sent()
    poll_jobs.tick(sim.runtime)
    report.reminders += sim.reminders_sent() - before


def _incident(sim: Sim, report: WeekReport, incident: incidents.Incident) -> None:
    if incident.key in sim.resolved:
        return  # fixed: it causes no more incidents
    incidents.post_incident(sim.stack, incident)
    report.incidents += 1


def _resolve(sim: Sim, report: WeekReport, key: str) -> None:
    reply = slash.as_text(slash.slash(sim.stack, user=LEAD_ID, text=f"status {key} resolved"))
    check("resolved" in reply, f"the bot answered: {reply[:200]}")
    sim.resolved.add(key)
    report.resolved.append(key)


def plan_week(sim: Sim, report: WeekReport, monday: datetime) -> list[Event]:
    """Everything after the poll opens this week, in time order."""
    survey = sim.survey(PULSE_ID)
    # The run's offsets count from when the job opened it, a moment after the slot.
    opened = next_slot(survey.schedule.trigger(), monday) + JOB_DELAY
    closes = opened + survey.open_for
    rng = random.Random(f"debtpulse-demo:{sim.seed}:week:{report.week}")
    events: list[Event] = []
    for index, engineer in enumerate(sim.truth.engineers):
        if rng.random() >= engineer.response_rate:
            continue  # did not answer this week
        if rng.random() < FIRST_DAY_SHARE:
            at = opened + timedelta(minutes=rng.randrange(5, 8 * 60))
        else:
            at = opened + timedelta(hours=24, minutes=rng.randrange(30, 20 * 60))
        at = min(at, closes - timedelta(minutes=5))
        events.append(Event(at, 2, "answer the poll", partial(_answer, sim, report, index)))
    tick_times = {opened + offset for offset in survey.reminders}
    tick_times |= {opened + TICK_EVERY * n for n in range(1, int(survey.open_for / TICK_EVERY))}
    tick_times.add(closes)
    for at in sorted(tick_times):
        events.append(Event(at, 1, "tick (reminders and closing)", partial(_tick, sim, report)))
    open_keys = [k for k in sim.keys if k not in sim.resolved]
    for incident in incidents.plan_incidents(
        sim.truth, open_keys, week=report.week, start=monday, rng=rng
    ):
        at = max(incident.at, opened)  # reported once the week's work is under way
        events.append(Event(at, 3, "send incidents", partial(_incident, sim, report, incident)))
    key = sim.truth.resolved_key
    if report.week == sim.resolve_week and key is not None and key not in sim.resolved:
        at = monday + timedelta(days=3, hours=15)  # Thursday afternoon
        events.append(Event(at, 4, f"resolve {key}", partial(_resolve, sim, report, key)))
    return sorted(events, key=lambda e: (e.at, e.order))


def simulate_week(sim: Sim, week: int, monday: datetime) -> WeekReport:
    """Run the week's poll, answers, ticks, incidents and resolution; the digest is apart."""
    report = WeekReport(week=week, monday=monday.date(), recipients=len(sim.truth.engineers))
    with step(f"week {week}: open the poll"):
        _open(sim, report, monday)
    for event in plan_week(sim, report, monday):
        with step(f"week {week}: {event.name}"):
            sim.clock.set(event.at)
            event.action()
    return report
