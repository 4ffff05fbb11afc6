"""How fast the dashboard's pages answer on the 1M-answer database (issue 21: under 200 ms).

``debtpulse serve`` (one worker, 8 threads) runs on the benchmark database
(``bench/fixture.py``: 200 items, 1,000,000 pain answers, team ``bench``) against the local
fake Slack. A lead of team ``bench`` signs in through a one-time link
(``bot.services.dashboard.issue_link``, as ``/debt dashboard`` makes it) and keeps the
cookie; each page is then fetched ``--requests`` times over one keep-alive HTTP connection,
after ``--warmup`` fetches, and timed to its last byte: the ranking (``/dash``), a filtered
ranking, an item page (the top item), polls and ROI. Printed: the median and p95 of each,
beside three anchors taken in turn with them: ``GET /healthz`` through the same server (HTTP,
WSGI and one ``SELECT 1``: the floor any page stands on), ``current_ranking`` in process
(the ranking service the ranking and item pages read, as ``debtpulse top`` runs it) and
``python -c pass`` (the machine's speed now: a p95 over 200 ms is still "met against the
interpreter" within the same multiple of it as issue 17's targets, ``bench/wall.py``).
Asserts nothing.

A page over the target is profiled in process (cProfile, the same WSGI app called directly)
and the functions where its time goes are printed.

Run ``python -m bench.dash`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import cProfile
import http.client
import io
import os
import pstats
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.fixture import TEAM, ensure_bench_db, fixture_arguments
from bench.results import Row, record
from bench.wall import within
from bot.sandbox import FakeSlack, Workspace

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 200.0
LEAD = "U0LEAD"
SECRET = "bench-signing-secret"
COOKIE = "debtpulse_dash"
ROW_KEY = re.compile(rb'<tr[^>]*\sdata-key="([^"]+)"')
#: (record key, what a person opens, path; ``{key}`` is the ranking's top item).
PAGES = [
    ("dash_ranking", "the ranking", "/dash"),
    ("dash_filtered", "the ranking, filtered", "/dash?category=operational&component=serving"),
    ("dash_item", "an item page", "/dash/items/{key}"),
    ("dash_polls", "polls", "/dash/polls"),
    ("dash_roi", "ROI", "/dash/roi"),
    ("dash_ranking_changed", "the ranking, after a change", "/dash"),
    ("dash_item_changed", "an item page, after a change", "/dash/items/{key}"),
]
#: Pages timed just after something the ranking reads changed (a new audited change, in
#: another workspace of the same database): the ranking is computed afresh for each GET.
AFTER_CHANGE = {"dash_ranking_changed", "dash_item_changed"}


def _touch(database: Path) -> None:
    """A change the ranking must see: one audited change (of another workspace), committed."""
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO audit_event (team_id, actor, action, subject, reason, at) "
            "VALUES ('bench-other', 'bench', 'bench.change', '', '', '2026-01-01 00:00:00')"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(fake: FakeSlack, database: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DEBTPULSE_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=f"sqlite:///{database}",
        DEBTPULSE_LEADS=LEAD,
        DEBTPULSE_ANON_SECRET="bench-anon-secret",
        DEBTPULSE_PUBLIC_URL=url,
        PYTHONPATH=str(ROOT),
    )
    return env


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--threads", "8",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"serve did not answer /healthz:\n{log.read_text()[-3000:]}")


def _with_environment(env: dict[str, str], action: Callable[[], Any]) -> Any:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return action()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _sign_in_link() -> str:
    """A lead's one-time link for team ``bench`` (the environment names the database)."""
    from bot.config import load_settings
    from bot.runtime import build_runtime
    from bot.services.dashboard import issue_link

    runtime = build_runtime(load_settings(), default_team=TEAM)
    try:
        return issue_link(runtime, team=TEAM, user=LEAD, is_lead=True)
    finally:
        runtime.engine.dispose()


