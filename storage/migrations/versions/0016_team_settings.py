"""per-team settings: poll channel, digest channels, leads, time zone, minimum group, debt budget

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 10:00:00

``team_setting`` holds a workspace's own value of a setting (``/debt config``, ``debtpulse
config set``), one row per team and key, as JSON text, with who changed it and when; a key
without a row takes the environment's value. The table is new; a downgrade drops it, so
every team falls back to the environment's values (the audit trail keeps what was set).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The keys a team can set, as of this revision (``storage.models.TEAM_SETTING_KEYS``).
KEYS = ("poll_channel", "digest_channels", "leads", "timezone", "min_group", "debt_budget")


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "team_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", text(length=32), nullable=False),
        sa.Column("key", text(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("changed_by", text(length=64), nullable=False),
        sa.Column("changed_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            f"key IN ({', '.join(repr(key) for key in KEYS)})", name="ck_team_setting_key"
        ),
        sa.CheckConstraint("length(value) > 0", name="ck_team_setting_value_nonempty"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "key", name="uq_team_setting_key"),
    )


def downgrade() -> None:
    op.drop_table("team_setting")
