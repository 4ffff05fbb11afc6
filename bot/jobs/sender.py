"""The worker's sender: due poll deliveries sent from every worker process, lease or not.

Only the worker holding the scheduler lease opens runs and runs the tick; every worker
(the holder, a spare waiting for the lease, a ``run`` or ``socket`` process) runs a sender
that looks for due deliveries every few seconds (at once when woken: a slot just opened)
and sends them. Several senders share the work through the database: each delivery is
claimed by one of them, and all are paced under each workspace's one budget with Slack.

Every served workspace's deliveries are sent, several teams at once (:data:`TEAM_DRAINS`),
each with its own runtime and token (:mod:`bot.services.per_team`), each paced by its own
limits: one team's backlog, rate limit or revoked token never holds up another's messages.
A team's drain yields after :data:`DRAIN_SLICE_S` and goes to the back of the line, so many
teams with big audiences take turns rather than wait for each other.
"""

from __future__ import annotations

import logging
import threading
import time

from bot.runtime import Runtime
from bot.services import fanout, per_team
from bot.services.fanout import RETRY_HORIZON, Drained
from bot.services.slack_calls import SEND_TIMEOUT
from storage import deliveries

log = logging.getLogger(__name__)

SEND_EVERY_S = 5.0
TEAM_DRAINS = 16
"""Teams whose deliveries one process sends at once (each with the fan-out's own threads,
mostly waiting for their workspace's next moment under its limits)."""
DRAIN_SLICE_S = 30.0
"""How long one team's drain runs in one pass before the teams waiting get their turn."""

_WOKEN = threading.Event()


def wake() -> None:
    """Have this process's sender look for due deliveries now (a slot just opened)."""
    _WOKEN.set()


def send_due(runtime: Runtime, *, stop: threading.Event) -> dict[str, Drained]:
    """One pass: drain every served team's due deliveries, :data:`TEAM_DRAINS` teams at once;
    what each team's drain did."""
    now = runtime.clock()
    with runtime.transaction(write=False) as session:
        teams = deliveries.teams_due(
            session, until=now + RETRY_HORIZON, claimed_before=now - SEND_TIMEOUT
        )
    return per_team.for_each_team(
        runtime,
        per_team.served(runtime, teams),
        lambda view: fanout.deliver_due(view, stop=stop, until=time.monotonic() + DRAIN_SLICE_S),
        what=lambda team: f"sending the due deliveries{per_team.in_team(runtime, team)}",
        workers=TEAM_DRAINS,
    )


def run_sender(
    runtime: Runtime, *, stop_event: threading.Event, every: float = SEND_EVERY_S
) -> None:
    """Until ``stop_event`` is set: send what is due, then look again ``every`` seconds later
    (or when woken)."""
    if runtime.settings.slack_bot_token is None and not per_team.multi_team(runtime):
        return  # nothing is posted without SLACK_BOT_TOKEN (polls say so when they open)
    problem: str | None = None
    while not stop_event.is_set():
        try:
            send_due(runtime, stop=stop_event)
            problem = None
        except LookupError as exc:  # the workspace cannot be told yet (auth.test failed)
            if str(exc) != problem:
                log.warning("deliveries wait: %s", exc)
                problem = str(exc)
        except Exception:
            log.exception("sending the due deliveries failed; trying again shortly")
        _pause(stop_event, every)


def _pause(stop: threading.Event, seconds: float) -> None:
    """Wait ``seconds``, less when stopped or woken."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        if _WOKEN.wait(min(left, 0.25)):
            _WOKEN.clear()
            return


def start_sender(runtime: Runtime, stop_event: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=run_sender,
        args=(runtime,),
        kwargs={"stop_event": stop_event},
        name="debtpulse-sender",
        daemon=True,
    )
    thread.start()
    return thread
