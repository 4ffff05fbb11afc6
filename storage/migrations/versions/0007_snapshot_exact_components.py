"""snapshot exact components: "why did it move" from exact numbers, not rounded ones

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for snapshots taken before: "why" then compares their shown numbers, as it did.
    with op.batch_alter_table('priority_snapshot') as batch:
        batch.add_column(sa.Column('exact_components', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('priority_snapshot') as batch:
        batch.drop_column('exact_components')
