"""The real `debtpulse serve` process against the local fake Slack, driven over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sandbox import FakeSlack, SlackDriver
from storage import db

SECRET = "e2e-signing-secret"
SIGNALS_TOKEN = "e2e-signals-token"
LEAD = "U0LEAD"
MEMBER = "U0USER"
CHANNEL = "C0GENERAL"
TEAM = "T0TEST"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    fake: FakeSlack
    driver: SlackDriver
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def lead(self) -> SlackDriver:
        return SlackDriver(self.driver.bot_url, SECRET, fake=self.fake, default_user=LEAD)

    def engine(self):
        return db.make_engine(self.database_url)


def start_server(
    *, env: dict[str, str], port: int, log: Path, workers: int = 1
) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            "8",
        ],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60  # a loaded 2-core machine starts gunicorn slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"serve did not answer /healthz:\n{log.read_text()}")


def server_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DEBTPULSE_"))}
    env.pop("DATABASE_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DEBTPULSE_METRICS_PORT="0",  # a worker or socket process: no metrics port unless asked
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=database_url,
        DEBTPULSE_LEADS=LEAD,
        DEBTPULSE_SIGNALS_TOKEN=SIGNALS_TOKEN,
        DEBTPULSE_ANON_SECRET="e2e-anon-secret",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    db.upgrade(db.make_engine(database_url))
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        fake.workspace.add_user("U0ALICE", name="alice")
        fake.workspace.channels["C0GENERAL"].members.append(LEAD)
        fake.workspace.add_channel("C0DEBT", name="debt", members=["U0BOT", LEAD, MEMBER])
        port = free_port()
        log = folder / "serve.log"
        process = start_server(env=server_env(fake, database_url), port=port, log=log)
        url = f"http://127.0.0.1:{port}"
        try:
            yield Stack(
                fake=fake,
                driver=SlackDriver(f"{url}/slack/events", SECRET, fake=fake),
                url=url,
                database_url=database_url,
                process=process,
                log=log,
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def e2e(stack: Stack) -> Stack:
    stack.fake.reset()
    stack.fake.clear_faults()
    return stack
