"""Answers committed in groups: one transaction for the answers that arrive together.

Every answer is acknowledged only once it is committed. Committed one transaction each,
a burst of answers spent most of its time beginning and committing transactions, one after
another (SQLite has one writer; PostgreSQL one commit round trip each). Here each process
has writer threads (one for SQLite, a few for PostgreSQL, :data:`WRITERS`): a listener hands
its answer's work (a function of a session) to them and waits; a writer runs the work of
every answer waiting at that moment in one transaction, commits once, and wakes each
listener with its own result. So the ack still follows the commit, a person's click made
after an acknowledged one is still written after it, and under a burst the cost of a
transaction is shared.

If any work of a group fails (a closed poll, a refused answer, a database error), the whole
transaction is rolled back and each piece of work is run again in a transaction of its own,
as if it had come alone: one answer's failure never loses or changes another's, and its
listener gets exactly the error it would have had alone. A transaction that fails because the
database connection was lost runs once more on a new one. Work must therefore touch nothing
but the session (no Slack calls), as it may run twice or three times.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from storage import deferred
from storage.writer_conn import WriterConnection

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


#: Writer threads per kind of database, each with its own queue. SQLite has one writer at a
#: time anyway: one thread, and the largest groups. On PostgreSQL a group's time is mostly
#: the client's CPU per round trip (measured: 4 threads side by side recorded fewer answers
#: per second than one), so one thread there too.
WRITERS = {"sqlite": 1, "postgresql": 1}


class _Lane:
    """The queue and writer threads of one kind of database, in this process."""

    def __init__(self, threads: int) -> None:
        self.queue: SimpleQueue[_Work[Any]] = SimpleQueue()
        self.threads = threads


class AnswerWriter:
    """The process's writer threads (started on first use, again after a fork)."""

    def __init__(self, max_group: int = MAX_GROUP) -> None:
        self.max_group = max_group
        self._lanes: dict[str, _Lane] = {}
        self._start = threading.Lock()
        self._pid: int | None = None
        self.groups = 0  # transactions committed for more than one answer (for tests/bench)

    def run(self, engine: Engine, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a write transaction shared with other answers; return its
        result once committed, or raise what it raised (nothing of it is then stored)."""
        lane = self._lane(engine.dialect.name)
        work = _Work(engine, fn)
        lane.queue.put(work)
        work.finished.acquire()
        if work.error is not None:
            raise work.error
        return work.result  # type: ignore[return-value]

    def _lane(self, dialect: str) -> _Lane:
        lane = self._lanes.get(dialect) if self._pid == os.getpid() else None
        if lane is not None:
            return lane
        with self._start:
            if self._pid != os.getpid():  # a forked child inherits no listener, no thread
                self._lanes, self._pid = {}, os.getpid()
            lane = self._lanes.get(dialect)
            if lane is None:
                lane = self._lanes[dialect] = _Lane(WRITERS.get(dialect, 1))
                for n in range(lane.threads):
                    name = f"answer-writer-{dialect}-{n}"
                    threading.Thread(
                        target=self._loop, args=(lane,), name=name, daemon=True
                    ).start()
            return lane

    def _take(
        self, lane: _Lane, carry: _Work[Any] | None
    ) -> tuple[list[_Work[Any]], _Work[Any] | None]:
        """The answers waiting now, from one database (tests use several): the group, and
        an answer of another database taken meanwhile, for the next group."""
        first = carry if carry is not None else lane.queue.get()
        group = [first]
        while len(group) < self.max_group:
            try:
                work = lane.queue.get_nowait()
            except Empty:
                break
            if work.engine is not first.engine:
                return group, work
            group.append(work)
        return group, None

    def _loop(self, lane: _Lane) -> None:
        carry: _Work[Any] | None = None
        writer: WriterConnection | None = None  # this thread's connection, kept
        while True:
            group, carry = self._take(lane, carry)
            if writer is None or writer.engine is not group[0].engine:
                if writer is not None:  # another database (tests): let the last one go
                    writer.close()
                writer = WriterConnection(group[0].engine)
            try:
                if len(group) == 1 or not self._together(writer, group):
                    for work in group:
                        self._alone(writer, work)
            except BaseException as exc:  # never leave a listener waiting
                for work in group:
                    if not work.completed:
                        work.error = exc
                        work.done()
                logger.exception("the answer writer failed")

    def _together(self, writer: WriterConnection, group: list[_Work[Any]]) -> bool:
        results: list[Any] = []
        try:
            with writer.transaction(before_commit=deferred.flush) as session:
                deferred.defer_writes(session)  # each statement once, with every answer's rows
                for work in group:
                    results.append(work.fn(session))
        except Exception:
            return False  # rolled back: each runs again alone
        self.groups += 1
        for work, result in zip(group, results, strict=True):
            work.result = result
            work.done()
        return True

    @staticmethod
    def _alone(writer: WriterConnection, work: _Work[Any]) -> None:
        for attempt in (1, 2):
            try:
                with writer.transaction(before_commit=deferred.flush) as session:
                    deferred.defer_writes(session)
                    work.result = work.fn(session)
            except BaseException as exc:
                # the kept connection was gone (the server restarted, an idle timeout): once
                # more on a new one (work may run twice; its writes are upserts)
                if attempt == 1 and isinstance(exc, DBAPIError) and exc.connection_invalidated:
                    continue
                work.error = exc
            break
        work.done()


WRITER = AnswerWriter()
