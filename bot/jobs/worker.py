"""The worker loop: wait for the scheduler lease, run the scheduler while holding it.

One scheduler per database: a second worker waits (logging who holds the lease) and takes
over when the first stops — at once, since a stopping worker releases the lease — or dies,
when its lease expires unrenewed. A worker that loses its lease stops its scheduler and goes
back to waiting. Every worker, holding the lease or waiting, sends due poll deliveries
(:mod:`bot.jobs.sender`): they share them through the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from bot.jobs.lease import DEFAULT_TTL, Lease
from bot.jobs.scheduler import start_scheduler
from bot.jobs.sender import start_sender
from bot.runtime import Runtime
from bot.services import telemetry

log = logging.getLogger(__name__)

RENEW_EVERY_S = 10.0
POLL_EVERY_S = 5.0


def run_worker(
    runtime: Runtime,
    *,
    stop_event: threading.Event,
    ttl: timedelta = DEFAULT_TTL,
    renew_every: float = RENEW_EVERY_S,
    poll_every: float = POLL_EVERY_S,
    holder: str | None = None,
) -> None:
    """Run until ``stop_event`` is set; the scheduler runs only while the lease is held."""
    if renew_every >= ttl.total_seconds():
        raise ValueError("renew the lease more often than it expires")
    lease = Lease(runtime.engine, holder=holder, ttl=ttl)
    log.info("worker %s started", lease.holder)
    stop_sending = threading.Event()
    sender = start_sender(runtime, stop_sending)
    try:
        while not stop_event.is_set():
            if not lease.try_take():
                stop_event.wait(poll_every)
                continue
            telemetry.lease_held(True)
            scheduler = start_scheduler(runtime)
            log.info("scheduler running in %s", lease.holder)
            try:
                while not stop_event.wait(renew_every):
                    if not lease.renew():
                        break
            finally:
                telemetry.lease_held(False)
                scheduler.shutdown(wait=True)
                log.info("scheduler stopped in %s", lease.holder)
    finally:
        stop_sending.set()
        sender.join(timeout=30)
        lease.release()
        log.info("worker %s stopped", lease.holder)


@contextmanager
def background_worker(
    runtime: Runtime, *, join_timeout: float = 30.0, **options: object
) -> Iterator[threading.Thread]:
    """Run :func:`run_worker` in a thread for the duration of the ``with`` block.

    For ``debtpulse run`` and ``socket``: the web or Socket Mode app runs in the foreground;
    leaving the block stops the scheduler and releases the lease.
    """
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(runtime,),
        kwargs={"stop_event": stop, **options},
        name="debtpulse-worker",
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(join_timeout)
