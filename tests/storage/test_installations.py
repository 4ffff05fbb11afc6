"""The installed workspaces, read from slack_sdk's installation table."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine

from storage import installations
from storage.db import make_engine


def test_no_table_yet_means_no_workspace(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert installations.installed_teams(engine) == []
    finally:
        engine.dispose()


def test_each_installed_workspace_is_named_once_in_order(engine: Engine) -> None:
    assert installations.installed_teams(engine) == []
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=engine)
    for team, user in (("T0TWO", "U1"), ("T0ONE", "U1"), ("T0ONE", "U2")):  # a re-install
        store.save(
            Installation(
                app_id="A1",
                team_id=team,
                user_id=user,
                bot_token=f"xoxb-{team}",
                bot_id="B1",
                bot_user_id="U0BOT",
            )
        )
    assert installations.installed_teams(engine) == ["T0ONE", "T0TWO"]
