"""Accepted debt comes back for review: an item whose review date has come reopens, audited.

``/debt status KEY accepted until DATE why…`` keeps an item out of the ranking until DATE.
On that day, in the team's time zone (:func:`team_zone`), the worker's review job sets it
back to ``open`` with the reason ``review date DATE reached`` in the audit trail. The job
runs under the scheduler lease when the scheduler starts (a date that passed while no worker
ran is caught up then) and every hour after; it is idempotent, since a reopened item is no
longer ``accepted``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.services import digest_jobs, team_settings
from bot.services.register import save_item
from storage import register
from surveys import TemplateErrors

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: Who reopens an item in the audit trail.
ACTOR = "review"


def team_zone(runtime: Runtime, *, strict: bool = True) -> tzinfo:
    """The team's time zone: its own (``timezone``: ``/debt config``, DEBTPULSE_TIMEZONE)
    when set, else that of its weekly digest's schedule (the week the team reads its numbers
    in), or UTC when it has no digest template.

    ``strict=False`` (a register export, which only writes days down) answers UTC, logged,
    when the templates do not load, rather than refuse; a change that checks a day against
    today needs the real zone, and the template errors are raised."""
    if runtime.settings.timezone is not None:
        return ZoneInfo(runtime.settings.timezone)
    try:
        catalog = runtime.catalog
    except TemplateErrors:
        if strict:
            raise
        log.warning("the templates do not load: the team's days are read in UTC")
        return UTC
    loaded = catalog.get(digest_jobs.default_digest_id(runtime))
    if loaded is None or loaded.digest is None:
        return UTC
    return loaded.digest.schedule.zone


@dataclass(frozen=True)
class Reopened:
    team_id: str
    key: str
    review_date: date


def reopen_due(
    session: Session, *, now: datetime, zone: tzinfo, team_id: str | None = None
) -> list[Reopened]:
    """Reopen every accepted item (of ``team_id``, else of every team) whose review date is
    today in ``zone`` or earlier, in the caller's transaction; returns what it reopened."""
    today = now.astimezone(zone).date()
    reopened = []
    for item in register.accepted_due(session, on_or_before=today, team_id=team_id):
        review_date = item.accepted_until
        assert review_date is not None  # an accepted item has its date (a CHECK says so)
        save_item(
            session,
            team_id=item.team_id,
            key=item.key,
            fields={"status": "open"},
            actor=ACTOR,
            reason=f"review date {review_date.isoformat()} reached",
            now=now,
        )
        reopened.append(Reopened(item.team_id, item.key, review_date))
    return reopened


def reopen_due_items(runtime: Runtime, *, now: datetime | None = None) -> list[Reopened]:
    """The worker's review job: :func:`reopen_due` for each team holding an item that may
    be due, in that team's time zone (``/debt config``'s, else its digest's), one
    transaction per team; logged."""
    now = now or runtime.clock()
    # a day ahead: a zone east of UTC may already be in the next day
    with runtime.transaction(write=False) as session:
        teams = register.teams_with_accepted_due(
            session, on_or_before=(now + timedelta(days=1)).date()
        )
    reopened: list[Reopened] = []
    for team in teams:
        zone = team_zone(team_settings.team_view(runtime, team))
        with runtime.transaction() as session:
            reopened += reopen_due(session, now=now, zone=zone, team_id=team)
    for item in reopened:
        log.info(
            "%s (team %s) reopened: its review date %s was reached",
            item.key,
            item.team_id,
            item.review_date.isoformat(),
        )
    return reopened
