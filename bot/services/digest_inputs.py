"""What the digest reads from the database, gathered into plain :class:`DigestInputs`.

The ranking comes from :func:`current_ranking` (the numbers ``/debt top`` shows), last week's
ranks from the previous ``priority_snapshot``, weekly pain from the pain sums, participation
from the poll runs, resolved items from the audit trail, the return on the fixes of the
last weeks from the ROI reports (:mod:`bot.services.digest_roi`), and how many groups of
signals wait in the inbox, now and at the last post.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.digest import DigestInputs, ItemRow, PainTally, PreviousRow, ResolvedRow, RunFigures
from bot.core.digest_model import InboxCount
from bot.core.reasons import stated_why
from bot.services.ranking import Ranking, current_ranking, week_start
from storage import aggregates, digest_reads
from storage.reader import Reader, reader_of
from storage.register_rows import ItemRow as StoredItem

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.score_settings import ScoreSettings
    from bot.core.weights_file import Capacity
    from bot.services.digest_roi import GatheredRoi
    from bot.services.roi import Context as RoiContext
    from surveys import Digest

SPARK_WEEKS = 8
CHART_WEEKS = 12
BEFORE_RESOLVED = timedelta(weeks=8)
RUNS_READ = 40


@dataclass(frozen=True)
class Gathered:
    inputs: DigestInputs
    ranking: Ranking
    chart_weeks: list[date]
    score_history: dict[str, list[float | None]]  # per key, aligned with chart_weeks
    pain_history: dict[str, list[float | None]]  # the same weeks; None under the threshold
    roi: GatheredRoi | None = None  # the "Return on debt work" reports, when that section is on


class _Tally:
    """Answers, their sum and the largest single run's count (the safe respondent count)."""

    __slots__ = ("answers", "per_run", "total")

    def __init__(self) -> None:
        self.answers, self.total = 0, 0.0
        self.per_run: dict[int, int] = defaultdict(int)

    def add(self, group: aggregates.PainGroup) -> None:
        self.answers += group.n_answers
        self.total += group.sum_x
        self.per_run[group.poll_run_id] += group.n_answers

    def frozen(self) -> PainTally:
        return PainTally(self.answers, self.total, max(self.per_run.values(), default=0))


def weeks_ending(week: date, count: int) -> list[date]:
    """``count`` week starts ending with ``week``, oldest first."""
    return [week - timedelta(weeks=count - 1 - i) for i in range(count)]


def weekly_tallies(
    groups: Iterable[aggregates.PainGroup], weeks: list[date]
) -> dict[int, list[PainTally]]:
    """Per item id, one tally per week of ``weeks``."""
    index = {week: i for i, week in enumerate(weeks)}
    tallies: dict[int, list[_Tally]] = defaultdict(lambda: [_Tally() for _ in weeks])
    for group in groups:
        i = index.get(week_start(group.day))
        if i is not None:
            tallies[group.debt_item_id][i].add(group)
    return {item: [t.frozen() for t in row] for item, row in tallies.items()}


def resolved_rows(
    groups: Iterable[aggregates.PainGroup], resolved: list[tuple[StoredItem, datetime, str]]
) -> list[ResolvedRow]:
    """Pain in the eight weeks before each resolution, and since."""
    by_item: dict[int, list[aggregates.PainGroup]] = defaultdict(list)
    for group in groups:
        by_item[group.debt_item_id].append(group)
    out = []
    for item, at, reason in resolved:
        before, after = _Tally(), _Tally()
        for group in by_item.get(item.id, []):
            if group.day >= at.date():
                after.add(group)
            elif group.day >= (at - BEFORE_RESOLVED).date():
                before.add(group)
        out.append(
            ResolvedRow(
                item.key,
                item.title,
                item.category,
                at,
                before.frozen(),
                after.frozen(),
                why=stated_why(reason),
            )
        )
    return out


def _previous(
    reader: Reader, *, team_id: str, week: date, keys_by_id: Mapping[int, str]
) -> tuple[date | None, dict[str, PreviousRow]]:
    previous_week = digest_reads.previous_snapshot_week(reader, team_id=team_id, before=week)
    if previous_week is None:
        return None, {}
    rows = digest_reads.snapshot_rows(reader, team_id=team_id, taken_for=previous_week)
    return previous_week, {
        keys_by_id[row.debt_item_id]: PreviousRow(row.rank, row.score, row.components)
        for row in rows
        if row.debt_item_id in keys_by_id
    }


def run_figures(
    source: Session | Reader, *, team_id: str, titles: Mapping[str, str]
) -> list[RunFigures]:
    """The team's recent poll runs (open ones first), each with who answered out of whom."""
    reader = reader_of(source)
    return [
        RunFigures(
            run.survey_id,
            titles.get(run.survey_id, run.survey_id),
            run.scheduled_for,
            run.respondents,
            run.audience or run.direct_recipients or None,
        )
        for run in digest_reads.recent_runs(reader, team_id=team_id, limit=RUNS_READ)
    ]


