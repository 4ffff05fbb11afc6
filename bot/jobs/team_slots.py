"""One team's scheduled work, read from its settings and the database: which templates run
for it and in which zone, and which of their slots are due, or were missed.

Every function takes the team's runtime (``Runtime.for_team``: its effective settings) and
reads nothing of Slack. A team enables every survey by default and a digest when it has
channels; slots are computed in the team's time zone when it set one (``timezone``), else
in the template's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from bot.jobs.triggers import job_zone, latest_fire_time, slot_trigger
from bot.runtime import Runtime
from bot.services import per_team
from bot.services.digest_jobs import digest_week
from storage import digests, polls
from surveys import Digest, Survey

#: How far back a start looks for a slot missed beyond the grace window.
MISSED_LOOKBACK = timedelta(days=35)


class Plan(NamedTuple):
    """A template that runs for the team, and the zone its slots come due in (None: the
    template's own)."""

    template_id: str
    template: Survey | Digest
    zone: str | None


def enabled(runtime: Runtime, template: Survey | Digest) -> bool:
    """Whether ``template`` runs for the team: a digest when it has channels (its own, or
    the team's ``digest_channels``); a survey always, except that one posted in a channel
    needs one (its own, or the team's ``poll_channel``) where several workspaces are served
    — a single-workspace install still tries, so its log says what to set."""
    settings = runtime.settings
    if isinstance(template, Digest):
        return bool(template.channels or settings.digest_channels)
    audience = template.audience
    if audience is not None and (audience.dm is not None or audience.channel):
        return True
    return bool(settings.poll_channel) or not per_team.multi_team(runtime)


def plans(runtime: Runtime) -> Iterator[Plan]:
    """The templates that run for the team, in id order, each with its zone."""
    zone = runtime.settings.timezone
    for template_id, loaded in sorted(runtime.catalog.items()):
        template = loaded.survey or loaded.digest
        if template is not None and enabled(runtime, template):
            yield Plan(template_id, template, job_zone(template, zone))


def slot_of(plan: Plan, now: datetime, *, within: timedelta) -> datetime | None:
    """The plan's latest slot in ``[now - within, now]`` (UTC), or None."""
    return latest_fire_time(slot_trigger(plan.template, plan.zone), now, within=within)


def due_slots(runtime: Runtime, *, now: datetime, grace: timedelta) -> list[tuple[str, datetime]]:
    """Each of the team's surveys' latest slot within ``grace`` before ``now`` with no run."""
    team = runtime.posting_team()
    due: list[tuple[str, datetime]] = []
    with runtime.transaction(write=False) as session:
        for plan in plans(runtime):
            slot = slot_of(plan, now, within=grace) if isinstance(plan.template, Survey) else None
            if slot is None:
                continue
            run = polls.run_by_slot(
                session, team_id=team, survey_id=plan.template_id, scheduled_for=slot
            )
            if run is None:
                due.append((plan.template_id, slot))
    return due


def due_digests(runtime: Runtime, *, now: datetime, grace: timedelta) -> list[tuple[str, datetime]]:
    """Each of the team's digests' latest slot within ``grace`` before ``now`` not yet
    posted in every channel."""
    team = runtime.posting_team()
    due: list[tuple[str, datetime]] = []
    with runtime.transaction(write=False) as session:
        for plan in plans(runtime):
            digest = plan.template
            if not isinstance(digest, Digest):
                continue
            slot = slot_of(plan, now, within=grace)
            if slot is None:
                continue
            week = digest_week(digest, slot, runtime.settings.timezone)
            posted = digests.posts_for_week(
                session, team_id=team, digest_id=plan.template_id, week=week
            )
            channels = digest.channels or runtime.settings.digest_channels
            if {p.channel_id for p in posted} < set(channels):
                due.append((plan.template_id, slot))
    return due


def missed_slots(
    runtime: Runtime, *, now: datetime, grace: timedelta
) -> list[tuple[str, datetime, datetime | None]]:
    """The team's surveys whose latest slot before the grace window opened no run, none was
    sent by hand since, and the survey ran for the team before: (survey, missed slot, next
    slot). Too late to open; worth a log line at start."""
    team = runtime.posting_team()
    missed: list[tuple[str, datetime, datetime | None]] = []
    with runtime.transaction(write=False) as session:
        for plan in plans(runtime):
            if not isinstance(plan.template, Survey):
                continue
            slot = slot_of(plan, now - grace, within=MISSED_LOOKBACK)
            if slot is None:
                continue
            kw = {"team_id": team, "survey_id": plan.template_id}
            # a run since (the slot, or one sent by hand later) covers it
            if polls.ran_between(session, **kw, start=slot, end=now + timedelta(minutes=1)):
                continue
            if polls.ran_between(session, **kw, start=None, end=slot):
                following = slot_trigger(plan.template, plan.zone).get_next_fire_time(None, now)
                missed.append(
                    (plan.template_id, slot, following.astimezone(UTC) if following else None)
                )
    return missed
