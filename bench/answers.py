"""How many one-click poll answers ``debtpulse serve`` records per second, against a bare Bolt app.

Prints figures and their targets; asserts nothing.

Both servers run under gunicorn with the same settings (``gthread``, ``--workers`` x
``--threads``, access log on, each worker kept on one CPU by ``bot.web.gunicorn_hooks``)
and get the same signed ``block_actions`` requests — a click on a vote button of an open
channel poll, each from a different person — from ``--concurrency`` keep-alive connections:

- **bare**: ``slack_bolt.App`` with one ``app.action(re.compile(".*"))`` listener that only
  acks, served through ``slack_bolt.adapter.wsgi.SlackRequestHandler``: the floor that Bolt's
  signature check, parsing and dispatch cost;
- **debtpulse serve**: the real process (``python -m bot.cli serve``) on a freshly migrated
  SQLite database in a temporary directory, with the local ``FakeSlack`` (``post_rate=None``)
  as Slack; the poll is opened with a signed ``/debt poll send``. An answer counts as
  recorded when its ":white_check_mark: Recorded" confirmation reaches the fake Slack (the
  bot posts it after the answer's transaction committed); at the end the rows are counted.

The load generator and the fake Slack run on the machine's last CPU and the servers on the
others (as a load generator elsewhere would leave them); the machine's load still moves
both apps' figures from run to run, so ``--rounds`` (default 3)
rounds each run both apps back to back; the ratio and p99 reported are the medians over the
rounds, and the table shows the round with the median ratio.

Columns: acks/s and ack latency as the load generator saw them; answers/s (for the bare
app, its acks); the CPU time per request of the gunicorn worker(s) and of this process (the
load generator plus the fake Slack, sharing the machine). ``--workers``/``--threads`` tune
gunicorn (default 1 x 8, what the e2e tests run), ``--slack-latency`` makes the fake Slack
answer response URLs and ``chat.update`` that late, as real Slack does.

Run ``python -m bench.answers`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import make_url, text

from bench.results import Row, record
from bot.sandbox import FakeSlack, SlackDriver, payloads
from bot.sandbox.records import Message
from bot.sandbox.transport import FORM, sign
from bot.slack.poll_views import OPEN_ACTION
from storage import db

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
ANON_SECRET = "bench-anon-secret"
LEAD = "U0LEAD"
CHANNEL = "C0BENCH"
EVENTS = "/slack/events"
SURVEY = f"""
id: bench-vote
title: Bench vote
schedule: {{cron: "0 9 * * FRI", timezone: UTC}}
audience: {{channel: {CHANNEL}}}
anonymous: true
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""


MODAL_SURVEY = f"""
id: bench-modal
title: Bench modal
schedule: {{cron: "0 9 * * FRI", timezone: UTC}}
audience: {{channel: {CHANNEL}}}
anonymous: true
open_for: 24h
questions:
  - id: pain
    type: likert
    prompt: "How much did *{{{{ item.title }}}}* slow you down this week?"
    for_each: {{debt_items: {{status: open, top: 5}}}}
"""
REGISTER = "key,title,category,status\n" + "".join(
    f"DEBT-{n},Bench item {n},operational,open\n" for n in range(1, 6)
)
#: (path, database) -> (ratio target, p99 target in ms or None)
TARGETS: dict[tuple[str, str], tuple[float, float | None]] = {
    ("vote", "sqlite"): (0.8, 50.0),
    ("modal", "sqlite"): (0.6, None),
    ("vote", "postgres"): (0.7, 60.0),
    ("modal", "postgres"): (0.6, None),
}


