"""Where a process's metrics live: shared by gunicorn's processes, or the process's own.

``serve`` and ``run`` fork gunicorn workers, and a scrape of ``/metrics`` reaches one of
them: each process writes its figures to files in one directory (``prometheus_client``'s
multiprocess mode, chosen by ``PROMETHEUS_MULTIPROC_DIR`` when ``prometheus_client`` is first
imported), and a scrape adds them up. :func:`prepare_shared` makes that directory before
anything imports ``prometheus_client`` and before the fork: the operator's
``PROMETHEUS_MULTIPROC_DIR`` emptied of an earlier run's files, else a fresh temporary one
removed at exit. A worker that dies keeps its counts; gunicorn's ``child_exit`` hook drops
its live gauges (:mod:`bot.web.gunicorn_hooks`).

``worker`` and ``socket`` are one process: :func:`single_process` keeps their figures in
memory, whatever the environment says.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bot.config import ConfigError

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger(__name__)
_prepared: list[Path] = []


def _remove(path: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked worker leaving before the server does
        shutil.rmtree(path, ignore_errors=True)


def prepare_shared() -> Path:
    """The directory gunicorn's processes share their figures in, ready and empty (once per
    process: ``run`` prepares it before its scheduler starts, and ``serve`` keeps it)."""
    if _prepared:
        return _prepared[0]
    if "prometheus_client" in sys.modules:
        log.warning("metrics: prepared after prometheus_client loaded; workers may not add up")
    configured = os.environ.get(VARIABLE)
    if configured:
        path = Path(configured)
        try:
            path.mkdir(parents=True, exist_ok=True)
            for stale in path.glob("*.db"):
                stale.unlink()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(VARIABLE, f"cannot use {path} for metrics ({reason})") from None
    else:
        path = Path(tempfile.mkdtemp(prefix="debtpulse-metrics-"))
        atexit.register(_remove, path, os.getpid())
        os.environ[VARIABLE] = str(path)
    _prepared.append(path)
    return path


def single_process() -> None:
    """This process's figures stay in memory: an inherited ``PROMETHEUS_MULTIPROC_DIR`` is
    not used (another ``serve`` on the host may empty it)."""
    if not _prepared:
        os.environ.pop(VARIABLE, None)
