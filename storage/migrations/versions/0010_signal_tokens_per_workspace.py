"""signal tokens per workspace: each workspace's own bearer token for POST /api/signals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:30:00

One row per team holding only the SHA-256 of its token (never the token), a short hint to
tell tokens apart, and who made it when. Rotating replaces the row. Nothing is carried over:
``DEBTPULSE_SIGNALS_TOKEN`` keeps working as before, and a downgrade drops the workspace
tokens (their senders then need that token again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signal_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hint', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint('length(token_hash) = 64', name='ck_signal_token_hash_length'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', name='uq_signal_token_team'),
    sa.UniqueConstraint('token_hash', name='uq_signal_token_hash')
    )


def downgrade() -> None:
    op.drop_table('signal_token')
