"""What Slack I/O and the pure logic read of stored rows, as read-only shapes.

A register row and an assessment are passed to the Block Kit builders as they are; these
protocols say which fields a builder may read, so ``bot/slack`` needs no database import.
``CATEGORIES`` and ``STATUSES`` are the register's enumerations (the database's CHECK
constraints hold the same values; a test keeps them equal).
"""

from __future__ import annotations

from typing import Protocol

CATEGORIES = ("experimentation", "operational")
STATUSES = ("open", "in_progress", "resolved", "wont_fix", "accepted")


class ItemRecord(Protocol):
    """A debt register entry."""

    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def effort(self) -> str: ...
    @property
    def component(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def problem(self) -> str: ...
    @property
    def affected_metrics(self) -> str: ...
    @property
    def remediation(self) -> str: ...
    @property
    def expected_impact(self) -> str: ...
    @property
    def success_criterion(self) -> str: ...


class AssessmentRecord(Protocol):
    """A lead's risk judgement of an item."""

    @property
    def impact(self) -> int: ...
    @property
    def likelihood(self) -> int: ...
    @property
    def detectability(self) -> int: ...
