"""Does the score's Pain component rank debt by true pain better than a raw mean that obeys
the same release rule — and how long do a team's items stay hidden by that rule?

Simulated teams answer the weekly pulse about 15 open items whose true pain (1.5-4.5) is
known and does not change. Every week, each member answers (with the response rate) about
5 of the 15 items — a rotating window, as ``sample: 5`` asks — or, in the "every item" runs,
all 15, with integer answers 1-5 (the truth plus normal noise σ, rounded and clamped). The
answers go through the real import and scoring path: a responses CSV parsed by
``parse_responses`` and stored by ``store_responses`` (anonymous ``weekly-debt-pulse``) into
a freshly migrated SQLite database, then ``current_ranking`` after each week. The import
closes each week's run, so its answers are held and released as live ones are
(``storage.held.release_at_close``): an item's answers enter ``response`` only in a group of
at least ``min_group`` distinct people, pooled with the item's answers still held from
earlier weeks of the scoring horizon; a group that never fills expires unreleased.

Compared orderings, each against the true ordering (Kendall's tau-b, ties allowed):

- score: the ``pain`` component of the score as shipped — the shrunk, recency-weighted mean
  m = (n·x̄ + k·μ₀)/(n + k) of the released answers of the horizon; an item with no group
  released in the horizon is suppressed to μ₀ (all such items tied);
- rule: the raw mean of every answer released so far, read with
  ``storage.aggregates.pain_groups`` (the aggregate the score reads, over every week instead
  of the horizon); an item with nothing released sits at the raw mean of the released
  answers — the best raw-mean ranking any debtpulse output could show under the same rule;
- naive: the raw mean of every answer given, held ones included (an item nobody answered at
  the team mean): what no output may show; the gap from rule to naive is what the release
  rule costs a raw mean, the gap from rule to score what the statistics add under it;
- sent: pain + breadth + trend (the whole sentiment part of the score), for information.

Shown is the share of items the score does not suppress (``breakdown.suppressed``): an item
shows once a group of ``min_group`` people has been released for it within the horizon.

Churn is the mean absolute rank change of an item between consecutive weeks' rankings
(average ranks for ties) while the truth stays put; it needs at least two weeks.

Each setting's seeds share their answers between the orderings, so the score is also compared
seed by seed: the mean difference with its 95% t-interval; a setting counts as "worse" (or
"better") only when that interval excludes 0.

Printed, in order:

1. score against rule per team size (5, 10, 25, 50, 100) after 1, 4 and 12 weeks, over
   every response rate and σ;
2. the share of items shown after 1, 4 and 8 weeks per team size and response rate, with
   ``sample: 5`` and with every item asked every week, and the weeks until items show;
3. the whole grid: team size x response rate x noise σ x weeks (the 1- and 4-week settings
   are the first weeks of the 12-week runs, same seed);
4. teams of 10, 25 and 50 followed for 30 weeks in which 5 items' true pain swaps ends of the
   range at week 14 (a fix lands, a problem grows): tau against each week's truth. There the
   recency weighting (answers older than 8 weeks fade), which the score has and the raw mean
   has not, pays, and Trend (in "sent") moves the changed items first.

Each (team, rate, σ, seed) is simulated once, in a copy of a database migrated and given the
seed's register once per seed. The true pain depends on the seed only, and both σ of a
(team, rate, seed) share who answers and which items they see (common random numbers), so
settings differ only in what they vary (and the share shown does not depend on σ).
``--quick`` runs a small plan (teams of 5 and 10, rate 0.6, σ 0.7, 8 weeks, 2 seeds, no
drift) in seconds; ``--team-sizes 6 --weeks 26`` answers "how long until a team of 6 sees its
items". Prints figures; asserts nothing. Run ``python -m bench.ranking`` from the repository
root.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import Engine

from bot.core.catalog import load_catalog
from bot.core.score_settings import DEFAULT_SETTINGS, ScoreSettings
from bot.core.stats import student_t_quantile
from bot.services.ranking import current_ranking
from bot.services.register import import_register
from bot.services.register_csv import parse_register
from bot.services.responses_csv import COLUMNS as RESPONSE_COLUMNS
from bot.services.responses_csv import parse_responses, store_responses
from storage import aggregates, db, register
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
WEEKS = 12  # simulated; the grid reports weeks 1, 4 and this
GRID_WEEKS = (1, 4)
SHOWN_WEEKS = (1, 4, 8)
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
    weeks: int = WEEKS
    change_week: int | None = None  # from this week (1-based) on, CHANGED items' truth moves
    sample: int = SAMPLE  # items each person is asked a week (N_ITEMS: every item)


@dataclass(frozen=True)
class Week:
    """What one week's ranking said, item by item (index = item number - 1)."""

    score: tuple[float, ...]
    sentiment: tuple[float, ...]
    naive: tuple[float, ...]  # raw mean of every answer given, held ones included
    rule: tuple[float, ...]  # raw mean of the released answers (the same release rule)
    shown: tuple[bool, ...]  # not suppressed by the score
    respondents: tuple[int, ...]  # distinct people who have answered the item so far
    answers: tuple[int, ...]  # answers to the item so far
    released: tuple[int, ...]  # of those, released (in ``response``) so far

    @property
    def suppressed(self) -> int:
        return self.shown.count(False)


