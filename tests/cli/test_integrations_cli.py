"""``debtpulse integrations add|list|remove``: a workspace's webhook secret is printed once
with the URL to paste and where, stored sealed (the database never holds it in the clear),
never listed, audited without it; bad arguments are one line naming the argument."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.services import webhook_secrets
from storage.models import AuditEvent
from tests.conftest import CliResult

ANON = "cli-anon-secret-for-tests"
SECRET_LINE = re.compile(r"^  Secret: ([A-Za-z0-9_-]{43})$", re.M)
Cli = Callable[..., CliResult]


@pytest.fixture
def anon(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", ANON)
    return ANON


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _printed_secret(result: CliResult) -> str:
    match = SECRET_LINE.search(result.out)
    assert match, result.out
    return match[1]


def _opened(engine: Engine, source: str, team: str = "local", master: str = ANON) -> str | None:
    with Session(engine) as session:
        return webhook_secrets.stored_secret(session, team_id=team, source=source, master=master)


def _database_text(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM webhook_secret")).all()
        audit = conn.execute(text("SELECT * FROM audit_event")).all()
    return repr(rows) + repr(audit)


def test_add_prints_the_secret_once_with_where_to_paste_it_and_keeps_it_sealed(
    cli: Cli, cli_db: Engine, anon: str
) -> None:
    made = cli("integrations", "add", "github", "--actor", "ops@example")
    assert made.code == 0, made
    secret = _printed_secret(made)
    assert made.out.splitlines()[:2] == [
        "github webhook for local:",
        "  URL:    https://debtpulse.example.com/api/hooks/github?team=local",
    ]
    assert "Webhooks → Add webhook" in made.out and "docs/integrations.md" in made.out
    assert _one_line(made.err) == (
        "the secret is shown this once (only a sealed copy is kept); "
        "https://debtpulse.example.com stands for debtpulse's address: set "
        "DEBTPULSE_PUBLIC_URL to print it."
    )
    assert _opened(cli_db, "github") == secret
    assert secret not in _database_text(cli_db)  # neither the row nor the audit trail has it
    with Session(cli_db) as session:
        event = session.exec(select(AuditEvent)).one()
    assert (event.action, event.subject, event.actor) == (
        "webhook_secret.created",
        "webhook:github",
        "ops@example",
    )

    listed = cli("integrations", "list")
    assert listed.code == 0, listed
    assert re.fullmatch(
        r"local  github        added \d{4}-\d\d-\d\d \d\d:\d\d UTC by ops@example\n", listed.out
    ), listed.out
    assert secret not in listed.out + listed.err

    again = cli("integrations", "add", "github")
    assert again.code == 1
    assert _one_line(again.err) == (
        "debtpulse: --replace: local has a github secret already; pass --replace to make a "
        "new one (the old one stops working at once)"
    )
    assert _opened(cli_db, "github") == secret

    replaced = cli("integrations", "add", "github", "--replace")
    assert replaced.code == 0, replaced
    new = _printed_secret(replaced)
    assert new != secret and _opened(cli_db, "github") == new
    assert "the old secret no longer works" in replaced.err

    removed = cli("integrations", "remove", "github")
    assert removed.code == 0, removed
    assert removed.out == (
        "github secret of local removed: deliveries signed with it are refused\n"
    )
    assert _opened(cli_db, "github") is None
    gone = cli("integrations", "remove", "github")
    assert gone.code == 1 and _one_line(gone.err) == (
        "debtpulse: SOURCE: local has no github secret of its own"
    )
    with Session(cli_db) as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions == [
        "webhook_secret.created",
        "webhook_secret.replaced",
        "webhook_secret.removed",
    ]
    assert secret not in _database_text(cli_db) and new not in _database_text(cli_db)
    nothing = cli("integrations", "list")
    assert nothing.out == (
        "no webhook secrets (`debtpulse integrations add SOURCE --team T` makes one)\n"
    )


def test_senders_that_make_their_own_secret_take_it_on_stdin(
    cli: Cli, cli_db: Engine, anon: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTPULSE_PUBLIC_URL", "https://debt.acme.test/")
    asked = cli("integrations", "add", "pagerduty")
    assert asked.code == 1
    assert _one_line(asked.err) == (
        "debtpulse: pagerduty makes its own secret: create the webhook with the URL "
        "https://debt.acme.test/api/hooks/pagerduty?team=local, then give its secret on "
        "stdin: debtpulse integrations add pagerduty --team local --secret-stdin"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("too-short\n"))
    short = cli("integrations", "add", "pagerduty", "--secret-stdin")
    assert short.code == 1 and _one_line(short.err) == (
        "debtpulse: --secret-stdin: the pagerduty secret must be 16 to 1000 characters (got 9)"
    )
    assert _opened(cli_db, "pagerduty") is None

    given = "pd-signing-secret-0123456789abcdef"
    monkeypatch.setattr("sys.stdin", io.StringIO(given + "\n"))
    taken = cli("integrations", "add", "PagerDuty", "--secret-stdin")
    assert taken.code == 0, taken
    assert given not in taken.out + taken.err and "Secret:" not in taken.out
    assert "  URL:    https://debt.acme.test/api/hooks/pagerduty?team=local" in taken.out
    assert taken.err == ""  # nothing shown once, nothing replaced, the address is set
    assert _opened(cli_db, "pagerduty") == given


def test_bad_arguments_and_a_missing_key_are_one_line_each(
    cli: Cli, cli_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsealable = cli("integrations", "add", "github")
    assert unsealable.code == 2
    assert _one_line(unsealable.err) == (
        "debtpulse: configuration error: DEBTPULSE_ANON_SECRET: required to seal webhook "
        "secrets, but not set"
    )
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", ANON)
    unknown = cli("integrations", "add", "jenkins")
    assert unknown.code == 1 and _one_line(unknown.err) == (
        "debtpulse: SOURCE: 'jenkins' is not a sender debtpulse receives (github, gitlab, "
        "alertmanager, pagerduty, sentry, sonarqube)"
    )
    elsewhere = cli("integrations", "add", "github", "--team", "T0NOPE")
    assert elsewhere.code == 1 and _one_line(elsewhere.err) == (
        "debtpulse: --team: no workspace 'T0NOPE' here (known: local)"
    )
    long_actor = cli("integrations", "remove", "github", "--actor", "x" * 65)
    assert long_actor.code == 1 and "--actor" in _one_line(long_actor.err)
    with Session(cli_db) as session:
        assert session.exec(select(AuditEvent)).all() == []


def test_list_names_the_environment_secrets_and_those_a_new_key_cannot_open(
    cli: Cli, cli_db: Engine, anon: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("integrations", "add", "sonarqube").code == 0
    monkeypatch.setenv("DEBTPULSE_GITHUB_SECRET", "env-github-secret")
    monkeypatch.setenv("DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED", "true")
    listed = cli("integrations", "list")
    assert listed.code == 0, listed
    lines = listed.out.splitlines()
    assert lines[0].startswith("local  sonarqube     added ")
    assert lines[1] == (
        "for the posting workspace, from the environment: github (DEBTPULSE_GITHUB_SECRET), "
        "alertmanager unsigned (DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED)"
    )
    assert "env-github-secret" not in listed.out

    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "another-anon-secret")
    changed = cli("integrations", "list")
    assert changed.out.splitlines()[0].endswith(
        "(sealed with another DEBTPULSE_ANON_SECRET: add again)"
    )
    with pytest.raises(webhook_secrets.CannotOpen):
        _opened(cli_db, "sonarqube", master="another-anon-secret")
