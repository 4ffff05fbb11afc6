"""Does the score's Pain component rank debt by true pain better than a raw mean does?

Simulated teams answer the weekly pulse about 15 open items whose true pain (1.5-4.5) is
known and does not change. Every week, each member answers (with the response rate) about
5 of the 15 items — a rotating window, as ``sample: 5`` asks — with integer answers 1-5
(the truth plus normal noise σ, rounded and clamped). The answers go through the real import
and scoring path: a responses CSV parsed by ``parse_responses`` and stored by
``store_responses`` (anonymous ``weekly-debt-pulse``) into a freshly migrated SQLite
database, then ``current_ranking`` after each week.

Compared orderings, each against the true ordering (Kendall's tau-b, ties allowed):

- score: the ``pain`` component of the score, i.e. the shrunk mean m = (n·x̄ + k·μ₀)/(n + k)
  with recency weights — *as shipped*, so items with fewer than ``min_group`` distinct
  respondents in the horizon (counted across runs in ``item_respondent``) are suppressed to
  μ₀ (all tied);
- naive: the raw mean of every answer so far (an item nobody answered gets the team mean);
- rule: the same raw mean, but items the score suppresses (fewer than ``min_group``
  respondents) at the raw mean of the items that are shown — a raw-mean ranking that obeys
  the anonymity rule (a suppressed item's answers enter no number, the team's mean
  included), i.e. what any debtpulse output could show;
- sent: pain + breadth + trend (the whole sentiment part of the score), for information;
- nosupp: the same shrunk mean without the minimum-group rule, to separate what the
  statistics do from what the anonymity rule costs.

Churn is the mean absolute rank change of an item between consecutive weeks' rankings
(average ranks for ties) while the truth stays put; it needs at least two weeks.

Each setting's seeds share their answers between the orderings, so the score is also compared
seed by seed: the mean difference with its 95% t-interval, and a setting counts as "worse"
only when that interval excludes 0.

A second, shorter table follows teams of 10, 25 and 50 for 30 weeks in which 5 items' true
pain swaps ends of the range at week 14 (a fix lands, a problem grows): tau against each
week's truth. There the recency weighting (answers older than 8 weeks fade), which the score
has and the raw mean has not, pays, and Trend (in "sent") moves the changed items first; the
weighting's cost shows in the grid above, as a small loss against the raw mean where the
truth never moves and answers are few.

Settings: team size x response rate x noise σ x weeks. The 1- and 4-week settings are the
first weeks of the 12-week runs (same seed), so each (team, rate, σ, seed) is simulated once,
in a copy of a database migrated and given the seed's register once per seed. The true pain
depends on the seed only, and both σ of a (team, rate, seed) share who answers and which
items they see (common random numbers), so settings differ only in what they vary.
Prints figures; asserts nothing. Run ``python -m bench.ranking`` from the repository root.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import itertools
import math
import multiprocessing
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import Engine

from bot.core.catalog import load_catalog
from bot.core.inputs import PainAggregate
from bot.core.ranking import current_ranking
from bot.core.register import import_register
from bot.core.register_csv import parse_register
from bot.core.responses_csv import COLUMNS as RESPONSE_COLUMNS
from bot.core.responses_csv import parse_responses, store_responses
from bot.core.score_settings import DEFAULT_SETTINGS
from bot.core.stats import shrunk_mean, student_t_quantile
from storage import db
from surveys import LoadedTemplate

TEAM = "bench"
SURVEY = "weekly-debt-pulse"
ANON_SECRET = "bench-anon-secret"
N_ITEMS = 15
SAMPLE = 5
TRUE_PAIN = (1.5, 4.5)
TEAM_SIZES = (5, 10, 25, 50, 100)
RATES = (0.3, 0.6, 0.9)
SIGMAS = (0.7, 1.2)
WEEKS = (1, 4, 12)
SMALL_N = 10
# When pain moves: CHANGED of the items swap ends at week CHANGE_WEEK of DRIFT_WEEKS.
CHANGED = 5
CHANGE_WEEK = 14
DRIFT_WEEKS = 30
DRIFT_TEAMS = (10, 25, 50)
DRIFT_REPORT_WEEKS = (13, 16, 20, 24, 30)
FIRST_RUN = date(2025, 1, 6)  # a Monday, like the pulse's cron
REGISTER_COLUMNS = ("key", "title", "category", "component", "effort")
RISK = ("impact", "likelihood", "detectability")


@dataclass(frozen=True)
class Stream:
    """One simulated team, followed for ``weeks`` weeks."""

    team_size: int
    rate: float
    sigma: float
    seed: int
    min_group: int = DEFAULT_SETTINGS.min_group
    weeks: int = max(WEEKS)
    change_week: int | None = None  # from this week (1-based) on, CHANGED items' truth moves


@dataclass(frozen=True)
class Week:
    """What one week's ranking said, item by item (index = item number - 1)."""

    score: tuple[float, ...]
    sentiment: tuple[float, ...]
    nosupp: tuple[float, ...]
    naive: tuple[float, ...]
    naive_rule: tuple[float, ...]  # the raw mean under the same anonymity rule as the score
    suppressed: int
    respondents: tuple[int, ...]  # distinct people who have answered the item so far
    answers: tuple[int, ...]  # answers to the item so far