@dataclass(frozen=True)
class Result:
    stream: Stream
    truth: tuple[float, ...]
    weeks: tuple[Week, ...]

    def first_shown(self, item: int) -> float:
        """The first week (1-based) the item was shown; inf if never."""
        return next((n for n, w in enumerate(self.weeks, 1) if w.shown[item]), math.inf)

    def first_all_shown(self) -> float:
        """The first week every item was shown at once; inf if never."""
        return next((n for n, w in enumerate(self.weeks, 1) if all(w.shown)), math.inf)


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


def settings_for(min_group: int) -> ScoreSettings:
    """The shipped settings with ``min_group`` as DEBTPULSE_MIN_GROUP (release and score)."""
    return DEFAULT_SETTINGS.model_copy(update={"min_group": min_group})


def simulate(stream: Stream, template_db: Path, workdir: Path) -> Result:
    """Run one team through ``stream.weeks`` weekly pulses, ranking after each.

    ``template_db`` is ``seed_database(…, stream.seed)``; it is copied, never changed.
    """
    # Shared by both σ of a (team, rate, seed): same people, same items, same draws z.
    asked = "" if stream.sample == SAMPLE else f":{stream.sample}"
    rng = random.Random(f"answers:{stream.team_size}:{stream.rate}:{stream.seed}{asked}")
    offsets = [rng.randrange(N_ITEMS) for _ in range(stream.team_size)]

    s = stream
    name = f"{os.getpid()}-{s.team_size}-{s.rate}-{s.sigma}-{s.seed}-{s.sample}-{s.weeks}"
    path = workdir / f"{name}.db"
    shutil.copyfile(template_db, path)
    engine = db.make_engine(f"sqlite:///{path}")
    catalog = _catalog()
    settings = settings_for(stream.min_group)
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
                draws = [rng.gauss(0.0, 1.0) for _ in range(stream.sample)]
                if not answers:
                    continue
                for j, z in enumerate(draws):
                    item = (offsets[person] + stream.sample * week + j) % N_ITEMS
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
                    store_responses(
                        session, team_id=TEAM, rows=rows, anon_secret=ANON_SECRET, settings=settings
                    )
            now = datetime.combine(run_date + timedelta(days=3), clock(12), tzinfo=UTC)
            weeks.append(_week(engine, now, sums, counts, people, settings=settings))
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Result(stream=stream, truth=truth_for(stream.seed), weeks=tuple(weeks))


def released_sums(engine: Engine, *, settings: ScoreSettings) -> dict[str, tuple[int, float]]:
    """Per item key, (answers, Σ values) of every released ``pain`` answer since the first
    run: ``pain_groups``, the aggregate the score reads, over every week."""
    since = datetime.combine(FIRST_RUN - timedelta(days=1), clock(), tzinfo=UTC)
    with db.session_scope(engine, write=False) as session:
        keys = {item.id: item.key for item in register.list_items(session, team_id=TEAM)}
        groups = aggregates.pain_groups(
            session,
            team_id=TEAM,
            since=since,
            high_threshold=settings.breadth_threshold,
            min_group=settings.min_group,
        )
    sums: dict[str, tuple[int, float]] = {}
    for g in groups:
        n, total = sums.get(keys[g.debt_item_id], (0, 0.0))
        sums[keys[g.debt_item_id]] = (n + g.n_answers, total + g.sum_x)
    return sums


