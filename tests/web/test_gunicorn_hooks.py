"""Each web worker stays on one CPU: the choice, and the hooks with gunicorn's objects."""

from __future__ import annotations

import os
from collections import Counter
from random import Random
from types import SimpleNamespace
from typing import Any

import pytest

from bot.web import gunicorn_hooks
from bot.web.gunicorn_hooks import CPU_ATTRIBUTE, choose_cpu


def test_the_least_used_cpu_is_chosen() -> None:
    assert choose_cpu({0, 1}, [0]) == 1
    assert choose_cpu({0, 1, 2, 3}, [0, 1, None, 3]) == 2  # an unpinned worker counts not
    assert choose_cpu({2, 5}, [2, 5, 2]) == 5
    # a restarted worker takes the place of the one that died
    assert choose_cpu({0, 1}, [1]) == 0
    # one CPU: nothing to choose, the worker runs as it is
    assert choose_cpu({3}, []) is None
    assert choose_cpu(set(), []) is None


def test_separate_servers_spread_over_the_cpus_instead_of_all_taking_the_first() -> None:
    # each `serve` process sees only its own workers: its first worker finds no CPU used
    pick = Random(7)
    firsts = Counter(choose_cpu({0, 1, 2, 3}, [], pick=pick) for _ in range(400))
    assert set(firsts) == {0, 1, 2, 3}
    assert min(firsts.values()) > 60
    # among its own workers, still one worker per CPU before any CPU gets a second
    taken: list[int | None] = []
    for _ in range(4):
        taken.append(choose_cpu({0, 1, 2, 3}, taken, pick=pick))
    assert sorted(taken) == [0, 1, 2, 3]  # type: ignore[type-var]


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: Any) -> None:
        self.lines.append(message % args)


def test_hooks_choose_in_the_arbiter_and_pin_in_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pinned: list[set[int]] = []
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(
        os, "sched_setaffinity", lambda pid, cpus: pinned.append(cpus), raising=False
    )
    first = SimpleNamespace(pid=101)
    server = SimpleNamespace(WORKERS={}, log=Log())
    gunicorn_hooks.pre_fork(server, first)
    server.WORKERS[101] = first
    second = SimpleNamespace(pid=102)
    gunicorn_hooks.pre_fork(server, second)
    cpus = (getattr(first, CPU_ATTRIBUTE), getattr(second, CPU_ATTRIBUTE))
    assert sorted(cpus) == [0, 1]  # one worker per CPU
    gunicorn_hooks.post_fork(server, second)
    assert pinned == [{cpus[1]}]
    assert server.log.lines == [f"worker 102 runs on CPU {cpus[1]}"]


def test_a_refused_affinity_leaves_the_worker_running(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(pid: int, cpus: set[int]) -> None:
        raise PermissionError("not allowed in this container")

    monkeypatch.setattr(os, "sched_setaffinity", refuse, raising=False)
    server = SimpleNamespace(WORKERS={}, log=Log())
    worker = SimpleNamespace(pid=7, **{CPU_ATTRIBUTE: 1})
    gunicorn_hooks.post_fork(server, worker)
    assert server.log.lines == ["worker 7 runs on any CPU (not allowed in this container)"]
