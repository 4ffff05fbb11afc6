"""Alembic environment for debtpulse. The engine comes from ``storage.db.alembic_config``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage import models

target_metadata = models.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through `debtpulse db upgrade`")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
