"""Poll work the scheduler (and ``/debt poll …``) runs: open, deliver, remind, close.

Module-level functions taking plain values. The database is the record of what happened:
a slot opens once (unique run per survey and slot), every message is planned in
``poll_delivery`` before it is sent and marked after, so a restart resumes without sending
anyone a second copy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.anonymity import participant
from bot.core.polls import (
    FrozenItem,
    SummaryLine,
    freeze,
    recipient_due,
    run_summary,
    shows_live_results,
)
from bot.runtime import Runtime
from bot.services.poll_close import close_poll, post_due_results
from bot.services.poll_report import delivery_problem
from bot.services.ranking import current_ranking
from bot.services.slack_calls import (
    MAX_TRIES,
    PERMANENT,
    SEND_TIMEOUT,
    attempt,
    slack_client,
    slack_error,
)
from bot.slack import poll_views
from bot.slack.people import channel_members, why_not_a_person
from storage import held, polls, register, responses
from storage.models import PollDelivery, PollRun
from surveys import Survey

logger = logging.getLogger(__name__)


def _survey(runtime: Runtime, survey_id: str) -> Survey:
    loaded = runtime.catalog.get(survey_id)
    if loaded is None or loaded.survey is None:
        raise LookupError(f"no survey {survey_id!r}")
    return loaded.survey


def _recipients(runtime: Runtime, survey: Survey, client: WebClient) -> dict[str, str | None]:
    """The channel, or the people of a DM audience (bots and deactivated users left out),
    each with their Slack time zone when known."""
    audience = survey.audience
    if audience is None or audience.channel:
        channel = audience.channel if audience else runtime.settings.poll_channel
        if not channel:
            raise LookupError(f"{survey.id} has no audience: set DEBTPULSE_POLL_CHANNEL")
        return {channel: None}
    assert audience.dm is not None
    people: set[str] = set()
    if audience.dm.usergroup:
        people |= set(client.usergroups_users_list(usergroup=audience.dm.usergroup)["users"])
    if audience.dm.channel_members:
        people |= _members_of(client, audience.dm.channel_members, survey.id)
    return _humans(client, people, survey.id)


def _members_of(client: WebClient, channel: str, what: str) -> set[str]:
    """The members of a DM audience's channel; a LookupError saying what to do when Slack
    will not list them (a private channel debtpulse is not in looks like no channel at all)."""
    try:
        return channel_members(client, channel)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in ("channel_not_found", "not_in_channel"):
            raise
        raise LookupError(
            f"{what}: debtpulse cannot see the members of <#{channel}> ({error}). If it is a "
            f"private channel, invite the bot to it (`/invite @debtpulse` in that channel) "
            f"and send the poll again; otherwise check the survey's channel id"
        ) from exc


def _humans(client: WebClient, people: set[str], what: str) -> dict[str, str | None]:
    """The people among ``people`` (bots and deactivated users left out), with their time zone."""
    humans: dict[str, str | None] = {}
    for user in sorted(people):
        try:
            info = client.users_info(user=user)["user"]
        except SlackApiError as exc:  # one unknown member must not stop the poll for all
            logger.warning("%s: a member was left out (%s)", what, exc.response.get("error"))
            continue
        if why_not_a_person(user, info) is None:
            humans[user] = info.get("tz") or None
    return humans


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
        chosen = [
            FrozenItem(i.id or 0, i.key, i.title)
            for i in by_rank
            if i.status == f.status
            and (f.category is None or i.category == f.category)
            and (f.component is None or i.component == f.component)
        ]
        items_for[question.id] = chosen[: f.top] if f.top else chosen
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


def _audience_size(client: WebClient, recipients: dict[str, str | None]) -> int | None:
    """How many people the run reaches: the DM recipients, or the channel's human members
    (like a DM audience: no bots, debtpulse included, and no deactivated users)."""
    first = next(iter(recipients), "")
    if not first.startswith(("C", "G")):
        return len(recipients)
    try:
        return len(_humans(client, channel_members(client, first), first))
    except (SlackApiError, OSError) as exc:
        logger.info("the size of %s is unknown (%s)", first, exc)
        return None


def open_poll(
    runtime: Runtime, survey_id: str, scheduled_for: datetime, *, source: str = "schedule"
) -> int | None:
    """Open the run of ``survey_id`` for ``scheduled_for`` once; its id when this call opened it."""
    survey = _survey(runtime, survey_id)
    client = slack_client(runtime)
    team, now = runtime.posting_team(), runtime.clock()
    recipients = _recipients(runtime, survey, client)
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
                "audience": _audience_size(client, recipients),
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
            for recipient in recipients:
                polls.plan_delivery(session, run=run, recipient=recipient, due_at=due[recipient])
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
    )
    deliver_pending(runtime, run.id)
    return run.id


def live_results(session: Session, run: PollRun, *, min_group: int) -> list[SummaryLine] | None:
    """The run's results so far when its survey shows them while open, else None."""
    if not shows_live_results(run.frozen):
        return None
    results, previous = responses.results_and_previous(session, run, min_group=min_group)
    return run_summary(run.frozen, results=results, previous=previous, min_group=min_group)


