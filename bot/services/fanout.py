"""The poll fan-out: every due delivery sent, several at once, paced under Slack's limits.

A run's messages are planned in ``poll_delivery`` when it opens (:mod:`storage.deliveries`).
:func:`deliver_due` sends every one that is due, with :data:`SENDERS` threads. Each thread
claims one delivery and books its moment under ``chat.postMessage``'s limit for the workspace
in the same transaction (:mod:`bot.services.pacing`), sleeps until then, posts, and records
the outcome. Any number of threads and processes may do this at once: the database hands each
delivery to one sender and spaces all of them out under one budget.

Delivery is at most once, as before: a delivery is marked ``sending`` before its request goes
out and is never claimed again once it is, since it may have landed. Refusals do not stall the
others: a 429 puts that one delivery back with ``due_at`` at Slack's ``Retry-After`` (the
thread takes the next one meanwhile), a server or connection error puts it back after a short
pause growing with each try, a permanent error skips it for good, and one that keeps failing
is given up after ``MAX_TRIES``. A drain waits for deliveries due again within
:data:`RETRY_HORIZON` and leaves later ones (a recipient's own local time) to the next pass.
DMs are posted to the user id itself, as ``chat.postMessage`` allows: no ``conversations.open``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.polls import SummaryLine, run_summary, shows_live_results
from bot.runtime import Runtime
from bot.services.pacing import PACER
from bot.services.poll_report import delivery_problem
from bot.services.slack_calls import MAX_TRIES, PERMANENT, SEND_TIMEOUT, slack_client, slack_error
from bot.slack import poll_views
from bot.slack.client import retry_after_header, retry_after_seconds
from bot.slack.rate_limits import POST_MESSAGE
from storage import deliveries, polls, responses
from storage.deliveries import Claimed
from storage.models import PollRun

logger = logging.getLogger(__name__)

SENDERS = 4
"""Sends in flight at once per drain: enough to keep up with Slack's workspace limit while
one waits out a slow answer."""
RETRY_HORIZON = timedelta(seconds=60)
"""A drain waits for deliveries due again within this long; later ones are the next pass's."""
MAX_PAUSE_S = 60.0
"""The longest pause before trying again after a server or connection error."""


def live_results(session: Session, run: PollRun, *, min_group: int) -> list[SummaryLine] | None:
    """The run's results so far when its survey shows them while open, else None."""
    if not shows_live_results(run.frozen):
        return None
    results, previous = responses.results_and_previous(session, run, min_group=min_group)
    return run_summary(run.frozen, results=results, previous=previous, min_group=min_group)