# -- servers ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DEBTPULSE_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.base_url,
        DEBTPULSE_LEADS=LEAD,
        DEBTPULSE_ANON_SECRET=ANON_SECRET,
        DEBTPULSE_SIGNALS_TOKEN="bench-signals-token",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the server's log but its access log (what a failed run shows)."""
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join([line for line in text if '"POST /' not in line][-lines:])

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of the gunicorn workers so far; None off Linux."""
        total, tick = 0.0, os.sysconf("SC_CLK_TCK")
        pids = self.worker_pids()
        if not pids:
            return None
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_ALL_CPUS: set[int] = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()


def _load_cpu() -> int | None:
    return max(_ALL_CPUS) if len(_ALL_CPUS) >= 2 else None


def keep_load_apart() -> str:
    """Run this process (load generator and fake Slack) on the last CPU and the servers on
    the others, so that neither server shares its CPU with the load (as a load generator
    on another machine would not). Returns what was done, for the header."""
    load = _load_cpu()
    if load is None:
        return "load generator and servers share the CPUs"
    os.sched_setaffinity(0, {load})  # threads started from now on inherit it
    return f"load generator and fake Slack on CPU {load}, servers on the others"


def _server_cpus() -> None:
    load = _load_cpu()
    if load is not None:
        os.sched_setaffinity(0, _ALL_CPUS - {load})


def _start(command: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=_server_cpus,  # noqa: PLW1509 - only sets the CPU affinity
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{' '.join(command)} exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return Server(process, port, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit(f"{' '.join(command)} did not answer /healthz:\n{log.read_text()}")


def start_debtpulse(
    fake: FakeSlack, folder: Path, database_url: str, workers: int, threads: int
) -> Server:
    port = _free_port()
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    env = _env(
        fake,
        DATABASE_URL=database_url,
        DEBTPULSE_SURVEYS_DIR=str(folder),
        DEBTPULSE_POLL_CHANNEL=CHANNEL,
    )
    return _start(command, env, port, folder / "serve.log")


def start_bare(fake: FakeSlack, folder: Path, workers: int, threads: int) -> Server:
    """gunicorn with the settings ``debtpulse serve`` gives it (bot/cli/serve_cmds.py)."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "30",
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--log-level",
        "info",
        "--config",
        "python:bot.web.gunicorn_hooks",
        "bench.bare_bolt:app()",
    ]
    return _start(command, _env(fake), port, folder / "bare.log")


# -- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    """The open poll's channel message and the vote button every request clicks."""

    run_id: int
    message: Message
    button: dict[str, Any]
    block_id: str

    @classmethod
    def of(cls, message: Message) -> Poll:
        actions = next(b for b in message.blocks if b["type"] == "actions")
        button = next(  # a vote button, or (a poll answered in a modal) the Answer button
            b for b in actions["elements"] if b["action_id"] in ("poll_vote_4", OPEN_ACTION)
        )
        run_id = int(actions["block_id"].split("-", 1)[1])
        return cls(run_id, message, button, actions["block_id"])


def vote_bodies(fake: FakeSlack, poll: Poll, users: list[str]) -> list[str]:
    """One ``block_actions`` form body (signed when sent) per user: a click on the button."""
    bodies = []
    message = poll.message
    as_dict = message.to_dict()
    for user in users:
        payload = payloads.block_actions(
            action=payloads.element_action(poll.button, block_id=poll.block_id),
            user=payloads.user_ref(user, team_id=fake.workspace.team_id, name=user.lower()),
            team=fake.workspace.team_id,
            trigger_id=fake.new_trigger_id(user=user),
            container={
                "type": "message",
                "message_ts": message.ts,
                "channel_id": CHANNEL,
                "is_ephemeral": False,
            },
            channel={"id": CHANNEL, "name": "bench"},
            message=as_dict,
            response_url=fake.new_response_url(channel=CHANNEL, user=user, message_ts=message.ts),
        )
        bodies.append(urlencode({"payload": json.dumps(payload)}))
    return bodies


def open_modals(fake: FakeSlack, port: int, poll: Poll, users: list[str], concurrency: int) -> None:
    """Each user clicks the poll's Answer button: the bot opens their answer modal (in
    groups of 50, as a trigger id is valid for 3 s only)."""
    for start in range(0, len(users), 50):
        _open_some(fake, port, poll, users[start : start + 50], concurrency)
    fake.wait_for(lambda: all(fake.open_modal(u) for u in users), timeout=120)


def _open_some(fake: FakeSlack, port: int, poll: Poll, users: list[str], concurrency: int) -> None:
    bodies = []
    for user in users:
        payload = payloads.block_actions(
            action=payloads.element_action(poll.button, block_id=poll.block_id),
            user=payloads.user_ref(user, team_id=fake.workspace.team_id, name=user.lower()),
            team=fake.workspace.team_id,
            trigger_id=fake.new_trigger_id(user=user),
            container={"type": "message", "message_ts": poll.message.ts, "channel_id": CHANNEL},
            channel={"id": CHANNEL, "name": "bench"},
            message=poll.message.to_dict(),
            response_url=fake.new_response_url(channel=CHANNEL, user=user),
        )
        bodies.append(urlencode({"payload": json.dumps(payload)}))
    fire(port, bodies, concurrency)