def _week(
    engine: Engine,
    now: datetime,
    sums: list[float],
    counts: list[int],
    people: list[set[int]],
    *,
    settings: ScoreSettings,
) -> Week:
    with db.session_scope(engine, write=False) as session:
        ranking = current_ranking(session, team_id=TEAM, now=now, settings=settings)
    score, sentiment, shown = [], [], []
    for item in range(N_ITEMS):
        ranked = ranking.find(_key(item))
        assert ranked is not None
        parts = ranked.breakdown.components
        score.append(parts["pain"])
        sentiment.append(parts["pain"] + parts["breadth"] + parts["trend"])
        shown.append(not ranked.breakdown.suppressed)
    total = sum(counts)
    team_mean = sum(sums) / total if total else settings.default_team_pain
    naive = [s / c if c else team_mean for s, c in zip(sums, counts, strict=True)]
    # Under the rule only released answers enter any number: an item with none sits at the
    # raw mean of the released answers (of the other items).
    released = released_sums(engine, settings=settings)
    n_released = [released.get(_key(item), (0, 0.0))[0] for item in range(N_ITEMS)]
    sum_released = [released.get(_key(item), (0, 0.0))[1] for item in range(N_ITEMS)]
    all_released = sum(n_released)
    released_mean = sum(sum_released) / all_released if all_released else settings.default_team_pain
    rule = [x / n if n else released_mean for x, n in zip(sum_released, n_released, strict=True)]
    return Week(
        score=_rounded(score),
        sentiment=_rounded(sentiment),
        naive=_rounded(naive),
        rule=_rounded(rule),
        shown=tuple(shown),
        respondents=tuple(len(p) for p in people),
        answers=tuple(counts),
        released=tuple(n_released),
    )


_CATALOG: dict[str, LoadedTemplate] = {}


def _catalog() -> dict[str, LoadedTemplate]:
    if not _CATALOG:
        _CATALOG.update(load_catalog(None))
    return _CATALOG


# -- running the plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to simulate: the grid (sample 5), the every-item runs, and the drift runs."""

    seeds: int = 5
    team_sizes: tuple[int, ...] = TEAM_SIZES
    rates: tuple[float, ...] = RATES
    sigmas: tuple[float, ...] = SIGMAS
    weeks: int = WEEKS
    every_item_weeks: int = max(SHOWN_WEEKS)  # only the share shown is read from those runs
    min_group: int = DEFAULT_SETTINGS.min_group
    drift: bool = True

    @property
    def grid_weeks(self) -> tuple[int, ...]:
        return tuple(sorted({w for w in GRID_WEEKS if w < self.weeks} | {self.weeks}))

    @property
    def shown_weeks(self) -> tuple[int, ...]:
        last = min(self.weeks, self.every_item_weeks)
        return tuple(w for w in SHOWN_WEEKS if w <= last)

    def grid(self) -> list[Stream]:
        return [
            Stream(team, rate, sigma, seed, self.min_group, weeks=self.weeks)
            for team in self.team_sizes
            for rate in self.rates
            for sigma in self.sigmas
            for seed in range(self.seeds)
        ]

    def every_item(self) -> list[Stream]:
        """Every item asked every week (no ``sample:``); σ does not change who is shown."""
        return [
            Stream(
                team,
                rate,
                self.sigmas[0],
                seed,
                self.min_group,
                self.every_item_weeks,
                sample=N_ITEMS,
            )
            for team in self.team_sizes
            for rate in self.rates
            for seed in range(self.seeds)
        ]

    def drifting(self) -> list[Stream]:
        """Teams whose pain moves at ``CHANGE_WEEK`` (rate 0.6, σ 0.7), for DRIFT_WEEKS."""
        if not self.drift:
            return []
        return [
            Stream(team, 0.6, 0.7, seed, self.min_group, DRIFT_WEEKS, change_week=CHANGE_WEEK)
            for team in DRIFT_TEAMS
            for seed in range(self.seeds)
        ]


