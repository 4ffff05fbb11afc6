"""Weekly snapshots of the ranking, and "why did it move" against the previous one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.core.explain import Change, explain_change
from bot.core.priority import ScoreBreakdown
from bot.core.score_settings import ScoreSettings
from bot.services.ranking import Ranking, week_start
from storage import audit, register, snapshots
from storage.models import AuditEvent

WEIGHTS_ACTION = "weights.changed"


@dataclass(frozen=True)
class SnapshotResult:
    week: date
    written: int
    already_taken: bool

    def __str__(self) -> str:
        if self.already_taken:
            return f"the week of {self.week.isoformat()} was already taken; nothing changed"
        return f"snapshot for the week of {self.week.isoformat()}: {self.written} items"


def record_weights(
    session: Session,
    *,
    team_id: str,
    settings: ScoreSettings,
    actor: str,
    reason: str,
    at: datetime,
) -> bool:
    """Write an audit event when the settings in effect differ from the last ones recorded."""
    last = audit.last_event(session, team_id=team_id, action=WEIGHTS_ACTION)
    previous = last.after if isinstance(last, AuditEvent) else None
    if previous is not None and previous.get("version") == settings.version:
        return False
    audit.record(
        session,
        team_id=team_id,
        actor=actor,
        action=WEIGHTS_ACTION,
        subject=settings.version,
        before=previous,
        after=settings.as_record(),
        reason=reason,
        at=at,
    )
    return True


def take_snapshot(
    session: Session,
    *,
    ranking: Ranking,
    team_id: str,
    actor: str,
    at: datetime,
    week: date | None = None,
) -> SnapshotResult:
    """Store the ranking for ``week`` (default: the week of ``ranking.now``), once per team
    and week."""
    week = week or week_start(ranking.now.date())
    snapshots.lock_week(session, team_id=team_id, taken_for=week)
    if snapshots.snapshot(session, team_id=team_id, taken_for=week):
        return SnapshotResult(week, 0, already_taken=True)
    record_weights(
        session,
        team_id=team_id,
        settings=ranking.settings,
        actor=actor,
        reason=f"settings in effect for the snapshot of {week.isoformat()}",
        at=at,
    )
    rows = []
    for ranked in ranking.items:
        public = ranked.breakdown.to_public_dict()
        item = ranking.records[ranked.breakdown.key]
        rows.append(
            {
                "debt_item_id": item.id,
                "rank": ranked.rank,
                "score": public["score"],
                "components": public["components"],
                "exact_components": dict(ranked.breakdown.components),
                "n_respondents": public["n_respondents"] or 0,
                "suppressed": public["suppressed"],
            }
        )
    written = snapshots.write_snapshot(
        session,
        team_id=team_id,
        taken_for=week,
        rows=rows,
        weights_version=ranking.settings.version,
        at=at,
    )
    return SnapshotResult(week, written, already_taken=False)


def previous_breakdown(
    session: Session, *, team_id: str, key: str, before: date
) -> ScoreBreakdown | None:
    """The item's breakdown in the newest snapshot taken before the week of ``before``."""
    week = snapshots.previous_week(session, team_id=team_id, before=week_start(before))
    if week is None:
        return None
    item = register.get_item(session, team_id=team_id, key=key)
    if item is None:
        return None
    row = snapshots.item_row(session, team_id=team_id, taken_for=week, debt_item_id=item.id)
    if row is None:
        return None
    return ScoreBreakdown.from_snapshot(
        key=key,
        components=row.exact_components or row.components,
        taken_for=week,
        settings_version=row.weights_version,
        suppressed=row.suppressed,
        n_respondents=None if row.suppressed else row.n_respondents,
        title=item.title,
    )


def why_change(session: Session, *, ranking: Ranking, team_id: str, key: str) -> Change | None:
    ranked = ranking.find(key)
    if ranked is None:
        return None
    previous = previous_breakdown(session, team_id=team_id, key=key, before=ranking.now.date())
    return explain_change(ranked.breakdown, previous)
