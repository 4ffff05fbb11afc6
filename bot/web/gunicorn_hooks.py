"""gunicorn server hooks of ``debtpulse serve`` (also a gunicorn config module:
``gunicorn -c python:bot.web.gunicorn_hooks`` applies the same hooks to any WSGI app).

Each web worker is one Python process of threads sharing one interpreter lock. Left free,
the kernel moves those threads across CPUs, and every hand-off of the lock between threads
on different CPUs costs a cross-CPU wake-up: under a burst of answers a third of a
worker's CPU time went to switching threads, and its answers per second doubled once it
stayed on one CPU (``python -m bench.answers``). So each worker is kept on one CPU:
``pre_fork`` (in the arbiter) gives the new worker an allowed CPU that the fewest live
workers use, so a restarted worker takes the place of the one it replaces, and
``post_fork`` (in the worker) applies it. Where CPUs cannot be chosen (one CPU allowed, no
``sched_setaffinity``, or a container that refuses it) the worker runs as it is; and
``debtpulse serve --no-pin-workers`` leaves every worker free.

``post_fork`` also shortens the interpreter's switch interval to 0.5 ms. An answer's
transaction waits on the network a few times (PostgreSQL) and each time its thread gets the
interpreter lock back only when the thread holding it gives it up: by default after 5 ms of
another request's parsing. With 0.5 ms, answers per second on PostgreSQL rose by a third and
the p99 acknowledgement fell from ~100 to ~50 ms (``python -m bench.answers --database
postgres``); the cost is more frequent switching between busy threads.

``child_exit`` (in the arbiter) tells the metrics a worker has gone: its counts stay in
``/metrics``'s totals, its live gauges leave them (``bot.cli.metrics_dir``).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable
from random import Random
from typing import Any

CPU_ATTRIBUTE = "debtpulse_cpu"
#: How long a thread may hold the interpreter lock while another waits for it (Python's
#: default is 5 ms). See the module docstring.
SWITCH_INTERVAL_S = 0.0005
_PICK = Random()


def choose_cpu(
    allowed: Iterable[int], taken: Iterable[int | None], *, pick: Random | None = None
) -> int | None:
    """One of the allowed CPUs used by the fewest of ``taken``, picked at random among
    those (so that separate ``serve`` processes on one host, which do not see each other's
    workers, spread out instead of all taking the first CPU); None when fewer than two
    CPUs are allowed (nothing to choose)."""
    ordered = sorted(allowed)
    if len(ordered) < 2:
        return None
    used = Counter(cpu for cpu in taken if cpu is not None)
    fewest = min(used[cpu] for cpu in ordered)
    return (pick or _PICK).choice([cpu for cpu in ordered if used[cpu] == fewest])


def _allowed() -> set[int]:
    if not hasattr(os, "sched_getaffinity"):
        return set()
    try:
        return os.sched_getaffinity(0)
    except OSError:
        return set()


def pre_fork(server: Any, worker: Any) -> None:
    """gunicorn hook, in the arbiter: choose the new worker's CPU."""
    taken = [getattr(other, CPU_ATTRIBUTE, None) for other in server.WORKERS.values()]
    setattr(worker, CPU_ATTRIBUTE, choose_cpu(_allowed(), taken))


def post_fork(server: Any, worker: Any) -> None:
    """gunicorn hook, in the new worker: a short switch interval, and keep it on its CPU."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    cpu = getattr(worker, CPU_ATTRIBUTE, None)
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        server.log.info("worker %s runs on any CPU (%s)", worker.pid, exc)
        return
    server.log.info("worker %s runs on CPU %s", worker.pid, cpu)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook, in the arbiter: a worker ended (stopped, or died and is replaced)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
