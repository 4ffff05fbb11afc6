"""webhook signals: the new signal kinds (ci_failure, data_quality, code_quality) and each
workspace's webhook secrets

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-14 10:00:00

``signal``'s kind check gains ``ci_failure``, ``data_quality`` and ``code_quality``, the kinds
the webhook receivers (``POST /api/hooks/<source>``) store. ``webhook_secret`` holds each
workspace's secret per sender, sealed (encrypted and authenticated with a key derived from
``DEBTPULSE_ANON_SECRET``), one per team and source.

PostgreSQL alters the check in place. SQLite cannot, so ``signal`` is rebuilt (Alembic's
batch mode copies its rows, indexes, unique and foreign keys); no table points at
``signal`` (checked: the rebuild would otherwise delete the rows pointing at it), and any
trigger on it is dropped first and created again from its own SQL. The downgrade turns the
new kinds into ``custom`` (the evidence and its dedup key stay) and drops the secrets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = "'incident', 'alert', 'drift', 'flaky_test', 'custom'"
_NEW_KINDS = f"{_OLD_KINDS}, 'ci_failure', 'data_quality', 'code_quality'"
_SOURCES = "'github', 'gitlab', 'alertmanager', 'pagerduty', 'sentry', 'sonarqube'"


def upgrade() -> None:
    _set_kinds(_NEW_KINDS)
    op.create_table(
        "webhook_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.CheckConstraint(f"source IN ({_SOURCES})", name="ck_webhook_secret_source"),
        sa.CheckConstraint("length(sealed) > 0", name="ck_webhook_secret_sealed_nonempty"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "source", name="uq_webhook_secret_source"),
    )


def downgrade() -> None:
    op.drop_table("webhook_secret")
    op.execute(
        "UPDATE signal SET kind = 'custom' "
        "WHERE kind IN ('ci_failure', 'data_quality', 'code_quality')"
    )
    _set_kinds(_OLD_KINDS)


def _set_kinds(kinds: str) -> None:
    conn = op.get_bind()
    triggers: list[tuple[str, str]] = []
    if conn.dialect.name == "sqlite":
        pointing = [
            name
            for (name,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if any(
                row[2] == "signal"
                for row in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{name}")')
            )
        ]
        if pointing:  # never expected: rebuilding would delete their rows by cascade
            raise RuntimeError(f"tables point at signal, rebuild refused: {pointing}")
        triggers = [
            (name, sql)
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'signal' ORDER BY name"
            )
        ]
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    with op.batch_alter_table("signal", recreate="auto") as batch:
        batch.drop_constraint("ck_signal_kind", type_="check")
        batch.create_check_constraint("ck_signal_kind", f"kind IN ({kinds})")
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)
