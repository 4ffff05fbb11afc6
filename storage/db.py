"""The engine, sessions and the schema-version check, in one place.

SQLite is tuned so the web and worker processes can share one file: WAL journal, a busy
timeout, foreign keys on, and write transactions that take the write lock when they begin
(``BEGIN IMMEDIATE``) so two writers queue on the busy timeout instead of failing with
"database is locked" when a read lock cannot be upgraded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlmodel import Session

# SCHEMA_HEAD, the newest migration this code knows, lives in storage/revision.py
from storage.revision import (
    SCHEMA_HEAD,  # noqa: F401  (re-exported)
    SchemaOutOfDate,
    require_head,
)
from storage.urls import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_S = 30.0
_MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling defers it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite database URL; None for PostgreSQL or an in-memory database."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` with the pragmas and pool settings debtpulse relies on.

    Statement parameters are kept out of error messages and logs (``hide_parameters``): they
    can hold a user id or an answer.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        kwargs["connect_args"].setdefault("check_same_thread", False)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


_WRITE_LOCKS: dict[int, threading.RLock] = {}
_LOCKS_LOCK = threading.Lock()


def _write_lock(engine: Engine) -> threading.RLock | None:
    """SQLite: one in-process lock per database, so this process's writers queue in order
    (SQLite's busy wait serves waiters in no order); other processes still meet the busy
    timeout. PostgreSQL needs none."""
    if engine.dialect.name != "sqlite":
        return None
    with _LOCKS_LOCK:
        return _WRITE_LOCKS.setdefault(id(engine.pool), threading.RLock())


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction per operation: commit on success, roll back on any error.

    ``write=True`` takes SQLite's write lock up front so concurrent writers wait their turn.
    """
    lock = _write_lock(engine) if write else None
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    with lock or nullcontext(), Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine, *, anon_secret: str | None = None) -> Config:
    from alembic.config import Config  # Alembic loads only when the schema is touched

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["anon_secret"] = anon_secret
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(_MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> frozenset[str]:
    """Every revision id of this code's migrations."""
    from alembic.script import ScriptDirectory

    return frozenset(s.revision for s in ScriptDirectory(str(_MIGRATIONS)).walk_revisions())


def upgrade(
    engine: Engine, revision: str = "head", *, anon_secret: str | None = None
) -> tuple[str | None, str | None]:
    """Apply migrations up to ``revision``; returns (before, after).

    ``anon_secret`` (``DEBTPULSE_ANON_SECRET``) lets migration 0009 key the participation of
    anonymous runs made before it; without it those rows get random keys (counts kept).

    Raises SchemaOutOfDate (``ahead``), changing nothing, when a newer debtpulse migrated the
    database: Alembic cannot start from a revision it does not know.
    """
    from alembic import command

    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        raise SchemaOutOfDate(before, head_revision(), ahead=True)
    config = alembic_config(engine, anon_secret=anon_secret)
    command.upgrade(config, revision)
    # An upgrade that waited for another one (two deploys at once) starts where that ended.
    return config.attributes.get("started_at", before), current_revision(engine)


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (None for an empty one), with plain SQL."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_schema(engine: Engine) -> None:
    """Refuse to run on a database that is not at the newest migration."""
    require_head(stored_revision(engine))