@dataclass(frozen=True)
class Result:
    stream: Stream
    truth: tuple[float, ...]
    weeks: tuple[Week, ...]


# -- statistics ----------------------------------------------------------------------------


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b; 0.0 when either side is all ties (no ordering to compare)."""
    n = len(x)
    concordant = discordant = tied_x = tied_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx = (x[i] > x[j]) - (x[i] < x[j])
            dy = (y[i] > y[j]) - (y[i] < y[j])
            tied_x += dx == 0
            tied_y += dy == 0
            concordant += dx * dy > 0
            discordant += dx * dy < 0
    pairs = n * (n - 1) // 2
    denominator = math.sqrt((pairs - tied_x) * (pairs - tied_y))
    return (concordant - discordant) / denominator if denominator else 0.0


def ranks(values: Sequence[float]) -> list[float]:
    """Rank 1 = highest value; tied values share their average rank."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def churn(series: Sequence[Sequence[float]]) -> float | None:
    """Mean absolute rank change per item between consecutive weeks; None for one week."""
    if len(series) < 2:
        return None
    changes = [
        statistics.fmean(abs(a - b) for a, b in zip(ranks(old), ranks(new), strict=True))
        for old, new in itertools.pairwise(series)
    ]
    return statistics.fmean(changes)


# -- simulation ----------------------------------------------------------------------------


def _key(item: int) -> str:
    return f"DEBT-{item + 1}"


def _register_csv(rng: random.Random) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*REGISTER_COLUMNS, *RISK))
    for item in range(N_ITEMS):
        category = "experimentation" if item % 3 == 0 else "operational"
        effort = rng.choice(("S", "M", "L"))
        # Leads assess most items; impact skews high for operational debt.
        risk: tuple[object, ...] = ("", "", "")
        if rng.random() < 0.8:
            low = 2 if category == "operational" else 1
            risk = (rng.randint(low, 5), rng.randint(1, 5), rng.randint(1, 4))
        writer.writerow((_key(item), f"Debt {item + 1}", category, "pipeline", effort, *risk))
    return out.getvalue()


def _round_clamp(value: float) -> int:
    return min(5, max(1, math.floor(value + 0.5)))


