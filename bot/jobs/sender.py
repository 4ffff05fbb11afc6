"""The worker's sender: due poll deliveries sent from every worker process, lease or not.

Only the worker holding the scheduler lease opens runs and runs the tick; every worker
(the holder, a spare waiting for the lease, a ``run`` or ``socket`` process) runs a sender
that looks for due deliveries every few seconds and sends them (:func:`fanout.deliver_due`).
Several senders share the work through the database: each delivery is claimed by one of
them, and all are paced under the workspace's one budget with Slack.
"""

from __future__ import annotations

import logging
import threading

from bot.runtime import Runtime
from bot.services import fanout

log = logging.getLogger(__name__)

SEND_EVERY_S = 5.0


def run_sender(
    runtime: Runtime, *, stop_event: threading.Event, every: float = SEND_EVERY_S
) -> None:
    """Until ``stop_event`` is set: send what is due, then look again ``every`` seconds later."""
    if runtime.settings.slack_bot_token is None:
        return  # nothing is posted without SLACK_BOT_TOKEN (polls say so when they open)
    problem: str | None = None
    while not stop_event.is_set():
        try:
            fanout.deliver_due(runtime, stop=stop_event)
            problem = None
        except LookupError as exc:  # the workspace cannot be told yet (auth.test failed)
            if str(exc) != problem:
                log.warning("deliveries wait: %s", exc)
                problem = str(exc)
        except Exception:
            log.exception("sending the due deliveries failed; trying again shortly")
        stop_event.wait(every)


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
