"""``debtpulse config show|set|unset``: a workspace's settings with where each comes from,
changed one at a time with an audit row; a bad key or value is one line naming ``KEY`` or
``VALUE``, exit code 2, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from storage.models import AuditEvent
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def _lines(result: CliResult) -> dict[str, str]:
    """``config show``'s lines by key."""
    assert result.code == 0, result
    return {line.split()[0]: line for line in result.out.splitlines()[1:]}


def _one_line(result: CliResult) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result
    return lines[0]


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM team_setting")).scalar() or 0)


def _audit(engine: Engine) -> list[tuple[str, str, str, object, object]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(r.actor, r.action, r.subject, r.before, r.after) for r in rows]


def test_set_show_and_unset_a_setting_audited(cli: Cli, cli_db: Engine) -> None:
    shown = _lines(cli("config", "show"))
    assert list(shown) == [
        "poll_channel",
        "digest_channels",
        "leads",
        "timezone",
        "min_group",
        "debt_budget",
    ]
    assert shown["min_group"].split()[1:] == ["5", "default", "(DEBTPULSE_MIN_GROUP)"]
    assert "(the digest template's schedule)" in shown["timezone"]
    assert "0.15 (15% of a sprint)" in shown["debt_budget"]

    made = cli("config", "set", "min_group", "7", "--team", "local", "--actor", "U0LEAD")
    assert made.code == 0, made
    assert made.out == "min_group of local is now 7 (was the default)\n"
    budget = cli("config", "set", "debt_budget", "20%", "--actor", "U0LEAD")
    assert budget.out == "debt_budget of local is now 0.2 (20% of a sprint) (was the default)\n"
    shown = _lines(cli("config", "show", "--team", "local"))
    assert shown["min_group"].split()[1:5] == ["7", "team:", "set", "by"]
    assert "U0LEAD" in shown["min_group"]
    same = cli("config", "set", "min_group", "7", "--actor", "U0LEAD")
    assert same.out == "min_group of local is 7 already; nothing was changed\n"

    gone = cli("config", "unset", "min_group", "--actor", "U0LEAD")
    assert gone.out == "min_group of local: its own value removed; now 5 (default)\n"
    assert _lines(cli("config", "show"))["min_group"].split()[1:3] == ["5", "default"]
    assert _audit(cli_db) == [
        ("U0LEAD", "team_setting.set", "min_group", {"value": None}, {"value": 7}),
        ("U0LEAD", "team_setting.set", "debt_budget", {"value": None}, {"value": 0.2}),
        ("U0LEAD", "team_setting.unset", "min_group", {"value": 7}, {"value": None}),
    ]
    assert _stored(cli_db) == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("set", "min_group", "3"),
            "debtpulse: VALUE: min_group: 3 is under this deployment's minimum of 5 "
            "(DEBTPULSE_MIN_GROUP): a team may raise it, never lower it; nothing was changed",
        ),
        (
            ("set", "timezone", "Europe/Atlantis"),
            "debtpulse: VALUE: timezone: not a time zone name like Europe/Berlin: "
            "'Europe/Atlantis'; nothing was changed",
        ),
        (
            ("set", "colour", "blue"),
            "debtpulse: KEY: 'colour' is not a setting (one of poll_channel, digest_channels, "
            "leads, timezone, min_group, debt_budget)",
        ),
        (
            ("unset", "colour"),
            "debtpulse: KEY: 'colour' is not a setting (one of poll_channel, digest_channels, "
            "leads, timezone, min_group, debt_budget)",
        ),
    ],
)
def test_a_bad_key_or_value_is_one_line_and_nothing_is_written(
    cli: Cli, cli_db: Engine, args: tuple[str, ...], said: str
) -> None:
    result = cli("config", *args)
    assert result.code == 2
    assert _one_line(result) == said
    assert _stored(cli_db) == 0 and _audit(cli_db) == []


def test_the_installer_leads_a_workspace_that_names_no_leads(
    cli: Cli, cli_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (
        ("SLACK_CLIENT_ID", "1.2"),
        ("SLACK_CLIENT_SECRET", "client-secret"),
        ("SLACK_STATE_SECRET", "state-secret"),
        ("SLACK_SIGNING_SECRET", "signing-secret"),
    ):
        monkeypatch.setenv(name, value)
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=cli_db)
    for team in ("T0ONE", "T0TWO"):
        store.save(
            Installation(
                app_id="A1", team_id=team, user_id=f"U0{team[2:]}", bot_token="xoxb-1", bot_id="B1"
            )
        )
    shown = _lines(cli("config", "show", "--team", "T0ONE"))
    assert shown["leads"].split()[1:3] == ["U0ONE", "installer:"]
    refused = cli("config", "set", "leads", "U0X", "--team", "T0NOPE")
    assert refused.code == 1
    assert (
        _one_line(refused) == "debtpulse: --team: no workspace 'T0NOPE' here (known: T0ONE, T0TWO)"
    )
    made = cli("config", "set", "leads", "U0ONE,U0LEAD", "--team", "T0ONE")
    assert made.out == "leads of T0ONE is now U0ONE,U0LEAD (was the default)\n"
    assert _lines(cli("config", "show", "--team", "T0TWO"))["leads"].split()[1] == "U0TWO"