def _rounded(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(round(v, 9) for v in values)


def truth_for(seed: int) -> tuple[float, ...]:
    """The items' true pain for a seed (the same for every setting: common random numbers)."""
    rng = random.Random(f"truth:{seed}")
    return tuple(rng.uniform(*TRUE_PAIN) for _ in range(N_ITEMS))


def truth_in_week(stream: Stream, week: int) -> tuple[float, ...]:
    """The true pain in ``week`` (1-based): from ``change_week`` on, CHANGED items swap ends.

    Each changed item's pain is reflected in the range (4.5 → 1.5, 2 → 4): a fix that landed,
    or a problem that grew, the kind of move the recency weighting is there to follow.
    """
    truth = truth_for(stream.seed)
    if stream.change_week is None or week < stream.change_week:
        return truth
    changed = set(random.Random(f"change:{stream.seed}").sample(range(N_ITEMS), CHANGED))
    low, high = TRUE_PAIN
    return tuple(low + high - t if i in changed else t for i, t in enumerate(truth))


def seed_database(path: Path, seed: int) -> None:
    """A migrated database holding the register (items, assessments) of ``seed``'s team."""
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine)
        with db.session_scope(engine) as session:
            import_register(
                session,
                team_id=TEAM,
                rows=parse_register(_register_csv(random.Random(f"register:{seed}"))),
                actor="bench",
                reason="benchmark",
                now=datetime.combine(FIRST_RUN - timedelta(days=14), clock(), tzinfo=UTC),
            )
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def simulate(stream: Stream, template_db: Path, workdir: Path) -> Result:
    """Run one team through ``stream.weeks`` weekly pulses, ranking after each.

    ``template_db`` is ``seed_database(…, stream.seed)``; it is copied, never changed.
    """
    # Shared by both σ of a (team, rate, seed): same people, same items, same draws z.
    rng = random.Random(f"answers:{stream.team_size}:{stream.rate}:{stream.seed}")
    offsets = [rng.randrange(N_ITEMS) for _ in range(stream.team_size)]

    s = stream
    path = workdir / f"{os.getpid()}-{s.team_size}-{s.rate}-{s.sigma}-{s.seed}.db"
    shutil.copyfile(template_db, path)
    engine = db.make_engine(f"sqlite:///{path}")
    catalog = _catalog()
    try:
        sums = [0.0] * N_ITEMS
        counts = [0] * N_ITEMS
        people: list[set[int]] = [set() for _ in range(N_ITEMS)]
        weeks = []
        for week in range(stream.weeks):
            run_date = FIRST_RUN + timedelta(weeks=week)
            truth = truth_in_week(stream, week + 1)
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(RESPONSE_COLUMNS)
            for person in range(stream.team_size):
                answers = rng.random() < stream.rate
                draws = [rng.gauss(0.0, 1.0) for _ in range(SAMPLE)]
                if not answers:
                    continue
                for j, z in enumerate(draws):
                    item = (offsets[person] + SAMPLE * week + j) % N_ITEMS
                    value = _round_clamp(truth[item] + stream.sigma * z)
                    sums[item] += value
                    counts[item] += 1
                    people[item].add(person)
                    writer.writerow(
                        (
                            SURVEY,
                            run_date.isoformat(),
                            f"U{person:04d}",
                            "pain",
                            _key(item),
                            value,
                            "",
                        )
                    )
            rows = parse_responses(
                out.getvalue(), catalog=catalog, anon_secret_set=True, today=run_date
            )
            if rows:
                with db.session_scope(engine) as session:
                    store_responses(session, team_id=TEAM, rows=rows, anon_secret=ANON_SECRET)
            now = datetime.combine(run_date + timedelta(days=3), clock(12), tzinfo=UTC)
            weeks.append(_week(engine, now, sums, counts, people, min_group=stream.min_group))
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Result(stream=stream, truth=truth_for(stream.seed), weeks=tuple(weeks))