QUICK = Plan(seeds=2, team_sizes=(5, 10), rates=(0.6,), sigmas=(0.7,), weeks=8, drift=False)


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    grid: list[Result] = field(default_factory=list)
    every_item: list[Result] = field(default_factory=list)
    drift: list[Result] = field(default_factory=list)


def run_plan(plan: Plan, jobs: int) -> Outcome:
    """Simulate every stream of ``plan`` once, in one pool (the costliest first)."""
    grid, every, drift = plan.grid(), plan.every_item(), plan.drifting()
    results = {r.stream: r for r in _run([*grid, *every, *drift], plan.seeds, jobs)}
    return Outcome(
        plan,
        grid=[results[s] for s in grid],
        every_item=[results[s] for s in every],
        drift=[results[s] for s in drift],
    )


def _template(workdir: Path, seed: int) -> Path:
    return workdir / f"seed-{seed}.db"


def _simulate_in(workdir: Path, stream: Stream) -> Result:
    return simulate(stream, _template(workdir, stream.seed), workdir)


def _cost(stream: Stream) -> float:
    """Rough work of a stream: a ranking a week, plus the answers stored."""
    return stream.weeks * (40 + stream.team_size * stream.rate * stream.sample)


def _run(streams: list[Stream], seeds: int, jobs: int) -> list[Result]:
    streams = sorted(streams, key=lambda s: -_cost(s))
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

    @property
    def better(self) -> bool:
        """Significantly better on tau or on churn, and worse on neither."""
        better = self.tau.above_zero or (self.churn is not None and self.churn.below_zero)
        return better and not self.worse


@dataclass(frozen=True)
class Row:
    team_size: int
    rate: float
    sigma: float
    weeks: int
    respondents: float
    answers: float
    released: float
    shown: float
    tau_score: float
    tau_rule: float
    tau_naive: float
    tau_sentiment: float
    churn_score: float | None
    churn_rule: float | None
    churn_naive: float | None
    # Paired over seeds (same answers): score minus the other, as (mean, 95% half-width).
    vs_rule: Paired
    vs_naive: Paired

    @property
    def small(self) -> bool:
        return self.respondents <= SMALL_N

    @property
    def score_wins(self) -> bool:
        """Score ≥ the rule-obeying raw mean on tau, and ≤ on churn."""
        return _wins(self.tau_score, self.tau_rule, self.churn_score, self.churn_rule)

    @property
    def score_wins_naive(self) -> bool:
        """The same against the raw mean of every answer (which no output may show)."""
        return _wins(self.tau_score, self.tau_naive, self.churn_score, self.churn_naive)


def _wins(tau: float, other_tau: float, churn: float | None, other_churn: float | None) -> bool:
    if churn is None or other_churn is None:
        return tau >= other_tau
    return tau >= other_tau and churn <= other_churn


def _mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def shown_share(week: Week) -> float:
    return sum(week.shown) / N_ITEMS


def _tau(of: Callable[[Week], Sequence[float]]) -> Callable[[Result, int], float]:
    def tau(result: Result, weeks: int) -> float:
        return kendall_tau_b(of(result.weeks[weeks - 1]), result.truth)

    return tau


def _score(w: Week) -> Sequence[float]:
    return w.score


def _rule(w: Week) -> Sequence[float]:
    return w.rule


def _naive(w: Week) -> Sequence[float]:
    return w.naive


def _sentiment(w: Week) -> Sequence[float]:
    return w.sentiment


tau_score, tau_rule, tau_naive, tau_sentiment = map(_tau, (_score, _rule, _naive, _sentiment))


def _churn(result: Result, weeks: int, of: Callable[[Week], Sequence[float]]) -> float | None:
    return churn([of(w) for w in result.weeks[:weeks]])


