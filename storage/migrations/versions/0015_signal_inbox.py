"""signal inbox: webhook signals no rule routes to an item wait here, and the routing rules
saved from it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-14 11:00:00

``signal_inbox`` holds each unrouted webhook signal once per team and ``dedup_key``, with
what it reported (kind, value, when it began and ended, title, link, attributes), the group
it waits in, and what a lead decided: ``pending``, ``routed`` (to a debt key) or
``ignored``, by whom and when. ``signal_route`` holds the rules saved from it (a match of
source, kind and attributes, and the debt key). Both tables are new; a downgrade drops them
and keeps every signal already routed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The signal kinds as of this revision (``storage.models.SignalKind``).
KINDS = (
    "incident",
    "alert",
    "drift",
    "flaky_test",
    "custom",
    "ci_failure",
    "data_quality",
    "code_quality",
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "signal_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", text(length=32), nullable=False),
        sa.Column("source", text(length=100), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("action", text(length=8), nullable=False),
        sa.Column("dedup_key", text(length=200), nullable=False),
        sa.Column("observed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("title", text(length=300), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("group_key", text(length=300), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("routed_to", text(length=32), nullable=True),
        sa.Column("decided_by", text(length=64), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_signal_inbox_kind"),
        sa.CheckConstraint(_in("action", ("open", "suggest")), name="ck_signal_inbox_action"),
        sa.CheckConstraint(
            _in("status", ("pending", "routed", "ignored")), name="ck_signal_inbox_status"
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= observed_at",
            name="ck_signal_inbox_ended_after_observed",
        ),
        sa.CheckConstraint(
            "(status = 'routed' AND routed_to IS NOT NULL) "
            "OR (status <> 'routed' AND routed_to IS NULL)",
            name="ck_signal_inbox_routed_to",
        ),
        sa.CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL AND decided_by IS NULL) "
            "OR (status <> 'pending' AND decided_at IS NOT NULL AND decided_by IS NOT NULL)",
            name="ck_signal_inbox_decided",
        ),
        sa.CheckConstraint("length(group_key) > 0", name="ck_signal_inbox_group_nonempty"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "dedup_key", name="uq_signal_inbox_dedup"),
    )
    op.create_index(
        "ix_signal_inbox_waiting", "signal_inbox", ["team_id", "status", "group_key"], unique=False
    )
    op.create_table(
        "signal_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", text(length=32), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("debt_key", text(length=32), nullable=False),
        sa.Column("created_by", text(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(debt_key) > 0", name="ck_signal_route_key_nonempty"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signal_route_team", "signal_route", ["team_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_signal_route_team", table_name="signal_route")
    op.drop_table("signal_route")
    op.drop_index("ix_signal_inbox_waiting", table_name="signal_inbox")
    op.drop_table("signal_inbox")
