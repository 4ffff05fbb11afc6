"""The schema revision this code needs, and the error when a database is at another one.

Light on purpose (no SQLAlchemy, no Alembic): a command reading a SQLite file with the
standard library checks the revision with it too.
"""

from __future__ import annotations

#: The newest migration this code knows. A test keeps it equal to Alembic's head, so the
#: start-up check reads one row instead of loading Alembic and every migration script.
SCHEMA_HEAD = "0018"


class SchemaOutOfDate(RuntimeError):
    """The database is behind (or ahead of) the newest migration this code knows.

    ``ahead``: the database is at a revision this code does not know, which only a newer
    debtpulse writes (migrations are never removed), so the advice is to upgrade debtpulse;
    ``db upgrade`` cannot help and refuses it too.
    """

    def __init__(self, current: str | None, head: str | None, *, ahead: bool = False) -> None:
        self.current = current
        self.head = head
        self.ahead = ahead
        if ahead:
            message = (
                f"the database was migrated by a newer debtpulse (revision {current}; this one "
                f"knows up to {head}): upgrade debtpulse to use it; nothing was changed"
            )
        else:
            where = f"at revision {current}" if current else "not initialised"
            message = (
                f"the database is {where} but this debtpulse needs revision {head}: "
                "run `debtpulse db upgrade` first"
            )
        super().__init__(message)


def require_head(current: str | None) -> None:
    """Refuse a database whose stored revision ``current`` is not :data:`SCHEMA_HEAD`.

    Only on a mismatch are the migration scripts read (Alembic), to tell behind from ahead.
    """
    if current != SCHEMA_HEAD:
        from storage.db import known_revisions

        ahead = current is not None and current not in known_revisions()
        raise SchemaOutOfDate(current, SCHEMA_HEAD, ahead=ahead)
