"""Shared fixtures: migrated databases on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from storage import db
from storage.models import metadata

POSTGRES_URL = os.environ.get("DEBTPULSE_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's Slack or database settings, nor a stray .env."""
    for name in list(os.environ):
        ours = name.startswith(("SLACK_", "DEBTPULSE_")) or name in {
            "DATABASE_URL",
            "PORT",
            "PROMETHEUS_MULTIPROC_DIR",
        }
        if ours and name != "DEBTPULSE_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEBTPULSE_METRICS_PORT", "0")  # a worker run in a test listens nowhere
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _fresh_team_settings() -> None:
    """Each test reads a workspace's settings from its database, not from what this process
    kept in memory for the previous test (the PostgreSQL test engine is shared), nor a
    ranking kept for it."""
    from bot.services import ranking_cache, team_settings

    team_settings.forget()
    ranking_cache.forget()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


def postgres_engine(schema: str) -> Engine:
    assert POSTGRES_URL
    return db.make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})


@contextmanager
def postgres_schema(prefix: str = "debtpulse_test") -> Iterator[str]:
    """A fresh, empty schema on the test server (skips without one), dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("DEBTPULSE_TEST_POSTGRES_URL is not set")
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[Engine]:
    with postgres_schema() as schema:
        engine = postgres_engine(schema)
        db.upgrade(engine)
        yield engine
        engine.dispose()


def _truncate_all(engine: Engine) -> None:
    library = ["slack_bots", "slack_installations", "slack_oauth_states"]
    tables = ", ".join([table.name for table in metadata.sorted_tables] + library)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a fresh SQLite file, or the PostgreSQL test schema."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite_template")
        path = tmp_path / "debtpulse.db"
        shutil.copy(template, path)
        sqlite_engine = db.make_engine(f"sqlite:///{path}")
        yield sqlite_engine
        sqlite_engine.dispose()
    else:
        pg: Engine = request.getfixturevalue("migrated_postgres")
        _truncate_all(pg)
        yield pg


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and inspecting rows (commit explicitly when needed)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """Run ``debtpulse ARGS`` in-process through the real entry point (exit code, out, err)."""
    from bot.cli.main import run

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr("sys.argv", ["debtpulse", *args])
        try:
            run()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def cli_db(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Point the CLI at the test database (SQLite file or the PostgreSQL test schema)."""
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    if engine.dialect.name == "postgresql":
        schema = engine.dialect.default_schema_name
        for where in ("bot.cli.context.make_engine", "bot.cli.serve_cmds.make_engine"):
            monkeypatch.setattr(
                where,
                lambda u: db.make_engine(u, connect_args={"options": f"-csearch_path={schema}"}),
            )
    return engine
