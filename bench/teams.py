"""200 workspaces × 25 people, a weekly DM poll due in the same minute, 2 workers on PostgreSQL.

The real deployment's path: every workspace installed over OAuth (the fake Slack issues each
its own bot token; it is saved in slack_sdk's installation store as Bolt's OAuth flow saves
it), a fresh PostgreSQL database on ``DEBTPULSE_TEST_POSTGRES_URL``'s server, and two
``debtpulse worker`` processes: one holds the scheduler lease and opens the 200 runs when the
slot's job fires (each with its team's own token, several teams at once), both send the
deliveries (claimed in the database, each team paced under its own limits). The fake Slack
holds the 200 workspaces and enforces Slack's limits per workspace: each method's tier, and
``chat.postMessage`` at 200 a minute after a burst of 20 (and one a second per channel).

The floor is those limits: all workspaces in parallel, the last of a workspace's 25 DMs can
land no sooner than (25 − 20) / 200 a minute = 1.5 s after its slot (DMs go to the user id:
no ``conversations.open``). Printed: the time from the slot to the last DM landing, against
that floor; each workspace's own time to its last DM (median and slowest); duplicates (a
person with two DMs) and people missing; calls by method and status; and the database's
rows and bytes per workspace after the week (``docs/operations.md`` sizes a deployment from
them). Nothing is asserted; the row goes to ``bench.table``.

Run ``python -m bench.teams`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, make_url, text

from bench.results import Row, record
from bot.sandbox import BOT_USER_ID, FakeSlack, Workspace
from storage import db

WORKSPACES = 200
PEOPLE = 25
WORKERS = 2
CHANNEL = "C0ALL"
POSTS_PER_MINUTE = 200.0  # the fake's per-workspace chat.postMessage limit (Slack's least)
POST_BURST = 20
CLIENT_ID, CLIENT_SECRET = "1111.2222", "bench-client-secret"
DATABASE = "debtpulse_bench_teams"
SURVEY = """\
id: team-pulse
title: Team pulse
schedule: {{cron: "{minute} {hour} * * {weekday}", timezone: UTC}}
audience: {{dm: {{channel_members: {channel}}}}}
anonymous: true
open_for: 48h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass
class Outcome:
    workspaces: int
    people: int
    floor: float
    slot: float = 0.0
    elapsed: float = float("inf")  # slot to the last DM landing
    first_dm: float = float("inf")
    per_team: list[float] = field(default_factory=list)  # slot to each team's last DM
    duplicates: int = 0
    missing: int = 0
    calls: Counter[tuple[str, int]] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # ERROR lines the workers logged
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the poll, by part
    sizes: list[tuple[str, int, int]] = field(default_factory=list)  # table, rows, bytes

    @property
    def ratio(self) -> float:
        return self.elapsed / self.floor if self.floor else float("inf")


def team_id(n: int) -> str:
    return f"T1{n:04d}"


def people_of(n: int, people: int) -> list[str]:
    return [f"U1{n:04d}P{p:03d}" for p in range(people)]


def fresh_database(postgres_url: str) -> str:
    import psycopg

    url = make_url(postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return url.set(database=DATABASE).render_as_string(hide_password=False)


def build_fake(workspaces: int, people: int) -> FakeSlack:
    fake = FakeSlack(post_workspace_rate=POSTS_PER_MINUTE, post_workspace_burst=POST_BURST)
    for n in range(workspaces):
        workspace = Workspace(team_id=team_id(n), bot_token=None, app_token=None)
        members = people_of(n, people)
        for user in members:
            workspace.add_user(user, name=user.lower(), tz="Europe/Berlin")
        workspace.add_channel(CHANNEL, name="all", members=[BOT_USER_ID, *members])
        fake.add_workspace(workspace)
    fake.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    return fake


def install_all(fake: FakeSlack, engine: Engine, workspaces: int, people: int) -> None:
    """Each workspace installed over OAuth: the code exchanged for its own token, saved as
    Bolt's OAuth flow saves it."""
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    client = WebClient(base_url=fake.base_url)
    for n in range(workspaces):
        installer = people_of(n, people)[0]
        code = fake.authorize_install(team_id=team_id(n), user=installer)
        granted = client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
        )
        store.save(
            Installation(
                app_id=str(granted["app_id"]),
                enterprise_id=None,
                team_id=team_id(n),
                team_name=f"workspace {n}",
                bot_token=str(granted["access_token"]),
                bot_id="B0BOT",
                bot_user_id=str(granted["bot_user_id"]),
                bot_scopes=str(granted["scope"]),
                user_id=installer,
                installed_at=time.time(),
            )
        )


