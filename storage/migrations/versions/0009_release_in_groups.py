"""anonymous answers released in groups: held answers, release groups, keyed participation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:45:00

An anonymous answer now enters the score only when released in a group of at least the
minimum group of people (``held_answer`` until then, ``answer_release`` records each group).
What is already stored is carried over:

- the answers of anonymous runs still open move to ``held_answer`` (released at the close;
  their people counted per run, as their per-run keys cannot be linked across runs);
- the answers of closed anonymous runs stay released, one ``answer_release`` per run,
  question and item counting its distinct respondents (a group under the minimum group is
  never read), and their per-run keys are replaced by random ones;
- the participation of anonymous runs is keyed: with the anonymity secret, by the per-run
  key (reminders still skip who answered); without it, by a random key (counts kept);
- ``item_respondent`` (a stable key per person beside every released answer) is dropped.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_tables() -> None:
    op.create_table('held_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('poll_run_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('debt_item_id', sa.Integer(), nullable=True),
    sa.Column('respondent', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('answered_day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['debt_item_id'], ['debt_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_run_id'], ['poll_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_run_id', 'question_id', 'debt_item_id', 'respondent', name='uq_held_answer')
    )
    with op.batch_alter_table('held_answer', schema=None) as batch_op:
        batch_op.create_index('ix_held_answer_pool', ['team_id', 'question_id', 'debt_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_answer_poll_run_id'), ['poll_run_id'], unique=False)
        batch_op.create_index('uq_held_answer_general', ['poll_run_id', 'question_id', 'respondent'], unique=True, sqlite_where=sa.text('debt_item_id IS NULL'), postgresql_where=sa.text('debt_item_id IS NULL'))

    op.create_table('answer_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('poll_run_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('debt_item_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.CheckConstraint('people > 0 AND answers >= people', name='ck_answer_release_counts'),
    sa.ForeignKeyConstraint(['debt_item_id'], ['debt_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_run_id'], ['poll_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_run_id', 'question_id', 'debt_item_id', name='uq_answer_release')
    )
    with op.batch_alter_table('answer_release', schema=None) as batch_op:
        batch_op.create_index('ix_answer_release_team_day', ['team_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_release_poll_run_id'), ['poll_run_id'], unique=False)
        batch_op.create_index('uq_answer_release_general', ['poll_run_id', 'question_id'], unique=True, sqlite_where=sa.text('debt_item_id IS NULL'), postgresql_where=sa.text('debt_item_id IS NULL'))


def _per_run_key(secret: str | None, run_id: int, user_id: str) -> str:
    """The respondent key debtpulse gives ``user_id`` in run ``run_id`` (HMAC-SHA256 of
    ``<run id>:<user id>``), or a random one without the secret."""
    if not secret:
        return "anon:" + secrets.token_hex(20)
    digest = hmac.new(secret.encode(), f"{run_id}:{user_id}".encode(), hashlib.sha256)
    return "anon:" + digest.hexdigest()[:40]


def _carry_over(secret: str | None) -> None:
    bind = op.get_bind()
    runs = bind.execute(
        sa.text("SELECT id, status FROM poll_run WHERE anonymous = :yes"), {"yes": True}
    ).all()
    for run_id, status in runs:
        people = bind.execute(
            sa.text("SELECT id, user_id FROM participation WHERE poll_run_id = :run"),
            {"run": run_id},
        ).all()
        for row_id, user_id in people:
            if not str(user_id).startswith("anon:"):
                bind.execute(
                    sa.text("UPDATE participation SET user_id = :key WHERE id = :id"),
                    {"key": _per_run_key(secret, run_id, str(user_id)), "id": row_id},
                )
        if status == "open":
            bind.execute(
                sa.text(
                    "INSERT INTO held_answer (team_id, poll_run_id, question_id, debt_item_id,"
                    " respondent, key_id, person, value, text, answered_day)"
                    " SELECT team_id, poll_run_id, question_id, debt_item_id, respondent,"
                    " :key_id, respondent, value, text, answered_day FROM response"
                    " WHERE poll_run_id = :run AND answered_day IS NOT NULL"
                ),
                # a key id of their own run: a pool counts people per key id, so the same
                # person in two runs open at the upgrade is never counted twice
                {"run": run_id, "key_id": f"legacy:{run_id}"[:16]},
            )
            bind.execute(sa.text("DELETE FROM response WHERE poll_run_id = :run"), {"run": run_id})
            continue
        bind.execute(
            sa.text(
                "INSERT INTO answer_release (team_id, poll_run_id, question_id, debt_item_id,"
                " day, people, answers)"
                " SELECT team_id, poll_run_id, question_id, debt_item_id, max(answered_day),"
                " count(DISTINCT respondent), count(*) FROM response"
                " WHERE poll_run_id = :run AND answered_day IS NOT NULL"
                " GROUP BY team_id, poll_run_id, question_id, debt_item_id"
            ),
            {"run": run_id},
        )
        keys = bind.execute(
            sa.text("SELECT DISTINCT respondent FROM response WHERE poll_run_id = :run"),
            {"run": run_id},
        ).scalars()
        for key in list(keys):
            bind.execute(
                sa.text(
                    "UPDATE response SET respondent = :new WHERE poll_run_id = :run"
                    " AND respondent = :old"
                ),
                {"new": "anon:" + secrets.token_hex(20), "run": run_id, "old": key},
            )


def upgrade() -> None:
    _create_tables()
    secret = op.get_context().config.attributes.get("anon_secret") if op.get_context().config else None
    _carry_over(secret)
    with op.batch_alter_table('item_respondent', schema=None) as batch_op:
        batch_op.drop_index('ix_item_respondent_team_day')
    op.drop_table('item_respondent')


def downgrade() -> None:
    """Back to 0008: answers still held are dropped (0008 would show them)."""
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
    with op.batch_alter_table('answer_release', schema=None) as batch_op:
        batch_op.drop_index('uq_answer_release_general', sqlite_where=sa.text('debt_item_id IS NULL'), postgresql_where=sa.text('debt_item_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_answer_release_poll_run_id'))
        batch_op.drop_index('ix_answer_release_team_day')
    op.drop_table('answer_release')
    with op.batch_alter_table('held_answer', schema=None) as batch_op:
        batch_op.drop_index('uq_held_answer_general', sqlite_where=sa.text('debt_item_id IS NULL'), postgresql_where=sa.text('debt_item_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_held_answer_poll_run_id'))
        batch_op.drop_index('ix_held_answer_pool')
    op.drop_table('held_answer')
