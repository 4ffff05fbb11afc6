"""The newest row id of each table the ranking reads: a cheap sign that its inputs changed.

One statement of primary-key lookups (``max(id)`` reads one index entry per table, whatever
the table's size). A new answer, released group, signal, assessment or item — and every
register change, which is audited — gives a new id somewhere, so a ranking computed before
it can be told stale without computing it again.
"""

from __future__ import annotations

from storage.reader import Reader

#: The tables whose new rows move a ranking.
TABLES = ("response", "answer_release", "signal", "assessment", "debt_item", "audit_event")

_SQL = "SELECT " + ", ".join(f"(SELECT max(id) FROM {table})" for table in TABLES)


def latest(reader: Reader) -> tuple[int | None, ...]:
    """The newest id of each table of :data:`TABLES` (None for an empty one), in that order."""
    rows = reader.rows(_SQL)
    return tuple(None if value is None else int(value) for value in rows[0])
