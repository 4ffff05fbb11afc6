"""The weekly snapshot and digest at the digest's cron slot, and what the channel shows.

The snapshot is taken as ``debtpulse snapshot`` takes it (``current_ranking`` then
``take_snapshot``, once per week); the digest is posted by the real job,
``digest_jobs.post_digest``, at the slot the worker would compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.demo.sim import Sim
from bot.demo.stack import DIGEST_CHANNEL
from bot.demo.steps import StepFailed
from bot.demo.week import JOB_DELAY, next_slot
from bot.jobs.scheduler import MISFIRE_GRACE, latest_fire_time
from bot.sandbox import Message, UploadedFile
from bot.services import digest_jobs
from bot.services.ranking import current_ranking
from bot.services.snapshots import take_snapshot

DIGEST_ID = "weekly-digest"
SNAPSHOT_ACTOR = "demo:weekly-snapshot"


@dataclass(frozen=True)
class ChannelView:
    """The newest digest in the digest channel and the chart in its thread, if any."""

    message: Message | None
    chart: UploadedFile | None


def snapshot(sim: Sim) -> str:
    """This week's priority snapshot (nothing new when the week has one already)."""
    runtime, now = sim.runtime, sim.clock()
    with runtime.transaction() as session:
        ranking = current_ranking(
            session, team_id=runtime.default_team, now=now, settings=runtime.score_settings
        )
        result = take_snapshot(
            session, ranking=ranking, team_id=runtime.default_team, actor=SNAPSHOT_ACTOR, at=now
        )
    return str(result)


def digest_slot(sim: Sim, after: datetime) -> datetime:
    """Move the clock to the digest's first slot after ``after``; that slot, as the worker
    computes it."""
    trigger = sim.digest(DIGEST_ID).schedule.trigger()
    sim.clock.set(next_slot(trigger, after) + JOB_DELAY)
    slot = latest_fire_time(trigger, sim.clock(), within=MISFIRE_GRACE)
    if slot is None:
        raise LookupError("no digest slot is due")
    return slot


def post(sim: Sim, slot: datetime) -> str:
    """Post the digest for ``slot``; a short outcome for the week's progress line."""
    before = len(top_level_posts(sim))
    results = digest_jobs.post_digest(sim.runtime, DIGEST_ID, slot)
    failed = [r for r in results if r.outcome == "failed"]
    if failed:
        raise StepFailed(f"{failed[0].channel}: {failed[0].detail}")
    if len(top_level_posts(sim)) <= before:
        raise StepFailed("no digest reached the digest channel")
    return "digest posted" + (" with chart" if latest(sim).chart else "")


def top_level_posts(sim: Sim) -> list[Message]:
    return [
        m
        for m in sim.stack.fake.messages(DIGEST_CHANNEL)
        if m.thread_ts is None and m.via == "chat.postMessage"
    ]


def latest(sim: Sim) -> ChannelView:
    posts = top_level_posts(sim)
    message = posts[-1] if posts else None
    charts = [
        f
        for f in sim.stack.fake.uploaded_files
        if f.channel == DIGEST_CHANNEL
        and f.filename.endswith(".png")
        and message is not None
        and f.thread_ts == message.ts
    ]
    return ChannelView(message, charts[-1] if charts else None)