def _cookie(port: int, link: str) -> str:
    """Follow the link once and keep the session cookie it sets."""
    parts = urlsplit(link)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        answer = conn.getresponse()
        answer.read()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == COOKIE:
                return f"{COOKIE}={rest.split(';', 1)[0]}"
    finally:
        conn.close()
    raise SystemExit(f"the sign-in link set no {COOKIE} cookie ({answer.status})")


class Client:
    """One keep-alive connection, signed in, timing each GET to its last byte."""

    def __init__(self, port: int, cookie: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Cookie": cookie}

    def get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        answer = self.conn.getresponse()
        body = answer.read()
        return time.perf_counter() - started, answer.status, body

    def close(self) -> None:
        self.conn.close()


def _worker_cpu(server: subprocess.Popen[bytes]) -> float | None:
    """CPU seconds (user + system) the server's gunicorn workers used so far; None off Linux."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    try:
        pids = [int(pid) for pid in children.read_text().split()]
        total = 0.0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None
    return total if pids else None


def cpu_per_get(
    client: Client,
    server: subprocess.Popen[bytes],
    paths: dict[str, str],
    *,
    requests: int,
    database: Path,
) -> dict[str, float | None]:
    """The server's CPU time per GET of each path (``requests`` in a row): what a page costs
    whatever else the machine is doing, unlike its wall time."""
    cpu: dict[str, float | None] = {}
    for name, path in paths.items():
        before = _worker_cpu(server)
        for _ in range(requests):
            if name in AFTER_CHANGE:
                _touch(database)
            client.get(path)
        after = _worker_cpu(server)
        cpu[name] = None if before is None or after is None else (after - before) / requests
    return cpu


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def _python() -> float:
    """``python -c pass``, whole process: how fast the machine is right now."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def _ranking_service(database: Path) -> Callable[[], float]:
    """One ``current_ranking`` of team ``bench``, in process on ``sqlite3`` as ``top`` runs it:
    what every ranking and item page reads first."""
    from bot.core.score_settings import DEFAULT_SETTINGS
    from bot.services.ranking import current_ranking
    from storage.reader import open_sqlite

    def once() -> float:
        with open_sqlite(database) as reader:
            started = time.perf_counter()
            current_ranking(reader, team_id=TEAM, now=datetime.now(UTC), settings=DEFAULT_SETTINGS)
            return time.perf_counter() - started

    return once


def measure(
    client: Client,
    paths: dict[str, str],
    anchors: dict[str, Callable[[], float]],
    *,
    requests: int,
    warmup: int,
    database: Path,
) -> dict[str, list[float]]:
    """Each page's and anchor's times, all taken in turn (A B C A B C …) after the warm-up,
    so that a busy moment of the machine weighs on all alike."""
    for path in paths.values():
        for _ in range(warmup):
            _, status, body = client.get(path)
            if status != 200:
                raise SystemExit(f"GET {path}: {status}\n{body[:500]!r}")
    for anchor in anchors.values():
        anchor()

    def page(path: str, changed: bool) -> Callable[[], float]:
        def once() -> float:
            if changed:
                _touch(database)
            took, status, _ = client.get(path)
            if status != 200:
                raise SystemExit(f"GET {path}: {status}")
            return took

        return once

    timed = {name: page(path, name in AFTER_CHANGE) for name, path in paths.items()} | anchors
    times: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(requests):
        for name, action in timed.items():
            times[name].append(action())
    return times


def profile(env: dict[str, str], cookie: str, path: str, *, runs: int = 5) -> str:
    """Where ``path``'s time goes: the WSGI app called in process under cProfile."""

    def run() -> str:
        from bot.cli.serve_cmds import wsgi_app

        app = wsgi_app()
        target, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": target,
            "QUERY_STRING": query,
            "HTTP_COOKIE": cookie,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
        }

        def call() -> None:
            body: Iterable[bytes] = app(dict(environ), lambda *_: None)
            b"".join(body)

        call()  # warm
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            call()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"(bot|storage)/", 15)
        return out.getvalue()

    text: str = _with_environment(env, run)
    return text