def _paired(runs: list[Result], weeks: int, baseline: Callable[[Week], Sequence[float]]) -> Paired:
    """The score against ``baseline`` seed by seed (both rank the same answers)."""
    other = _tau(baseline)
    taus = [tau_score(r, weeks) - other(r, weeks) for r in runs]
    churns: list[float] = []
    for r in runs:
        ours, theirs = _churn(r, weeks, _score), _churn(r, weeks, baseline)
        if ours is not None and theirs is not None:
            churns.append(ours - theirs)
    return Paired(Difference.of(taus), Difference.of(churns) if churns else None)


def summarise(results: list[Result], grid_weeks: Sequence[int]) -> list[Row]:
    """One row per (team, rate, σ) and reported week, over the setting's seeds."""
    by_setting: dict[tuple[int, float, float], list[Result]] = {}
    for result in results:
        s = result.stream
        by_setting.setdefault((s.team_size, s.rate, s.sigma), []).append(result)
    rows = []
    mean = statistics.fmean
    for (team_size, rate, sigma), runs in by_setting.items():
        for weeks in grid_weeks:
            last = [r.weeks[weeks - 1] for r in runs]
            rows.append(
                Row(
                    team_size=team_size,
                    rate=rate,
                    sigma=sigma,
                    weeks=weeks,
                    respondents=mean(mean(w.respondents) for w in last),
                    answers=mean(mean(w.answers) for w in last),
                    released=mean(mean(w.released) for w in last),
                    shown=mean(shown_share(w) for w in last),
                    tau_score=mean(tau_score(r, weeks) for r in runs),
                    tau_rule=mean(tau_rule(r, weeks) for r in runs),
                    tau_naive=mean(tau_naive(r, weeks) for r in runs),
                    tau_sentiment=mean(tau_sentiment(r, weeks) for r in runs),
                    churn_score=_mean_or_none(_churn(r, weeks, _score) for r in runs),
                    churn_rule=_mean_or_none(_churn(r, weeks, _rule) for r in runs),
                    churn_naive=_mean_or_none(_churn(r, weeks, _naive) for r in runs),
                    vs_rule=_paired(runs, weeks, _rule),
                    vs_naive=_paired(runs, weeks, _naive),
                )
            )
    return rows


def _fmt(value: float | None, width: int = 6) -> str:
    return f"{'n/a':>{width}}" if value is None else f"{value:>{width}.2f}"


def _weeks_text(value: float, weeks: int) -> str:
    return f">{weeks}" if math.isinf(value) else f"{value:g}"


def _difference_text(name: str, d: Difference | None) -> str:
    return "" if d is None else f"{name} {d.mean:+.3f} ± {d.half:.3f}"


def _paired_text(r: Row) -> str:
    parts = (_difference_text("tau", r.vs_rule.tau), _difference_text("churn", r.vs_rule.churn))
    setting = f"team {r.team_size}, rate {r.rate:.1f}, σ {r.sigma:.1f}, week {r.weeks}"
    return f"{setting}: " + ", ".join(p for p in parts if p)


def report_teams(outcome: Outcome, rows: list[Row]) -> None:
    """Score against the rule-obeying raw mean per team size, over every rate and σ."""
    plan = outcome.plan
    settings = len(plan.rates) * len(plan.sigmas)
    print(
        f"Score vs the raw mean under the same release rule, per team size (mean over "
        f"{settings} settings x {plan.seeds} seeds: rates {', '.join(map(str, plan.rates))}, "
        f"σ {', '.join(map(str, plan.sigmas))}); score - rule is the mean per-run "
        "difference in tau with its 95% t-interval; better/worse count the settings whose "
        "seeds tell the score's tau apart from rule's."
    )
    header = (
        f"{'team':>4} {'wk':>2} | {'shown':>5} | {'tau(score)':>10} {'tau(rule)':>9} "
        f"{'tau(naive)':>10} | {'score - rule (95%)':>18} | {'better':>6} {'worse':>5}"
    )
    print(header)
    print("-" * len(header))
    by_team: dict[int, list[Result]] = {}
    for result in outcome.grid:
        by_team.setdefault(result.stream.team_size, []).append(result)
    mean = statistics.fmean
    for team, runs in sorted(by_team.items()):
        for weeks in plan.grid_weeks:
            gap = Difference.of([tau_score(r, weeks) - tau_rule(r, weeks) for r in runs])
            here = [r for r in rows if r.team_size == team and r.weeks == weeks]
            better = sum(r.vs_rule.tau.above_zero for r in here)
            worse = sum(r.vs_rule.tau.below_zero for r in here)
            shown = mean(shown_share(r.weeks[weeks - 1]) for r in runs)
            score = mean(tau_score(r, weeks) for r in runs)
            print(
                f"{team:>4} {weeks:>2} | {shown:>5.0%} | {score:>10.3f} "
                f"{mean(tau_rule(r, weeks) for r in runs):>9.3f} "
                f"{mean(tau_naive(r, weeks) for r in runs):>10.3f} | "
                f"{gap.mean:>+8.3f} ± {gap.half:<7.3f} | {better:>6} {worse:>5}"
            )