def _week(
    engine: Engine,
    now: datetime,
    sums: list[float],
    counts: list[int],
    people: list[set[int]],
    *,
    min_group: int,
) -> Week:
    settings = DEFAULT_SETTINGS.model_copy(update={"min_group": min_group})
    with db.session_scope(engine, write=False) as session:
        ranking = current_ranking(session, team_id=TEAM, now=now, settings=settings)
    # nosupp is the shrunk mean without the rule, so its μ₀ pools every item's answers
    every = sum((ranking.inputs[_key(item)].pain for item in range(N_ITEMS)), PainAggregate())
    mu0 = settings.default_team_pain if every.mean is None else every.mean
    score, sentiment, nosupp = [], [], []
    hidden: list[bool] = []
    suppressed = 0
    for item in range(N_ITEMS):
        ranked = ranking.find(_key(item))
        assert ranked is not None
        parts = ranked.breakdown.components
        score.append(parts["pain"])
        sentiment.append(parts["pain"] + parts["breadth"] + parts["trend"])
        suppressed += ranked.breakdown.suppressed
        hidden.append(ranked.breakdown.suppressed)
        pain = ranking.inputs[_key(item)].pain
        nosupp.append(
            mu0
            if pain.mean is None
            else shrunk_mean(mean=pain.mean, n=pain.sum_w, prior_mean=mu0, k=settings.shrinkage_k)
        )
    total = sum(counts)
    team_mean = sum(sums) / total if total else settings.default_team_pain
    naive = [s / c if c else team_mean for s, c in zip(sums, counts, strict=True)]
    # Under the rule, a suppressed item's answers enter no number at all, the team's mean
    # included: suppressed items sit at the raw mean of the items that can be shown.
    shown_total = sum(c for c, h in zip(counts, hidden, strict=True) if not h)
    shown_sum = sum(s for s, h in zip(sums, hidden, strict=True) if not h)
    shown_mean = shown_sum / shown_total if shown_total else settings.default_team_pain
    naive_rule = [shown_mean if h else v for v, h in zip(naive, hidden, strict=True)]
    return Week(
        score=_rounded(score),
        sentiment=_rounded(sentiment),
        nosupp=_rounded(nosupp),
        naive=_rounded(naive),
        naive_rule=_rounded(naive_rule),
        suppressed=suppressed,
        respondents=tuple(len(p) for p in people),
        answers=tuple(counts),
    )


_CATALOG: dict[str, LoadedTemplate] = {}


def _catalog() -> dict[str, LoadedTemplate]:
    if not _CATALOG:
        _CATALOG.update(load_catalog(None))
    return _CATALOG


# -- running the grid ----------------------------------------------------------------------


def _template(workdir: Path, seed: int) -> Path:
    return workdir / f"seed-{seed}.db"


def _simulate_in(workdir: Path, stream: Stream) -> Result:
    return simulate(stream, _template(workdir, stream.seed), workdir)


def run_grid(seeds: int, jobs: int, min_group: int = DEFAULT_SETTINGS.min_group) -> list[Result]:
    """Simulate every (team, rate, σ, seed) once; the biggest teams first, to balance jobs."""
    streams = [
        Stream(team_size, rate, sigma, seed, min_group)
        for team_size in TEAM_SIZES
        for rate in RATES
        for sigma in SIGMAS
        for seed in range(seeds)
    ]
    return _run(streams, seeds, jobs)


def run_drift(seeds: int, jobs: int, min_group: int = DEFAULT_SETTINGS.min_group) -> list[Result]:
    """Teams whose pain moves at ``CHANGE_WEEK`` (rate 0.6, σ 0.7), for ``DRIFT_WEEKS`` weeks."""
    streams = [
        Stream(team, 0.6, 0.7, seed, min_group, weeks=DRIFT_WEEKS, change_week=CHANGE_WEEK)
        for team in DRIFT_TEAMS
        for seed in range(seeds)
    ]
    return _run(streams, seeds, jobs)


def _run(streams: list[Stream], seeds: int, jobs: int) -> list[Result]:
    streams = sorted(streams, key=lambda s: -s.team_size * s.rate * s.weeks)
    with tempfile.TemporaryDirectory(prefix="debtpulse-bench-") as tmp:
        workdir = Path(tmp)
        for seed in range(seeds):
            seed_database(_template(workdir, seed), seed)
        task = functools.partial(_simulate_in, workdir)
        if jobs <= 1:
            return [task(s) for s in streams]
        with multiprocessing.Pool(jobs) as pool:
            return pool.map(task, streams, chunksize=1)


@dataclass(frozen=True)
class Difference:
    """The mean of paired per-seed differences with its 95% t-interval half-width."""

    mean: float
    half: float  # inf with a single seed: nothing can be told apart

    @classmethod
    def of(cls, differences: Sequence[float]) -> Difference:
        mean = statistics.fmean(differences)
        if len(differences) < 2:
            return cls(mean, math.inf)
        spread = statistics.stdev(differences) / math.sqrt(len(differences))
        return cls(mean, student_t_quantile(0.975, len(differences) - 1) * spread)

    @property
    def below_zero(self) -> bool:
        return self.mean + self.half < 0

    @property
    def above_zero(self) -> bool:
        return self.mean - self.half > 0