def submission_bodies(fake: FakeSlack, users: list[str]) -> list[str]:
    """One ``view_submission`` per user: their open modal, every item answered 4."""
    bodies = []
    for user in users:
        record = fake.open_modal(user)
        assert record is not None
        blocks = [b["block_id"] for b in record.view["blocks"] if b.get("type") == "input"]
        values = payloads.fill_modal(record.view, {block: "4" for block in blocks})
        payload = payloads.view_payload(
            "view_submission",
            view=record.view,
            values=values,
            user=payloads.user_ref(user, team_id=fake.workspace.team_id, name=user.lower()),
            team=fake.workspace.team_id,
        )
        bodies.append(urlencode({"payload": json.dumps(payload)}))
    return bodies


@dataclass
class Load:
    started: float  # time.time() of the first request
    finished: float  # time.time() when the last ack was read
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    reconnects: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    own_cpu: float = 0.0  # CPU seconds of this process (load generator + fake Slack)
    confirmed: list[float] = field(default_factory=list)  # acks saying "are recorded"

    def judge(self, reply: bytes, lock: threading.Lock) -> None:
        """Note a modal's field errors or its confirmation (its acknowledgement)."""
        if b'"errors"' in reply:
            with lock:
                self.errors["field errors"] += 1
        elif b"are recorded" in reply:
            with lock:
                self.confirmed.append(time.time())

    @property
    def rate(self) -> float:
        return len(self.latencies) / (self.finished - self.started)

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def fire(port: int, bodies: list[str], concurrency: int) -> Load:
    """Send every body once, signed, over ``concurrency`` keep-alive connections."""
    pending = iter(bodies)
    lock = threading.Lock()
    load = Load(started=time.time(), finished=0.0)
    cpu_before = _own_cpu()

    def one_connection() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                body = next(pending, None)
            if body is None:
                break
            data = body.encode()
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": FORM,
                "User-Agent": "Slackbot 1.0",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": sign(SECRET, timestamp, body),
            }
            started = time.perf_counter()
            status, reconnected = 0, 0
            for attempt in range(3):
                try:
                    conn.request("POST", EVENTS, body=data, headers=headers)
                    answer = conn.getresponse()
                    load.judge(answer.read(), lock)
                    status = answer.status
                    if answer.will_close:
                        conn.close()
                    break
                except (http.client.RemoteDisconnected, ConnectionError) as exc:
                    # an idle keep-alive connection the server closed: open a new one
                    conn.close()
                    reconnected += 1
                    if attempt == 2:
                        with lock:
                            load.errors[type(exc).__name__] += 1
                except TimeoutError:
                    conn.close()
                    with lock:
                        load.errors["timeout"] += 1
                    break
            elapsed = time.perf_counter() - started
            with lock:
                load.latencies.append(elapsed)
                load.statuses[status] += 1
                load.reconnects += reconnected
        conn.close()

    threads = [threading.Thread(target=one_connection) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.finished = time.time()
    load.own_cpu = _own_cpu() - cpu_before
    return load


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


# -- the two runs -----------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    load: Load
    cpu: float | None  # server CPU seconds during the measured requests
    answers_per_s: float
    note: str = ""


def _recorded(fake: FakeSlack) -> list[float]:
    """When each vote's "Recorded" confirmation reached Slack (its response URL). A modal's
    confirmation is its acknowledgement (:attr:`Load.confirmed`)."""
    return [
        p.at
        for p in fake.response_url_posts
        if p.status == 200 and "Recorded" in str(p.payload.get("text", ""))
    ]


def open_poll(fake: FakeSlack, port: int, survey: str) -> Poll:
    lead = SlackDriver(f"http://127.0.0.1:{port}{EVENTS}", SECRET, fake=fake, default_user=LEAD)
    if not lead.slash(text=f"poll send {survey}", channel=CHANNEL).ok:
        sys.exit(f"`/debt poll send {survey}` was not acknowledged")
    return Poll.of(fake.wait_for(lambda: fake.messages(channel=CHANNEL)[:1], timeout=15)[0])


def requests_for(
    fake: FakeSlack, port: int, poll: Poll, users: list[str], a: argparse.Namespace
) -> list[str]:
    """The measured requests of the path: votes, or submissions of modals opened first."""
    if a.path == "vote":
        return vote_bodies(fake, poll, users)
    for user in users:  # members of the channel, where their confirmation is shown
        fake.workspace.add_user(user, name=user.lower())
        fake.workspace.channels[CHANNEL].members.append(user)
    open_modals(fake, port, poll, users, a.concurrency)
    return submission_bodies(fake, users)


def fresh_database(a: argparse.Namespace) -> str:
    """A new, empty database for one round: a SQLite file, or a PostgreSQL database."""
    if a.database == "sqlite":
        return f"sqlite:///{a.folder / 'debtpulse.db'}"
    import psycopg

    url = make_url(a.postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS debtpulse_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE debtpulse_bench")
    return url.set(database="debtpulse_bench").render_as_string(hide_password=False)


def run_bare(fake: FakeSlack, folder: Path, poll: Poll, a: argparse.Namespace) -> Outcome:
    server = start_bare(fake, folder, a.workers, a.threads)
    try:
        if a.path == "vote":
            warm = vote_bodies(fake, poll, [f"UV{n:05d}" for n in range(a.warmup)])
            bodies = vote_bodies(fake, poll, [f"UB{n:05d}" for n in range(a.requests)])
        else:  # the submissions debtpulse's own modals make, sent to the bare app
            warm, bodies = a.modal_bodies[: a.warmup], a.modal_bodies[a.warmup :]
        fire(server.port, warm, a.concurrency)
        before = server.cpu_seconds()
        load = fire(server.port, bodies, a.concurrency)
        after = server.cpu_seconds()
    finally:
        server.stop()
    cpu = after - before if before is not None and after is not None else None
    return Outcome("bare Bolt app, ack only", load, cpu, load.rate)


def _await_confirmations(fake: FakeSlack, expected: int) -> None:
    """Wait for the confirmations of answers still being written after their ack (until
    none arrived for 5 s)."""
    deadline, last, last_change = time.monotonic() + 60, -1, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last_change < 5:
        count = len(_recorded(fake))
        if count >= expected:
            break
        if count != last:
            last, last_change = count, time.monotonic()
        time.sleep(0.02)


def _stored(engine: Any, run_id: int) -> tuple[int, int]:
    """Answers stored for the run (an anonymous run holds them until it closes, released in
    groups) and the people recorded as having answered."""
    with engine.connect() as conn:
        rows = sum(
            conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE poll_run_id = :run"), {"run": run_id}
            ).scalar_one()
            for table in ("response", "held_answer")
        )
        people = conn.execute(
            text("SELECT count(*) FROM participation WHERE poll_run_id = :run"), {"run": run_id}
        ).scalar_one()
    return int(rows), int(people)


def import_register(fake: FakeSlack, folder: Path, database_url: str) -> None:
    """The 5 open items the modal asks about, imported as a team would."""
    (folder / "register.csv").write_text(REGISTER)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "debt", "import", str(folder / "register.csv")],
        env=_env(fake, DATABASE_URL=database_url, DEBTPULSE_SURVEYS_DIR=str(folder)),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def run_debtpulse(
    fake: FakeSlack, folder: Path, a: argparse.Namespace
) -> tuple[Outcome, Poll, list[str]]:
    database_url = fresh_database(a)
    engine = db.make_engine(database_url)
    db.upgrade(engine, anon_secret=ANON_SECRET)
    if a.path == "modal":
        import_register(fake, folder, database_url)
    server = start_debtpulse(fake, folder, database_url, a.workers, a.threads)
    report: list[str] = []
    try:
        poll = open_poll(fake, server.port, f"bench-{a.path}")
        run_id = poll.run_id
        if a.slack_latency:
            for method in ("response_url", "chat.update", "chat.postEphemeral"):
                fake.slow_down(method, seconds=a.slack_latency)
        warm_users = [f"UW{n:05d}" for n in range(a.warmup)]
        warm = fire(
            server.port, requests_for(fake, server.port, poll, warm_users, a), a.concurrency
        )
        if a.path == "vote":
            try:
                fake.wait_for(lambda: len(_recorded(fake)) >= a.warmup, timeout=30)
            except TimeoutError:
                sys.exit(f"the warm-up answers were not recorded; serve log:\n{server.log_tail()}")
        done_before = len(_recorded(fake)) if a.path == "vote" else len(warm.confirmed)
        users = [f"UA{n:05d}" for n in range(a.requests)]
        bodies = requests_for(fake, server.port, poll, users, a)
        if a.path == "modal":  # the same submissions, to the bare app afterwards
            a.modal_bodies = (
                requests_for(fake, server.port, poll, [f"UB{n:05d}" for n in range(a.warmup)], a)
                + bodies
            )
        before, pg_before = server.cpu_seconds(), _postgres_cpu(engine)
        load = fire(server.port, bodies, a.concurrency)
        if a.path == "vote":
            _await_confirmations(fake, done_before + a.requests)
        after, pg_after = server.cpu_seconds(), _postgres_cpu(engine)
        times = sorted(_recorded(fake))[done_before:] if a.path == "vote" else load.confirmed
        rows, people = _stored(engine, run_id)
        failures = sum(
            "could not be saved" in json.dumps(p.payload) for p in fake.response_url_posts
        )
    finally:
        server.stop()
        engine.dispose()
    cpu = after - before if before is not None and after is not None else None
    total = a.warmup + a.requests
    report.extend(_postgres_report(pg_before, pg_after, a.requests))
    per_request = 5 if a.path == "modal" else 1
    last_recorded = max(times) if times else load.finished
    answers_per_s = len(times) / (last_recorded - load.started)
    tail = max(0.0, last_recorded - load.finished) * 1000
    report.append(
        f"stored: {rows}/{total * per_request} answers (response or held_answer rows), "
        f"{people}/{total} participation rows, "
        f"{done_before + len(times)}/{total} 'Recorded' confirmations, "
        f"{failures} 'could not be saved' "
        f"({'every answer stored' if rows == total * per_request else 'LOST'})"
    )
    log = server.log.read_text(errors="replace")
    report.extend(line.split("] ", 1)[-1] for line in log.splitlines() if "runs on CPU" in line)
    report.append(
        f"serve log: {log.count('Traceback')} tracebacks, {log.count(' ERROR ')} ERROR lines, "
        f"{log.count(' WARNING ')} WARNING lines"
    )
    notable = Counter(
        line.split(": ", 1)[-1][:120]
        for line in log.splitlines()
        if " WARNING " in line or " ERROR " in line
    )
    report.extend(f"  {n} x {line}" for line, n in notable.most_common(3))
    note = f"last answer recorded {tail:.0f} ms after the last ack"
    return Outcome("debtpulse serve", load, cpu, answers_per_s, note), poll, report