def main(argv: list[str] | None = None) -> None:
    parser = fixture_arguments("Time the dashboard's pages on a large database.")
    parser.add_argument("--requests", type=int, default=30, help="timed GETs per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed GETs per page first")
    args = parser.parse_args(argv)

    path = ensure_bench_db(args.db, responses=args.responses).resolve()
    print(f"database {path} ({path.stat().st_size / 1e6:.0f} MB), team {TEAM}")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    workspace = Workspace(team_id=TEAM)  # the bot token's workspace: the one served
    workspace.add_user(LEAD, name="lead")
    with tempfile.TemporaryDirectory() as folder, FakeSlack(workspace=workspace) as fake:
        env = _environment(fake, path, url)
        process = _serve(env, port, Path(folder) / "serve.log")
        try:
            link: str = _with_environment(env, _sign_in_link)
            cookie = _cookie(port, link)
            client = Client(port, cookie)
            _, _, ranking = client.get("/dash")
            keys = ROW_KEY.findall(ranking)
            if not keys:
                raise SystemExit("GET /dash showed no item rows")
            paths = {"healthz": "/healthz"}
            paths |= {name: page.format(key=keys[0].decode()) for name, _, page in PAGES}
            anchors = {"service": _ranking_service(path), "python": _python}
            # the pages as people click through them, then each just after a change (its
            # ranking computed afresh): apart, as a change makes every kept ranking stale
            kept = {name: p for name, p in paths.items() if name not in AFTER_CHANGE}
            changed = {name: p for name, p in paths.items() if name in AFTER_CHANGE}
            times = measure(
                client, kept, anchors, requests=args.requests, warmup=args.warmup, database=path
            )
            times |= measure(
                client, changed, {}, requests=args.requests, warmup=args.warmup, database=path
            )
            cpu = cpu_per_get(client, process, paths, requests=args.requests, database=path)
            client.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
        slow = report(times, cpu, paths, requests=args.requests)
        for page in slow:  # while the fake Slack still answers the app's start
            print(f"\nwhere the time of GET {page} goes (in process, cProfile, cumulative):")
            print(profile(env, cookie, page))


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


def report(
    times: dict[str, list[float]],
    cpu: dict[str, float | None],
    paths: dict[str, str],
    *,
    requests: int,
) -> list[str]:
    """Print and record each page's figures; return the paths over the target."""
    median = statistics.median
    service, python = median(times["service"]), median(times["python"])
    print(
        f"\n{requests} GETs per page over one keep-alive connection, signed in as a lead, pages "
        f"and anchors in turn; then {requests} more of each for the server's CPU per GET"
    )
    print(f"  {'':<48} {'median':>8} {'p95':>8} {'CPU/GET':>8}")
    anchors = [
        ("anchor: GET /healthz (HTTP, WSGI, SELECT 1)", "healthz"),
        ("anchor: current_ranking in process, as top", "service"),
        ("anchor: python -c pass", "python"),
    ]
    for label, name in anchors:
        spent = _ms(cpu.get(name))
        print(f"  {label:<48} {_ms(median(times[name])):>8} {_ms(_p95(times[name])):>8} {spent:>8}")
    print(f"\n  {'page (target: p95 <= 200 ms)':<48}")
    slow = []
    for name, label, _ in PAGES:
        mid, p95 = median(times[name]), _p95(times[name])
        verdict = within(p95, TARGET_MS, python)
        print(
            f"  {label + ': ' + paths[name]:<48.48} {_ms(mid):>8} {_ms(p95):>8} "
            f"{_ms(cpu[name]):>8}  {mid / service:4.2f}x the ranking  {verdict}"
        )
        record(
            name,
            Row(
                path=f"dashboard: {label} (p95 of GETs), 200 items x 1M answers, SQLite",
                anchor=f"current_ranking in process {_ms(service)}",
                figure=f"{_ms(p95)}, median {_ms(mid)} = {mid / service:.2f}x, "
                f"CPU {_ms(cpu[name])}",
                target=f"p95 <= {TARGET_MS:.0f} ms",
                met=verdict.startswith("met"),
            ),
        )
        if not verdict.startswith("met"):
            slow.append(paths[name])
    return slow


if __name__ == "__main__":
    main()
