"""How much memory an idle ``debtpulse serve`` worker holds, against a bare Bolt worker.

Both servers run under gunicorn with the settings ``debtpulse serve`` gives it, one worker of
8 threads each: ``debtpulse serve`` on a freshly migrated SQLite database with the local fake
Slack (started as ``bench/answers.py`` starts it), and the bare Bolt app that only acks,
from a module that imports nothing else (``bench.bare_bolt:app()``). Once a server answers
``/healthz`` it is left idle for ``--idle`` seconds, then the resident memory (``VmRSS`` of
``/proc/PID/status``) of its worker process — not gunicorn's arbiter — is read. The worker
is forked from the arbiter, so what the arbiter loaded counts in it too. Target (issue 17):
at most 1.5x the bare worker. Median of ``--rounds`` rounds; asserts nothing; Linux only.

Run ``python -m bench.memory`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.answers import CHANNEL, LEAD, ROOT, Server, _env, _free_port, start_debtpulse
from bench.results import Row, record
from bot.sandbox import FakeSlack
from storage import db

TARGET_RATIO = 1.5


def start_bare(fake: FakeSlack, folder: Path) -> Server:
    """gunicorn with ``debtpulse serve``'s settings (``bot/cli/serve_cmds.py``) serving
    ``bench.bare_bolt:app()``."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "8", "--worker-class", "gthread"]
    command += ["--timeout", "30", "--graceful-timeout", "10", "--log-level", "info"]
    command += ["--access-logfile", "-", "--error-logfile", "-"]
    command += ["--config", "python:bot.web.gunicorn_hooks", "bench.bare_bolt:app()"]
    log = folder / "bare.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command, env=_env(fake), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the bare app exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return Server(process, port, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the bare app did not answer /healthz:\n{log.read_text()}")


def worker_rss_kb(server: Server) -> int:
    """The resident memory of the server's (only) worker, in kB."""
    deadline = time.monotonic() + 30
    while not server.worker_pids():
        if time.monotonic() > deadline:
            raise SystemExit("the server started no worker")
        time.sleep(0.1)
    pid = server.worker_pids()[0]
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if found is None:
        raise SystemExit(f"no VmRSS for worker {pid}")
    return int(found.group(1))


def one_round(idle: float) -> tuple[int, int]:
    """(debtpulse worker, bare worker) VmRSS in kB."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, FakeSlack() as fake:
        folder = Path(tmp)
        fake.workspace.add_user(LEAD, name="lead")
        fake.workspace.add_channel(CHANNEL, name="bench", members=["U0BOT", LEAD])
        url = f"sqlite:///{folder / 'debtpulse.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        sizes = []
        for start in (
            lambda: start_debtpulse(fake, folder, url, 1, 8),
            lambda: start_bare(fake, folder),
        ):
            server = start()
            try:
                time.sleep(idle)
                sizes.append(worker_rss_kb(server))
            finally:
                server.stop()
    return sizes[0], sizes[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Idle serve worker memory vs bare Bolt.")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median counts)")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before reading")
    args = parser.parse_args(argv)
    rounds = [one_round(args.idle) for _ in range(args.rounds)]
    ours = statistics.median(r[0] for r in rounds)
    bare = statistics.median(r[1] for r in rounds)
    ratio = ours / bare
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"idle gunicorn worker, VmRSS, median of {args.rounds} rounds (1 worker x 8 threads)")
    print(f"  debtpulse serve worker   {ours / 1024:6.1f} MB")
    print(f"  bare Bolt worker         {bare / 1024:6.1f} MB  (anchor)")
    print(f"  ratio                    {ratio:6.2f}x  target <= {TARGET_RATIO:g}x  {verdict}")
    record(
        "serve_rss",
        Row(
            path="idle serve worker RSS (1 worker x 8 threads)",
            anchor=f"bare Bolt worker {bare / 1024:.1f} MB",
            figure=f"{ours / 1024:.1f} MB = {ratio:.2f}x",
            target=f"<= {TARGET_RATIO:g}x",
            met=ratio <= TARGET_RATIO,
        ),
    )


if __name__ == "__main__":
    main()