@dataclass(frozen=True)
class Shown:
    """How soon a (team, rate)'s items show, over its runs."""

    at: tuple[float, ...]  # share shown after each of the plan's shown weeks
    item_weeks: float  # median over items and runs of the first week an item shows
    all_weeks: float  # median over runs of the first week every item shows at once


def shown_of(runs: list[Result], weeks: Sequence[int]) -> Shown:
    return Shown(
        at=tuple(statistics.fmean(shown_share(r.weeks[w - 1]) for r in runs) for w in weeks),
        item_weeks=statistics.median(r.first_shown(i) for r in runs for i in range(N_ITEMS)),
        all_weeks=statistics.median(r.first_all_shown() for r in runs),
    )


def shown_table(outcome: Outcome) -> dict[tuple[int, float], tuple[Shown, Shown]]:
    """Per (team, rate): (with ``sample: 5``, every item every week)."""
    weeks = outcome.plan.shown_weeks

    def by_setting(results: list[Result]) -> dict[tuple[int, float], list[Result]]:
        grouped: dict[tuple[int, float], list[Result]] = {}
        for r in results:
            grouped.setdefault((r.stream.team_size, r.stream.rate), []).append(r)
        return grouped

    sampled, every = by_setting(outcome.grid), by_setting(outcome.every_item)
    return {
        setting: (shown_of(sampled[setting], weeks), shown_of(every[setting], weeks))
        for setting in sorted(sampled)
        if setting in every
    }


def report_shown(outcome: Outcome) -> None:
    plan = outcome.plan
    weeks = plan.shown_weeks
    print()
    print(
        f"Share of the {N_ITEMS} items shown (not suppressed) after {', '.join(map(str, weeks))} "
        f"weeks, with sample: {SAMPLE} (each person a rotating {SAMPLE} of {N_ITEMS} a week) "
        f"and with every item asked every week; DEBTPULSE_MIN_GROUP={plan.min_group}, "
        f"{plan.seeds} seeds. 'item' = median week an item first shows, 'all' = median week "
        f"every item first shows at once (>N: not within the N weeks simulated: "
        f"{plan.weeks} with sample: {SAMPLE}, {plan.every_item_weeks} with every item)."
    )
    cells = " ".join(f"{'wk' + str(w):>5}" for w in weeks)
    half = f"{cells} {'item':>4} {'all':>4}"
    header = f"{'team':>4} {'rate':>4} | {half} | {half}"
    print(f"{'':>9} | {'sample: ' + str(SAMPLE):<{len(half)}} | every item")
    print(header)
    print("-" * len(header))

    def cells_of(shown: Shown, simulated: int) -> str:
        shares = " ".join(f"{share:>5.0%}" for share in shown.at)
        return (
            f"{shares} {_weeks_text(shown.item_weeks, simulated):>4} "
            f"{_weeks_text(shown.all_weeks, simulated):>4}"
        )

    for (team, rate), (sampled, every) in shown_table(outcome).items():
        print(
            f"{team:>4} {rate:>4.1f} | {cells_of(sampled, plan.weeks)} | "
            f"{cells_of(every, plan.every_item_weeks)}"
        )


