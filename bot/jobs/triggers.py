"""When a template's slots come due, for a team: its cron in the team's time zone (when the
team set one) or the template's own, once per local time across DST changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from surveys import Digest, Survey


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


def template_zone(template: Survey | Digest) -> tzinfo:
    """The template's own zone for its slots (a survey's opening zone)."""
    return template.opening_zone if isinstance(template, Survey) else template.schedule.zone


def job_zone(template: Survey | Digest, team_zone: str | None) -> str | None:
    """The zone a team's slots of ``template`` come due in, when it is not the template's
    own (None: the template's). A survey sent at each person's own local time opens in the
    earliest zone whatever the team's."""
    if team_zone is None or (isinstance(template, Survey) and template.per_recipient_timezone):
        return None
    return None if ZoneInfo(team_zone) == template_zone(template) else team_zone


def slot_trigger(template: Survey | Digest, zone: str | None = None) -> CronTrigger:
    """When the template's slots come due: its cron in ``zone`` (a team's, see
    :func:`job_zone`) or its own zone, once per local time."""
    where = ZoneInfo(zone) if zone is not None else template_zone(template)
    return OncePerLocalTime.from_crontab(template.schedule.cron, timezone=where)


def latest_fire_time(trigger: CronTrigger, now: datetime, *, within: timedelta) -> datetime | None:
    """The trigger's latest fire time in ``[now - within, now]`` (UTC), or None."""
    latest = None
    fire = trigger.get_next_fire_time(None, now - within)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return latest.astimezone(UTC) if latest is not None else None
