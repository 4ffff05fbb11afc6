"""Answering polls: the Answer button, one-click votes and the answer modal.

Answers are written in one transaction, acknowledged, and only then confirmed to the
person alone (ephemeral, or a DM when that is not possible) from a confirmation thread
(``bot.slack.confirmations``), so that no ack waits on Slack's answer to another's. The
channel message shows a live count of respondents — and, for a named survey with
``results_hidden_until_close: false``, the results so far — updated at most every few
seconds under a burst.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.anonymity import day_only
from bot.core.polls import BLOCK_SEPARATOR, asked, block_id, question_by_id
from bot.listeners import home
from bot.listeners.modals import (
    ALREADY_SUBMITTED,
    first_submission,
    modal_metadata,
    submitted_values,
)
from bot.runtime import Runtime
from bot.services import telemetry
from bot.services.answer_writer import WRITER
from bot.services.poll_answers import (
    AnswerRefused,
    GivenAnswer,
    PollClosed,
    check_answers,
    record_answers,
)
from bot.services.poll_jobs import live_results
from bot.slack import poll_views
from bot.slack.confirmations import confirm_later
from bot.slack.replies import tell
from bot.slack.response_url import reply
from storage import polls
from storage.polls import RunState

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


def _tell_clicker(body: dict[str, Any], context: BoltContext, respond: Respond, text: str) -> None:
    """Tell the person who clicked, alone: beside the message clicked (its response_url) —
    or, for a click in App Home, which has none, in a small modal, else by DM."""
    if body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, text=text)
        return
    user = body["user"]["id"]
    try:
        context.client.views_open(trigger_id=body["trigger_id"], view=poll_views.notice_modal(text))
    except (SlackApiError, KeyError) as exc:
        logger.info("a notice could not be shown in a modal (%s); sending a DM", exc)
        tell(context.client, channel=None, user=user, text=text)


def _refresh_home(body: dict[str, Any], context: BoltContext) -> None:
    """After a click in App Home on a poll that cannot be answered: show the Home tab as it
    is now, without that poll."""
    if (body.get("view") or {}).get("type") != "home":
        return
    try:
        home.publish_home({"user": body["user"]["id"], "tab": "home"}, context)
    except SlackApiError as exc:
        logger.warning("the Home tab was not refreshed (%s)", exc.response.get("error"))


def acknowledge(ack: Ack) -> None:
    ack()


def open_answer_modal(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """The Answer button, after its acknowledgement: open the person's answer modal."""
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
        _tell_clicker(body, context, respond, GONE_TEXT)
        _refresh_home(body, context)
        return
    if run.status != "open" or (run.closes_at is not None and runtime.clock() >= run.closes_at):
        _tell_clicker(body, context, respond, _closed_text(run.closed_at or run.closes_at))
        _refresh_home(body, context)
        return
    channel = (body.get("channel") or {}).get("id")
    view, _ = poll_views.poll_modal(
        run_id=run_id, frozen=run.frozen, user=user, channel=channel, secret=runtime.anon_secret
    )
    try:
        context.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:
        text = f"Could not open the poll ({exc.response.get('error')}); try again."
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, text=text)
        else:
            tell(context.client, channel=None, user=user, text=text)


