"""Closing a poll run, and posting its results until they land.

The run is closed and one ``poll_result_post`` row per channel is recorded in one
transaction; then the results are posted. What Slack refused for a while (rate limits,
outages, a stopped process) is posted by the worker's tick later, with growing pauses, for
up to a day after the close. What it refuses for good (an archived channel) is reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.polls import run_summary
from bot.runtime import Runtime
from bot.services.slack_calls import PERMANENT, SEND_TIMEOUT, attempt, slack_client, slack_error
from bot.slack import poll_views
from storage import held, polls, responses, result_posts
from storage.models import PollResultPost

logger = logging.getLogger(__name__)
#: How long after the close the worker keeps trying to post results Slack did not take.
RESULTS_PATIENCE = timedelta(days=1)
#: The pause before the worker's next try grows with each try, up to this.
LONGEST_PAUSE = timedelta(hours=1)
FIRST_PAUSE = timedelta(seconds=30)

NO_RESULTS_CHANNEL = (
    "its results were not posted: a poll without a channel message posts them in "
    "DEBTPULSE_POLL_CHANNEL, which is not set"
)


@dataclass(frozen=True)
class Closed:
    """A run this call closed: how many answered and where its results went."""

    respondents: int
    posted_in: tuple[str, ...]
    problems: tuple[str, ...]  # "its results were not posted in C… (error)", one per channel


@dataclass(frozen=True)
class Posted:
    """What one round of posting a run's results did."""

    posted_in: tuple[str, ...]
    problems: tuple[str, ...]


def close_poll(runtime: Runtime, run_id: int) -> Closed | None:
    """Close the run now and post its summary; None when it was closed already."""
    now = runtime.clock()
    with runtime.transaction() as session:
        if not polls.close_run(session, run_id=run_id, now=now):
            return None
        run = polls.run_by_id(session, run_id=run_id)  # read after the UPDATE: closed, closed_at
        assert run is not None
        if run.anonymous:  # its answers enter every number now, in groups, or stay held
            held.release_at_close(
                session,
                run=run,
                min_group=runtime.settings.min_group,
                horizon=timedelta(weeks=runtime.score_settings.pain_horizon_weeks),
            )
        answered = polls.count_respondents(session, run_id=run_id)
        channel_posts = [
            d for d in polls.deliveries(session, run_id=run_id, status="sent") if d.to_channel
        ]
        targets = [(d.channel_id, d.message_ts) for d in channel_posts]
        if not targets and runtime.settings.poll_channel:
            targets = [(runtime.settings.poll_channel, "")]
        result_posts.plan(session, run=run, targets=targets)
    client = slack_client(runtime)
    closed = poll_views.poll_message(
        run_id=run_id, frozen=run.frozen, respondents=answered, closes_at=run.closes_at, closed=True
    )
    for delivery in channel_posts:
        # On its own: a deleted poll message still gets its results posted.
        attempt(
            f"run {run_id}: the poll message in {delivery.channel_id} was not marked closed",
            partial(
                client.chat_update, channel=delivery.channel_id, ts=delivery.message_ts, **closed
            ),
        )
    posted = post_results(runtime, run_id)
    problems = posted.problems if targets else (NO_RESULTS_CHANNEL,)
    logger.info("run %s closed with %d respondents", run_id, answered, extra={"run_id": run_id})
    return Closed(answered, posted.posted_in, problems)


def _pause(tries: int) -> timedelta:
    return min(FIRST_PAUSE * 2 ** max(tries - 1, 0), LONGEST_PAUSE)


def _waiting(post: PollResultPost, now: datetime) -> bool:
    """A post that failed for a while is tried again only after its pause."""
    return (
        post.status == "pending"
        and post.attempts > 0
        and now < post.updated_at + _pause(post.attempts)
    )


def post_results(runtime: Runtime, run_id: int) -> Posted:
    """Post the closed run's results where they are due; what this call posted or not."""
    now = runtime.clock()
    with runtime.transaction(write=False) as session:
        run = polls.run_by_id(session, run_id=run_id)
        posts = [
            p
            for p in result_posts.of_run(session, run_id=run_id)
            if p.status in ("pending", "posting") and not _waiting(p, now)
        ]
        if run is None or not posts:
            return Posted((), ())  # nothing due now: no summary is built
        min_group = runtime.settings.min_group
        results, previous = responses.results_and_previous(session, run, min_group=min_group)
        answered = polls.count_respondents(session, run_id=run_id)
    lines = run_summary(run.frozen, results=results, previous=previous, min_group=min_group)
    summary = poll_views.summary_message(
        frozen=run.frozen, lines=lines, respondents=answered, min_group=min_group
    )
    client = slack_client(runtime)
    give_up = run.closed_at is not None and now - run.closed_at > RESULTS_PATIENCE
    posted_in: list[str] = []
    problems: list[str] = []
    for post in posts:
        assert post.id is not None
        with runtime.transaction() as session:
            claimed = result_posts.claim(
                session, post_id=post.id, now=now, stale_before=now - SEND_TIMEOUT
            )
        if not claimed:
            continue  # another caller is posting it, or has
        thread: dict[str, Any] = {"thread_ts": post.thread_ts} if post.thread_ts else {}
        try:
            response = client.chat_postMessage(channel=post.channel_id, **thread, **summary)
        except (SlackApiError, OSError) as exc:
            error = slack_error(exc)
            final = error in PERMANENT or give_up
            with runtime.transaction() as session:
                result_posts.mark(
                    session,
                    post_id=post.id,
                    status="failed" if final else "pending",
                    now=now,
                    error=error,
                )
            what = f"its results were not posted in {post.channel_id} ({error})"
            later = "" if final else "; the worker tries again"
            logger.warning("run %s: %s%s", run_id, what, later)
            problems.append(what + later)
            continue
        with runtime.transaction() as session:
            result_posts.mark(
                session, post_id=post.id, status="posted", now=now, message_ts=str(response["ts"])
            )
        posted_in.append(post.channel_id)
    return Posted(tuple(posted_in), tuple(problems))


def post_due_results(runtime: Runtime) -> None:
    """The tick's part: post the results of the team's closed runs that Slack did not take
    yet."""
    with runtime.transaction(write=False) as session:
        due = result_posts.runs_due(
            session,
            stale_before=runtime.clock() - SEND_TIMEOUT,
            team_id=runtime.posting_team(),
        )
    for run_id in due:
        try:
            post_results(runtime, run_id)
        except Exception:  # one run's failure must not hold up the others
            logger.exception("run %s: its results failed; the next tick tries again", run_id)
