"""item respondents: distinct people per item across runs, for the anonymity threshold

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('item_respondent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('debt_item_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['debt_item_id'], ['debt_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'debt_item_id', 'person', name='uq_item_respondent')
    )
    with op.batch_alter_table('item_respondent', schema=None) as batch_op:
        batch_op.create_index('ix_item_respondent_team_day', ['team_id', 'last_day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('item_respondent', schema=None) as batch_op:
        batch_op.drop_index('ix_item_respondent_team_day')

    op.drop_table('item_respondent')