def vote(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    # Acknowledged only once the answer is committed: a person's later click is then always
    # written later, so a re-vote can never lose to the vote it replaces.
    started = time.perf_counter()
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    parts = str(body["actions"][0].get("value", "")).split(":", 2)
    run_id = _run_id(parts[0])
    if run_id is None or len(parts) != 3:
        ack()
        _tell_clicker(body, context, respond, GONE_TEXT)
        return
    _, question_id, value = parts
    answer = GivenAnswer(question_id, question_id, None, value, None)
    team, now = context["team"], runtime.clock()

    def store(session: Session) -> int:
        run = polls.run_state(session, run_id=run_id, team_id=team, reuse=True)
        if run is None:
            raise _RunGone(run_id)
        return record_answers(
            session,
            run=run,
            user=user,
            answers=[answer],
            secret=runtime.anon_secret,
            now=now,
            vote=True,
        )

    try:
        stored = WRITER.run(runtime.engine, store)
    except PollClosed as closed:
        ack()
        _tell_clicker(body, context, respond, _closed_text(closed.args[0] if closed.args else None))
        return
    except _RunGone:
        ack()
        _tell_clicker(body, context, respond, GONE_TEXT)
        return
    except AnswerRefused as refused:  # a crafted button value: the client's doing, not ours
        ack()
        logger.info("run %s: a vote was refused (%s)", run_id, refused.message)
        _tell_clicker(
            body, context, respond, f":x: Your answer was not recorded: {refused.message}."
        )
        return
    except Exception:
        ack()
        logger.exception("run %s: a vote could not be stored", run_id)
        _tell_clicker(
            body, context, respond, ":x: Your answer could not be saved. Please try again."
        )
        return
    committed = time.perf_counter() - started
    ack()
    telemetry.answers_recorded(stored, seconds=committed)
    confirm_later(
        reply,
        respond,
        response_type="ephemeral",
        replace_original=False,
        text=f":white_check_mark: Recorded your answer: {value}. "
        "You can change it until the poll closes.",
    )
    COUNTS.touch(runtime, context.client, run_id)


#: A submission whose metadata debtpulse did not write (changed by the client).
BAD_METADATA = "This form does not name a poll; nothing was saved. Open the poll again."


def _asked_blocks(runtime: Runtime, run: RunState, frozen: dict[str, Any], user: str) -> list[str]:
    """The input blocks of the modal ``user`` was shown for ``run``, worked out again: the
    payload (its metadata, its blocks) is the client's and may claim anything."""
    shown = asked(frozen, run_id=run.id, user=user, secret=runtime.anon_secret)
    return [block_id(question, item) for question, item in shown]


def _given_answers(frozen: dict[str, Any], values: dict[str, str]) -> list[GivenAnswer]:
    answers = []
    for block, value in values.items():
        question_id, _, item = block.partition(BLOCK_SEPARATOR)
        question = question_by_id(frozen, question_id) or {}
        as_text = question.get("type") in {"text", "debt_item_choice"}
        answers.append(
            GivenAnswer(
                block,
                question_id,
                int(item) if item.isascii() and item.isdigit() else None,
                None if as_text else value,
                value if as_text else None,
            )
        )
    return answers


class _FieldErrors(Exception):
    """The submission does not fit what the person was asked: errors by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} field error(s)")


def _store_submission(
    session: Session,
    *,
    runtime: Runtime,
    run_id: int,
    team: str,
    user: str,
    view: dict[str, Any],
    now: datetime,
) -> tuple[str, int]:
    """Check a submission against the modal the person was shown and store it, in the
    transaction the answer writer shares: one read of the run, its questions included.
    Returns the poll's title and how many answers were stored."""
    found = polls.run_answering(session, run_id=run_id, team_id=team)
    if found is None:
        raise _RunGone(run_id)
    run, frozen = found
    shown = _asked_blocks(runtime, run, frozen, user)
    first_block = shown[0] if shown else ""
    answers = _given_answers(frozen, submitted_values(view))
    errors = check_answers(run, answers, shown=shown, frozen=frozen)
    if errors:
        unknown = {block: text for block, text in errors.items() if block not in shown}
        if unknown:
            logger.info("run %s: answers to blocks not asked were refused", run_id)
            errors = {b: t for b, t in errors.items() if b in shown}
            errors.setdefault(first_block, next(iter(unknown.values())))
        raise _FieldErrors(errors)
    # Acted on once per view; an anonymous run's keeps the day only, as its answers.
    at = day_only(now) if run.anonymous else now
    if not first_submission(session, team=team, view=view, at=at):
        logger.info("run %s: a view submitted again was not acted on", run_id)
        raise _FieldErrors({first_block: ALREADY_SUBMITTED})
    try:
        stored = record_answers(
            session, run=run, user=user, answers=answers, secret=runtime.anon_secret, now=now
        )
    except PollClosed as closed:
        raise _FieldErrors(
            {first_block: _closed_text(closed.args[0] if closed.args else None)}
        ) from None
    except AnswerRefused as refused:
        raise _FieldErrors({first_block: refused.message}) from None
    return str(frozen.get("title") or "the poll"), stored


def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    started = time.perf_counter()
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    meta = modal_metadata(view)
    run_field = meta.get("run")
    run_id = run_field if isinstance(run_field, int) and not isinstance(run_field, bool) else None
    first_block = next(
        iter(b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"), ""
    )
    if run_id is None:
        ack(response_action="errors", errors={first_block: BAD_METADATA})
        return
    now, team = runtime.clock(), context["team"]
    try:
        title, stored = WRITER.run(
            runtime.engine,
            lambda session: _store_submission(
                session, runtime=runtime, run_id=run_id, team=team, user=user, view=view, now=now
            ),
        )
    except _RunGone:
        ack(response_action="errors", errors={first_block: GONE_TEXT})
        return
    except _FieldErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    except Exception:
        logger.exception("run %s: answers could not be stored", run_id)
        ack(
            response_action="errors",
            errors={first_block: "Your answers could not be saved. Please try again."},
        )
        return
    # Told in the modal itself, once committed: no call to Slack, nothing to wait for.
    committed = time.perf_counter() - started
    ack(response_action="update", view=poll_views.recorded_modal(title))
    telemetry.answers_recorded(stored, seconds=committed)
    COUNTS.touch(runtime, context.client, run_id)


def register_listeners(app: App) -> None:
    app.action(poll_views.OPEN_ACTION)(ack=acknowledge, lazy=[open_answer_modal])
    app.action(re.compile(rf"^{poll_views.VOTE_ACTION}_\d+$"))(vote)
    app.view(poll_views.SUBMIT_CALLBACK)(submit)
