"""Alembic environment for debtpulse. The engine comes from ``storage.db.alembic_config``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from storage import models

target_metadata = models.metadata

#: Tables whose schema belongs to slack_sdk (its OAuth installation and state stores). A
#: migration creates them with the library's own table builders; autogenerate leaves them be.
LIBRARY_TABLES = frozenset({"slack_bots", "slack_installations", "slack_oauth_states"})


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    table = getattr(obj, "table", obj)
    return getattr(table, "name", name) not in LIBRARY_TABLES


_LOCK = {"name": "debtpulse:migrations"}


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through `debtpulse db upgrade`")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            # SQLite's DDL is transactional too (BEGIN is ours, see storage.db): all of an
            # upgrade's migrations commit together or not at all, on both databases.
            transactional_ddl=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # A second `db upgrade` running at the same time (two deploys) waits here
                # until the first commits, then reads the new revision and has nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), _LOCK)
            # Where this upgrade really starts, read under the lock (see storage.db.upgrade).
            context.config.attributes["started_at"] = context.get_context().get_current_revision()
            context.run_migrations()
        connection.commit()


run_migrations()
