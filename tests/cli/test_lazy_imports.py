"""A command imports only what it needs: ``--help`` no database, template or Slack code, and
the reading commands on a SQLite file neither SQLAlchemy nor the table models (their import
alone takes longer than the whole command). Each runs as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.score_settings import ScoreSettings
from bot.services.ranking import current_ranking
from storage.reader import open_sqlite
from tests.factories import NOW, TEAM, make_item

DATABASE = ("sqlalchemy", "sqlmodel", "alembic", "storage.models", "storage.db", "psycopg")
TEMPLATES_AND_SLACK = ("jinja2", "yaml", "surveys", "apscheduler", "slack_sdk", "slack_bolt")

#: Runs the CLI as the console script does, then prints its exit code and which of the
#: watched modules were imported.
RUN = """
import json, os, sys
from bot.cli.main import run
code = 0
try:
    run()
except SystemExit as exc:
    code = exc.code or 0
watched = sorted(m for m in json.loads(os.environ["WATCH"]) if m in sys.modules)
print(json.dumps({"code": code, "loaded": watched}), file=sys.stderr)
"""


def loaded(args: list[str], watch: tuple[str, ...], cwd: Path, **env: str) -> list[str]:
    """Which of ``watch`` ``debtpulse ARGS`` imported (the command must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        env={**os.environ, **env, "WATCH": json.dumps(watch)},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return list(result["loaded"])


def test_help_loads_no_database_template_or_slack_code(tmp_path: Path) -> None:
    watch = (*DATABASE, *TEMPLATES_AND_SLACK, "bot.config", "bot.runtime")
    assert loaded(["--help"], watch, tmp_path) == []
    assert loaded(["digest", "--help"], watch, tmp_path) == []


def test_top_and_digest_preview_read_sqlite_without_sqlalchemy(
    cli_db: Engine, session: Session, tmp_path: Path
) -> None:
    if cli_db.dialect.name != "sqlite":
        pytest.skip("the standard library reads SQLite files only")
    make_item(session, "DEBT-1", title="Flaky ingestion")
    session.commit()
    url = cli_db.url.render_as_string(hide_password=False)
    for args in (["top", "--team", TEAM], ["digest", "preview", "--team", TEAM]):
        assert loaded(args, DATABASE, tmp_path, DATABASE_URL=url) == [], args


def test_a_plain_sqlite_read_ranks_as_the_session_does(cli_db: Engine, session: Session) -> None:
    if cli_db.dialect.name != "sqlite":
        pytest.skip("the standard library reads SQLite files only")
    for n in range(1, 4):
        make_item(session, f"DEBT-{n}", title=f"item {n}")
    session.commit()
    settings = ScoreSettings(min_group=5)
    through_session = current_ranking(session, team_id=TEAM, now=NOW, settings=settings)
    path = Path(str(cli_db.url.database))
    with open_sqlite(path) as reader:
        through_sqlite3 = current_ranking(reader, team_id=TEAM, now=NOW, settings=settings)
    assert [i.breakdown for i in through_sqlite3.items] == [
        i.breakdown for i in through_session.items
    ]
    assert through_sqlite3.records == through_session.records
