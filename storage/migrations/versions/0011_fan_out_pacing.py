"""fan-out pacing: Slack's rate limits booked per workspace and method, and the delivery queue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 10:00:00

``slack_pace`` holds, per workspace and Web API method, how far its calls are booked under
Slack's rate limit, so every process sending for a workspace shares one budget. The index on
``poll_delivery`` (team, status, due) is what the senders claim due deliveries from. Nothing
is carried over; a downgrade drops both.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_pace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("booked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "key", name="uq_slack_pace_key"),
    )
    with op.batch_alter_table("poll_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_poll_delivery_queue", ["team_id", "status", "due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("poll_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_delivery_queue")
    op.drop_table("slack_pace")
