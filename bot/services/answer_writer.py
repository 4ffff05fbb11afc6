"""Answers committed in groups: one transaction for the answers that arrive together.

Every answer is acknowledged only once it is committed. Committed one transaction each,
a burst of answers spent most of its time beginning and committing transactions, one after
another (SQLite has one writer; PostgreSQL one commit round trip each). Here each process
has one writer thread: a listener hands it its answer's work (a function of a session) and
waits; the writer runs the work of every answer waiting at that moment in one transaction,
commits once, and wakes each listener with its own result. So the ack still follows the
commit, a person's later click is still written after the earlier one (the writer takes
work in arrival order), and under a burst the cost of a transaction is shared.

If any work of a group fails (a closed poll, a refused answer, a database error), the whole
transaction is rolled back and each piece of work is run again in a transaction of its own,
as if it had come alone: one answer's failure never loses or changes another's, and its
listener gets exactly the error it would have had alone. Work must therefore touch nothing
but the session (no Slack calls), as it may run twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import deferred
from storage.db import session_scope

logger = logging.getLogger(__name__)
T = TypeVar("T")
#: At most this many answers share a transaction (a modal's answers count as one).
MAX_GROUP = 64


class _Work(Generic[T]):
    __slots__ = ("completed", "engine", "error", "finished", "fn", "result")

    def __init__(self, engine: Engine, fn: Callable[[Session], T]) -> None:
        self.engine = engine
        self.fn = fn
        # held until the work is done: the listener waits by acquiring it (a bare lock is
        # the cheapest one-shot signal between two threads)
        self.finished = threading.Lock()
        self.finished.acquire()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.completed = False

    def done(self) -> None:
        self.completed = True
        self.finished.release()


class AnswerWriter:
    """The process's writer thread (started on first use, again after a fork)."""

    def __init__(self, max_group: int = MAX_GROUP) -> None:
        self.max_group = max_group
        self._queue: SimpleQueue[_Work[Any]] = SimpleQueue()
        self._carry: _Work[Any] | None = None
        self._start = threading.Lock()
        self._pid: int | None = None
        self.groups = 0  # transactions committed for more than one answer (for tests/bench)

    def run(self, engine: Engine, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a write transaction shared with other answers; return its
        result once committed, or raise what it raised (nothing of it is then stored)."""
        if self._pid != os.getpid():
            self._start_thread()
        work = _Work(engine, fn)
        self._queue.put(work)
        work.finished.acquire()
        if work.error is not None:
            raise work.error
        return work.result  # type: ignore[return-value]

    def _start_thread(self) -> None:
        with self._start:
            if self._pid == os.getpid():
                return
            # a forked child inherits no waiting listener, and no thread
            self._queue, self._carry = SimpleQueue(), None
            threading.Thread(target=self._loop, name="answer-writer", daemon=True).start()
            self._pid = os.getpid()

    def _take(self) -> list[_Work[Any]]:
        first = self._carry if self._carry is not None else self._queue.get()
        self._carry = None
        group = [first]
        while len(group) < self.max_group:
            try:
                work = self._queue.get_nowait()
            except Empty:
                break
            if work.engine is not first.engine:
                self._carry = work  # another database (tests): the next group
                break
            group.append(work)
        return group

    def _loop(self) -> None:
        while True:
            group = self._take()
            try:
                if len(group) == 1 or not self._together(group):
                    for work in group:
                        self._alone(work)
            except BaseException as exc:  # never leave a listener waiting
                for work in group:
                    if not work.completed:
                        work.error = exc
                        work.done()
                logger.exception("the answer writer failed")

    def _together(self, group: list[_Work[Any]]) -> bool:
        results: list[Any] = []
        try:
            with session_scope(group[0].engine) as session:
                deferred.defer_writes(session)  # each statement once, with every answer's rows
                for work in group:
                    results.append(work.fn(session))
                deferred.flush(session)
        except Exception:
            return False  # rolled back: each runs again alone
        self.groups += 1
        for work, result in zip(group, results, strict=True):
            work.result = result
            work.done()
        return True

    @staticmethod
    def _alone(work: _Work[Any]) -> None:
        try:
            with session_scope(work.engine) as session:
                deferred.defer_writes(session)
                work.result = work.fn(session)
                deferred.flush(session)
        except BaseException as exc:
            work.error = exc
        work.done()


WRITER = AnswerWriter()