def worker_env(fake: FakeSlack, database_url: str, surveys: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DEBTPULSE_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET="bench-signing-secret",
        SLACK_STATE_SECRET="bench-state-secret",
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=database_url,
        DEBTPULSE_SURVEYS_DIR=str(surveys),
        DEBTPULSE_ANON_SECRET="bench-anon-secret",
        DEBTPULSE_METRICS_PORT="0",  # two workers on one machine: no metrics port to share
    )
    return env


def next_slot(lead: timedelta) -> datetime:
    """The first whole minute at least ``lead`` from now."""
    soonest = datetime.now(UTC) + lead
    whole = soonest.replace(second=0, microsecond=0)
    return whole if whole == soonest else whole + timedelta(minutes=1)


def wait_for_dms(fake: FakeSlack, expected: int, deadline: float) -> None:
    while time.time() < deadline:
        if len(fake.dm_counts) >= expected:
            return
        time.sleep(0.5)


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` used so far (0 when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (the bench's server is local)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def cpu_now(workers: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds so far: the workers, the PostgreSQL server's processes, and this process
    (the fake Slack)."""
    postgres = sum(_proc_cpu(pid) for pid in _postgres_pids())
    return {
        "workers": sum(_proc_cpu(w.pid) for w in workers),
        "PostgreSQL": postgres,
        "fake Slack": time.process_time(),
    }


def database_sizes(engine: Engine) -> list[tuple[str, int, int]]:
    """Each table with rows: its rows and its bytes (indexes and TOAST included)."""
    sizes = []
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in sorted(tables):
            rows = int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
            size = conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table})
            if rows:
                sizes.append((table, rows, int(size.scalar_one())))
    return sizes


def run(args: argparse.Namespace, folder: Path) -> Outcome:
    total = args.workspaces * args.people
    outcome = Outcome(
        args.workspaces,
        args.people,
        floor=max(0, args.people - POST_BURST) * 60.0 / POSTS_PER_MINUTE,
    )
    database_url = fresh_database(args.postgres_url)
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with build_fake(args.workspaces, args.people) as fake:
        install_all(fake, engine, args.workspaces, args.people)
        slot = next_slot(timedelta(seconds=args.lead))
        surveys = folder / "surveys"
        surveys.mkdir()
        (surveys / "team-pulse.yaml").write_text(
            SURVEY.format(
                minute=slot.minute,
                hour=slot.hour,
                weekday=WEEKDAYS[slot.weekday()],
                channel=CHANNEL,
            ),
            encoding="utf-8",
        )
        fake.reset()  # the installs' calls are not the poll's
        env = worker_env(fake, database_url, surveys)
        logs = [folder / f"worker-{n}.log" for n in range(args.workers)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker"],
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        print(
            f"{args.workspaces} workspaces installed; {args.workers} workers started; the poll "
            f"is due at {slot:%H:%M:%S} UTC ({(slot - datetime.now(UTC)).total_seconds():.0f} s)"
        )
        try:
            outcome.slot = slot.timestamp()
            time.sleep(max(0.0, outcome.slot - time.time()))
            before = cpu_now(workers)
            wait_for_dms(fake, total, deadline=outcome.slot + args.timeout)
            after = cpu_now(workers)
            outcome.cpu = {part: after[part] - before[part] for part in after}
            time.sleep(2)  # anything sent twice would land now
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
        _measure(outcome, fake, args)
        outcome.errors = sum(
            line.count(" ERROR ") for log in logs for line in log.read_text().splitlines()
        )
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            for log in logs:
                (args.keep / log.name).write_bytes(log.read_bytes())
    outcome.sizes = database_sizes(engine)
    engine.dispose()
    return outcome


def _measure(outcome: Outcome, fake: FakeSlack, args: argparse.Namespace) -> None:
    landed = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    if landed:
        outcome.elapsed = max(c.at for c in landed) - outcome.slot
        outcome.first_dm = min(c.at for c in landed) - outcome.slot
    last: dict[str, float] = {}
    for call in landed:
        if call.team is not None:
            last[call.team] = max(last.get(call.team, 0.0), call.at - outcome.slot)
    outcome.per_team = sorted(last.values())
    counts = fake.dm_counts
    everyone = [p for n in range(args.workspaces) for p in people_of(n, args.people)]
    outcome.duplicates = sum(n - 1 for n in counts.values() if n > 1)
    outcome.missing = sum(1 for person in everyone if not counts.get(person))
    outcome.calls = Counter((c.method, c.status) for c in fake.calls)
    outcome.limited = Counter(c.method for c in fake.calls if c.status == 429 and not c.injected)


def report(o: Outcome) -> None:
    print()
    print(
        f"{'DM poll':<34} {'DMs':>6} {'elapsed':>9} {'floor':>7} {'ratio':>7} "
        f"{'first DM':>9} {'team median':>12} {'team max':>9} {'dupes':>6} {'missing':>8}"
    )
    median = statistics.median(o.per_team) if o.per_team else float("inf")
    slowest = max(o.per_team) if o.per_team else float("inf")
    label = f"{o.workspaces} workspaces x {o.people} people"
    print(
        f"{label:<34} {o.workspaces * o.people:>6} {o.elapsed:>8.1f}s {o.floor:>6.1f}s "
        f"{o.ratio:>6.1f}x {o.first_dm:>8.1f}s {median:>11.1f}s {slowest:>8.1f}s "
        f"{o.duplicates:>6} {o.missing:>8}"
    )
    print(f"ERROR lines in the workers' logs: {o.errors}")
    dms = o.workspaces * o.people
    print(
        "CPU while the poll went out: "
        + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in o.cpu.items())
        + f" ({sum(o.cpu.values()) / dms * 1e3:.1f} ms a DM in all)"
    )
    print()
    print("calls by method (HTTP status: count; 429s are the fake's per-workspace limits)")
    for method in sorted({m for m, _ in o.calls}):
        statuses = {s: n for (m, s), n in sorted(o.calls.items()) if m == method}
        line = ", ".join(f"{status}: {count}" for status, count in statuses.items())
        print(f"  {method:<26} {sum(statuses.values()):>6}  ({line})")
    print()
    rows = sum(r for _, r, _ in o.sizes)
    size = sum(b for _, _, b in o.sizes)
    print(
        f"database after the week: {rows:,} rows, {size / 1e6:.1f} MB "
        f"({rows / o.workspaces:.0f} rows, {size / o.workspaces / 1e3:.0f} kB per workspace)"
    )
    for table, count, nbytes in sorted(o.sizes, key=lambda t: -t[2])[:8]:
        print(f"  {table:<26} {count:>8,} rows {nbytes / 1e3:>9,.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspaces", type=int, default=WORKSPACES)
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--lead", type=float, default=40.0, help="seconds before the slot")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds after the slot")
    parser.add_argument("--keep", type=Path, help="keep the workers' logs in this folder")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DEBTPULSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-teams-") as tmp:
        outcome = run(args, Path(tmp))
    report(outcome)
    if (args.workspaces, args.people, args.workers) == (WORKSPACES, PEOPLE, WORKERS):
        _record(outcome)


def _record(o: Outcome) -> None:
    """The many-workspaces row of the bench table (``python -m bench.table``)."""
    clean = not (o.duplicates or o.missing)
    slowest = max(o.per_team) if o.per_team else float("inf")
    record(
        "teams",
        Row(
            path=f"DM poll due at once in {o.workspaces} workspaces x {o.people} people, "
            "2 workers, PostgreSQL",
            anchor=(
                f"floor: each workspace's {o.people} DMs at chat.postMessage's modelled limit "
                f"({POSTS_PER_MINUTE:.0f}/min, burst {POST_BURST}), all in parallel: "
                f"{o.floor:.1f} s"
            ),
            figure=(
                f"{o.elapsed:.1f} s to the last of {o.workspaces * o.people:,} DMs "
                f"({o.ratio:.0f}x the floor; the slowest workspace {slowest:.1f} s); "
                f"{o.duplicates} duplicates, {o.missing} missing"
            ),
            target="0 duplicates, 0 missing",
            met=clean,
        ),
    )


if __name__ == "__main__":
    main()
