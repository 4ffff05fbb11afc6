"""``run_demo``: the whole loop, offline, on a fresh database and the local fake Slack.

Start the fake Slack and the real app, import the register, simulate the weeks (polls,
answers, incidents, a resolution, snapshots and digests), then show the last digest,
``/debt top`` and ``/debt why`` for the top item. Each step fails with a ``DemoError``
naming it; the servers are stopped whatever happens.
"""

from __future__ import annotations

import logging
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from bot.demo import digest, report, slash, stack
from bot.demo.clock import SimClock
from bot.demo.register_data import REGISTER, register_csv
from bot.demo.serve import serve as serve_demo
from bot.demo.sim import Sim
from bot.demo.steps import DemoError, StepFailed, check, step
from bot.demo.truth import Truth, make_truth
from bot.demo.week import WeekReport, simulate_week
from bot.sandbox import FakeSlack
from bot.services import register as register_service
from bot.services.ranking import current_ranking, week_start
from bot.services.register_csv import parse_register
from storage import register

Echo = Callable[[str], None]
LOG_NAME = "debtpulse-demo.log"
REGISTER_FILE = "ml-platform-register.csv"


@dataclass(frozen=True)
class DemoOptions:
    weeks: int = 6
    team_size: int = 25
    seed: int = 7
    db: Path | None = None  # None: a fresh file in a new temporary folder
    chart: Path | None = Path("debtpulse-demo-chart.png")
    start: date | None = None  # the first simulated Monday; None: `weeks` weeks ago
    serve: bool = False  # keep running with the dashboard after the weeks, until Ctrl-C
    port: int = 0  # the bot's port on 127.0.0.1 (0: any free one)


@dataclass
class DemoResult:
    database: Path
    log: Path
    fake: FakeSlack  # stopped; what it recorded stays readable
    weeks: list[WeekReport] = field(default_factory=list)
    truth_order: list[str] = field(default_factory=list)
    ranking: list[str] = field(default_factory=list)
    digest_text: str | None = None
    top_text: str = ""
    why_key: str = ""
    why_text: str = ""
    chart: Path | None = None
    elapsed: float = 0.0

    @property
    def answers_sent(self) -> int:
        return sum(week.answers_sent for week in self.weeks)


def prepare_database(path: Path | None) -> tuple[Path, Path]:
    """The database file to create and the log file beside it (written only if the bot
    warns); refuses a file in use."""
    if path is None:
        folder = Path(tempfile.mkdtemp(prefix="debtpulse-demo-"))
        return folder / "debtpulse.db", folder / LOG_NAME
    if path.is_dir():
        raise StepFailed(f"--db {path} is a folder, not a file")
    if path.exists() and path.stat().st_size > 0:
        raise StepFailed(
            f"--db {path} exists and is not empty; the demo needs a fresh database file",
        )
    if not path.parent.is_dir():
        raise StepFailed(f"--db {path}: no folder {path.parent}")
    return path, path.with_name(path.name + ".log")


@contextmanager
def _log_to(file: Path) -> Iterator[None]:
    """Warnings of the bot's threads go to ``file``, not into the demo's output."""
    handler = logging.FileHandler(file, encoding="utf-8", delay=True)  # created on first use
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
        return bool(answer.status == 200)


def _import_register(sim: Sim) -> int:
    owners = {n: e.user_id for n, e in enumerate(sim.truth.engineers, start=1)}
    rows = parse_register(register_csv(sim.specs, owners))
    runtime = sim.runtime
    with runtime.transaction() as session:
        register_service.import_register(
            session,
            team_id=runtime.default_team,
            rows=rows,
            actor=stack.LEAD_ID,
            reason=f"imported from {REGISTER_FILE}",
            now=sim.clock(),
        )
        items = register.list_items(session, team_id=runtime.default_team)
    sim.keys_by_id = {item.id: item.key for item in items if item.id is not None}
    return len(items)


def _ranking(sim: Sim) -> list[str]:
    runtime = sim.runtime
    with runtime.transaction(write=False) as session:
        ranking = current_ranking(
            session, team_id=runtime.default_team, now=sim.clock(), settings=runtime.score_settings
        )
    return [ranked.breakdown.key for ranked in ranking.items]


def first_monday(options: DemoOptions) -> datetime:
    monday = options.start or week_start(date.today()) - timedelta(weeks=options.weeks)
    return datetime.combine(week_start(monday), day_time(0, 0), tzinfo=UTC)


