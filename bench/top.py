"""How long ``debtpulse top`` takes on a large team: 200 items, 1,000,000 pain answers.

Prints medians of repeated runs beside their anchors; asserts nothing.

- ``debtpulse top --team bench`` end to end, as a subprocess (``DATABASE_URL`` pointing at
  the fixture), against its anchor run in the same rounds (``bench/wall.py``): one bare
  ``GROUP BY`` over the answers with python's sqlite3, whole process — the count, Σx and Σx²
  of the ``pain`` answers per item, run and day, what the score needs when computed from
  the answers themselves. Target (issue 17): faster than the anchor, and at most 0.4 s.
  Also shown: the same per item only (a smaller result, the strictest anchor) and
  ``python -c pass``;
- in process: ``current_ranking`` and the three SQL aggregates it runs over the released
  answers and their respondents (``storage.aggregates.pain_groups``, ``named_respondents``
  and ``released_respondents``, the latter over ``answer_release``), with SQLite's query
  plans. ``top`` reads the per-item sums the triggers keep (``pain_sum``), so it scans no
  answer.

Run ``python -m bench.top`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.fixture import TEAM, ensure_bench_db, fixture_arguments
from bench.results import Row, record
from bench.wall import debtpulse, interleaved, row, within
from bot.core.score_settings import DEFAULT_SETTINGS
from bot.services.ranking import current_ranking
from storage import aggregates, db
from storage.reader import Reader, open_sqlite

TARGET_S = 0.4
STEPS = ("pain_groups", "named_respondents", "released_respondents")
#: The anchor: one bare GROUP BY over the answers, whole process (python's sqlite3).
GROUP_BY = """
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT debt_item_id, poll_run_id, answered_day, count(*), sum(value), sum(value * value) "
    "FROM response WHERE question_id = 'pain' "
    "GROUP BY debt_item_id, poll_run_id, answered_day"
).fetchall()
"""
GROUP_BY_ITEM = """
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT debt_item_id, count(*), sum(value), sum(value * value) "
    "FROM response WHERE question_id = 'pain' GROUP BY debt_item_id"
).fetchall()
"""


def _median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    """Record the SELECT statements (and parameters) run through any ``Reader``."""
    seen: list[tuple[str, Any]] = []
    original = Reader.rows

    def record(self: Reader, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, params))
        return original(self, sql, params)

    Reader.rows = record  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Reader.rows = original  # type: ignore[method-assign]


@contextmanager
def _timed(module: Any, names: tuple[str, ...]) -> Iterator[dict[str, list[float]]]:
    """Wrap ``module.<name>`` functions so that each call's duration is recorded."""
    times: dict[str, list[float]] = {name: [] for name in names}
    originals = {name: getattr(module, name) for name in names}

    def wrap(name: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                times[name].append(time.perf_counter() - started)

        return timed

    for name in names:
        setattr(module, name, wrap(name))
    try:
        yield times
    finally:
        for name, original in originals.items():
            setattr(module, name, original)


def _plan(reader: Reader, statement: str, params: Any) -> list[str]:
    return [str(row[-1]) for row in reader.rows(f"EXPLAIN QUERY PLAN {statement}", params)]


def main(argv: list[str] | None = None) -> None:
    parser = fixture_arguments(
        "Time `debtpulse top` on a large database.", repeat="runs per measurement (median)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median counts)")
    args = parser.parse_args(argv)

    path = ensure_bench_db(args.db, responses=args.responses).resolve()
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    with engine.connect() as conn:
        counts = {
            table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("debt_item", "poll_run", "response", "signal")
        }
        pain = conn.exec_driver_sql(
            "SELECT count(*) FROM response WHERE question_id = 'pain'"
        ).scalar_one()
    print(f"database {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(
        f"  {counts['debt_item']} items, {counts['poll_run']} runs, {pain:,} pain answers "
        f"({counts['response']:,} responses), {counts['signal']} signals"
    )

    env = {**os.environ, "DATABASE_URL": url}
    took = interleaved(
        {
            "top": debtpulse("top", "--team", TEAM),
            "group by": [sys.executable, "-c", GROUP_BY, str(path)],
            "group by item": [sys.executable, "-c", GROUP_BY_ITEM, str(path)],
            "python": [sys.executable, "-c", "pass"],
        },
        runs=args.repeat,
        rounds=args.rounds,
        env=env,
        cwd=path.parent,
    )

    now = datetime.now(UTC)
    since = now - timedelta(weeks=DEFAULT_SETTINGS.pain_horizon_weeks)
    engine.dispose()
    with open_sqlite(path) as session:  # as `debtpulse top` reads it: sqlite3 alone
        # Warm up once and record the SQL of the three aggregates for their query plans.
        with _statements() as seen:
            aggregates.pain_groups(
                session,
                team_id=TEAM,
                since=since,
                high_threshold=DEFAULT_SETTINGS.breadth_threshold,
                min_group=DEFAULT_SETTINGS.min_group,
            )
            aggregates.named_respondents(session, team_id=TEAM, since=since)
            aggregates.released_respondents(
                session, team_id=TEAM, since=since, min_group=DEFAULT_SETTINGS.min_group
            )
        totals: list[float] = []
        with _timed(aggregates, STEPS) as steps:
            for _ in range(args.repeat):
                started = time.perf_counter()
                ranking = current_ranking(session, team_id=TEAM, now=now, settings=DEFAULT_SETTINGS)
                totals.append(time.perf_counter() - started)
        plans = [(sql, _plan(session, sql, params)) for sql, params in seen]

    rest = [t - sum(step[i] for step in steps.values()) for i, t in enumerate(totals)]
    median = statistics.median
    cli, anchor = took["top"], took["group by"]
    print(
        f"\nwhole process, median of {args.rounds} rounds of {args.repeat} runs each, "
        "against the anchor run in the same rounds"
    )
    verdict = "faster than the anchor" if cli < anchor else "NOT faster than the anchor"
    print(row("debtpulse top --team bench", cli, anchor, "< anchor", verdict))
    absolute = within(cli, TARGET_S * 1000, took["python"])
    print(
        row("debtpulse top --team bench", cli, took["python"], f"<= {TARGET_S:g} s", "") + absolute
    )
    record(
        "top_1m",
        Row(
            path="debtpulse top, 200 items x 1M answers, SQLite (whole process)",
            anchor=f"bare GROUP BY (sqlite3) {anchor * 1000:.0f} ms",
            figure=f"{cli * 1000:.0f} ms = {cli / anchor:.2f}x",
            target=f"< anchor, <= {TARGET_S:g} s",
            met=cli < anchor and absolute.startswith("met"),
        ),
    )
    print(f"  anchor: bare GROUP BY item, run, day (sqlite3)  {anchor * 1000:7.0f} ms")
    print(
        f"  also:   bare GROUP BY item only (sqlite3)       {took['group by item'] * 1000:7.0f} ms"
    )
    print(f"  also:   python -c pass                          {took['python'] * 1000:7.0f} ms")
    print(f"\nin process, median of {args.repeat} runs")
    rows = [
        (f"current_ranking ({len(ranking.items)} items)", median(totals)),
        ("  SQL aggregate: pain_groups", median(steps["pain_groups"])),
        ("  SQL aggregate: named_respondents", median(steps["named_respondents"])),
        ("  SQL aggregate: released_respondents", median(steps["released_respondents"])),
        ("  everything else (3 small queries, Python)", median(rest)),
    ]
    for label, seconds in rows:
        print(f"  {label:<52} {seconds * 1000:7.0f} ms")
    print("\nSQLite query plans of the aggregates' statements:")
    for sql, plan in plans:
        print(f"  {' '.join(sql.split())[:96]}…")
        for step in plan:
            print(f"    {step}")


if __name__ == "__main__":
    main()
