"""Answering polls: the Answer button, one-click votes and the answer modal.

Answers are written in one transaction, acknowledged, and only then confirmed to the
person alone (ephemeral, or a DM when that is not possible) from a confirmation thread
(``bot.slack.confirmations``), so that no ack waits on Slack's answer to another's. The
channel message shows a live count of respondents — and, for a named survey with
``results_hidden_until_close: false``, the results so far — updated at most every few
seconds under a burst.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.polls import question_by_id
from bot.listeners.modals import submitted_values
from bot.runtime import Runtime
from bot.services.poll_answers import GivenAnswer, PollClosed, check_answers, record_answers
from bot.services.poll_jobs import live_results
from bot.slack import poll_views
from bot.slack.confirmations import confirm_later
from bot.slack.replies import tell
from bot.slack.response_url import reply
from storage import polls

logger = logging.getLogger(__name__)
COUNT_EVERY_S = 3.0


class CountUpdater:
    """Refreshes a run's channel messages with its respondent count, at most every few s."""

    def __init__(self, every: float = COUNT_EVERY_S) -> None:
        self.every = every
        self._last: dict[int, float] = {}
        self._scheduled: set[int] = set()
        self._lock = threading.Lock()

    def touch(self, runtime: Runtime, client: WebClient, run_id: int) -> None:
        with self._lock:
            if run_id in self._scheduled:
                return
            wait = self._last.get(run_id, 0.0) + self.every - time.monotonic()
            self._scheduled.add(run_id)
        timer = threading.Timer(max(wait, 0.0), self._update, args=(runtime, client, run_id))
        timer.daemon = True
        timer.start()

    def _update(self, runtime: Runtime, client: WebClient, run_id: int) -> None:
        with self._lock:
            self._scheduled.discard(run_id)
            self._last[run_id] = time.monotonic()
        try:
            min_group = runtime.settings.min_group
            with runtime.transaction(write=False) as session:
                run = polls.run_by_id(session, run_id=run_id)
                count = polls.count_respondents(session, run_id=run_id)
                sent = polls.deliveries(session, run_id=run_id, status="sent")
                posts = [d for d in sent if d.to_channel]
                results = live_results(session, run, min_group=min_group) if run else None
            if run is None or run.status != "open":
                return
            payload = poll_views.poll_message(
                run_id=run_id,
                frozen=run.frozen,
                respondents=count,
                closes_at=run.closes_at,
                results=results,
                min_group=min_group,
            )
            for post in posts:
                client.chat_update(channel=post.channel_id, ts=post.message_ts, **payload)
            self._heal_if_closed(runtime, client, run_id, posts)
        except (SlackApiError, OSError) as exc:
            logger.warning("run %s: the live count was not updated (%s)", run_id, exc)

    @staticmethod
    def _heal_if_closed(runtime: Runtime, client: WebClient, run_id: int, posts: list) -> None:
        """A close that landed while the count was updated must not leave an Answer button:
        re-read the run and, when it closed meanwhile, show the closed message again."""
        with runtime.transaction(write=False) as session:
            run = polls.run_by_id(session, run_id=run_id)
            count = polls.count_respondents(session, run_id=run_id)
        if run is None or run.status == "open":
            return
        closed = poll_views.poll_message(
            run_id=run_id,
            frozen=run.frozen,
            respondents=count,
            closes_at=run.closes_at,
            closed=True,
        )
        for post in posts:
            client.chat_update(channel=post.channel_id, ts=post.message_ts, **closed)


def _closed_text(run_closes: Any) -> str:
    when = f" at {run_closes:%a %d %b %H:%M} UTC" if run_closes else ""
    return f"This poll closed{when}; answers are no longer accepted."


class _RunGone(Exception):
    """The run a click names is not in this workspace's database."""


#: A button of a run debtpulse does not have (another workspace's, or a replaced database).
GONE_TEXT = "This poll no longer exists; answers are not accepted."


def _run_id(value: str) -> int | None:
    """The run id at the start of a button's value; None when it is not one."""
    head = value.split(":", 1)[0]
    return int(head) if head.isascii() and head.isdigit() else None


COUNTS = CountUpdater()