def run_demo(options: DemoOptions, echo: Echo = print) -> DemoResult:
    """Run the demo; raises DemoError naming the failed step."""
    started = time.monotonic()
    with step("check the options"):
        check(1 <= options.weeks <= 52, "--weeks must be 1–52")
        check(5 <= options.team_size <= 500, "--team-size must be 5–500")
        database, log = prepare_database(options.db)
        monday = first_monday(options)
    truth = make_truth(REGISTER, team_size=options.team_size, seed=options.seed)
    clock = SimClock(monday)
    with step("start the fake Slack"):
        fake = stack.start_fake(truth.engineers)
    result = DemoResult(database=database, log=log, fake=fake)
    try:
        _run(options, result, truth, clock, echo)
    except DemoError as exc:
        if result.log.exists() and result.log.stat().st_size:
            exc.hint = f"the bot's warnings are in {result.log}"
        raise
    result.elapsed = time.monotonic() - started
    echo(f"\ndone in {result.elapsed:.1f} s · database kept at {database}")
    echo(
        f"look around: DATABASE_URL=sqlite:///{database} debtpulse top --team {stack.TEAM_ID}"
        " (or why KEY, digest preview, capacity)"
    )
    return result


def _run(
    options: DemoOptions, result: DemoResult, truth: Truth, clock: SimClock, echo: Echo
) -> None:
    fake, database, monday = result.fake, result.database, clock()
    with _log_to(result.log), ExitStack() as cleanup:
        cleanup.callback(fake.stop)
        with step("migrate the database"):
            database_url = stack.migrate(database)
        with step("start the bot"):
            runtime = stack.build(fake, database_url, clock)
            cleanup.callback(runtime.engine.dispose)
            running = stack.serve(fake, runtime, clock, database_url, port=options.port)
            cleanup.callback(running.close)
            check(_healthy(running.url), "GET /healthz did not answer 200")
        echo(
            f"debtpulse demo: {options.weeks} simulated week{'' if options.weeks == 1 else 's'} "
            f"from {monday.date().isoformat()}, "
            f"{options.team_size} engineers, seed {options.seed}"
        )
        echo(f"  fake Slack at {fake.root_url} · bot at {running.url} · database {database}")
        echo(
            "  the weekly pulse is a channel poll in #debt-pulse (its reminder is a reply in "
            "the poll's thread); the digest goes to #debt-digest"
        )
        sim = Sim(running, truth, REGISTER, options.seed, resolve_week=(options.weeks + 1) // 2)
        with step("import the debt register"):
            clock.set(monday + timedelta(hours=8))
            count = _import_register(sim)
        with step("take the baseline snapshot"):
            clock.set(monday + timedelta(hours=8, minutes=30))
            digest.snapshot(sim)
        echo(f"  imported {count} debt items from {REGISTER_FILE} and took a baseline snapshot")
        for week in range(1, options.weeks + 1):
            week_monday = monday + timedelta(weeks=week - 1)
            weekly = simulate_week(sim, week, week_monday)
            with step(f"week {week}: snapshot"):
                slot = digest.digest_slot(sim, week_monday + timedelta(weeks=1))
                digest.snapshot(sim)
            with step(f"week {week}: post the digest"):
                weekly.digest = digest.post(sim, slot)
            result.weeks.append(weekly)
            echo(report.week_line(weekly))
        _finish(sim, options, result, echo)
        if options.serve:
            with step("serve the dashboard"):
                serve_demo(running, clock, echo)
        with step("stop the servers"):
            cleanup.close()


def _finish(sim: Sim, options: DemoOptions, result: DemoResult, echo: Echo) -> None:
    with step("read the last digest"):
        view = digest.latest(sim)
        if view.message is not None:
            result.digest_text = slash.as_text(
                {"blocks": view.message.blocks, "text": view.message.text}
            )
    with step("ask /debt top"):
        result.ranking = _ranking(sim)
        check(result.ranking, "no open debt item has a score")
        result.top_text = slash.as_text(slash.slash(sim.stack, user=stack.LEAD_ID, text="top"))
    result.why_key = result.ranking[0]
    with step(f"ask /debt why {result.why_key}"):
        reply = slash.slash(sim.stack, user=stack.LEAD_ID, text=f"why {result.why_key}")
        result.why_text = slash.as_text(reply)
    if view.chart is not None and options.chart is not None:
        with step("write the chart"):
            options.chart.write_bytes(view.chart.content)
            result.chart = options.chart
    names = {user.id: user.name for user in sim.stack.fake.workspace.users.values()}
    for name in ("digest_text", "top_text", "why_text"):
        if (text := getattr(result, name)) is not None:
            setattr(result, name, slash.with_names(text, names))
    open_specs = [s for s in sim.specs if s.key not in sim.resolved]
    result.truth_order = [key for key, _ in sim.truth.scores(open_specs, weeks=options.weeks)]
    if result.digest_text is not None:
        echo(report.section("#debt-digest: the last weekly digest", result.digest_text))
    echo(report.section("/debt top", result.top_text))
    echo(report.section(f"/debt why {result.why_key}", result.why_text))
    echo("")
    echo(report.truth_check(result.truth_order, result.ranking))
    if result.chart is not None:
        echo(f"chart of the last digest written to {result.chart}")