def report_grid(rows: list[Row], plan: Plan, seconds: float) -> None:
    print()
    print(
        f"The whole grid: {N_ITEMS} items, true pain U{TRUE_PAIN}, sample {SAMPLE} per person "
        f"and week (rotating), anonymous {SURVEY}; mean of {plan.seeds} seeds per setting; "
        f"DEBTPULSE_MIN_GROUP={plan.min_group}."
    )
    print(
        "tau = Kendall tau-b against the true order; score = the score's pain component "
        "(shrunk mean of the released answers, as shipped: suppressed items = μ₀);\n"
        "rule = raw mean of the released answers (items with none at the released mean); "
        "naive = raw mean of every answer, held ones too (no output may show it); "
        "sent = pain+breadth+trend;\n"
        "resp/item = distinct respondents per item so far; ans/item = answers per item so far; "
        "rel/item = of those, released; shown = share of items not suppressed that week; "
        "churn = mean |rank change| week over week."
    )
    header = (
        f"{'team':>4} {'rate':>4} {'σ':>3} {'wk':>2} | {'resp/item':>9} {'ans/item':>8} "
        f"{'rel/item':>8} {'shown':>5} | {'tau(score)':>10} {'tau(rule)':>9} {'tau(naive)':>10} "
        f"{'tau(sent)':>9} | {'churn(score)':>12} {'churn(rule)':>11} {'churn(naive)':>12}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in sorted(rows, key=lambda r: (r.team_size, r.rate, r.sigma, r.weeks)):
        flag = "*" if r.small else " "
        print(
            f"{r.team_size:>4} {r.rate:>4.1f} {r.sigma:>3.1f} {r.weeks:>2} | "
            f"{r.respondents:>8.1f}{flag} {r.answers:>8.1f} {r.released:>8.1f} {r.shown:>5.0%} | "
            f"{r.tau_score:>10.3f} {r.tau_rule:>9.3f} {r.tau_naive:>10.3f} "
            f"{r.tau_sentiment:>9.3f} | {_fmt(r.churn_score, 12)} "
            f"{_fmt(r.churn_rule, 11)} {_fmt(r.churn_naive, 12)}"
        )
    small = [r for r in rows if r.small]
    large = [r for r in rows if not r.small]
    mean = statistics.fmean
    print()
    print(f"* = at most {SMALL_N} respondents per item ({len(small)} of {len(rows)} settings)")
    for name, group in (("small-n", small), ("larger-n", large)):
        if group:
            print(
                f"{name} means: tau(score) {mean(r.tau_score for r in group):.3f}, "
                f"tau(rule) {mean(r.tau_rule for r in group):.3f}, "
                f"tau(naive) {mean(r.tau_naive for r in group):.3f}; "
                f"items shown {mean(r.shown for r in group):.0%}"
            )
    print(
        f"score >= rule (the raw mean under the same release rule) on tau and <= on churn in "
        f"{sum(r.score_wins for r in rows)} of {len(rows)} settings, "
        f"{sum(r.score_wins for r in small)} of {len(small)} with <= {SMALL_N} respondents "
        f"per item ({seconds:.0f} s)"
    )
    print(
        f"score >= naive (every answer, held ones too) on tau and <= on churn in "
        f"{sum(r.score_wins_naive for r in rows)} of {len(rows)} settings"
    )
    if plan.seeds > 1:
        print(
            f"paired over the {plan.seeds} seeds (95% t-interval of score minus baseline "
            f"excludes 0), the score is worse on tau or churn than rule in "
            f"{sum(r.vs_rule.worse for r in rows)} of {len(rows)} settings and better in "
            f"{sum(r.vs_rule.better for r in rows)}; worse than naive in "
            f"{sum(r.vs_naive.worse for r in rows)}"
        )
        for r in sorted(rows, key=lambda r: (r.team_size, r.rate, r.sigma, r.weeks)):
            if r.vs_rule.worse:
                print(f"  worse than rule: {_paired_text(r)}")


def _taus(
    weeks: list[Week], truths: list[tuple[float, ...]], of: Callable[[Week], Sequence[float]]
) -> list[float]:
    return [kendall_tau_b(of(w), truth) for w, truth in zip(weeks, truths, strict=True)]


def report_drift(results: list[Result], seeds: int) -> None:
    """tau against the truth of the week, when CHANGED items' pain moved at CHANGE_WEEK."""
    if not results:
        return
    print()
    print(
        f"When pain moves: {CHANGED} of the {N_ITEMS} items swap ends of the range at week "
        f"{CHANGE_WEEK} (rate 0.6, σ 0.7, {seeds} seeds); tau against that week's truth. "
        "The raw means weigh a 20-week-old answer like last week's; the score lets answers "
        "older than the window fade."
    )
    header = (
        f"{'team':>4} {'wk':>3} | {'tau(score)':>10} {'tau(rule)':>9} {'tau(naive)':>10} "
        f"{'tau(sent)':>9} | {'score - rule (95%)':>18}"
    )
    print(header)
    print("-" * len(header))
    by_team: dict[int, list[Result]] = {}
    for result in results:
        by_team.setdefault(result.stream.team_size, []).append(result)
    mean = statistics.fmean
    for team, runs in sorted(by_team.items()):
        for week in DRIFT_REPORT_WEEKS:
            truths = [truth_in_week(r.stream, week) for r in runs]
            last = [r.weeks[week - 1] for r in runs]
            score = _taus(last, truths, _score)
            rule = _taus(last, truths, _rule)
            gap = Difference.of([a - b for a, b in zip(score, rule, strict=True)])
            print(
                f"{team:>4} {week:>3} | {mean(score):>10.3f} {mean(rule):>9.3f} "
                f"{mean(_taus(last, truths, _naive)):>10.3f} "
                f"{mean(_taus(last, truths, _sentiment)):>9.3f} | "
                f"{gap.mean:>+8.3f} ± {gap.half:.3f}"
            )


def report(outcome: Outcome, seconds: float) -> None:
    plan = outcome.plan
    rows = summarise(outcome.grid, plan.grid_weeks)
    print(
        f"Ranking quality under the release rule: {N_ITEMS} items, answers released in groups "
        f"of at least {plan.min_group} people (DEBTPULSE_MIN_GROUP), anonymous {SURVEY}."
    )
    print()
    report_teams(outcome, rows)
    report_shown(outcome)
    report_grid(rows, plan, seconds)
    report_drift(outcome.drift, plan.seeds)


def _team_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError("comma-separated whole numbers") from error
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("at least one team size, each at least 1")
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Ranking quality of the score's pain part under the release rule."
    )
    parser.add_argument("--seeds", type=int, default=None, help="simulated teams per setting")
    parser.add_argument(
        "--team-sizes",
        type=_team_sizes,
        default=None,
        help=f"comma-separated (default {','.join(map(str, TEAM_SIZES))})",
    )
    parser.add_argument("--weeks", type=int, default=None, help=f"weeks simulated ({WEEKS})")
    parser.add_argument(
        "--min-group",
        type=int,
        default=DEFAULT_SETTINGS.min_group,
        help="the anonymity threshold (DEBTPULSE_MIN_GROUP; 3 is the lowest allowed)",
    )
    parser.add_argument("--no-drift", action="store_true", help="skip the 30-week drift table")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small plan: teams of 5 and 10, rate 0.6, σ 0.7, 8 weeks, 2 seeds, no drift",
    )
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )
    args = parser.parse_args(argv)
    if args.min_group < 3:
        parser.error("--min-group must be at least 3, as DEBTPULSE_MIN_GROUP")
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.weeks is not None and args.weeks < 1:
        parser.error("--weeks must be at least 1")
    base = QUICK if args.quick else Plan()
    plan = Plan(
        seeds=base.seeds if args.seeds is None else args.seeds,
        team_sizes=base.team_sizes if args.team_sizes is None else args.team_sizes,
        rates=base.rates,
        sigmas=base.sigmas,
        weeks=base.weeks if args.weeks is None else args.weeks,
        every_item_weeks=base.every_item_weeks if args.weeks is None else args.weeks,
        min_group=args.min_group,
        drift=base.drift and not args.no_drift,
    )
    started = time.perf_counter()
    outcome = run_plan(plan, args.jobs)
    report(outcome, time.perf_counter() - started)


if __name__ == "__main__":
    main()
