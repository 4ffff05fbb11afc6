"""A writer thread's own connection: each transaction sent as a pipeline on PostgreSQL.

The answer writer commits one small transaction after another. Checked out of the pool each
time, a PostgreSQL connection pays a liveness ping (``pool_pre_ping``) before every
transaction, and then a round trip per statement: BEGIN, the run's state, each INSERT and
the COMMIT — six waits on the network per group of answers, and in a process of many
threads each wait ends with a wait for the interpreter lock. Here the writer keeps its
connection between transactions (no ping: a dropped connection fails the transaction, which
the writer runs again, on a new connection), and the writes that wait for the commit
(``storage.deferred``) go out with the COMMIT in one psycopg pipeline, as nobody reads their
results: three round trips a group (BEGIN, the state read, the writes with the commit).
SQLite has no network to save: there it is :func:`storage.db.session_scope` as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from storage.db import session_scope


class WriterConnection:
    """Transactions on ``engine`` for one thread, on a connection it keeps (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    @contextmanager
    def transaction(self, before_commit: Callable[[Session], None]) -> Iterator[Session]:
        """One transaction: ``before_commit(session)`` then the commit when the block ends,
        or a rollback if anything raises. On PostgreSQL the session's pending objects are
        flushed first, and what ``before_commit`` writes goes out in one pipeline with the
        COMMIT (its statements must not need their results)."""
        if self.engine.dialect.name != "postgresql":
            with session_scope(self.engine) as session:
                yield session
                before_commit(session)
            return
        conn = self._connection()
        try:
            with Session(bind=conn, expire_on_commit=False) as session:
                try:
                    yield session
                    session.flush()
                    try:
                        with conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
                            before_commit(session)
                            session.commit()
                    except BaseException:
                        # a failure inside a pipeline leaves the connection's state unsure:
                        # it is thrown away (the server rolls back), a new one serves next
                        conn.invalidate()
                        raise
                except BaseException:
                    session.rollback()
                    raise
        except BaseException:
            if conn.invalidated or conn.closed:
                self.close()
            raise

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self.close()
            self._conn = self.engine.connect()
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # a dead connection: nothing left to close
                conn.invalidate()