def _pain_groups(
    reader: Reader, ranking: Ranking, *, team_id: str, since: date, now: datetime, s: ScoreSettings
) -> list[aggregates.PainGroup]:
    """The team's pain groups from ``since`` on: those the ranking read when they cover it
    (the same query with the same threshold and minimum group), else read here."""
    read = ranking.settings
    if (
        ranking.pain_since is not None
        and ranking.pain_since <= since
        and (read.breadth_threshold, read.min_group) == (s.breadth_threshold, s.min_group)
    ):
        return [group for group in ranking.pain_groups if group.day >= since]
    return aggregates.pain_groups(
        reader,
        team_id=team_id,
        since=datetime.combine(since, datetime.min.time(), now.tzinfo),
        high_threshold=s.breadth_threshold,
        min_group=s.min_group,
    )


def gather(
    source: Session | Reader,
    *,
    template: Digest,
    team_id: str,
    now: datetime,
    settings: ScoreSettings,
    capacity: Capacity,
    survey_titles: Mapping[str, str],
    ranking: Ranking | None = None,
    week: date | None = None,
    roi: RoiContext | None = None,
) -> Gathered:
    """Read everything the digest of ``week`` needs, as of ``now`` (one read transaction).

    ``week``: the Monday of the week the digest is for (default: the week of ``now``'s
    date). ``ranking``: the team's ranking at ``now`` when the caller has it already (it
    must match the template's category filter); otherwise it is computed here.
    ``source``: a session (read inside its transaction) or a reader of plain SQL.
    ``roi``: the ROI report's context; without it (or with the section off) the digest has
    no "Return on debt work".
    """
    reader = reader_of(source)
    week = week or week_start(now.date())
    if ranking is None:
        ranking = current_ranking(
            reader, team_id=team_id, now=now, settings=settings, category=template.category
        )
    chart_weeks = weeks_ending(week, CHART_WEEKS)
    last_post = digest_reads.last_posted_at(
        reader, team_id=team_id, digest_id=template.id, before_week=week
    )
    since_post = last_post or datetime.combine(
        week - timedelta(weeks=1), datetime.min.time(), now.tzinfo
    )
    resolved = digest_reads.resolved_since(reader, team_id=team_id, since=since_post, until=now)
    earliest = min([chart_weeks[0], *((at - BEFORE_RESOLVED).date() for _, at, _ in resolved)])
    groups = _pain_groups(reader, ranking, team_id=team_id, since=earliest, now=now, s=settings)
    records = ranking.records
    ids = {record.id: key for key, record in records.items()}
    weekly = weekly_tallies(groups, chart_weeks)
    previous_week, previous = _previous(reader, team_id=team_id, week=week, keys_by_id=ids)
    history: dict[str, list[float | None]] = defaultdict(lambda: [None] * CHART_WEEKS)
    position = {w: i for i, w in enumerate(chart_weeks)}
    for item_id, taken_for, score in digest_reads.score_history(
        reader, team_id=team_id, item_ids=list(ids), since=chart_weeks[0]
    ):
        if taken_for in position:
            history[ids[item_id]][position[taken_for]] = score
    for ranked in ranking.items:  # this week's point: the score as it stands now
        row = history[ranked.breakdown.key]
        if row[-1] is None:
            row[-1] = ranked.breakdown.shown().total
    items = [
        ItemRow(
            rank=ranked.rank,
            breakdown=ranked.breakdown,
            category=records[ranked.breakdown.key].category,
            owner=records[ranked.breakdown.key].owner or None,
            effort=records[ranked.breakdown.key].effort or None,
        )
        for ranked in ranking.items
    ]
    spark_weeks = chart_weeks[-SPARK_WEEKS:]
    inputs = DigestInputs(
        template=template,
        week=week,
        items=items,
        weeks=spark_weeks,
        weekly_pain={ids[i]: t[-SPARK_WEEKS:] for i, t in weekly.items() if i in ids},
        previous=previous,
        previous_week=previous_week,
        runs=run_figures(reader, team_id=team_id, titles=survey_titles),
        resolved=resolved_rows(groups, resolved),
        capacity=capacity,
        min_group=settings.min_group,
        inbox=InboxCount(
            digest_reads.inbox_groups_waiting(reader, team_id=team_id, at=now),
            digest_reads.inbox_groups_waiting(reader, team_id=team_id, at=since_post),
        ),
    )
    fixes = None
    if roi is not None and template.sections.roi:
        # imported here: the ROI service reads this module's weekly tallies
        from bot.services.digest_roi import ROI_WEEKS, gather_roi

        fixes = gather_roi(reader, roi, week=week)
        inputs = replace(inputs, roi=fixes.rows, roi_weeks=ROI_WEEKS)
    suppressed = {r.breakdown.key for r in ranking.items if r.breakdown.suppressed}
    pain_history = {
        ids[i]: [t.mean(settings.min_group) for t in tallies]
        for i, tallies in weekly.items()
        if i in ids and ids[i] not in suppressed
    }
    return Gathered(inputs, ranking, chart_weeks, dict(history), pain_history, fixes)
