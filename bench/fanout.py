"""A DM poll to 1,000 people against the fake Slack with Slack's limits, with and without faults.

The real path a worker takes: the scheduler's survey job (``poll_jobs.open_poll``: the
audience resolved with list calls, every message planned, the fan-out) while the worker's
sender (``bot.jobs.sender``) runs beside it, over a migrated SQLite file. The fake Slack
enforces each method's tier and ``chat.postMessage``'s special limit (one a second per channel,
200 a minute per workspace with a burst of 20: "several hundred a minute" at its least).
With ``--faults 0.1`` one Web API call in ten, of every method, answers 429 (Retry-After: 1)
or 503.

The floor is the limit itself: 1,000 messages at 200 a minute after a burst of 20, the
earliest the last one can land. Printed per run: the time from opening to the last message
landing, the floor, their ratio (target ≤ 1.2× with faults), duplicates (people with two
DMs), people missing after the next tick, and the calls by method and status. Both runs go
at once, each with its own fake Slack (its own workspace) and database: limits are per
workspace.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.results import Row, record
from bot.config import load_settings
from bot.jobs.sender import run_sender
from bot.runtime import Runtime, build_runtime
from bot.sandbox import BOT_TOKEN, FakeSlack, Workspace
from bot.services import poll_jobs
from storage import db

CHANNEL = "C0FANOUT"
SURVEY = f"""
id: fanout
title: Fan-out check
schedule: {{cron: "0 9 * * MON", timezone: UTC}}
audience: {{dm: {{channel_members: {CHANNEL}}}}}
anonymous: true
open_for: 48h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
POSTS_PER_MINUTE = 200.0  # the fake's workspace limit for chat.postMessage
POST_BURST = 20
TARGET = 1.2
PEOPLE = 1000


@dataclass
class Outcome:
    label: str
    people: int
    elapsed: float = 0.0
    first_dm: float = 0.0
    floor: float = 0.0
    duplicates: int = 0
    strays: int = 0  # DMs to someone outside the audience (a bot, a deactivated account)
    missing_before_tick: int = 0
    missing_after_tick: int = 0
    calls: Counter[tuple[str, int]] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)  # 429s of the limit, not injected
    error: str = ""

    @property
    def ratio(self) -> float:
        return self.elapsed / self.floor if self.floor else float("inf")


def _workspace(team: str, people: int) -> tuple[Workspace, list[str]]:
    workspace = Workspace(team_id=team)
    workspace.add_user("U0USER", name="user")
    everyone = [f"U1{n:05d}" for n in range(people)]
    for user in everyone:
        workspace.add_user(user, name=user.lower(), tz="Europe/Berlin")
    odd = []
    for n in range(5):  # left out of a DM poll: bots and deactivated accounts
        workspace.add_user(f"U8BOT{n}", name=f"bot{n}", is_bot=True)
        workspace.add_user(f"U8GONE{n}", name=f"gone{n}", deleted=True)
        odd += [f"U8BOT{n}", f"U8GONE{n}"]
    workspace.add_channel(CHANNEL, name="fanout", members=["U0BOT", *everyone, *odd])
    return workspace, everyone


def _runtime(fake: FakeSlack, folder: Path, team: str) -> Runtime:
    database = folder / "bench.db"
    settings = load_settings().model_copy(
        update={
            "slack_api_url": fake.base_url,
            "database_url": f"sqlite:///{database}",
            "surveys_dir": folder,
        }
    )
    return build_runtime(settings, default_team=team)


def run_one(
    label: str, team: str, people: int, faults: float, *, folder: Path, seed: int
) -> Outcome:
    outcome = Outcome(label, people)
    outcome.floor = max(0, people - POST_BURST) * 60.0 / POSTS_PER_MINUTE
    workspace, everyone = _workspace(team, people)
    with FakeSlack(
        workspace=workspace,
        post_workspace_rate=POSTS_PER_MINUTE,
        post_workspace_burst=POST_BURST,
        seed=seed,
    ) as fake:
        runtime = _runtime(fake, folder, team)
        if faults:
            fake.fail_ratio("*", faults, statuses=(429, 503), seed=seed)
        stop = threading.Event()
        sender = threading.Thread(
            target=run_sender, args=(runtime,), kwargs={"stop_event": stop}, daemon=True
        )
        began = time.time()
        sender.start()
        try:
            slot = datetime.now(UTC).replace(second=0, microsecond=0)
            poll_jobs.open_poll(runtime, "fanout", slot)  # the scheduler's survey job
        except Exception as exc:  # reported, not raised: the other run goes on
            outcome.error = f"{type(exc).__name__}: {exc}"
        finally:
            stop.set()
            sender.join(timeout=120)
        landed = [c.at for c in fake.calls_to("chat.postMessage") if c.status == 200]
        outcome.elapsed = (max(landed) - began) if landed else float("inf")
        outcome.first_dm = (min(landed) - began) if landed else float("inf")
        counts = fake.dm_counts
        outcome.missing_before_tick = sum(1 for p in everyone if not counts.get(p))
        poll_jobs.tick(runtime)  # the worker's next tick (the faults still on)
        counts = fake.dm_counts
        outcome.duplicates = sum(n - 1 for n in counts.values() if n > 1)
        outcome.missing_after_tick = sum(1 for p in everyone if not counts.get(p))
        audience = set(everyone)
        outcome.strays = sum(n for p, n in counts.items() if p not in audience)
        outcome.calls = Counter((c.method, c.status) for c in fake.calls)
        outcome.limited = Counter(
            c.method for c in fake.calls if c.status == 429 and not c.injected
        )
        runtime.engine.dispose()
    return outcome


