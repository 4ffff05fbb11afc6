"""Confirmations of answers, sent after the ack by threads of their own.

An answer is acknowledged once it is committed; telling the person so is a call to Slack
that takes 100–300 ms. Made by the listener thread, that call held the thread, and under a
burst new answers waited for a free listener — so acks slowed down with Slack's own
latency (p99 220 ms with the fake Slack answering in 200 ms). Handed to this pool, the ack
no longer waits on anybody's confirmation (p99 60 ms in the same run).

The pool starts on first use, so each gunicorn worker (a forked process) has its own. A
confirmation that fails is logged, never raised: the answer is stored either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)
#: Confirmations in flight at most per process (each mostly waits on Slack).
CONFIRM_THREADS = 64


class _LazyPool:
    """The thread pool, made on first use (after gunicorn forked the worker)."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=CONFIRM_THREADS, thread_name_prefix="confirm"
                )
            return self._executor


_POOL = _LazyPool()


def _logged(send: Callable[..., Any], what: str, args: tuple[Any, ...], kwargs: dict) -> None:
    try:
        send(*args, **kwargs)
    except Exception as exc:
        logger.warning("%s could not be sent (%s)", what, type(exc).__name__)


def confirm_later(send: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[None]:
    """Call ``send(*args, **kwargs)`` on a confirmation thread; failures are logged."""
    return _POOL.get().submit(_logged, send, "a confirmation", args, kwargs)
