"""one-time dashboard sign-in links (each usable once, within 10 minutes)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-20 10:00:00

``dashboard_link`` holds each link ``/debt dashboard`` made as the SHA-256 of its token
(unique; never the token), the workspace and person it signs in, whether that person is a
lead, when it was made and when it was used. The table is new; a downgrade drops it, and
links not yet used stop working.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "dashboard_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", text(length=64), nullable=False),
        sa.Column("team_id", text(length=32), nullable=False),
        sa.Column("user_id", text(length=64), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint("length(token_hash) = 64", name="ck_dashboard_link_hash_length"),
        sa.CheckConstraint(
            "used_at IS NULL OR used_at >= created_at", name="ck_dashboard_link_used_after"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_link_hash"),
    )
    op.create_index("ix_dashboard_link_created", "dashboard_link", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dashboard_link_created", table_name="dashboard_link")
    op.drop_table("dashboard_link")
