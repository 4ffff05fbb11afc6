"""each workspace's state: installed, tokens revoked or uninstalled (and when its data is purged)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-20 10:00:00

``team_state`` holds one row per workspace that was installed through OAuth or lost its
token: ``active``, ``tokens_revoked`` or ``uninstalled``, when it was installed and
uninstalled, and when its data is purged (``purge_after``; NULL: kept). A workspace without
a row is active, so every existing install stays as it was.

``team_purge`` is the log of purges: team, when, by whom, why, and the rows deleted per
table — never the data. It is kept by the database as the audit trail is: no row can be
deleted, and a row can be changed only while its purge is ``running``. ``audit_event`` stays
append-only, with one exception: a team's rows may be deleted inside the transaction of that
team's running purge (the triggers are replaced to say so).

A downgrade drops both tables and restores the strict append-only triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURGING = (
    "EXISTS (SELECT 1 FROM team_purge WHERE team_purge.team_id = OLD.team_id "
    "AND team_purge.status = 'running')"
)


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "team_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", text(length=32), nullable=False),
        sa.Column("state", text(length=16), nullable=False),
        sa.Column("installed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("uninstalled_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("purge_after", storage.types.UTCDateTime(), nullable=True),
        sa.Column("gone_token", text(length=16), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'tokens_revoked', 'uninstalled')", name="ck_team_state_state"
        ),
        sa.CheckConstraint(
            "(state = 'active' AND uninstalled_at IS NULL AND purge_after IS NULL "
            "AND gone_token IS NULL) OR (state <> 'active' AND uninstalled_at IS NOT NULL)",
            name="ck_team_state_uninstalled",
        ),
        sa.CheckConstraint(
            "purge_after IS NULL OR purge_after >= uninstalled_at",
            name="ck_team_state_purge_after",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", name="uq_team_state_team"),
    )
    op.create_table(
        "team_purge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", text(length=32), nullable=False),
        sa.Column("purged_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("purged_by", text(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", text(length=8), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('running', 'done')", name="ck_team_purge_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_team_purge_team", "team_purge", ["team_id", "purged_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _postgres_triggers() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
        f"BEGIN IF TG_OP = 'DELETE' AND {_PURGING} THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE FUNCTION team_purge_kept() RETURNS trigger AS $$ "
        "BEGIN IF TG_OP = 'UPDATE' AND OLD.status = 'running' THEN RETURN NEW; END IF; "
        "RAISE EXCEPTION 'team_purge is kept as written'; END; $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER team_purge_no_change BEFORE UPDATE OR DELETE ON team_purge "
        "FOR EACH ROW EXECUTE FUNCTION team_purge_kept()"
    )


def _sqlite_triggers() -> None:
    op.execute("DROP TRIGGER audit_event_no_delete")
    op.execute(
        f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event WHEN NOT {_PURGING} "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER team_purge_no_delete BEFORE DELETE ON team_purge "
        "BEGIN SELECT RAISE(ABORT, 'team_purge is kept as written'); END"
    )
    op.execute(
        "CREATE TRIGGER team_purge_no_update BEFORE UPDATE ON team_purge "
        "WHEN OLD.status <> 'running' "
        "BEGIN SELECT RAISE(ABORT, 'team_purge is kept as written'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS team_purge_no_change ON team_purge")
        op.execute("DROP FUNCTION IF EXISTS team_purge_kept()")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql"
        )
    else:
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )
    op.drop_index("ix_team_purge_team", table_name="team_purge")
    op.drop_table("team_purge")
    op.drop_table("team_state")
