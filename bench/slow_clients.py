"""How long a signed ``/debt help`` waits while slow clients hold connections to ``serve``.

Two servers, the same WSGI app (``bot.cli.serve_cmds:wsgi_app()``), one worker of 8 threads,
against the local fake Slack:

- **gthread**: gunicorn's threaded worker, which gives a connection to a thread at its first
  byte and lets the thread wait for the rest;
- **debtpulse**: the worker ``debtpulse serve`` runs (``bot.web.buffering_worker``), which
  reads each request whole in its event loop before a thread takes it.

For each count of slow clients (connections sending a request one byte every 0.25 s), it
sends ``--requests`` signed slash commands one after another and prints the median and worst
time to the answer (a request that got none within 20 s counts as 20 s). Slack gives up
after 3 s; the target is under 1 s with 64 slow clients.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.results import Row, record
from bot.sandbox import FakeSlack, SlackDriver
from storage import db

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
LEAD = "U0LEAD"
WORKERS = {
    "gthread": "gthread",
    "debtpulse": "bot.web.buffering_worker.BufferingWorker",
}
GIVE_UP = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(worker: str, fake: FakeSlack, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DEBTPULSE_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=database_url,
        DEBTPULSE_LEADS=LEAD,
        DEBTPULSE_ANON_SECRET="bench-anon-secret",
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--threads", "8", "--worker-class", WORKERS[worker],
            "--log-level", "warning", "bot.cli.serve_cmds:wsgi_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{worker}: the server did not start")


def _trickle(port: int, count: int, stop: threading.Event) -> list[socket.socket]:
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    request = (
        b"POST /api/signals HTTP/1.1\r\nHost: debtpulse\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer slow\r\nContent-Length: 200\r\n\r\n"
    )

    def send() -> None:
        for index in range(len(request)):
            if stop.wait(0.25):
                return
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(request[index : index + 1])

    threading.Thread(target=send, daemon=True).start()
    return sockets


def _measure(driver: SlackDriver, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        started = time.monotonic()
        answer = driver.slash("/debt", "help")
        took = time.monotonic() - started
        times.append(took if answer.status == 200 else GIVE_UP)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow", default="0,8,64,256", help="counts of slow clients")
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    counts = [int(c) for c in args.slow.split(",")]
    print("signed /debt help while slow clients send (8 threads, 1 worker); seconds")
    print(f"{'slow clients':>12}  {'worker':>9}  {'median':>7}  {'worst':>7}")
    worst: dict[tuple[int, str], float] = {}
    with tempfile.TemporaryDirectory() as folder, FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        db.upgrade(db.make_engine(database_url))
        for count in counts:
            for worker in WORKERS:
                port = _free_port()
                process = _start(worker, fake, database_url, port)
                stop = threading.Event()
                sockets = _trickle(port, count, stop)
                try:
                    time.sleep(1.5 if count else 0)
                    driver = SlackDriver(
                        f"http://127.0.0.1:{port}/slack/events", SECRET, fake=fake,
                        default_user=LEAD, timeout=GIVE_UP,
                    )  # fmt: skip
                    times = _measure(driver, args.requests)
                finally:
                    stop.set()
                    for sock in sockets:
                        sock.close()
                    process.terminate()
                    process.wait(timeout=15)
                print(
                    f"{count:>12}  {worker:>9}  {statistics.median(times):>7.3f}  "
                    f"{max(times):>7.3f}",
                    flush=True,
                )
                worst[(count, worker)] = max(times)
    if 64 in counts:
        record(
            "slow_clients",
            Row(
                path="signed /debt help with 64 slow clients (1 worker x 8 threads)",
                anchor=f"gunicorn gthread: worst {worst[(64, 'gthread')]:.3f} s",
                figure=f"worst {worst[(64, 'debtpulse')]:.3f} s",
                target="< 1 s",
                met=worst[(64, "debtpulse")] < 1.0,
            ),
        )


if __name__ == "__main__":
    main()
