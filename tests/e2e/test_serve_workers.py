"""`debtpulse serve` keeps each gunicorn worker on a CPU of its own, also after a restart."""

from __future__ import annotations

import os
import re
import signal
import urllib.request
from pathlib import Path

import pytest

from bot.sandbox import FakeSlack
from storage import db
from tests.e2e.conftest import free_port, server_env, start_server

PINNED = re.compile(r"worker (\d+) runs on CPU (\d+)")

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs two CPUs to choose from",
)


def _pinned(log: Path) -> list[tuple[int, int]]:
    return [(int(pid), int(cpu)) for pid, cpu in PINNED.findall(log.read_text())]


def test_each_worker_runs_on_its_own_cpu(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'debtpulse.db'}"
    db.upgrade(db.make_engine(database_url))
    log = tmp_path / "serve.log"
    port = free_port()
    with FakeSlack(post_rate=None) as fake:
        process = start_server(env=server_env(fake, database_url), port=port, log=log, workers=2)
        try:
            fake.wait_for(lambda: len(_pinned(log)) == 2, timeout=60)
            workers = dict(_pinned(log))
            assert sorted(workers.values()) == sorted(os.sched_getaffinity(0))[:2]
            for pid, cpu in workers.items():
                assert os.sched_getaffinity(pid) == {cpu}  # the kernel keeps it there
            # a worker that dies is replaced on the CPU it leaves free
            gone, its_cpu = next(iter(workers.items()))
            os.kill(gone, signal.SIGKILL)
            fake.wait_for(lambda: len(_pinned(log)) == 3, timeout=60)
            new_pid, new_cpu = _pinned(log)[-1]
            assert new_pid != gone and new_cpu == its_cpu
            assert os.sched_getaffinity(new_pid) == {its_cpu}
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert answer.status == 200
        finally:
            process.terminate()
            process.wait(timeout=10)