@dataclass(frozen=True)
class Paired:
    """Score minus a baseline on tau (negative = worse) and on churn (positive = worse)."""

    tau: Difference
    churn: Difference | None

    @property
    def worse(self) -> bool:
        """Significantly worse on tau or on churn (the 95% interval excludes 0)."""
        return self.tau.below_zero or (self.churn is not None and self.churn.above_zero)


@dataclass(frozen=True)
class Row:
    team_size: int
    rate: float
    sigma: float
    weeks: int
    respondents: float
    answers: float
    suppressed: float
    tau_score: float
    tau_naive: float
    tau_sentiment: float
    tau_nosupp: float
    tau_rule: float
    churn_score: float | None
    churn_naive: float | None
    churn_rule: float | None
    # Paired over seeds (same answers): score minus the other, as (mean, 95% half-width).
    vs_naive: Paired
    vs_rule: Paired

    @property
    def small(self) -> bool:
        return self.respondents <= SMALL_N

    @property
    def score_wins(self) -> bool:
        """Score ≥ the raw mean of every answer on tau, and ≤ on churn (the issue's test)."""
        return _wins(self.tau_score, self.tau_naive, self.churn_score, self.churn_naive)

    @property
    def score_wins_same_rule(self) -> bool:
        """The same against a raw mean that obeys the anonymity rule (what could be shown)."""
        return _wins(self.tau_score, self.tau_rule, self.churn_score, self.churn_rule)


def _wins(tau: float, other_tau: float, churn: float | None, other_churn: float | None) -> bool:
    if churn is None or other_churn is None:
        return tau >= other_tau
    return tau >= other_tau and churn <= other_churn


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def _paired(runs: list[Result], weeks: int, baseline: Callable[[Week], Sequence[float]]) -> Paired:
    """The score against ``baseline`` seed by seed (both rank the same answers)."""
    taus = [
        kendall_tau_b(r.weeks[weeks - 1].score, r.truth)
        - kendall_tau_b(baseline(r.weeks[weeks - 1]), r.truth)
        for r in runs
    ]
    churns: list[float] = []
    for r in runs:
        ours = churn([w.score for w in r.weeks[:weeks]])
        theirs = churn([baseline(w) for w in r.weeks[:weeks]])
        if ours is not None and theirs is not None:
            churns.append(ours - theirs)
    return Paired(Difference.of(taus), Difference.of(churns) if churns else None)


def summarise(results: list[Result]) -> list[Row]:
    by_setting: dict[tuple[int, float, float], list[Result]] = {}
    for result in results:
        s = result.stream
        by_setting.setdefault((s.team_size, s.rate, s.sigma), []).append(result)
    rows = []
    for (team_size, rate, sigma), runs in by_setting.items():
        for weeks in WEEKS:
            last = [r.weeks[weeks - 1] for r in runs]
            mean = statistics.fmean
            paired = functools.partial(_paired, runs, weeks)
            rows.append(
                Row(
                    team_size=team_size,
                    rate=rate,
                    sigma=sigma,
                    weeks=weeks,
                    respondents=mean(mean(w.respondents) for w in last),
                    answers=mean(mean(w.answers) for w in last),
                    suppressed=mean(w.suppressed / N_ITEMS for w in last),
                    tau_score=mean(
                        kendall_tau_b(w.score, r.truth) for w, r in zip(last, runs, strict=True)
                    ),
                    tau_naive=mean(
                        kendall_tau_b(w.naive, r.truth) for w, r in zip(last, runs, strict=True)
                    ),
                    tau_sentiment=mean(
                        kendall_tau_b(w.sentiment, r.truth) for w, r in zip(last, runs, strict=True)
                    ),
                    tau_nosupp=mean(
                        kendall_tau_b(w.nosupp, r.truth) for w, r in zip(last, runs, strict=True)
                    ),
                    churn_score=_mean_or_none(
                        [churn([w.score for w in r.weeks[:weeks]]) for r in runs]
                    ),
                    churn_naive=_mean_or_none(
                        [churn([w.naive for w in r.weeks[:weeks]]) for r in runs]
                    ),
                    tau_rule=mean(
                        kendall_tau_b(w.naive_rule, r.truth)
                        for w, r in zip(last, runs, strict=True)
                    ),
                    churn_rule=_mean_or_none(
                        [churn([w.naive_rule for w in r.weeks[:weeks]]) for r in runs]
                    ),
                    vs_naive=paired(lambda w: w.naive),
                    vs_rule=paired(lambda w: w.naive_rule),
                )
            )
    return rows