def _postgres_cpu(engine: Any) -> float | None:
    """CPU seconds (user + system) used so far by every PostgreSQL process serving the
    bench's database (the server runs on this machine); None on SQLite or if unreadable."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total, tick = 0.0, os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _postgres_report(before: float | None, after: float | None, requests: int) -> list[str]:
    if before is None or after is None:
        return []
    return [
        f"PostgreSQL server processes: {(after - before) / requests * 1000:.2f} ms CPU per "
        "request (on the same CPUs as the workers; the bare app uses none)"
    ]


def _row(outcome: Outcome, requests: int) -> str:
    load = outcome.load
    cpu = f"{outcome.cpu / requests * 1000:.2f}" if outcome.cpu is not None else "?"
    bad = sum(n for status, n in load.statuses.items() if status != 200)
    return (
        f"  {outcome.name:<24} {load.rate:7.0f} {outcome.answers_per_s:9.0f} "
        f"{load.percentile_ms(0.5):7.1f} {load.percentile_ms(0.99):7.1f} "
        f"{max(load.latencies) * 1000:7.1f} {bad:7d} {cpu:>10} "
        f"{load.own_cpu / requests * 1000:9.2f}"
    )


def one_round(args: argparse.Namespace) -> tuple[Outcome, Outcome, list[str]]:
    """debtpulse, then the bare app, each on a fresh server (and debtpulse on a fresh
    database and fake Slack)."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp,
        # opening thousands of answer modals in seconds (only to submit them) would meet
        # views.open's rate limit: the modal path's fake Slack leaves methods unlimited
        (
            FakeSlack(post_rate=None, tier_rates=None)
            if args.path == "modal"
            else FakeSlack(post_rate=None)
        ) as fake,
    ):
        folder = Path(tmp)
        args.folder = folder
        (folder / "bench-vote.yaml").write_text(SURVEY)
        (folder / "bench-modal.yaml").write_text(MODAL_SURVEY)
        fake.workspace.add_user(LEAD, name="lead")
        fake.workspace.add_channel(CHANNEL, name="bench", members=["U0BOT", LEAD])
        real, poll, report = run_debtpulse(fake, folder, args)
        bare = run_bare(fake, folder, poll, args)
    return real, bare, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Answers per second: debtpulse vs bare Bolt.")
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per app")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument("--concurrency", type=int, default=16, help="connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of both apps (the median ratio counts)"
    )
    parser.add_argument(
        "--path",
        choices=["vote", "modal"],
        default="vote",
        help="one-click votes, or submissions of a 5-item answer modal",
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DEBTPULSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server (a database debtpulse_bench is made on it for each round)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (1 on SQLite, 2 on PostgreSQL)"
    )
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument(
        "--slack-latency",
        type=float,
        default=0.0,
        help="seconds the fake Slack takes to answer response URLs and chat.update (real "
        "Slack: ~0.1-0.3)",
    )
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 1 if args.database == "sqlite" else 2
    ratio_target, p99_target = TARGETS[(args.path, args.database)]

    apart = keep_load_apart()
    print(
        f"{args.requests} signed "
        + (
            "block_actions (one vote each"
            if args.path == "vote"
            else "view_submissions (a modal of 5 items each"
        )
        + f", distinct people) per app after "
        f"{args.warmup} warm-up, {args.concurrency} keep-alive connections; gunicorn gthread "
        f"{args.workers} worker(s) x {args.threads} threads, access log on, workers pinned; "
        f"{'SQLite in a temp dir' if args.database == 'sqlite' else 'PostgreSQL'}; "
        f"{os.cpu_count()} CPUs; fake Slack answers in "
        f"{args.slack_latency * 1000:.0f} ms; {apart}"
    )
    rounds: list[tuple[Outcome, Outcome, list[str]]] = []
    for number in range(1, args.rounds + 1):
        real, bare, report = one_round(args)
        rounds.append((real, bare, report))
        print(
            f"round {number}: debtpulse {real.answers_per_s:.0f} answers/s, bare "
            f"{bare.answers_per_s:.0f} acks/s, ratio {real.answers_per_s / bare.answers_per_s:.2f}"
            f"; debtpulse p99 ack {real.load.percentile_ms(0.99):.1f} ms"
        )
    ratios = [r.answers_per_s / b.answers_per_s for r, b, _ in rounds]
    p99s = [r.load.percentile_ms(0.99) for r, _, _ in rounds]
    # the round with the median ratio is shown in full
    real, bare, report = sorted(
        rounds, key=lambda one: one[0].answers_per_s / one[1].answers_per_s
    )[len(rounds) // 2]
    print(
        f"\n  {'':<24} {'acks/s':>7} {'answers/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'non-200':>7} {'server CPU':>10} {'bench CPU':>9}  (CPU: ms per request)"
    )
    print(_row(bare, args.requests))
    print(_row(real, args.requests))
    ratio = statistics.median(ratios)
    p99 = statistics.median(p99s)
    each = ", ".join(f"{r:.2f}" for r in ratios)
    print(
        f"\nanswers recorded/s, debtpulse / bare Bolt, median of {len(rounds)} round(s) "
        f"({each}): {ratio:.2f} (target >= {ratio_target}: "
        f"{'met' if ratio >= ratio_target else 'NOT met'})"
    )
    print(
        f"debtpulse ack latency p99, median of the rounds: {p99:.1f} ms "
        + (
            f"(target p99 < {p99_target:g} ms: {'met' if p99 < p99_target else 'NOT met'}); "
            if p99_target
            else "; "
        )
        + f"in the round shown: p50 {real.load.percentile_ms(0.5):.1f} ms, bare p99 "
        f"{bare.load.percentile_ms(0.99):.1f} ms"
    )
    met = ratio >= ratio_target and (p99_target is None or p99 < p99_target)
    record(
        f"{args.path}_{args.database}",
        Row(
            path=f"{'one-click vote' if args.path == 'vote' else 'answer modal of 5 items'}, "
            f"{'SQLite' if args.database == 'sqlite' else 'PostgreSQL'}, "
            f"{args.workers} worker(s), {args.concurrency} connections",
            anchor=f"bare Bolt {bare.answers_per_s:.0f} acks/s, p99 "
            f"{bare.load.percentile_ms(0.99):.0f} ms",
            figure=f"{real.answers_per_s:.0f} answers/s = {ratio:.2f}x, p99 {p99:.0f} ms",
            target=f">= {ratio_target}x" + (f", p99 < {p99_target:g} ms" if p99_target else ""),
            met=met,
        ),
    )
    print(f"debtpulse: {real.note}")
    for line in report:
        print(line)
    for outcome in (bare, real):
        load = outcome.load
        if load.reconnects or load.errors:
            print(f"{outcome.name}: {load.reconnects} reconnects, errors {dict(load.errors)}")
    print(
        f"mean ack latency: bare {statistics.mean(bare.load.latencies) * 1000:.1f} ms, "
        f"debtpulse {statistics.mean(real.load.latencies) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
