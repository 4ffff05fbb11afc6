"""``debtpulse demo --serve``: after the simulated weeks, keep the fake Slack, the database
and the app running, with a lead signed in to the dashboard, until Ctrl-C.

The simulation's clock then follows real time from where the weeks left it, so the sign-in
link expires after 10 real minutes and the session after 12 hours, as they would.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from bot.demo import stack
from bot.demo.clock import SimClock
from bot.services import dashboard

Echo = Callable[[str], None]


def lead_link(running: stack.Stack) -> str:
    """A one-time sign-in link for the demo's lead, as ``/debt dashboard`` would send it."""
    runtime = running.runtime
    return dashboard.issue_link(
        runtime, team=runtime.default_team, user=stack.LEAD_ID, is_lead=True, base=running.url
    )


def wait_until_stopped(stop: threading.Event | None = None) -> None:
    """Block until Ctrl-C or SIGTERM (or ``stop`` is set); the handlers are restored after."""
    stop = stop or threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    kept: dict[signal.Signals, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            kept[sig] = signal.signal(sig, stopping)
    except ValueError:  # not the main thread: only ``stop`` ends the wait
        pass
    try:
        while not stop.wait(0.25):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in kept.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(sig, handler)


def serve(running: stack.Stack, clock: SimClock, echo: Echo) -> None:
    """Print the lead's dashboard link and the addresses, then serve until stopped."""
    clock.follow_wall_clock()
    link = lead_link(running)
    echo("")
    echo("the demo keeps running: the dashboard of the simulated team, signed in as the lead:")
    echo(f"  {link}")
    minutes = int(dashboard.LINK_TTL.total_seconds() // 60)
    echo(f"  (the link signs in once, within {minutes} minutes; the session lasts 12 hours)")
    echo(f"  bot and dashboard at {running.url}/dash · fake Slack at {running.fake.root_url}")
    echo("press Ctrl-C to stop")
    wait_until_stopped()
    echo("stopping the demo")
