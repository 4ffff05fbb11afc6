"""What the digest reads besides the ranking, as plain rows (plain SQL through a
:class:`storage.reader.Reader`, as ``storage/aggregates.py``): so ``debtpulse digest
preview`` on SQLite needs neither SQLAlchemy nor the table models. Writes stay with
``storage/digests.py`` and ``storage/snapshots.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from storage.reader import Reader, as_date, as_json, as_utc, in_list, reader_of
from storage.register_rows import ItemRow, items_by_key

if TYPE_CHECKING:
    from sqlmodel import Session

POSTED = "posted"
STATUS_ACTION = "item.status"


@dataclass(frozen=True)
class SnapshotRow:
    """An item's row of a weekly ``priority_snapshot``."""

    debt_item_id: int
    rank: int
    score: float
    components: dict[str, Any]


@dataclass(frozen=True)
class RunRow:
    """A poll run as the digest shows it, with its respondents and DM recipients."""

    survey_id: str
    scheduled_for: datetime
    audience: int | None
    respondents: int
    direct_recipients: int


def last_posted_at(
    source: Session | Reader, *, team_id: str, digest_id: str, before_week: date
) -> datetime | None:
    """When the digest was last posted for a week before ``before_week``."""
    sql = """
        SELECT posted_at FROM digest_post
        WHERE team_id = :team AND digest_id = :digest AND week < :week AND status = :posted
        ORDER BY posted_at DESC LIMIT 1"""
    params = {"team": team_id, "digest": digest_id, "week": before_week, "posted": POSTED}
    value = reader_of(source).scalar(sql, params)
    return None if value is None else as_utc(value)


def resolved_since(
    source: Session | Reader, *, team_id: str, since: datetime, until: datetime
) -> list[tuple[ItemRow, datetime, str]]:
    """Items set to ``resolved`` in [since, until) that are still resolved: with when they
    were resolved, and the audit reason of that change. "When" is the item's
    ``resolved_at`` where that is earlier than the change (a fix imported with the day it
    was really made, ``resolved_on``), so pain before and after is read around the fix."""
    reader = reader_of(source)
    sql = """
        SELECT subject, at, reason, after FROM audit_event
        WHERE team_id = :team AND action = :action AND at >= :since AND at < :until
        ORDER BY at, id"""
    params = {"team": team_id, "action": STATUS_ACTION, "since": since, "until": until}
    latest: dict[str, tuple[datetime, str]] = {}
    for subject, at, reason, after in reader.rows(sql, params):
        if (as_json(after) or {}).get("status") == "resolved":
            latest[subject] = (as_utc(at), reason)
    if not latest:
        return []
    items = items_by_key(reader, team_id=team_id, keys=list(latest), status="resolved")
    if not items:
        return []
    listed, more = in_list("item", [item.id for item in items])
    fixed = {
        int(item_id): as_utc(at)
        for item_id, at in reader.rows(
            f"SELECT id, resolved_at FROM debt_item WHERE id IN {listed} AND resolved_at "
            "IS NOT NULL",
            more,
        )
    }
    out = []
    for item in items:
        at, reason = latest[item.key]
        out.append((item, min(at, fixed.get(item.id, at)), reason))
    return out


def score_history(
    source: Session | Reader, *, team_id: str, item_ids: list[int], since: date
) -> list[tuple[int, date, float]]:
    """(item id, week, score) of the items' snapshots from ``since`` on."""
    listed, params = in_list("item", item_ids)
    sql = f"""
        SELECT debt_item_id, taken_for, score FROM priority_snapshot
        WHERE team_id = :team AND debt_item_id IN {listed} AND taken_for >= :since"""
    rows = reader_of(source).rows(sql, params | {"team": team_id, "since": since})
    return [(int(i), as_date(d), float(s)) for i, d, s in rows]


def previous_snapshot_week(source: Session | Reader, *, team_id: str, before: date) -> date | None:
    """The most recent snapshot week strictly before ``before``."""
    sql = "SELECT max(taken_for) FROM priority_snapshot WHERE team_id = :team AND taken_for < :d"
    value = reader_of(source).scalar(sql, {"team": team_id, "d": before})
    return None if value is None else as_date(value)


def snapshot_rows(source: Session | Reader, *, team_id: str, taken_for: date) -> list[SnapshotRow]:
    """The rows of the team's snapshot of week ``taken_for``, by rank."""
    sql = """
        SELECT debt_item_id, rank, score, components FROM priority_snapshot
        WHERE team_id = :team AND taken_for = :week ORDER BY rank"""
    rows = reader_of(source).rows(sql, {"team": team_id, "week": taken_for})
    return [SnapshotRow(item, rank, score, as_json(c) or {}) for item, rank, score, c in rows]


def recent_runs(source: Session | Reader, *, team_id: str, limit: int) -> list[RunRow]:
    """Open runs first, then the most recent, with respondent and DM-recipient counts (the
    selection of ``storage.polls.recent_runs``, which ``/debt polls`` reads with the runs)."""
    reader = reader_of(source)
    runs = reader.rows(
        """SELECT id, survey_id, scheduled_for, audience FROM poll_run WHERE team_id = :team
           ORDER BY status DESC, scheduled_for DESC LIMIT :limit""",
        {"team": team_id, "limit": limit},
    )
    listed, params = in_list("run", [run[0] for run in runs])
    answered = dict(
        reader.rows(
            f"""SELECT poll_run_id, count(*) FROM participation WHERE poll_run_id IN {listed}
                GROUP BY poll_run_id""",
            params,
        )
    )
    direct = dict(
        reader.rows(
            f"""SELECT poll_run_id, count(*) FROM poll_delivery
                WHERE poll_run_id IN {listed} AND recipient LIKE 'U%'
                GROUP BY poll_run_id""",
            params,
        )
    )
    return [
        RunRow(survey, as_utc(at), audience, int(answered.get(i, 0)), int(direct.get(i, 0)))
        for i, survey, at, audience in runs
    ]


def inbox_groups_waiting(source: Session | Reader, *, team_id: str, at: datetime) -> int:
    """How many groups of the signals inbox had signals waiting at ``at``: received by then
    and not yet routed or ignored then."""
    sql = """
        SELECT count(DISTINCT group_key) FROM signal_inbox
        WHERE team_id = :team AND received_at <= :at AND (decided_at IS NULL OR decided_at > :at)"""
    return int(reader_of(source).scalar(sql, {"team": team_id, "at": at}) or 0)
