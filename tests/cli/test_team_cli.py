"""``debtpulse team list|purge|keep``: every workspace with its state, dates and counts; a
purge asks for the team id again (or --yes), refuses an active workspace without --force,
and reports what it deleted; refusals are one line and delete nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.conftest import CliResult
from tests.team_factories import CLIENT_ID, fill_team, gone, install

Cli = Callable[..., CliResult]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def teams(cli_db: Engine, session: Session) -> Engine:
    fill_team(session, "T0ALPHA")
    fill_team(session, "T0GONE")
    gone(session, "T0GONE", purge_in=5)
    session.commit()
    install(cli_db, "T0ALPHA", installed_at=1_764_000_000.0, name="Alpha Corp")
    return cli_db


@pytest.fixture
def oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "SLACK_STATE_SECRET": "state-secret",
    }.items():
        monkeypatch.setenv(name, value)


def _items(engine: Engine, team: str) -> int:
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM debt_item WHERE team_id = :team")
        return int(conn.execute(query, {"team": team}).scalar_one())


def _one_line(result: CliResult) -> str:
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    return lines[0]


def test_list_shows_every_workspace_with_its_state_dates_and_counts(
    cli: Cli, teams: Engine, oauth: None
) -> None:
    result = cli("team", "list")
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "team     name        state        installed         uninstalled       purge after"
        "       items  runs",
        "T0ALPHA  Alpha Corp  active       2025-11-24 16:00  -                 -"
        "                     1     1",
        "T0GONE   -           uninstalled  -                 2026-10-16 10:00  2026-11-21 10:00"
        "      1     1",
    ]

    assert cli("team", "keep", "T0GONE", "--actor", "ops").code == 0
    assert cli("team", "purge", "T0GONE", "--yes").code == 0
    lines = cli("team", "list").out.splitlines()
    assert lines[-1].split()[:3] == ["T0GONE", "-", "purged"]
    assert "purged 20" in lines[-1]


def test_list_without_any_workspace(cli: Cli, cli_db: Engine) -> None:
    result = cli("team", "list")
    assert result.code == 0
    assert result.out.startswith("no workspaces yet")


def test_purge_deletes_a_gone_workspace_and_says_what_went(
    cli: Cli, teams: Engine, oauth: None
) -> None:
    result = cli("team", "purge", "T0GONE", "--yes", "--actor", "ops@example")
    assert result.code == 0, result
    assert result.out.startswith("purged T0GONE: ")
    assert "debt_item 1" in result.out and "audit_event 1" in result.out
    assert _items(teams, "T0GONE") == 0 and _items(teams, "T0ALPHA") == 1
    with teams.connect() as conn:
        log = conn.execute(text("SELECT team_id, purged_by, status FROM team_purge")).one()
    assert tuple(log) == ("T0GONE", "ops@example", "done")


def test_purge_refusals_are_one_line_and_delete_nothing(
    cli: Cli, teams: Engine, oauth: None
) -> None:
    assert _one_line(cli("team", "purge", "T0GONE")).startswith(
        "debtpulse: --yes: purging T0GONE deletes all of its data; confirm with --yes"
    )
    assert _one_line(cli("team", "purge", "T0ALPHA", "--yes")) == (
        "debtpulse: --force: workspace T0ALPHA is active (installed, its token working): "
        "uninstall the app there first, or pass --force to delete its data anyway; "
        "nothing was deleted"
    )
    assert "TEAM: 'T0 ALPHA' is not a team id" in _one_line(cli("team", "purge", "T0 ALPHA"))
    assert _one_line(cli("team", "keep", "T0ALPHA")) == (
        "debtpulse: TEAM: workspace T0ALPHA is not uninstalled: it has no purge date"
    )
    assert _items(teams, "T0GONE") == 1 and _items(teams, "T0ALPHA") == 1
    assert cli("team", "purge", "T0ALPHA", "--yes", "--force").code == 0
    assert _items(teams, "T0ALPHA") == 0


def test_purge_asks_for_the_team_id_at_a_terminal(
    cli: Cli, teams: Engine, oauth: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal("T0ALPH\n"))
    refused = cli("team", "purge", "T0GONE")
    assert refused.code == 1 and "Type T0GONE to purge it" in refused.err
    assert _items(teams, "T0GONE") == 1

    monkeypatch.setattr("sys.stdin", _Terminal("T0GONE\n"))
    assert cli("team", "purge", "T0GONE").code == 0
    assert _items(teams, "T0GONE") == 0
