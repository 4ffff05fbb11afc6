"""metrics: the time series teams already track (cycle time, retraining latency, ...)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-13 10:00:00

``metric_point`` holds one value per team, metric, scope and moment (a point sent again
replaces it); its unique index is also what a series is read from over time. ``signal``
gains ``ended_at`` (when what it reports ended, if the sender says so), from which the time
to recover is measured; existing signals keep NULL. A downgrade drops both and keeps every
signal.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("observed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("source IN ('api', 'csv')", name="ck_metric_point_source"),
        sa.CheckConstraint("length(metric) > 0", name="ck_metric_point_metric_nonempty"),
        sa.CheckConstraint("length(scope) > 0", name="ck_metric_point_scope_nonempty"),
        sa.CheckConstraint("length(unit) > 0", name="ck_metric_point_unit_nonempty"),
        sa.CheckConstraint("value BETWEEN -1e308 AND 1e308", name="ck_metric_point_value_finite"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "metric", "scope", "observed_at", name="uq_metric_point"),
    )
    # SQLite: the table is rebuilt with the new column and check (indexes, the kind check,
    # the dedup key and the foreign key are carried over); PostgreSQL alters it in place.
    with op.batch_alter_table("signal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(
            "ck_signal_ended_after_observed", "ended_at IS NULL OR ended_at >= observed_at"
        )


def downgrade() -> None:
    with op.batch_alter_table("signal", schema=None) as batch_op:
        batch_op.drop_constraint("ck_signal_ended_after_observed", type_="check")
        batch_op.drop_column("ended_at")
    op.drop_table("metric_point")
