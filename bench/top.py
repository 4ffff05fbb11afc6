"""How long ``debtpulse top`` takes on a large team: 200 items, 1,000,000 pain answers.

Prints medians of repeated runs and their ratio to the 1-second target; asserts nothing.

- ``debtpulse top --team bench`` end to end, as a subprocess (``DATABASE_URL`` pointing at
  the fixture), and ``python -c "import bot.cli.main"`` as the start-up floor of any command;
- in process: ``current_ranking`` and the three SQL aggregates it runs over the released
  answers and their respondents (``storage.aggregates.pain_groups``, ``named_respondents``
  and ``released_respondents``, the latter over ``answer_release``), with SQLite's query
  plans.

Run ``python -m bench.top`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from bench.fixture import TEAM, ensure_bench_db, fixture_arguments
from bot.core.score_settings import DEFAULT_SETTINGS
from bot.services.ranking import current_ranking
from storage import aggregates, db

TARGET_S = 1.0
STEPS = ("pain_groups", "named_respondents", "released_respondents")


def _median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("debtpulse")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "bot.cli", *args]


def _run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Record the SQL statements (and parameters) executed on ``engine``."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the BEGIN of a transaction
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


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


def _plan(engine: Engine, statement: str, params: Any) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
    return [str(row[-1]) for row in rows]


def main(argv: list[str] | None = None) -> None:
    parser = fixture_arguments(
        "Time `debtpulse top` on a large database.", repeat="runs per measurement (median)"
    )
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
    top = _command("top", "--team", TEAM)
    _run(top, env, path.parent)  # warm the OS cache and the bytecode once
    cli = _median_time(lambda: _run(top, env, path.parent), args.repeat)
    startup = _median_time(
        lambda: _run([sys.executable, "-c", "import bot.cli.main"], env, path.parent),
        args.repeat,
    )

    now = datetime.now(UTC)
    since = now - timedelta(weeks=DEFAULT_SETTINGS.pain_horizon_weeks)
    with db.session_scope(engine, write=False) as session:
        # Warm up once and record the SQL of the three aggregates for their query plans.
        with _statements(engine) as seen:
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
    plans = [_plan(engine, statement, params) for statement, params in seen]
    engine.dispose()

    rest = [t - sum(step[i] for step in steps.values()) for i, t in enumerate(totals)]
    median = statistics.median
    print(f"\nmedian of {args.repeat} runs (target {TARGET_S:g} s for `debtpulse top`)")
    rows = [
        ("debtpulse top --team bench (subprocess)", cli),
        ("  start-up floor: python -c 'import bot.cli.main'", startup),
        (f"current_ranking, in process ({len(ranking.items)} items)", median(totals)),
        ("  SQL aggregate: pain_groups", median(steps["pain_groups"])),
        ("  SQL aggregate: named_respondents", median(steps["named_respondents"])),
        ("  SQL aggregate: released_respondents", median(steps["released_respondents"])),
        ("  everything else (3 small queries, Python)", median(rest)),
    ]
    for label, seconds in rows:
        print(f"  {label:<52} {seconds * 1000:7.0f} ms  {seconds / TARGET_S:5.2f}x target")
    verdict = "within" if cli <= TARGET_S else "OVER"
    ratio = cli / TARGET_S
    print(f"`debtpulse top`: {cli:.2f} s = {ratio:.2f}x the {TARGET_S:g} s target ({verdict})")
    print("\nSQLite query plans:")
    for name, plan in zip(STEPS, plans, strict=False):
        print(f"  {name}:")
        for step in plan:
            print(f"    {step}")


if __name__ == "__main__":
    main()
