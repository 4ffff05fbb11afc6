"""``debtpulse serve`` (gunicorn, threaded workers) and ``debtpulse socket`` (Socket Mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.context import load_settings, make_engine

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime


def make_runtime(settings: Settings) -> Runtime:
    """Settings checked, database at the newest schema, the default team resolved."""
    from bot.runtime import build_runtime
    from bot.teams import TeamError, resolve_team

    settings.require_slack()
    engine = make_engine(settings.database_url)
    try:
        team = resolve_team(settings, engine, None)
    except TeamError:
        team = ""  # several OAuth workspaces: signals must name their team
    runtime = build_runtime(settings, engine=engine, default_team=team)
    runtime.require_anon_secret()
    return runtime


def wsgi_app() -> Any:
    """The WSGI app built from the environment (gunicorn loads this in each worker)."""
    from bot.cli import log_setup
    from bot.listeners.app import build_app  # Slack and web code load only for these commands
    from bot.web.wsgi import make_wsgi_app

    settings = load_settings()
    log_setup.configure(settings.log_format)
    runtime = make_runtime(settings)
    return make_wsgi_app(runtime, build_app(runtime))


def _gunicorn_app() -> Any:
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        """gunicorn configured in code, loading the WSGI app in each worker."""

        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return wsgi_app()

    return Gunicorn


def default_workers(dialect: str) -> int:
    """One process on SQLite: its writes take one lock anyway, and a second process waits
    for it in SQLite's sleeping busy handler (measured: same answers/s, p99 ack 4x worse).
    Two on PostgreSQL, whose writers do not queue on one lock."""
    return 1 if dialect == "sqlite" else 2


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int | None, typer.Option(help="Port (default: PORT or 3000).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: 1 on SQLite, 2 on PostgreSQL)."),
    ] = None,
    threads: Annotated[int, typer.Option(min=1, help="Threads per worker.")] = 8,
    pin_workers: Annotated[
        bool,
        typer.Option(
            help="Keep each worker on a CPU of its own (turn off when other busy processes "
            "share this host's CPUs without their own CPU set)."
        ),
    ] = True,
) -> None:
    """The HTTP app for Slack: /slack/events, /api/signals, /healthz, /readyz, /metrics (and
    OAuth routes)."""
    from bot.cli import log_setup, metrics_dir

    metrics_dir.prepare_shared()  # before anything counts, and before gunicorn forks
    from bot.web import gunicorn_hooks

    settings = load_settings()
    log_setup.configure(settings.log_format)
    runtime = make_runtime(settings)  # fail here, with one line, rather than in every worker
    _gunicorn_app()(
        {
            "bind": f"{host}:{port or settings.port}",
            "workers": workers or default_workers(runtime.engine.dialect.name),
            "threads": threads,
            "worker_class": "bot.web.buffering_worker.BufferingWorker",
            "timeout": 30,
            "graceful_timeout": 10,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
            "logger_class": log_setup.gunicorn_logger(settings.log_format),
            "child_exit": gunicorn_hooks.child_exit,
            **(
                {"pre_fork": gunicorn_hooks.pre_fork, "post_fork": gunicorn_hooks.post_fork}
                if pin_workers
                else {}
            ),
        }
    ).run()