@dataclass
class Drained:
    """What one :func:`deliver_due` did."""

    sent: int = 0
    retried: int = 0  # put back after a 429, a server or a connection error
    skipped: int = 0
    failed: int = 0
    interrupted: int = 0  # found claimed long ago by a sender that stopped: given up
    busy: bool = False  # another drain of this process had it in hand
    seconds: float = 0.0

    def note(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class _Run:
    """What each message of a run needs, read once per drain."""

    run: PollRun
    respondents: int
    results: list[SummaryLine] | None


_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _drain_lock(runtime: Runtime, team: str) -> threading.Lock:
    """One drain per database connection pool and team in this process at a time (other
    processes join in through the database)."""
    key = (id(runtime.engine.pool), team)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def deliver_due(
    runtime: Runtime,
    *,
    wait: bool = False,
    stop: threading.Event | None = None,
    until: float | None = None,
) -> Drained:
    """Send every delivery of the posting workspace that is due, until none is due within
    :data:`RETRY_HORIZON`, ``stop`` is set, or (``until``, a ``time.monotonic()`` moment)
    the drain's time is up: what it claimed by then is sent, the rest is the next drain's.

    ``wait``: when another thread of this process is draining already, wait for it (until
    ``until``, if given) and drain after (``open_poll``, whose caller reports what was
    sent); otherwise leave it to that one (the tick and the worker's sender), which sends
    whatever comes due while it runs.
    """
    team = runtime.posting_team()
    client = slack_client(runtime, retries=False)
    now = runtime.clock()
    with runtime.transaction(write=False) as session:
        if deliveries.idle(
            session, team_id=team, until=now + RETRY_HORIZON, claimed_before=now - SEND_TIMEOUT
        ):
            return Drained()
    lock = _drain_lock(runtime, team)
    patience = -1.0 if until is None or not wait else max(0.0, until - time.monotonic())
    if not lock.acquire(blocking=wait, timeout=patience):
        return Drained(busy=True)
    began = time.monotonic()
    try:
        drained = Drained()
        with runtime.transaction() as session:
            drained.interrupted = deliveries.give_up_interrupted(
                session, team_id=team, claimed_before=runtime.clock() - SEND_TIMEOUT
            )
        if drained.interrupted:
            logger.warning(
                "%d deliveries were interrupted while sending (their sender stopped) and are "
                "not sent again: they may have landed",
                drained.interrupted,
            )
        fan_out = _FanOut(runtime, team, client, drained, stop or threading.Event(), until)
        threads = [
            threading.Thread(target=fan_out.sender, name=f"debtpulse-send-{n}", daemon=True)
            for n in range(SENDERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        drained.seconds = time.monotonic() - began
    finally:
        lock.release()
    if drained.sent or drained.retried or drained.skipped or drained.failed:
        logger.info(
            "fan-out: %d sent, %d retried, %d skipped, %d given up in %.1f s",
            drained.sent,
            drained.retried,
            drained.skipped,
            drained.failed,
            drained.seconds,
        )
    return drained


@dataclass
class _FanOut:
    runtime: Runtime
    team: str
    client: WebClient
    drained: Drained
    stop: threading.Event
    until: float | None = None
    _runs: dict[int, _Run] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sender(self) -> None:
        """One thread: claim, wait for the moment, send, record; until nothing is due soon."""
        try:
            self._send_until_idle()
        except Exception:  # the database went away, say: the next pass resumes
            logger.exception("a fan-out sender stopped; the next pass resumes its work")

    def _send_until_idle(self) -> None:
        runtime = self.runtime
        give_up_at: float | None = None  # while idle: when to stop waiting for more
        while not self.stop.is_set() and (self.until is None or time.monotonic() < self.until):
            with runtime.transaction() as session:
                claimed = deliveries.claim_next(session, team_id=self.team, now=runtime.clock())
                start = (
                    PACER.book(
                        session, team=self.team, method=POST_MESSAGE, channel=claimed.recipient
                    )
                    if claimed is not None
                    else 0.0
                )
            if claimed is not None:
                give_up_at = None
                PACER.sleep_until(start)
                self._send(claimed)
                continue
            wait = self._until_next_due()
            if wait is None:
                return
            if give_up_at is None:  # a little after it should have come due, however the
                give_up_at = time.monotonic() + wait + 2.0  # runtime's clock moves
            if time.monotonic() > give_up_at:
                return
            self.stop.wait(min(max(wait, 0.05), 1.0))

    def _until_next_due(self) -> float | None:
        """Seconds until the next waiting delivery comes due, when that is within
        :data:`RETRY_HORIZON`; None when the drain is done."""
        with self.runtime.transaction(write=False) as session:
            due = deliveries.next_due(session, team_id=self.team)
        if due is None:
            return None
        wait = (due - self.runtime.clock()).total_seconds()
        return wait if wait <= RETRY_HORIZON.total_seconds() else None

    def _run(self, run_id: int) -> _Run | None:
        with self._lock:
            known = self._runs.get(run_id)
        if known is not None:
            return known
        min_group = self.runtime.settings.min_group
        with self.runtime.transaction(write=False) as session:
            run = polls.run_by_id(session, run_id=run_id)
            if run is None:
                return None
            respondents = polls.count_respondents(session, run_id=run_id)
            results = live_results(session, run, min_group=min_group)
        loaded = _Run(run, respondents, results)
        with self._lock:
            return self._runs.setdefault(run_id, loaded)

    def _send(self, claimed: Claimed) -> None:
        runtime, team = self.runtime, self.team
        context = self._run(claimed.poll_run_id)
        if context is None:  # the run went away (a team purged) since the claim
            self._finish(claimed, "failed", error="run_not_found")
            return
        run = context.run
        to_channel = claimed.recipient.startswith(("C", "G"))
        payload = poll_views.poll_message(
            run_id=run.id or 0,
            frozen=run.frozen,
            respondents=context.respondents,
            closes_at=run.closes_at,
            results=context.results if to_channel else None,
            min_group=runtime.settings.min_group,
        )
        try:
            # a DM goes to the user id itself: Slack opens the conversation
            response = self.client.chat_postMessage(channel=claimed.recipient, **payload)
        except SlackApiError as exc:
            self._refused(claimed, exc)
            return
        except OSError as exc:  # no answer: it may or may not have landed; tried again
            self._put_back(claimed, slack_error(exc), self._pause(claimed), used=True)
            return
        PACER.went_through(team=team, method=POST_MESSAGE)
        self._finish(
            claimed,
            "sent",
            channel_id=str(response["channel"]),
            message_ts=str(response["ts"]),
        )

    def _refused(self, claimed: Claimed, exc: SlackApiError) -> None:
        error = slack_error(exc)
        status = exc.response.status_code
        if status == 429:
            retry_after = retry_after_seconds(retry_after_header(exc.response.headers))
            PACER.refused(
                self.runtime, team=self.team, method=POST_MESSAGE, retry_after=retry_after
            )
            # refused, not failed: tried again as long as the run is open, never given up
            self._put_back(claimed, error, retry_after, used=False, give_up=False)
            return
        PACER.went_through(team=self.team, method=POST_MESSAGE)
        if error in PERMANENT:
            self._finish(claimed, "skipped", error=error)
        else:  # a server error, or an error Slack may not give next time
            self._put_back(claimed, error, self._pause(claimed), used=status < 500)

    @staticmethod
    def _tries(claimed: Claimed) -> int:
        """Which try this was (each try counts its claim and its outcome)."""
        return (claimed.attempts + 1) // 2

    def _pause(self, claimed: Claimed) -> float:
        return min(MAX_PAUSE_S, 2.0 ** (self._tries(claimed) - 1))

    def _put_back(
        self, claimed: Claimed, error: str, after: float, *, used: bool, give_up: bool = True
    ) -> None:
        """Try it again ``after`` seconds from now, or (``give_up``) give it up after
        ``MAX_TRIES``; ``used=False``: Slack refused or failed it, so its moment under the
        limit is handed back."""
        if give_up and self._tries(claimed) >= MAX_TRIES:
            self._finish(claimed, "failed", error=error, give_back=not used)
            return
        due = self.runtime.clock() + timedelta(seconds=after)
        self._finish(claimed, "pending", error=error, due_at=due, give_back=not used)

    def _finish(
        self,
        claimed: Claimed,
        status: str,
        *,
        error: str = "",
        channel_id: str = "",
        message_ts: str = "",
        due_at: datetime | None = None,
        give_back: bool = False,
    ) -> None:
        """Record the outcome (``due_at``: when a delivery put back is tried again)."""
        when = {"due_at": due_at} if status == "pending" else {}
        with self.runtime.transaction() as session:
            if give_back:
                PACER.give_back(session, team=self.team, method=POST_MESSAGE)
            deliveries.finish(
                session,
                delivery_id=claimed.id,
                status=status,
                now=self.runtime.clock(),
                error=error,
                channel_id=channel_id,
                message_ts=message_ts,
                **when,
            )
        outcome = {"sent": "sent", "pending": "retried"}.get(status, status)
        with self._lock:
            self.drained.note(outcome)
        if status in ("skipped", "failed"):
            problem = delivery_problem(claimed.recipient, status, error)
            logger.warning(
                "run %s: %s",
                claimed.poll_run_id,
                problem,
                extra={"run_id": claimed.poll_run_id, "team": self.team, "slack_error": error},
            )
        elif status == "pending":
            logger.info(
                "run %s: a message will be retried (%s)",
                claimed.poll_run_id,
                error,
                extra={"run_id": claimed.poll_run_id, "team": self.team, "slack_error": error},
            )
