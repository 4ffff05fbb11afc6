"""Poll work the scheduler (and ``/debt poll …``) runs: open, deliver, remind, close.

Module-level functions taking plain values. The database is the record of what happened:
a slot opens once (unique run per survey and slot), every message is planned in
``poll_delivery`` before it is sent and marked after, so a restart resumes without sending
anyone a second copy. Sending is the fan-out's (:mod:`bot.services.fanout`): several at once,
paced under Slack's limits, shared by every process that sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.anonymity import participant
from bot.core.polls import FrozenItem, freeze, recipient_due
from bot.runtime import Runtime
from bot.services import fanout, per_team
from bot.services.pacing import PACER, paced
from bot.services.poll_close import close_poll, post_due_results
from bot.services.ranking import current_ranking
from bot.services.slack_calls import SEND_TIMEOUT, attempt, slack_client
from bot.slack import poll_views
from bot.slack.people import BeforeCall, channel_members, people_among, usergroup_members
from bot.slack.rate_limits import POST_MESSAGE
from storage import deliveries, held, polls, register, result_posts
from storage.models import PollRun
from surveys import Survey

logger = logging.getLogger(__name__)
live_results = fanout.live_results  # the listeners read a run's live results from here

TICK_SEND_S = 10.0
"""How long one team's tick sends its due deliveries; the worker's sender sends the rest, so
one team's backlog holds up no other team's closes and reminders."""


def _survey(runtime: Runtime, survey_id: str) -> Survey:
    loaded = runtime.catalog.get(survey_id)
    if loaded is None or loaded.survey is None:
        raise LookupError(f"no survey {survey_id!r}")
    return loaded.survey


class Audience(NamedTuple):
    """Whom a run reaches: the channel, or each person of a DM audience with their time zone
    (None when unknown), and how many people that is (None when it could not be told)."""

    recipients: dict[str, str | None]
    size: int | None


def _audience(
    runtime: Runtime, survey: Survey, client: WebClient, before_call: BeforeCall
) -> Audience:
    """Resolved with list calls (channel members, usergroup, one directory sweep), paced."""
    audience = survey.audience
    if audience is None or audience.channel:
        channel = audience.channel if audience else runtime.settings.poll_channel
        if not channel:
            raise LookupError(f"{survey.id} has no audience: set DEBTPULSE_POLL_CHANNEL")
        return Audience({channel: None}, _channel_size(client, channel, before_call))
    assert audience.dm is not None
    people: set[str] = set()
    if audience.dm.usergroup:
        people |= usergroup_members(client, audience.dm.usergroup, before_call=before_call)
    if audience.dm.channel_members:
        people |= _members_of(client, audience.dm.channel_members, survey.id, before_call)
    humans = people_among(client, people, before_call=before_call)
    return Audience(humans, len(humans))


def _members_of(client: WebClient, channel: str, what: str, before_call: BeforeCall) -> set[str]:
    """The members of a DM audience's channel; a LookupError saying what to do when Slack
    will not list them (a private channel debtpulse is not in looks like no channel at all)."""
    try:
        return channel_members(client, channel, before_call=before_call)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in ("channel_not_found", "not_in_channel"):
            raise
        raise LookupError(
            f"{what}: debtpulse cannot see the members of <#{channel}> ({error}). If it is a "
            f"private channel, invite the bot to it (`/invite @debtpulse` in that channel) "
            f"and send the poll again; otherwise check the survey's channel id"
        ) from exc


def _channel_size(client: WebClient, channel: str, before_call: BeforeCall) -> int | None:
    """How many people a channel poll reaches: the channel's human members (like a DM
    audience: no bots, debtpulse included, and no deactivated users)."""
    try:
        members = channel_members(client, channel, before_call=before_call)
        return len(people_among(client, members, before_call=before_call))
    except (SlackApiError, OSError) as exc:
        logger.info("the size of %s is unknown (%s)", channel, exc)
        return None


def _frozen(runtime: Runtime, survey: Survey, team: str, now: datetime) -> dict[str, Any]:
    with runtime.transaction(write=False) as session:
        ranking = current_ranking(session, team_id=team, now=now, settings=runtime.score_settings)
        ranked = {r.breakdown.key: r.rank for r in ranking.items}
        every = register.list_items(session, team_id=team)
    by_rank = sorted(every, key=lambda i: (ranked.get(i.key, 10**6), i.key))
    items_for: dict[str, Sequence[FrozenItem]] = {}
    for question in survey.questions:
        for_each = getattr(question, "for_each", None)
        if for_each is None:
            continue
        f = for_each.debt_items
        fits = [
            i
            for i in by_rank
            if (f.category is None or i.category == f.category)
            and (f.component is None or i.component == f.component)
        ]
        chosen = [FrozenItem(i.id or 0, i.key, i.title) for i in fits if i.status == f.status]
        chosen = chosen[: f.top] if f.top else chosen
        if f.also_resolved_within is not None and f.status != "resolved":
            since = now - f.also_resolved_within  # after the others, newest fix first
            recent = [
                i
                for i in fits
                if i.status == "resolved" and i.resolved_at is not None and i.resolved_at >= since
            ]
            recent.sort(key=lambda i: i.resolved_at or now, reverse=True)
            chosen += [FrozenItem(i.id or 0, i.key, i.title) for i in recent]
        items_for[question.id] = chosen
    choices = [FrozenItem(i.id or 0, i.key, i.title) for i in by_rank if i.status == "open"]
    return freeze(survey, items_for=items_for, choices=choices)


def _due_times(
    survey: Survey, recipients: dict[str, str | None], slot: datetime, now: datetime
) -> dict[str, datetime | None]:
    """Per recipient, when to send: at once, or their own local time of the slot."""
    if not survey.per_recipient_timezone:
        return dict.fromkeys(recipients)
    due: dict[str, datetime | None] = {}
    for recipient, zone in recipients.items():
        at = recipient_due(
            slot,
            opening_zone=survey.opening_zone,
            recipient_zone=zone,
            fallback=survey.schedule.zone,
        )
        due[recipient] = at if at > now else None
    return due


def open_poll(
    runtime: Runtime,
    survey_id: str,
    scheduled_for: datetime,
    *,
    source: str = "schedule",
    send_for: float | None = None,
) -> int | None:
    """Open the run of ``survey_id`` for ``scheduled_for`` once; its id when this call opened it.

    The run and every message are recorded first, then sent (:func:`fanout.deliver_due`):
    what Slack did not take by the end is the next pass's. ``send_for``: send for at most
    that many seconds (0: none — the scheduler opens many workspaces' runs, then sends them
    all at once), else until nothing is due soon."""
    survey = _survey(runtime, survey_id)
    client = slack_client(runtime)
    team, now = runtime.posting_team(), runtime.clock()
    audience = _audience(runtime, survey, client, paced(runtime, team))
    recipients = audience.recipients
    frozen = _frozen(runtime, survey, team, now)
    loaded = runtime.catalog[survey_id]
    due = _due_times(survey, recipients, scheduled_for, now)
    last_due = max((at for at in due.values() if at is not None), default=now)
    with runtime.transaction() as session:
        run, created = polls.claim_run(
            session,
            team_id=team,
            survey_id=survey_id,
            scheduled_for=scheduled_for,
            values={
                "status": "open",
                "opened_at": now,
                "closes_at": max(now, last_due) + survey.open_for,
                "audience": audience.size,
                "anonymous": survey.anonymous,
                "content_hash": loaded.content_hash,
                "frozen": frozen,
                "source": source,
            },
        )
        polls.record_survey(
            session,
            team_id=team,
            survey_id=survey_id,
            content_hash=loaded.content_hash,
            definition=frozen["definition"],
            source=str(loaded.path),
            now=now,
        )
        if created:
            deliveries.plan(session, run=run, due=due)
    if not created:
        logger.info("%s: the slot %s has a run already", survey_id, scheduled_for.isoformat())
        return None
    assert run.id is not None
    waiting = sum(1 for at in due.values() if at is not None)
    logger.info(
        "%s: opened run %s for %d recipients (%d at their own local time later)",
        survey_id,
        run.id,
        len(recipients),
        waiting,
        extra={"survey": survey_id, "run_id": run.id, "team": run.team_id},
    )
    until = None if send_for is None else time.monotonic() + send_for
    fanout.deliver_due(runtime, wait=True, until=until)
    return run.id


def remind(runtime: Runtime, run: PollRun, now: datetime) -> int:
    """Remind as reminder offsets pass: by DM each DM recipient who has not answered; in a
    channel poll's thread (shown in the channel too) unless everyone has answered.

    One reminder per delivery and tick at most: offsets that passed while no worker ran are
    covered by that one reminder, not sent one after another.
    """
    survey = _survey(runtime, run.survey_id) if run.survey_id in runtime.catalog else None
    if survey is None or not survey.reminders or run.opened_at is None or run.id is None:
        return 0
    with runtime.transaction(write=False) as session:
        answered = polls.respondents(session, run_id=run.id)
        sent = polls.deliveries(session, run_id=run.id, status="sent")
    client = slack_client(runtime)
    everyone = run.audience is not None and len(answered) >= run.audience
    count = 0
    for delivery in sent:
        recipient = delivery.recipient
        person = recipient.startswith(("U", "W"))
        received = delivery.due_at or run.opened_at  # reminders count from their own DM
        due = sum(1 for offset in survey.reminders if received + offset <= now)
        due = min(due, survey.max_reminders)
        key = participant(
            secret=runtime.anon_secret,
            run_id=run.id,
            anonymous=run.anonymous,
            user_id=recipient,
        )
        if delivery.reminders_sent >= due or (key in answered if person else everyone):
            continue
        assert delivery.id is not None
        with runtime.transaction() as session:
            claimed = polls.note_reminder(session, delivery_id=delivery.id, covers=due, now=now)
        if not claimed:
            continue  # another worker's tick sent this reminder
        reminder = poll_views.reminder_message(
            run_id=run.id,
            frozen=run.frozen,
            closes_at=run.closes_at,
            **({} if person else {"answered": len(answered), "audience": run.audience}),
        )
        channel = delivery.channel_id or recipient
        where = (
            {"channel": channel}
            if person
            else {"channel": channel, "thread_ts": delivery.message_ts, "reply_broadcast": True}
        )
        PACER.wait(runtime, team=run.team_id, method=POST_MESSAGE, channel=channel)
        if attempt(
            f"run {run.id}: a reminder failed",
            partial(client.chat_postMessage, **where, **reminder),
        ):
            count += 1
    return count


def tick(runtime: Runtime) -> None:
    """Due work from database state, for every team that has some, each with its own runtime
    and token, several teams at once (:mod:`bot.services.per_team`): :func:`tick_team`.
    Then held anonymous answers that can no longer count expire."""
    stale_before = runtime.clock() - SEND_TIMEOUT
    with runtime.transaction(write=False) as session:
        teams = set(polls.teams_with_open_runs(session))
        teams |= set(result_posts.teams_due(session, stale_before=stale_before))
    per_team.for_each_team(
        runtime,
        per_team.served(runtime, teams),
        tick_team,
        what=lambda team: f"the tick{per_team.in_team(runtime, team)}",
    )
    expire_held(runtime)


def tick_team(runtime: Runtime) -> None:
    """One team's due work: close its expired runs, remind, post results Slack did not take
    at the close, and send its due deliveries for a while (unless a drain of this process is
    at it already: the worker's sender, or a fan-out under way; the sender sends the rest)."""
    now = runtime.clock()
    with runtime.transaction(write=False) as session:
        open_runs = polls.runs_with_status(session, status="open", team_id=runtime.posting_team())
    for run in open_runs:
        try:
            _tick_run(runtime, run, now)
        except Exception:  # one run's failure must not hold up the others
            logger.exception("run %s: the tick's work failed; the next tick tries again", run.id)
    post_due_results(runtime)
    if open_runs:
        try:
            fanout.deliver_due(runtime, until=time.monotonic() + TICK_SEND_S)
        except Exception:
            logger.exception("sending the due deliveries failed; the next tick tries again")


def expire_held(runtime: Runtime) -> int:
    """Delete held anonymous answers of closed runs older than the scoring horizon: they
    never reached a group in time and never will count. How many went."""
    horizon = timedelta(weeks=runtime.score_settings.pain_horizon_weeks)
    before = (runtime.clock() - horizon).date()
    with runtime.transaction() as session:
        gone = held.expire_all(session, before=before)
    if gone:
        logger.info("%d held anonymous answers expired unreleased", gone)
    return gone


def _tick_run(runtime: Runtime, run: PollRun, now: datetime) -> None:
    assert run.id is not None
    if run.closes_at is not None and run.closes_at <= now:
        close_poll(runtime, run.id)
        return
    remind(runtime, run, now)


def manual_slot(now: datetime) -> datetime:
    """The slot a manual ``poll send`` takes: the current minute (a racing schedule at the
    same minute collides with it in the database, so the slot still fires once)."""
    return now.replace(second=0, microsecond=0)
