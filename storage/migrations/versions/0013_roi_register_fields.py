"""register fields for ROI: effort spent on a fix, accepted items with a review date

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-13 11:00:00

``debt_item`` gains ``effort_spent_days`` (what a fix cost, in person-days, 0 or more) and
``accepted_until`` (the review date of an ``accepted`` item, set exactly when the status is
``accepted``), and its status check gains ``accepted``.

PostgreSQL alters the table in place. SQLite cannot change a CHECK constraint in place, so
the table is rebuilt (Alembic's batch mode: copy, drop, rename). The migration runs inside
one transaction, where SQLite cannot switch foreign keys off, and dropping ``debt_item`` with
foreign keys on would delete, by ON DELETE CASCADE, every row that points at an item
(assessments, answers, pain sums, signals, snapshots...). So the rows of every table that
points at ``debt_item`` (directly or through another) are kept aside in temporary tables and
put back after the rebuild, with the triggers of those tables dropped meanwhile (the
``response`` triggers would otherwise count the answers into ``pain_sum`` twice) and created
again from their own SQL. Their indexes are untouched: only ``debt_item`` is rebuilt, with
its own indexes and constraints. The downgrade turns ``accepted`` items back to ``open``
(without an audit row) and drops both columns the same way.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy.engine import Connection

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = "'open', 'in_progress', 'resolved', 'wont_fix'"
_NEW_STATUSES = f"{_OLD_STATUSES}, 'accepted'"
_EFFORT_CHECK = (
    "effort_spent_days IS NULL OR (effort_spent_days >= 0 AND effort_spent_days <= 10000)"
)
_ACCEPTED_CHECK = (
    "(status = 'accepted' AND accepted_until IS NOT NULL) "
    "OR (status <> 'accepted' AND accepted_until IS NULL)"
)


def _add(batch: BatchOperations) -> None:
    batch.add_column(sa.Column("effort_spent_days", sa.Float(), nullable=True))
    batch.add_column(sa.Column("accepted_until", sa.Date(), nullable=True))
    batch.drop_constraint("ck_debt_item_status", type_="check")
    batch.create_check_constraint("ck_debt_item_status", f"status IN ({_NEW_STATUSES})")
    batch.create_check_constraint("ck_debt_item_effort_spent", _EFFORT_CHECK)
    batch.create_check_constraint("ck_debt_item_accepted_until", _ACCEPTED_CHECK)


def _remove(batch: BatchOperations) -> None:
    batch.drop_constraint("ck_debt_item_accepted_until", type_="check")
    batch.drop_constraint("ck_debt_item_effort_spent", type_="check")
    batch.drop_constraint("ck_debt_item_status", type_="check")
    batch.create_check_constraint("ck_debt_item_status", f"status IN ({_OLD_STATUSES})")
    batch.drop_column("accepted_until")
    batch.drop_column("effort_spent_days")


def upgrade() -> None:
    _alter_debt_item(_add)


def downgrade() -> None:
    op.execute(
        "UPDATE debt_item SET status = 'open', accepted_until = NULL WHERE status = 'accepted'"
    )
    _alter_debt_item(_remove)


def _alter_debt_item(change: Callable[[BatchOperations], None]) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        with op.batch_alter_table("debt_item") as batch:
            change(batch)
        return
    _rebuild_keeping_dependents(conn, change)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dependents(conn: Connection, table: str) -> list[str]:
    """Every table that points at ``table``, directly or through another, each after the
    tables it points at (so rows go back parents first)."""
    names = [
        row[0]
        for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    targets = {
        name: {row[2] for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({_quoted(name)})")}
        for name in names
    }
    found: list[str] = []
    reached = {table}
    while True:
        new = [n for n in names if n not in reached and targets[n] & reached]
        if not new:
            return found
        found += new
        reached |= set(new)


def _rebuild_keeping_dependents(
    conn: Connection, change: Callable[[BatchOperations], None]
) -> None:
    dependents = _dependents(conn, "debt_item")
    watched = ["debt_item", *dependents]
    listed = ", ".join(f"'{name}'" for name in watched)
    triggers = list(
        conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            f"WHERE type = 'trigger' AND tbl_name IN ({listed}) ORDER BY name"
        )
    )
    for name, _sql in triggers:
        conn.exec_driver_sql(f"DROP TRIGGER {_quoted(name)}")
    kept = {name: _quoted(f"_keep_0013_{name}") for name in dependents}
    for name in dependents:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {kept[name]} AS SELECT * FROM {_quoted(name)}")
    for name in reversed(dependents):  # the rows pointing at others' rows go first
        conn.exec_driver_sql(f"DELETE FROM {_quoted(name)}")

    with op.batch_alter_table("debt_item", recreate="always") as batch:
        change(batch)

    for name in dependents:
        conn.exec_driver_sql(f"INSERT INTO {_quoted(name)} SELECT * FROM temp.{kept[name]}")
        conn.exec_driver_sql(f"DROP TABLE temp.{kept[name]}")
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)
    broken = list(conn.exec_driver_sql("PRAGMA foreign_key_check"))
    if broken:  # never expected: the whole upgrade rolls back rather than keep a bad row
        raise RuntimeError(f"rows without their item after rebuilding debt_item: {broken[:5]}")