def _send(
    client: WebClient,
    run: PollRun,
    delivery: PollDelivery,
    respondents: int,
    *,
    results: list[SummaryLine] | None,
    min_group: int,
) -> tuple[str, str]:
    payload = poll_views.poll_message(
        run_id=run.id or 0,
        frozen=run.frozen,
        respondents=respondents,
        closes_at=run.closes_at,
        results=results if delivery.to_channel else None,
        min_group=min_group,
    )
    channel = delivery.recipient
    if channel.startswith(("U", "W")):
        channel = client.conversations_open(users=delivery.recipient)["channel"]["id"]
    response = client.chat_postMessage(channel=channel, **payload)
    return str(response["channel"]), str(response["ts"])


def _mark(runtime: Runtime, delivery_id: int, status: str, **details: str) -> None:
    """Record a delivery's state in a transaction of its own (before and after each send)."""
    with runtime.transaction() as session:
        polls.mark_delivery(
            session, delivery_id=delivery_id, status=status, now=runtime.clock(), **details
        )


def deliver_pending(runtime: Runtime, run_id: int) -> None:
    """Send every planned message of the run that has not been sent (at most once each)."""
    client = slack_client(runtime)
    with runtime.transaction(write=False) as session:
        run = polls.run_by_id(session, run_id=run_id)
        pending = polls.deliveries(session, run_id=run_id, status="pending")
        answered = polls.count_respondents(session, run_id=run_id)
        posts_pending = any(delivery.to_channel for delivery in pending)
        results = (
            live_results(session, run, min_group=runtime.settings.min_group)
            if run and posts_pending
            else None
        )
    if run is None or run.status != "open":
        return
    now = runtime.clock()
    for delivery in pending:
        assert delivery.id is not None
        if delivery.due_at is not None and delivery.due_at > now:
            continue  # the recipient's local time has not come yet: a later tick sends it
        if delivery.last_error == polls.SENDING:
            # Being sent by another caller, or a send that was under way when its process
            # stopped: that one may have landed, so it is given up, never repeated.
            with runtime.transaction() as session:
                polls.give_up_interrupted(
                    session, delivery_id=delivery.id, claimed_before=now - SEND_TIMEOUT, now=now
                )
            continue
        with runtime.transaction() as session:
            claimed = polls.claim_delivery(session, delivery_id=delivery.id, now=runtime.clock())
        if not claimed:
            continue  # another caller sent it or is sending it since this list was read
        try:
            channel, ts = _send(
                client,
                run,
                delivery,
                answered,
                results=results,
                min_group=runtime.settings.min_group,
            )
        except (SlackApiError, OSError) as exc:
            # After the client's own retries. A connection error is retried on the next tick.
            error = slack_error(exc)
            tries = delivery.attempts // 2 + 1  # each try marks "sending", then its outcome
            status = "skipped" if error in PERMANENT else "pending"
            if status == "pending" and tries >= MAX_TRIES:
                status = "failed"
            _mark(runtime, delivery.id, status=status, error=error)
            logger.warning("run %s: %s", run_id, delivery_problem(delivery, status, error))
            continue
        _mark(runtime, delivery.id, status="sent", channel_id=channel, message_ts=ts)


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
            polls.note_reminder(session, delivery_id=delivery.id, covers=due, now=now)
        reminder = poll_views.reminder_message(
            run_id=run.id,
            frozen=run.frozen,
            closes_at=run.closes_at,
            **({} if person else {"answered": len(answered), "audience": run.audience}),
        )
        where = (
            {"channel": delivery.channel_id or recipient}
            if person
            else {
                "channel": delivery.channel_id,
                "thread_ts": delivery.message_ts,
                "reply_broadcast": True,
            }
        )
        if attempt(
            f"run {run.id}: a reminder failed",
            partial(client.chat_postMessage, **where, **reminder),
        ):
            count += 1
    return count


def tick(runtime: Runtime) -> None:
    """Due work from database state: close expired runs, remind, resume unsent deliveries,
    post results Slack did not take at the close."""
    now = runtime.clock()
    with runtime.transaction(write=False) as session:
        open_runs = polls.runs_with_status(session, status="open")
    for run in open_runs:
        try:
            _tick_run(runtime, run, now)
        except Exception:  # one run's failure must not hold up the others
            logger.exception("run %s: the tick's work failed; the next tick tries again", run.id)
    expire_held(runtime)
    post_due_results(runtime)


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
    deliver_pending(runtime, run.id)
    remind(runtime, run, now)


def manual_slot(now: datetime) -> datetime:
    """The slot a manual ``poll send`` takes: the current minute (a racing schedule at the
    same minute collides with it in the database, so the slot still fires once)."""
    return now.replace(second=0, microsecond=0)
