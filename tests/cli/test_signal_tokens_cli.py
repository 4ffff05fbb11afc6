"""``debtpulse signals token rotate|show``: the token is printed once, alone on stdout, and
never again; a workspace this install does not serve, or a bad argument, is one line naming
the argument."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.sandbox import FakeSlack
from bot.services import signal_tokens
from storage.models import AuditEvent

TOKEN = re.compile(r"^dps_[A-Za-z0-9_-]{43}$")


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _team_of(engine: Engine, token: str) -> str | None:
    with Session(engine) as session:
        return signal_tokens.team_of(session, token)


def test_rotate_prints_the_token_once_and_show_never(cli, cli_db: Engine) -> None:
    none_yet = cli("signals", "token", "show")
    assert none_yet.code == 0, none_yet
    assert none_yet.out.strip() == (
        "local: no signals token of its own (`debtpulse signals token rotate` makes one)"
    )

    made = cli("signals", "token", "rotate", "--actor", "ops@example")
    assert made.code == 0, made
    token = made.out.strip()
    assert TOKEN.match(token) and made.out == token + "\n"  # alone: `$(…)` takes it whole
    assert token not in made.err
    assert _one_line(made.err) == (
        "new signals token for local, above: it is shown this once (only its hash is kept)."
    )
    assert _team_of(cli_db, token) == "local"

    shown = cli("signals", "token", "show")
    assert shown.code == 0, shown
    assert re.fullmatch(
        rf"local: signals token {re.escape(token[:8])}…, made \d{{4}}-\d\d-\d\d \d\d:\d\d UTC"
        r" by ops@example\n",
        shown.out,
    ), shown.out
    assert token[8:] not in shown.out + shown.err

    again = cli("signals", "token", "rotate")
    assert again.code == 0, again
    new = again.out.strip()
    assert TOKEN.match(new) and new != token
    assert f"The old one, {token[:8]}…, made " in again.err and "no longer works" in again.err
    assert token[8:] not in again.out + again.err
    assert (_team_of(cli_db, token), _team_of(cli_db, new)) == (None, "local")
    with Session(cli_db) as session:
        trail = session.exec(select(AuditEvent.action, AuditEvent.actor)).all()
    assert [action for action, _ in trail] == ["signals_token.created", "signals_token.rotated"]
    assert trail[0][1] == "ops@example" and trail[1][1].startswith("cli:")
    with cli_db.connect() as conn:
        rows = conn.execute(text("SELECT * FROM signal_token")).all()
    assert len(rows) == 1 and new[8:] not in repr(rows) and token[8:] not in repr(rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--team", "T0NOPE"), "debtpulse: --team: no workspace 'T0NOPE' here (known: local)"),
        (("--team", ""), "debtpulse: --team: no workspace '' here (known: local)"),
        (("--actor", ""), "debtpulse: --actor: 1 to 64 characters expected (got 0)"),
        (("--actor", "x" * 65), "debtpulse: --actor: 1 to 64 characters expected (got 65)"),
    ],
    ids=["unknown-team", "empty-team", "empty-actor", "long-actor"],
)
def test_a_bad_argument_is_one_line_naming_it_and_changes_nothing(
    cli, cli_db: Engine, args: tuple[str, ...], message: str
) -> None:
    result = cli("signals", "token", "rotate", *args)
    assert result.code == 1, result
    assert _one_line(result.err) == message
    assert result.out == ""
    with cli_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signal_token")).scalar() == 0
    if args[0] == "--team":
        shown = cli("signals", "token", "show", *args)
        assert shown.code == 1 and _one_line(shown.err) == message and shown.out == ""


@pytest.fixture
def slack_env(cli_db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """A single-workspace install: the bot token's workspace is the fake's T0TEST."""
    with FakeSlack() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        yield fake


def test_the_workspace_is_the_bot_tokens_and_no_other(cli, slack_env: FakeSlack) -> None:
    made = cli("signals", "token", "rotate")  # the team as every command finds it
    assert made.code == 0 and "for T0TEST" in made.err, made
    named = cli("signals", "token", "show", "--team", "T0TEST")
    assert named.code == 0 and named.out.startswith("T0TEST: signals token dps_"), named
    other = cli("signals", "token", "rotate", "--team", "T0OTHER")
    assert other.code == 1
    assert _one_line(other.err) == "debtpulse: --team: no workspace 'T0OTHER' here (known: T0TEST)"


def test_with_several_oauth_workspaces_the_team_must_be_given(
    cli, cli_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=cli_db)
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
    unnamed = cli("signals", "token", "rotate")
    assert unnamed.code == 2
    assert "several workspaces are installed (T0ONE, T0TWO): pass --team" in _one_line(unnamed.err)
    made = cli("signals", "token", "rotate", "--team", "T0TWO")
    assert made.code == 0, made
    assert _team_of(cli_db, made.out.strip()) == "T0TWO"
    unknown = cli("signals", "token", "rotate", "--team", "T0THREE")
    assert _one_line(unknown.err) == (
        "debtpulse: --team: no workspace 'T0THREE' here (known: T0ONE, T0TWO)"
    )