def _print(outcomes: list[Outcome]) -> None:
    print()
    print(
        f"{'DM poll':<28} {'people':>6} {'elapsed':>9} {'floor':>8} {'ratio':>6} "
        f"{'target':>7} {'dupes':>6} {'missing':>8} {'first DM':>9}"
    )
    for o in outcomes:
        met = o.ratio <= TARGET and not (o.duplicates or o.strays or o.missing_after_tick)
        verdict = "met" if met else "NOT met"
        print(
            f"{o.label:<28} {o.people:>6} {o.elapsed:>8.1f}s {o.floor:>7.1f}s {o.ratio:>5.2f}× "
            f"{'≤ 1.2×':>7} {o.duplicates:>6} {o.missing_after_tick:>8} {o.first_dm:>8.1f}s  "
            f"{verdict}"
        )
        if o.error:
            print(f"  error: {o.error}")
    print()
    print(
        "calls by method (HTTP status: count; 429s are injected unless said to be the limit's);"
        " missing before the next tick in brackets"
    )
    for o in outcomes:
        print(
            f"  {o.label} [{o.missing_before_tick}]" + (f", {o.strays} strays" if o.strays else "")
        )
        methods = sorted({method for method, _ in o.calls})
        for method in methods:
            statuses = {s: n for (m, s), n in sorted(o.calls.items()) if m == method}
            line = ", ".join(f"{status}: {count}" for status, count in statuses.items())
            limited = f"; {o.limited[method]} refused by the limit" if o.limited[method] else ""
            print(f"    {method:<24} {sum(statuses.values()):>6}  ({line}{limited})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--faults", type=float, default=0.1, help="share of calls that fail")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith(("SLACK_", "DEBTPULSE_"))]:
        del os.environ[name]
    os.environ.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="bench-signing-secret",
        DEBTPULSE_ANON_SECRET="bench-anon-secret",
    )
    floor = max(0, args.people - POST_BURST) * 60 / POSTS_PER_MINUTE
    print(
        f"DM poll to {args.people} people; chat.postMessage limited to {POSTS_PER_MINUTE:.0f} a "
        f"minute per workspace (burst {POST_BURST}): floor {floor:.0f} s; both runs at once"
    )
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        root = Path(tmp)
        runs = [
            ("no faults", "T0CALM", 0.0),
            (f"{args.faults:.0%} of calls fail", "T0FAULTS", args.faults),
        ]
        outcomes: list[Outcome | None] = [None] * len(runs)

        for _, team, _ in runs:  # migrated one after the other: Alembic is not thread-safe
            (root / team).mkdir()
            (root / team / "fanout.yaml").write_text(SURVEY, encoding="utf-8")
            engine = db.make_engine(f"sqlite:///{root / team / 'bench.db'}")
            db.upgrade(engine)
            engine.dispose()

        def go(n: int, label: str, team: str, faults: float) -> None:
            outcomes[n] = run_one(
                label, team, args.people, faults, folder=root / team, seed=args.seed
            )

        threads = [threading.Thread(target=go, args=(n, *run)) for n, run in enumerate(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    done = [o for o in outcomes if o is not None]
    _print(done)
    if args.people == PEOPLE:  # the table's row is the 1,000 people
        _record(done, faults=args.faults)


def _record(outcomes: list[Outcome], *, faults: float) -> None:
    """The fan-out row of issue 17's table (``python -m bench.table``)."""
    calm = next((o for o in outcomes if o.label == "no faults"), None)
    faulty = next((o for o in outcomes if o.label != "no faults"), None)
    if calm is None or faulty is None:
        return
    clean = not (faulty.duplicates or faulty.strays or faulty.missing_after_tick)
    record(
        "fanout",
        Row(
            path=f"DM poll to {faulty.people:,} people, {faults:.0%} of calls 429/503",
            anchor=(
                f"floor: {faulty.people:,} posts at chat.postMessage's modelled limit "
                f"({POSTS_PER_MINUTE:.0f}/min, burst {POST_BURST}): {faulty.floor:.0f} s"
            ),
            figure=(
                f"{faulty.elapsed:.1f} s = {faulty.ratio:.2f}x the floor (no faults "
                f"{calm.ratio:.2f}x); {faulty.duplicates} duplicates, "
                f"{faulty.missing_after_tick} missing after the next tick"
            ),
            target=f"<= {TARGET}x with faults, 0 duplicates, 0 missing",
            met=faulty.ratio <= TARGET and clean,
        ),
    )


if __name__ == "__main__":
    main()
