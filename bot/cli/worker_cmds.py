"""``debtpulse worker`` (the scheduler alone) and ``debtpulse run`` (web app and worker)."""

from __future__ import annotations

import logging
import os
import signal
import socket as stdlib_socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import serve_cmds
from bot.cli.context import load_settings
from bot.cli.errors import EXIT_CONFIG, fail

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def worker_runtime(settings: Settings) -> Runtime:
    """The runtime the worker needs: Slack settings, the newest schema, the anon secret."""
    runtime = serve_cmds.make_runtime(settings)
    runtime.require_anon_secret()  # the worker records nothing anonymous without it
    return runtime


def _log_to_stderr(settings: Settings) -> None:
    from bot.cli import log_setup

    log_setup.configure(settings.log_format)
    # APScheduler logs every run of every job at INFO (the tick: twice a minute); ours say
    # what matters (lease, scheduler start and stop, slots opened, failures).
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (a graceful stop) instead of killing the process."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def worker() -> None:
    """The scheduler: opens polls on time, reminds, closes, posts digests (one per database)."""
    from bot.cli import metrics_dir

    metrics_dir.single_process()
    from bot.jobs.worker import run_worker  # the scheduler loads only for these commands

    runtime = worker_runtime(load_settings())
    _log_to_stderr(runtime.settings)
    stop = threading.Event()
    with _stop_on_signals(stop), _ops_server(runtime):
        run_worker(runtime, stop_event=stop)


@contextmanager
def _ops_server(runtime: Runtime) -> Iterator[None]:
    """``/metrics``, ``/healthz`` and ``/readyz`` on DEBTPULSE_METRICS_PORT while the block
    runs (``worker`` and ``socket``, which have no web port)."""
    from bot.web import ops_server

    server = ops_server.start(runtime, port=runtime.settings.metrics_port)
    try:
        yield
    finally:
        if server is not None:
            server.stop()


def _require_free_port(host: str, port: int) -> None:
    """Refuse before the scheduler starts (and takes the lease) when the port is taken."""
    from bot.config import ConfigError

    with stdlib_socket.socket() as probe:
        probe.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            raise ConfigError("PORT", f"cannot listen on {host}:{port} ({reason})") from None


def run(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int | None, typer.Option(help="Port (default: PORT or 3000).")] = None,
    threads: Annotated[int, typer.Option(min=1, help="Threads of the web worker.")] = 8,
) -> None:
    """The web app (one gunicorn worker) and the scheduler in one process."""
    from bot.cli import metrics_dir

    metrics_dir.prepare_shared()  # the scheduler here and the web worker gunicorn forks
    from bot.jobs.worker import background_worker

    settings = load_settings()
    runtime = worker_runtime(settings)
    _require_free_port(host, port or settings.port)
    _log_to_stderr(settings)
    # gunicorn forks its web worker from this process: the child must not reuse (or close)
    # the worker thread's database connections; it opens its own.
    os.register_at_fork(after_in_child=lambda: runtime.engine.dispose(close=False))
    with background_worker(runtime):
        serve_cmds.serve(host=host, port=port, workers=1, threads=threads)


_APP_TOKEN_HINTS = {
    "not_allowed_token_type": ": it takes an app-level token (xapp-…), not the bot token",
    "missing_scope": ": the app-level token needs the connections:write scope",
}


def socket() -> None:
    """Socket Mode: no public URL needed (SLACK_APP_TOKEN and SLACK_BOT_TOKEN).

    It connects first, so a refused app token is one line and no scheduler ever starts; then
    the scheduler runs alongside, as in ``run``. SIGTERM and SIGINT stop both and release the
    scheduler lease, so a spare worker takes over at once.
    """
    from bot.cli import metrics_dir

    metrics_dir.single_process()
    from slack_sdk.errors import SlackApiError

    from bot.config import ConfigError
    from bot.jobs.worker import background_worker
    from bot.listeners.app import build_app
    from bot.slack.socket_mode import SocketModeHandler

    settings = load_settings()
    settings.require("slack_app_token", "slack_bot_token", "slack_signing_secret")
    assert settings.slack_app_token is not None
    _log_to_stderr(settings)
    runtime = worker_runtime(settings)
    handler = SocketModeHandler(build_app(runtime), settings.slack_app_token.get_secret_value())
    try:
        handler.connect()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        hint = _APP_TOKEN_HINTS.get(error, "")
        raise ConfigError("SLACK_APP_TOKEN", f"Slack refused Socket Mode ({error}){hint}") from None
    except OSError as exc:  # Socket Mode cannot wait for Slack the way serve can
        fail(
            f"could not reach Slack to connect Socket Mode ({exc.__class__.__name__}); "
            "nothing was started",
            EXIT_CONFIG,
        )
    stop = threading.Event()
    try:
        with _stop_on_signals(stop), _ops_server(runtime), background_worker(runtime):
            stop.wait()
    finally:
        handler.close()
