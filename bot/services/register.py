"""Changing the debt register: every change of status, owner or assessment is audited.

A status change carries what goes with it: the effort a fix cost (``resolved``), or the
review date of debt kept on purpose (``accepted``, out of the ranking until that day, when
:mod:`bot.services.reviews` reopens it). Days are read in the team's time zone
(:func:`bot.services.reviews.team_zone`), passed in as ``zone``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sqlmodel import Session

from bot.core.csvfile import write_rows
from bot.core.problems import InputRejected, Problem
from bot.core.reasons import command_reason, stated_why  # noqa: F401  (re-exported)
from bot.core.register_input import effort_cell
from bot.services.register_csv import COLUMNS, RegisterRow
from storage import audit, register
from storage.models import DebtItem

AUDITED_FIELDS = ("status", "owner")
ACCEPTED, RESOLVED = "accepted", "resolved"


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    assessed: int

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.assessed} assessed"
        )


def _jsonable(value: Any) -> Any:
    """A field's value as the audit trail's JSON keeps it (a day or a time as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def _snapshot(item: DebtItem, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _jsonable(getattr(item, name)) for name in fields}


def save_item(
    session: Session,
    *,
    team_id: str,
    key: str,
    fields: dict[str, Any],
    actor: str,
    reason: str,
    now: datetime,
) -> tuple[DebtItem, str]:
    """Create or update an item; returns (item, "created" | "updated" | "unchanged").

    A status other than ``accepted`` clears the review date (audited with the change)."""
    if fields.get("status", ACCEPTED) != ACCEPTED:
        fields = {"accepted_until": None, **fields}
    existing = register.get_item(session, team_id=team_id, key=key)
    if existing is None:
        if not fields.get("title"):
            raise ValueError("title: required for a new item")
        item, _ = register.upsert_item(session, team_id=team_id, key=key, fields=fields, now=now)
        audit.record(
            session,
            team_id=team_id,
            actor=actor,
            action="item.created",
            subject=key,
            after=_snapshot(item, ("title", "category", "status", "owner"))
            | {
                name: value
                for name, value in _snapshot(item, ("effort_spent_days", "accepted_until")).items()
                if value is not None
            },
            reason=reason,
            at=now,
        )
        return item, "created"
    changed = {name: value for name, value in fields.items() if getattr(existing, name) != value}
    if not changed:
        return existing, "unchanged"
    before = _snapshot(existing, tuple(changed))
    item, _ = register.upsert_item(session, team_id=team_id, key=key, fields=changed, now=now)
    for name in AUDITED_FIELDS:
        if name in changed:
            audit.record(
                session,
                team_id=team_id,
                actor=actor,
                action=f"item.{name}",
                subject=key,
                before={name: before[name]},
                after={name: _jsonable(changed[name])},
                reason=reason,
                at=now,
            )
    other = {name: changed[name] for name in changed if name not in AUDITED_FIELDS}
    if other:
        audit.record(
            session,
            team_id=team_id,
            actor=actor,
            action="item.updated",
            subject=key,
            before={name: before[name] for name in other},
            after={name: _jsonable(value) for name, value in other.items()},
            reason=reason,
            at=now,
        )
    return item, "updated"


def add_item(
    session: Session,
    *,
    team_id: str,
    fields: dict[str, Any],
    actor: str,
    reason: str,
    now: datetime,
) -> DebtItem:
    """A new item under the team's next free ``DEBT-N`` key, audited.

    The key is numbered under a per-team lock, so two leads adding at once get two items
    with two keys; neither is lost or written over the other.
    """
    register.lock_keys(session, team_id=team_id)
    key = register.next_key(session, team_id=team_id)
    item, status = save_item(
        session, team_id=team_id, key=key, fields=fields, actor=actor, reason=reason, now=now
    )
    assert status == "created", key
    return item


class StatusRefused(ValueError):
    """A status change against the rules; ``field`` is the argument it is about (``effort``,
    ``until`` or ``why``), so each surface names it as its user writes it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class StatusChange:
    """What :func:`set_status` recorded: ``outcome`` is ``updated`` or ``unchanged``;
    ``status_changed`` whether the status itself moved (an effort or review date may be
    recorded on an item that had the status already)."""

    key: str
    status: str
    outcome: str
    status_changed: bool
    effort_days: float | None
    accepted_until: date | None


def check_status_change(
    status: str,
    *,
    effort_days: float | None,
    accepted_until: date | None,
    why: str,
    today: date,
    zone: tzinfo,
) -> None:
    """The rules of a status change, raising :class:`StatusRefused`: an effort only with
    ``resolved``; a review date only with ``accepted``, where it is required, after
    ``today`` (in ``zone``), and given with a reason."""
    if effort_days is not None and status != RESOLVED:
        raise StatusRefused("effort", "goes only with status resolved")
    if accepted_until is not None and status != ACCEPTED:
        raise StatusRefused("until", "goes only with status accepted")
    if status != ACCEPTED:
        return
    if accepted_until is None:
        raise StatusRefused("until", "required with status accepted: the review date, YYYY-MM-DD")
    if accepted_until <= today:
        raise StatusRefused(
            "until", f"{accepted_until} is not after today ({today}, {_zone_name(zone)})"
        )
    if not why.strip():
        raise StatusRefused("why", "required with status accepted: say why the debt is kept")


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or zone)


def set_status(
    session: Session,
    *,
    team_id: str,
    key: str,
    status: str,
    why: str,
    command: str,
    actor: str,
    now: datetime,
    zone: tzinfo,
    effort_days: float | None = None,
    accepted_until: date | None = None,
) -> StatusChange | None:
    """Set an item's status, with its effort or review date, audited with ``command`` and
    ``why`` as the reason; None when the team has no item ``key``. Raises
    :class:`StatusRefused` (nothing written) when the change breaks a rule."""
    today = now.astimezone(zone).date()
    check_status_change(
        status,
        effort_days=effort_days,
        accepted_until=accepted_until,
        why=why,
        today=today,
        zone=zone,
    )
    item = register.get_item(session, team_id=team_id, key=key)
    if item is None:
        return None
    before = item.status
    fields: dict[str, Any] = {"status": status}
    if effort_days is not None:
        fields["effort_spent_days"] = effort_days
    if status == ACCEPTED:
        fields["accepted_until"] = accepted_until
    item, outcome = save_item(
        session,
        team_id=team_id,
        key=key,
        fields=fields,
        actor=actor,
        reason=command_reason(command, why),
        now=now,
    )
    return StatusChange(
        key=item.key,
        status=status,
        outcome=outcome,
        status_changed=before != status,
        effort_days=effort_days,
        accepted_until=accepted_until,
    )


def assess(
    session: Session,
    *,
    item: DebtItem,
    impact: int,
    likelihood: int,
    detectability: int,
    actor: str,
    reason: str,
    now: datetime,
) -> bool:
    """Record a new assessment unless it equals the newest one; returns whether it did."""
    latest = register.latest_assessment(session, item=item)
    new = {"impact": impact, "likelihood": likelihood, "detectability": detectability}
    if latest is not None and _snapshot_assessment(latest) == new:
        return False
    register.add_assessment(session, item=item, assessed_by=actor, at=now, note=reason, **new)
    audit.record(
        session,
        team_id=item.team_id,
        actor=actor,
        action="item.assessed",
        subject=item.key,
        before=_snapshot_assessment(latest) if latest else None,
        after=new,
        reason=reason,
        at=now,
    )
    return True


def _snapshot_assessment(assessment: Any) -> dict[str, int]:
    return {
        "impact": assessment.impact,
        "likelihood": assessment.likelihood,
        "detectability": assessment.detectability,
    }


def import_register(
    session: Session,
    *,
    team_id: str,
    rows: list[tuple[int, RegisterRow]],
    actor: str,
    reason: str,
    now: datetime,
    zone: tzinfo = UTC,
) -> ImportSummary:
    """Apply validated rows in the caller's transaction (all or nothing).

    ``resolved_on`` and ``accepted_until`` are days in ``zone`` (the team's time zone),
    checked against its today for every row before anything is written."""
    today = now.astimezone(zone).date()
    problems = [problem for line, row in rows for problem in _day_problems(line, row, today, zone)]
    if problems:
        raise InputRejected(problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    assessed = 0
    for line, row in rows:
        try:
            item, outcome = save_item(
                session,
                team_id=team_id,
                key=row.key,
                fields=_imported_fields(session, team_id=team_id, row=row, now=now, zone=zone),
                actor=actor,
                reason=reason,
                now=now,
            )
        except ValueError as exc:
            column, _, message = str(exc).partition(": ")
            raise InputRejected([Problem(line, column, message)]) from None
        risk = row.assessment
        if risk is not None:
            impact, likelihood, detectability = risk
            if assess(
                session,
                item=item,
                impact=impact,
                likelihood=likelihood,
                detectability=detectability,
                actor=actor,
                reason=reason,
                now=now,
            ):
                assessed += 1
                if outcome == "unchanged":
                    outcome = "updated"
        counts[outcome] += 1
    return ImportSummary(assessed=assessed, **counts)


def _day_problems(line: int, row: RegisterRow, today: date, zone: tzinfo) -> list[Problem]:
    problems = []
    if row.resolved_on is not None and row.resolved_on > today:
        problems.append(
            Problem(
                line,
                "resolved_on",
                f"{row.resolved_on} is after today ({today}, {_zone_name(zone)})",
            )
        )
    if row.accepted_until is not None and row.accepted_until <= today:
        problems.append(
            Problem(
                line,
                "accepted_until",
                f"{row.accepted_until} is not after today ({today}, {_zone_name(zone)})",
            )
        )
    return problems


def _imported_fields(
    session: Session, *, team_id: str, row: RegisterRow, now: datetime, zone: tzinfo
) -> dict[str, Any]:
    """The fields a row sets: ``resolved_on`` as ``resolved_at`` (kept when the stored fix
    is of that day already, so an export imports back unchanged); an item becoming
    ``accepted`` needs its review date."""
    fields = row.item_fields()
    existing = register.get_item(session, team_id=team_id, key=row.key)
    newly_accepted = existing is None or existing.status != ACCEPTED
    if row.status == ACCEPTED and row.accepted_until is None and newly_accepted:
        raise ValueError("accepted_until: required with status accepted: the review date")
    if row.resolved_on is not None:
        stored = existing.resolved_at if existing and existing.status == RESOLVED else None
        if stored is None or stored.astimezone(zone).date() != row.resolved_on:
            fields["resolved_at"] = resolved_at_of(row.resolved_on, zone=zone, now=now)
    return fields


def resolved_at_of(day: date, *, zone: tzinfo, now: datetime) -> datetime:
    """When a fix made on ``day`` (a day in ``zone``) is stored as made: noon of that day
    there, which is the same day in UTC for any zone within 12 hours of it; or now, when
    that noon is still to come."""
    noon = datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)
    return min(noon, now)


def export_register(session: Session, *, team_id: str, zone: tzinfo = UTC) -> str:
    """The whole register as CSV in the import layout (newest assessment per item);
    ``resolved_on`` is the day of ``resolved_at`` in ``zone``."""
    items = register.list_items(session, team_id=team_id)
    risk = register.latest_assessments(session, team_id=team_id)
    rows = []
    for item in items:
        row: dict[str, object] = {
            name: getattr(item, name) for name in COLUMNS if hasattr(item, name)
        }
        row["effort_spent"] = effort_cell(item.effort_spent_days)
        row["accepted_until"] = item.accepted_until.isoformat() if item.accepted_until else ""
        if item.status == RESOLVED and item.resolved_at is not None:
            row["resolved_on"] = item.resolved_at.astimezone(zone).date().isoformat()
        assessment = risk.get(item.id or 0)
        if assessment is not None:
            row |= _snapshot_assessment(assessment)
        rows.append(row)
    return write_rows(COLUMNS, rows)
