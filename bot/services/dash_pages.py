"""What each dashboard page shows, read from the services Slack and the CLI use.

The ranking is :func:`bot.services.ranking.current_ranking` (filters included), an item's
breakdown :func:`bot.services.explain.explain_item` (the numbers of ``/debt why``), its
weekly scores the snapshots and its weekly pain the digest's weekly tallies under the same
anonymity rule (a week below the minimum group has no value; a suppressed item no pain at
all), the polls the digest's run figures and fatigue rule, the ROI the ROI service, the
CSV the register export. Each page reads in one read-only transaction. The caller passes
the runtime of the signed-in workspace (``bot.services.workspaces.team_runtime``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.core.digest import participation
from bot.core.digest_model import Participation, RunFigures
from bot.core.priority import ScoreBreakdown
from bot.runtime import Runtime
from bot.services import ranking_cache, reviews, roi
from bot.services import register as register_service
from bot.services.digest_inputs import CHART_WEEKS, run_figures, weekly_tallies, weeks_ending
from bot.services.digest_roi import ROI_WEEKS
from bot.services.explain import Explained, explain_item
from bot.services.ranking import OPEN_STATUSES, signal_since, week_start
from storage import aggregates, dash_reads, digest_reads, polls, register
from storage.models import DebtItem
from storage.reader import reader_of

#: The audit events an item page shows at most (newest first).
AUDIT_ROWS = 100
#: Poll runs the polls page reads (as many as the digest reads for its participation).
RUNS_READ = 40


@dataclass(frozen=True)
class RankingPage:
    items: list[tuple[int, ScoreBreakdown]]  # (rank, breakdown), best first
    components: list[str]  # what the component filter offers
    category: str | None
    component: str | None
    min_group: int
    as_of: datetime


@dataclass(frozen=True)
class ItemPage:
    item: DebtItem
    explained: Explained | None  # None: not ranked (its status is not open/in_progress)
    weeks: list[date]  # the charts' weeks (Mondays), oldest first
    scores: list[float | None]  # the score each week (snapshots; this week: the score now)
    pains: list[float | None] | None  # mean pain each week; None: the item is suppressed
    signals: list[dash_reads.SignalCount]
    signals_since: datetime
    assessments: list[dash_reads.AssessmentRow]
    audit: list[dash_reads.AuditRow]
    min_group: int


@dataclass(frozen=True)
class RunLine:
    id: int
    survey_id: str
    title: str
    status: str
    scheduled_for: datetime
    respondents: int
    audience: int | None


@dataclass(frozen=True)
class PollsPage:
    runs: list[RunLine]  # open runs first, then the most recent
    history: dict[str, list[RunFigures]]  # per survey, its runs oldest first
    latest: list[Participation]  # per survey: the newest run, its change, a fatigue warning


@dataclass(frozen=True)
class RoiPage:
    since: date
    reports: list[roi.ItemRoi]
    totals: roi.Totals
    currency: str | None
    min_group: int


def ranking_page(
    runtime: Runtime, team: str, *, category: str | None, component: str | None
) -> RankingPage:
    settings = runtime.score_settings
    with runtime.reading() as reader:
        ranking = ranking_cache.ranking(
            reader,
            database=runtime.engine,
            team_id=team,
            now=runtime.clock(),
            settings=settings,
            category=category,
            component=component,
        )
        offered = dash_reads.components(reader, team_id=team, statuses=OPEN_STATUSES)
    items = [(ranked.rank, ranked.breakdown) for ranked in ranking.items]
    return RankingPage(items, offered, category, component, settings.min_group, ranking.now)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def item_page(runtime: Runtime, team: str, key: str) -> ItemPage | None:
    """The item ``key`` of ``team``; None when the team has no such item."""
    now = runtime.clock()
    settings = runtime.score_settings
    weeks = weeks_ending(week_start(now.date()), CHART_WEEKS)
    with runtime.transaction(write=False) as session:
        item = register.get_item(session, team_id=team, key=key)
        if item is None or item.id is None:
            return None
        reader = reader_of(session)
        ranking = ranking_cache.ranking(
            reader, database=runtime.engine, team_id=team, now=now, settings=settings
        )
        now = ranking.now  # the page reads as of the ranking it shows
        explained = explain_item(
            session, team_id=team, key=key, now=now, settings=settings, ranking=ranking
        ).explained
        scores: list[float | None] = [None] * len(weeks)
        position = {week: i for i, week in enumerate(weeks)}
        history = digest_reads.score_history(
            reader, team_id=team, item_ids=[item.id], since=weeks[0]
        )
        for _, taken_for, score in history:
            if taken_for in position:
                scores[position[taken_for]] = score
        if explained is not None and scores[-1] is None:  # this week: the score as it stands
            scores[-1] = explained.ranked.breakdown.shown().total
        pains: list[float | None] | None = None
        if explained is None or not explained.ranked.breakdown.suppressed:
            groups = aggregates.pain_groups(
                reader,
                team_id=team,
                since=_midnight(weeks[0]),
                high_threshold=settings.breadth_threshold,
                min_group=settings.min_group,
                item_ids=[item.id],
            )
            tallies = weekly_tallies(groups, weeks).get(item.id)
            pains = [None] * len(weeks)
            if tallies is not None:
                pains = [tally.mean(settings.min_group) for tally in tallies]
        since = signal_since(now, settings)
        signals = dash_reads.signal_counts(reader, team_id=team, item_id=item.id, since=since)
        assessed = dash_reads.assessments(reader, team_id=team, item_id=item.id)
        audit = dash_reads.audit_trail(reader, team_id=team, subject=key, limit=AUDIT_ROWS)
    return ItemPage(
        item=item,
        explained=explained,
        weeks=weeks,
        scores=scores,
        pains=pains,
        signals=signals,
        signals_since=since,
        assessments=assessed,
        audit=audit,
        min_group=settings.min_group,
    )


def polls_page(runtime: Runtime, team: str) -> PollsPage:
    titles = {
        template_id: (loaded.survey.title if loaded.survey is not None else template_id)
        for template_id, loaded in runtime.catalog.items()
    }
    with runtime.transaction(write=False) as session:
        summaries = polls.recent_runs(session, team_id=team, limit=RUNS_READ)
        figures = run_figures(session, team_id=team, titles=titles)
    runs = [
        RunLine(
            id=summary.run.id or 0,
            survey_id=summary.run.survey_id,
            title=titles.get(summary.run.survey_id, summary.run.survey_id),
            status=summary.run.status,
            scheduled_for=summary.run.scheduled_for,
            respondents=summary.respondents,
            audience=summary.run.audience or summary.direct_recipients or None,
        )
        for summary in summaries
    ]
    history: dict[str, list[RunFigures]] = defaultdict(list)
    for figure in sorted(figures, key=lambda f: f.scheduled_for):
        history[figure.survey_id].append(figure)
    return PollsPage(runs, dict(history), list(participation(figures)))


def roi_page(runtime: Runtime, team: str, *, since: date | None = None) -> RoiPage:
    """The return on every item resolved since ``since`` (default: the digest's window)."""
    ctx = roi.context_for(runtime, team)
    first = since or ctx.today - timedelta(weeks=ROI_WEEKS)
    with runtime.transaction(write=False) as session:
        reports = roi.roi_since(session, ctx, first)
    return RoiPage(first, reports, roi.totals(reports), runtime.roi.currency, ctx.min_group)


def register_csv(runtime: Runtime, team: str) -> str:
    """The register as ``debtpulse debt export`` writes it."""
    with runtime.transaction(write=False) as session:
        return register_service.export_register(
            session, team_id=team, zone=reviews.team_zone(runtime, strict=False)
        )
