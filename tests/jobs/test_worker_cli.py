"""``debtpulse worker`` and ``debtpulse run``: configuration checks, signals, the worker thread."""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

import pytest

from bot.cli import serve_cmds, worker_cmds
from bot.cli.errors import guarded
from bot.config import ConfigError
from bot.jobs import worker as worker_module
from bot.runtime import Runtime
from bot.web import gunicorn_hooks
from tests.jobs.conftest import MakeRuntime, digest_yaml, survey_yaml

ANONYMOUS = {
    "named.yaml": survey_yaml("named"),
    "secret.yaml": survey_yaml("secret-pulse", anonymous=True),
    "digest.yaml": digest_yaml("digest"),
}


def test_an_anonymous_survey_needs_the_anon_secret(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(ANONYMOUS)
    with pytest.raises(ConfigError) as caught:
        runtime.require_anon_secret()
    assert caught.value.variable == "DEBTPULSE_ANON_SECRET"
    assert "secret-pulse is anonymous" in str(caught.value)

    make_runtime({"named.yaml": ANONYMOUS["named.yaml"]}).require_anon_secret()


def test_with_the_secret_set_the_check_passes(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret")
    make_runtime(ANONYMOUS).require_anon_secret()


def test_the_worker_command_refuses_to_start_without_the_secret(
    make_runtime: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime = make_runtime(ANONYMOUS)
    monkeypatch.setattr("bot.cli.serve_cmds.make_runtime", lambda settings: runtime)
    started: list[Runtime] = []
    monkeypatch.setattr(worker_module, "run_worker", lambda rt, **kw: started.append(rt))
    with pytest.raises(SystemExit) as exited:
        guarded(worker_cmds.worker)
    assert exited.value.code == 2
    assert "DEBTPULSE_ANON_SECRET" in capsys.readouterr().err
    assert started == []


def test_sigterm_stops_the_worker_gracefully(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret")
    runtime = make_runtime(ANONYMOUS)
    monkeypatch.setattr("bot.cli.serve_cmds.make_runtime", lambda settings: runtime)
    seen: dict[str, Any] = {}

    def run_worker(rt: Runtime, *, stop_event: threading.Event) -> None:
        seen["runtime"] = rt
        os.kill(os.getpid(), signal.SIGTERM)
        seen["stopped"] = stop_event.wait(2)

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(worker_module, "run_worker", run_worker)
    worker_cmds.worker()
    assert seen == {"runtime": runtime, "stopped": True}
    assert signal.getsignal(signal.SIGTERM) is before


def test_run_serves_with_one_web_worker_and_the_scheduler_beside_it(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime({"named.yaml": ANONYMOUS["named.yaml"]})
    monkeypatch.setattr("bot.cli.serve_cmds.make_runtime", lambda settings: runtime)
    monkeypatch.setattr(os, "register_at_fork", lambda **hooks: None)
    worker_started, worker_stopped = threading.Event(), threading.Event()

    def run_worker(rt: Runtime, *, stop_event: threading.Event) -> None:
        worker_started.set()
        stop_event.wait(5)
        worker_stopped.set()

    served: dict[str, Any] = {}

    def serve(**options: Any) -> None:
        served.update(options, worker_running=worker_started.wait(2))

    monkeypatch.setattr(worker_module, "run_worker", run_worker)
    monkeypatch.setattr("bot.cli.serve_cmds.serve", serve)
    worker_cmds.run(host="127.0.0.1", port=3999, threads=4)
    assert served == {
        "host": "127.0.0.1",
        "port": 3999,
        "workers": 1,
        "threads": 4,
        "worker_running": True,
    }
    assert worker_stopped.is_set()  # leaving `run` stopped the scheduler


def test_run_refuses_a_taken_port_before_the_scheduler_starts(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime({"named.yaml": ANONYMOUS["named.yaml"]})
    monkeypatch.setattr("bot.cli.serve_cmds.make_runtime", lambda settings: runtime)
    started: list[str] = []
    monkeypatch.setattr(worker_module, "run_worker", lambda rt, **kw: started.append("worker"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as error:
            worker_cmds.run(host="127.0.0.1", port=port, threads=4)
    expected = f"configuration error: PORT: cannot listen on 127.0.0.1:{port}"
    assert str(error.value).startswith(expected)
    assert started == []  # no scheduler, no lease taken


@pytest.mark.parametrize(
    ("given", "expected", "pin"), [(None, 1, True), (3, 3, True), (None, 1, False)]
)
def test_serve_runs_one_process_on_sqlite_unless_told(
    make_runtime: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
    given: int | None,
    expected: int,
    pin: bool,
) -> None:
    runtime = make_runtime({"named.yaml": ANONYMOUS["named.yaml"]})
    assert runtime.engine.dialect.name == "sqlite"
    monkeypatch.setattr("bot.cli.serve_cmds.make_runtime", lambda settings: runtime)
    options: dict[str, Any] = {}

    class Gunicorn:
        def __init__(self, given_options: dict[str, Any]) -> None:
            options.update(given_options)

        def run(self) -> None:
            pass

    monkeypatch.setattr("bot.cli.serve_cmds._gunicorn_app", lambda: Gunicorn)
    serve_cmds.serve(host="127.0.0.1", port=3998, workers=given, threads=8, pin_workers=pin)
    assert (options["workers"], options["threads"], options["bind"]) == (
        expected,
        8,
        "127.0.0.1:3998",
    )
    assert serve_cmds.default_workers("postgresql") == 2
    hooks = (options.get("pre_fork"), options.get("post_fork"))
    expected_hooks = (gunicorn_hooks.pre_fork, gunicorn_hooks.post_fork) if pin else (None, None)
    assert hooks == expected_hooks  # --no-pin-workers leaves every worker free