def open_answer_modal(
    ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    ack()
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    run_id = _run_id(str(body["actions"][0].get("value", "")))
    with runtime.transaction(write=False) as session:
        run = (
            None
            if run_id is None
            else polls.run_by_id(session, run_id=run_id, team_id=context["team"])
        )
    if run is None or run_id is None:
        respond(response_type="ephemeral", replace_original=False, text=GONE_TEXT)
        return
    if run.status != "open" or (run.closes_at is not None and runtime.clock() >= run.closes_at):
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=_closed_text(run.closed_at or run.closes_at),
        )
        return
    channel = (body.get("channel") or {}).get("id")
    view, _ = poll_views.poll_modal(
        run_id=run_id, frozen=run.frozen, user=user, channel=channel, secret=runtime.anon_secret
    )
    try:
        context.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"Could not open the poll ({exc.response.get('error')}); try again.",
        )


def vote(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    # Acknowledged only once the answer is committed: a person's later click is then always
    # written later, so a re-vote can never lose to the vote it replaces.
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    parts = str(body["actions"][0].get("value", "")).split(":", 2)
    run_id = _run_id(parts[0])
    if run_id is None or len(parts) != 3:
        ack()
        respond(response_type="ephemeral", replace_original=False, text=GONE_TEXT)
        return
    _, question_id, value = parts
    answer = GivenAnswer(question_id, question_id, None, value, None)
    try:
        with runtime.transaction() as session:
            run = polls.run_state(session, run_id=run_id, team_id=context["team"])
            if run is None:
                raise _RunGone(run_id)
            record_answers(
                session,
                run=run,
                user=user,
                answers=[answer],
                secret=runtime.anon_secret,
                now=runtime.clock(),
            )
    except PollClosed as closed:
        ack()
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=_closed_text(closed.args[0] if closed.args else None),
        )
        return
    except _RunGone:
        ack()
        respond(response_type="ephemeral", replace_original=False, text=GONE_TEXT)
        return
    except Exception:
        ack()
        logger.exception("run %s: a vote could not be stored", run_id)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=":x: Your answer could not be saved. Please try again.",
        )
        return
    ack()
    confirm_later(
        reply,
        respond,
        response_type="ephemeral",
        replace_original=False,
        text=f":white_check_mark: Recorded your answer: {value}. "
        "You can change it until the poll closes.",
    )
    COUNTS.touch(runtime, context.client, run_id)


def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    meta = json.loads(view.get("private_metadata") or "{}")
    run_id = int(meta.get("run", 0))
    asked = [int(i) for i in meta.get("items", [])]
    values = submitted_values(view)
    first_block = next(
        iter(b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"), ""
    )
    with runtime.transaction(write=False) as session:
        run = polls.run_by_id(session, run_id=run_id, team_id=context["team"])
    if run is None:
        ack(response_action="errors", errors={first_block: GONE_TEXT})
        return
    answers = []
    for block_id, value in values.items():
        question_id, _, item = block_id.partition(poll_views.BLOCK_SEPARATOR)
        question = question_by_id(run.frozen, question_id) or {}
        kind = question.get("type")
        as_text = kind in {"text", "debt_item_choice"}
        answers.append(
            GivenAnswer(
                block_id,
                question_id,
                int(item) if item else None,
                None if as_text else value,
                value if as_text else None,
            )
        )
    errors = check_answers(run, answers, asked=asked)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        with runtime.transaction() as session:
            fresh = polls.run_by_id(session, run_id=run_id)
            assert fresh is not None
            record_answers(
                session,
                run=fresh,
                user=user,
                answers=answers,
                secret=runtime.anon_secret,
                now=runtime.clock(),
            )
    except PollClosed:
        ack(
            response_action="errors",
            errors={first_block: _closed_text(run.closed_at or run.closes_at)},
        )
        return
    except Exception:
        logger.exception("run %s: answers could not be stored", run_id)
        ack(
            response_action="errors",
            errors={first_block: "Your answers could not be saved. Please try again."},
        )
        return
    ack()
    confirm_later(
        tell,
        context.client,
        channel=meta.get("channel"),
        user=user,
        text=f":white_check_mark: Thanks — your answers to *{run.frozen.get('title')}* "
        "are recorded. You can change them until the poll closes.",
    )
    COUNTS.touch(runtime, context.client, run_id)


def register_listeners(app: App) -> None:
    app.action(poll_views.OPEN_ACTION)(open_answer_modal)
    app.action(re.compile(rf"^{poll_views.VOTE_ACTION}_\d+$"))(vote)
    app.view(poll_views.SUBMIT_CALLBACK)(submit)
