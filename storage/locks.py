"""A named lock across threads and processes, held while a slow step runs outside any
transaction (refreshing a workspace's token: one call to Slack, then the saved result).

An in-process lock per name comes first. Then, on PostgreSQL, a transaction-level advisory
lock on a connection of its own, held for the block; on a SQLite file, a lock on one byte of
a file beside the database (the processes sharing a SQLite file share a machine; POSIX
record locks belong to the process, hence the in-process lock). An in-memory SQLite
database has one process: the in-process lock is all.
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from storage.db import sqlite_file

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_FILES: dict[Path, int] = {}
_GUARD = threading.Lock()


def lock_file(database: Path) -> Path:
    """The file whose bytes are the locks of a SQLite database's processes."""
    return database.with_name(database.name + ".locks")


@contextmanager
def held(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock ``name`` for the block, waiting for any thread or process holding it."""
    with _GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(name, threading.Lock())
    with thread_lock:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn, conn.begin():
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
                yield
            return
        database = sqlite_file(engine.url)
        if database is None:
            yield
            return
        fd = _descriptor(lock_file(database))
        offset = zlib.crc32(name.encode())
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, offset)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)


def _descriptor(path: Path) -> int:
    """One descriptor per file for the whole process, never closed: closing any descriptor
    of a file drops every record lock the process holds on it."""
    with _GUARD:
        fd = _FILES.get(path)
        if fd is None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            _FILES[path] = fd
        return fd