def _fmt(value: float | None, width: int = 6) -> str:
    return f"{'n/a':>{width}}" if value is None else f"{value:>{width}.2f}"


def _difference_text(name: str, d: Difference | None) -> str:
    return "" if d is None else f"{name} {d.mean:+.3f} ± {d.half:.3f}"


def _paired_text(r: Row) -> str:
    parts = (_difference_text("tau", r.vs_rule.tau), _difference_text("churn", r.vs_rule.churn))
    setting = f"team {r.team_size}, rate {r.rate:.1f}, σ {r.sigma:.1f}, week {r.weeks}"
    return f"{setting}: " + ", ".join(p for p in parts if p)


def report(rows: list[Row], seeds: int, seconds: float, min_group: int) -> None:
    print(
        f"Ranking quality: {N_ITEMS} items, true pain U{TRUE_PAIN}, sample {SAMPLE} per person "
        f"and week (rotating), anonymous {SURVEY}; mean of {seeds} seeds per setting; "
        f"DEBTPULSE_MIN_GROUP={min_group}."
    )
    print(
        "tau = Kendall tau-b against the true order; score = the score's pain component "
        "(shrunk mean, as shipped: suppressed items = μ₀); naive = raw mean;\n"
        "sent = pain+breadth+trend; nosupp = shrunk mean without the min-group rule; "
        "rule = raw mean with the score's suppressed items at the shown items' mean; "
        "supp = share of items suppressed in the last week;\n"
        "resp/item = distinct respondents per item so far; ans/item = answers per item so far; "
        "churn = mean |rank change| week over week."
    )
    header = (
        f"{'team':>4} {'rate':>4} {'σ':>3} {'wk':>2} | {'resp/item':>9} {'ans/item':>8} "
        f"{'supp':>5} | {'tau(score)':>10} {'tau(naive)':>10} {'tau(sent)':>9} "
        f"{'tau(nosupp)':>11} {'tau(rule)':>9} | {'churn(score)':>12} {'churn(naive)':>12} "
        f"{'churn(rule)':>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in sorted(rows, key=lambda r: (r.team_size, r.rate, r.sigma, r.weeks)):
        flag = "*" if r.small else " "
        print(
            f"{r.team_size:>4} {r.rate:>4.1f} {r.sigma:>3.1f} {r.weeks:>2} | "
            f"{r.respondents:>8.1f}{flag} {r.answers:>8.1f} {r.suppressed:>5.0%} | "
            f"{r.tau_score:>10.3f} {r.tau_naive:>10.3f} {r.tau_sentiment:>9.3f} "
            f"{r.tau_nosupp:>11.3f} {r.tau_rule:>9.3f} | {_fmt(r.churn_score, 12)} "
            f"{_fmt(r.churn_naive, 12)} {_fmt(r.churn_rule, 11)}"
        )
    small = [r for r in rows if r.small]
    small_multi = [r for r in small if r.weeks > 1]
    small_single = [r for r in small if r.weeks == 1]
    mean = statistics.fmean
    print()
    print(f"* = at most {SMALL_N} respondents per item ({len(small)} of {len(rows)} settings)")
    if small:
        print(
            f"small-n means: tau(score) {mean(r.tau_score for r in small):.3f}, "
            f"tau(naive) {mean(r.tau_naive for r in small):.3f}, "
            f"tau(nosupp) {mean(r.tau_nosupp for r in small):.3f}; "
            f"items suppressed {mean(r.suppressed for r in small):.0%}"
        )
    large = [r for r in rows if not r.small]
    if large:
        print(
            f"larger-n means: tau(score) {mean(r.tau_score for r in large):.3f}, "
            f"tau(naive) {mean(r.tau_naive for r in large):.3f}, "
            f"tau(nosupp) {mean(r.tau_nosupp for r in large):.3f}; "
            f"items suppressed {mean(r.suppressed for r in large):.0%}"
        )
    print(
        f"weeks 4 and 12: {sum(r.score_wins for r in small_multi)} of {len(small_multi)}; "
        f"weeks 1 (tau only, churn needs two weeks): "
        f"{sum(r.score_wins for r in small_single)} of {len(small_single)}"
    )
    print(
        f"score >= naive on tau and <= on churn in {sum(r.score_wins for r in small)} of "
        f"{len(small)} settings with <= {SMALL_N} respondents per item ({seconds:.0f} s)"
    )
    print(
        f"score >= rule (the raw mean under the same anonymity rule) on tau and <= on churn in "
        f"{sum(r.score_wins_same_rule for r in small)} of {len(small)} of those settings"
    )
    if seeds > 1:
        print(
            f"paired over the {seeds} seeds (95% t-interval of score minus baseline excludes 0), "
            f"the score is worse on tau or churn than naive in "
            f"{sum(r.vs_naive.worse for r in small)} of {len(small)} small-n settings, "
            f"than rule in {sum(r.vs_rule.worse for r in small)} of {len(small)}"
        )
        for r in sorted(small, key=lambda r: (r.team_size, r.rate, r.sigma, r.weeks)):
            if r.vs_rule.worse:
                print(f"  worse than rule: {_paired_text(r)}")


def _taus(
    weeks: list[Week], truths: list[tuple[float, ...]], of: Callable[[Week], Sequence[float]]
) -> list[float]:
    return [kendall_tau_b(of(w), truth) for w, truth in zip(weeks, truths, strict=True)]


def report_drift(results: list[Result], seeds: int) -> None:
    """tau against the truth of the week, when CHANGED items' pain moved at CHANGE_WEEK."""
    print()
    print(
        f"When pain moves: {CHANGED} of the {N_ITEMS} items swap ends of the range at week "
        f"{CHANGE_WEEK} (rate 0.6, σ 0.7, {seeds} seeds); tau against that week's truth. "
        "The raw mean weighs a 20-week-old answer like last week's; the score lets answers "
        "older than the window fade."
    )
    header = (
        f"{'team':>4} {'wk':>3} | {'tau(score)':>10} {'tau(naive)':>10} {'tau(sent)':>9} | "
        f"{'score - naive (95%)':>19}"
    )
    print(header)
    print("-" * len(header))
    by_team: dict[int, list[Result]] = {}
    for result in results:
        by_team.setdefault(result.stream.team_size, []).append(result)
    for team, runs in sorted(by_team.items()):
        for week in DRIFT_REPORT_WEEKS:
            truths = [truth_in_week(r.stream, week) for r in runs]
            last = [r.weeks[week - 1] for r in runs]
            score = _taus(last, truths, lambda w: w.score)
            naive = _taus(last, truths, lambda w: w.naive)
            sentiment = _taus(last, truths, lambda w: w.sentiment)
            gap = Difference.of([a - b for a, b in zip(score, naive, strict=True)])
            mean = statistics.fmean
            print(
                f"{team:>4} {week:>3} | {mean(score):>10.3f} {mean(naive):>10.3f} "
                f"{mean(sentiment):>9.3f} | "
                f"{gap.mean:>+11.3f} ± {gap.half:.3f}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ranking quality of the score's pain part.")
    parser.add_argument("--seeds", type=int, default=5, help="simulated teams per setting")
    parser.add_argument(
        "--min-group",
        type=int,
        default=DEFAULT_SETTINGS.min_group,
        help="the anonymity threshold (DEBTPULSE_MIN_GROUP; 3 is the lowest allowed)",
    )
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.min_group < 3:
        parser.error("--min-group must be at least 3, as DEBTPULSE_MIN_GROUP")
    results = run_grid(args.seeds, args.jobs, args.min_group)
    report(summarise(results), args.seeds, time.perf_counter() - started, args.min_group)
    report_drift(run_drift(args.seeds, args.jobs, args.min_group), args.seeds)


if __name__ == "__main__":
    main()
