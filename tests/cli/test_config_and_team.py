"""Configuration errors are one line naming the variable; the CLI finds its team."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.config import ConfigError, load_settings
from bot.teams import resolve_team


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEBTPULSE_MIN_GROUP", "two", "DEBTPULSE_MIN_GROUP: an integer expected (got 'two')"),
        ("DEBTPULSE_MIN_GROUP", "2", "DEBTPULSE_MIN_GROUP: a number ≥ 3 expected (got '2')"),
        ("PORT", "70000", "PORT: a number ≤ 65535 expected (got '70000')"),
        ("DEBTPULSE_LEADS", "U0LEAD, bob", "DEBTPULSE_LEADS: not a Slack user or usergroup id"),
        ("DEBTPULSE_DIGEST_CHANNELS", "C01,#general", "DEBTPULSE_DIGEST_CHANNELS: not a Slack"),
        ("DEBTPULSE_POLL_CHANNEL", "general", "DEBTPULSE_POLL_CHANNEL: not a Slack channel id"),
        ("DATABASE_URL", "mysql://u:pw@h/db", "DATABASE_URL: sqlite:///PATH or postgresql"),
        (
            "DATABASE_URL",
            "postgresql+psycopg://u:pw@h:notaport/db",
            "DATABASE_URL: not a database URL (check its host, port and path)",
        ),
        ("DATABASE_URL", "sqlite://relative.db", "DATABASE_URL: sqlite:///PATH expected, with"),
        (
            "DATABASE_URL",
            "postgresql+asyncpg://u:pw@h/db",
            "DATABASE_URL: the driver postgresql+asyncpg is not installed",
        ),
        ("SLACK_SIGNING_SECRET", "", None),
        ("SLACK_API_URL", "slack.local", "SLACK_API_URL: an http(s) URL expected"),
        ("DEBTPULSE_SURVEYS_DIR", "/no/such/dir", "DEBTPULSE_SURVEYS_DIR: no such directory"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str | None
) -> None:
    monkeypatch.setenv(variable, value)
    if expected is None:  # an empty value is "not set": the check that needs it says so
        assert getattr(load_settings(), variable.lower()) is None
        return
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)
    assert "pw" not in str(error.value)


def test_lists_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBTPULSE_LEADS", "U0LEAD, S0LEADS")
    monkeypatch.setenv("DEBTPULSE_DIGEST_CHANNELS", "C0DIGEST,C0OTHER")
    settings = load_settings()
    assert settings.leads == ["U0LEAD", "S0LEADS"]
    assert settings.digest_channels == ["C0DIGEST", "C0OTHER"]
    assert settings.min_group == 5
    assert settings.port == 3000
    assert settings.database_url == "sqlite:///./debtpulse.db"
    assert settings.slack_api_url == "https://slack.com/api/"


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEBTPULSE_MIN_GROUP=7\n")
    assert load_settings().min_group == 7


def test_required_slack_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET: required but not set"):
        load_settings().require_slack()
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET: required but not set"):
        load_settings().require_slack()


def test_the_process_exits_2_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "debt", "export"],
        env={"DEBTPULSE_MIN_GROUP": "1", "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "debtpulse: configuration error: DEBTPULSE_MIN_GROUP: a number ≥ 3 expected (got '1')"
    ]


class _AuthTest(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        token = self.headers.get("Authorization", "")
        ok = token == "Bearer xoxb-good"
        body = {"ok": True, "team_id": "T0TOKEN"} if ok else {"ok": False, "error": "invalid_auth"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def auth_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AuthTest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/"
    server.shutdown()


def test_team_is_the_tokens_workspace(
    monkeypatch: pytest.MonkeyPatch, auth_server: str, tmp_path: Path
) -> None:
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    monkeypatch.setenv("SLACK_API_URL", auth_server)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    assert resolve_team(load_settings(), engine, None) == "T0TOKEN"
    assert resolve_team(load_settings(), engine, "T0OTHER") == "T0OTHER"
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-bad-secret")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN: Slack refused the token") as error:
        resolve_team(load_settings(), engine, None)
    assert "xoxb-bad-secret" not in str(error.value)
    assert "--team" not in str(error.value)  # serve, worker and socket have no such option
    # a data command can skip the check, and says so
    from bot.cli.context import cli_runtime

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    with pytest.raises(ConfigError, match=r"; pass --team to skip the check$"):
        _ = cli_runtime().default_team


def test_team_without_slack_is_local(tmp_path: Path) -> None:
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    assert resolve_team(load_settings(), engine, None) == "local"


def test_team_with_oauth_is_the_only_installed_one(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    from bot.teams import TeamError

    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    with pytest.raises(TeamError, match="no workspace is installed yet"):
        resolve_team(load_settings(), engine, None)
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=engine)
    for team in ("T0ONE", "T0TWO"):
        store.save(
            Installation(
                app_id="A1",
                team_id=team,
                user_id="U1",
                bot_token=f"xoxb-{team}",
                bot_id="B1",
                bot_user_id="U0BOT",
            )
        )
        if team == "T0ONE":
            assert resolve_team(load_settings(), engine, None) == "T0ONE"
    with pytest.raises(TeamError, match=r"several workspaces are installed \(T0ONE, T0TWO\)"):
        resolve_team(load_settings(), engine, None)
