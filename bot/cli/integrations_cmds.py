"""``debtpulse integrations add|list|remove``: each workspace's secret for the webhooks of
GitHub, GitLab, Alertmanager, PagerDuty, Sentry and SonarQube (``POST /api/hooks/<source>``).

``add`` makes a random secret (or takes the sender's own on stdin: PagerDuty and Sentry make
theirs), stores it sealed, and prints it once with the URL to paste and where; ``list``
never shows a secret. Every change is audited.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import fail
from bot.cli.options import ActorOption, TeamOption, actor_name

if TYPE_CHECKING:
    from bot.runtime import Runtime

#: The audit trail's actor column holds this many characters.
MAX_ACTOR = 64
#: The host printed in a URL when ``DEBTPULSE_PUBLIC_URL`` is not set.
PLACEHOLDER_URL = "https://debtpulse.example.com"
DOCS = "docs/integrations.md"

integrations_app = typer.Typer(
    help="Webhook secrets per workspace: GitHub, GitLab, Alertmanager, PagerDuty, Sentry, "
    "SonarQube.",
    no_args_is_help=True,
)
SourceArgument = Annotated[
    str,
    typer.Argument(
        help="github, gitlab, alertmanager, pagerduty, sentry or sonarqube.", show_default=False
    ),
]

#: What to paste where, per sender (the details are in docs/integrations.md).
WHERE = {
    "github": "GitHub: repository or organisation Settings → Webhooks → Add webhook: Payload "
    "URL, content type application/json, Secret; events: Workflow runs and Issues.",
    "gitlab": "GitLab: project or group Settings → Webhooks: URL, Secret token; triggers: "
    "Pipeline events, Job events and Issues events.",
    "alertmanager": "alertmanager.yml: a receiver with webhook_configs: [{url: URL, "
    "send_resolved: true, http_config: {authorization: {type: Bearer, credentials: SECRET}}}] "
    "(Grafana alerting: a webhook contact point with the same URL and an Authorization "
    "header 'Bearer SECRET').",
    "pagerduty": "PagerDuty: Integrations → Generic Webhooks (v3) → New Webhook: Webhook URL; "
    "events incident.triggered and incident.resolved. Give the signing secret PagerDuty "
    "shows to debtpulse on stdin (--secret-stdin).",
    "sentry": "Sentry: Settings → Developer Settings → a custom integration: Webhook URL; "
    "Alert Rule Action on, Issue events. Give its Client Secret to debtpulse on stdin "
    "(--secret-stdin).",
    "sonarqube": "SonarQube: project (or Administration) → Configuration → Webhooks → "
    "Create: URL, Secret.",
}


def _check_actor(actor: str | None) -> str:
    if actor is not None and not 0 < len(actor.strip()) <= MAX_ACTOR:
        fail(f"--actor: 1 to {MAX_ACTOR} characters expected (got {len(actor.strip())})")
    return actor_name(actor.strip() if actor else None)


def _check_source(source: str) -> str:
    from bot.services.webhook_secrets import SOURCES

    name = source.strip().lower()
    if name not in SOURCES:
        fail(f"SOURCE: {source!r} is not a sender debtpulse receives ({', '.join(SOURCES)})")
    return name


def _runtime(team: str | None) -> Runtime:
    """The runtime on ``--team`` (or the default team), a workspace this install serves."""
    from bot.teams import known_teams

    runtime = cli_runtime(team)
    if team is not None:
        known = known_teams(runtime.settings, runtime.engine)
        if team not in known:
            fail(f"--team: no workspace {team!r} here (known: {', '.join(known) or 'none'})")
    return runtime


def _master(runtime: Runtime) -> str:
    from bot.config import ConfigError

    if not runtime.anon_secret:
        raise ConfigError("DEBTPULSE_ANON_SECRET", "required to seal webhook secrets, but not set")
    return runtime.anon_secret


def hook_url(runtime: Runtime, source: str, team: str) -> str:
    base = runtime.settings.public_url or PLACEHOLDER_URL
    return f"{base}/api/hooks/{source}?team={team}"


@integrations_app.command("add")
def add(
    source: SourceArgument,
    team: TeamOption = None,
    actor: ActorOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the workspace's secret for SOURCE.")
    ] = False,
    secret_stdin: Annotated[
        bool,
        typer.Option(
            "--secret-stdin",
            help="Read the secret from stdin (the sender's own; PagerDuty and Sentry make "
            "theirs) instead of making one.",
        ),
    ] = False,
) -> None:
    """Give the workspace a secret for SOURCE's webhooks, and print where to paste it.

    A secret debtpulse makes is printed once; only a sealed copy is kept (sealed with a key
    from DEBTPULSE_ANON_SECRET).
    """
    from bot.services import webhook_secrets
    from storage import webhook_secrets as stored

    name = _check_source(source)
    who = _check_actor(actor)
    runtime = _runtime(team)
    master = _master(runtime)
    workspace = runtime.default_team
    url = hook_url(runtime, name, workspace)
    given: str | None = None
    if secret_stdin:
        given = sys.stdin.readline()
        try:
            given = webhook_secrets.check_given(name, given)
        except webhook_secrets.SecretRefused as exc:
            fail(f"--secret-stdin: {exc}")
    elif name in webhook_secrets.SENDER_MADE:
        fail(
            f"{name} makes its own secret: create the webhook with the URL {url}, then give "
            f"its secret on stdin: debtpulse integrations add {name} --team {workspace} "
            "--secret-stdin"
        )
    with runtime.transaction() as session:
        if not replace and stored.for_source(session, team_id=workspace, source=name):
            fail(
                f"--replace: {workspace} has a {name} secret already; pass --replace to make "
                "a new one (the old one stops working at once)"
            )
        added = webhook_secrets.add(
            session,
            team_id=workspace,
            source=name,
            master=master,
            actor=who,
            reason=f"debtpulse integrations add {name}",
            now=runtime.clock(),
            given=given,
        )
    typer.echo(f"{name} webhook for {workspace}:")
    typer.echo(f"  URL:    {url}")
    if added.secret is not None:
        typer.echo(f"  Secret: {added.secret}")
    typer.echo(f"  {WHERE[name]}")
    typer.echo(f"  Details: {DOCS}")
    notes = []
    if added.secret is not None:
        notes.append("the secret is shown this once (only a sealed copy is kept)")
    if added.replaced is not None:
        notes.append("the old secret no longer works")
    if runtime.settings.public_url is None:
        notes.append(
            f"{PLACEHOLDER_URL} stands for debtpulse's address: set DEBTPULSE_PUBLIC_URL to "
            "print it"
        )
    if notes:
        print("; ".join(notes) + ".", file=sys.stderr)


@integrations_app.command("list")
def list_secrets(team: TeamOption = None) -> None:
    """The webhook senders each workspace has a secret for (never the secret), and those the
    environment configures for the posting workspace."""
    from bot.services import webhook_secrets

    runtime = cli_runtime(team)
    with runtime.transaction(write=False) as session:
        rows = webhook_secrets.listed(
            session, master=runtime.anon_secret, team_id=team if team is not None else None
        )
    for info in rows:
        state = "" if info.opens else " (sealed with another DEBTPULSE_ANON_SECRET: add again)"
        typer.echo(
            f"{info.team_id}  {info.source:<12}  added {info.created_at:%Y-%m-%d %H:%M} UTC "
            f"by {info.created_by}{state}"
        )
    settings = runtime.settings
    from_environment = [
        f"{source} ({webhook_secrets.ENV_VARIABLES[source]})"
        for source in webhook_secrets.SOURCES
        if getattr(settings, webhook_secrets.SETTINGS_FIELDS[source]) is not None
    ]
    if settings.alertmanager_allow_unsigned and settings.alertmanager_token is None:
        from_environment.append("alertmanager unsigned (DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED)")
    if from_environment:
        typer.echo(
            f"for the posting workspace, from the environment: {', '.join(from_environment)}"
        )
    if not rows and not from_environment:
        typer.echo("no webhook secrets (`debtpulse integrations add SOURCE --team T` makes one)")


@integrations_app.command("remove")
def remove(source: SourceArgument, team: TeamOption = None, actor: ActorOption = None) -> None:
    """Remove the workspace's secret for SOURCE: its webhooks are refused from then on."""
    from bot.services import webhook_secrets

    name = _check_source(source)
    who = _check_actor(actor)
    runtime = _runtime(team)
    workspace = runtime.default_team
    with runtime.transaction() as session:
        removed = webhook_secrets.remove(
            session,
            team_id=workspace,
            source=name,
            actor=who,
            reason=f"debtpulse integrations remove {name}",
            now=runtime.clock(),
        )
    if not removed:
        fail(f"SOURCE: {workspace} has no {name} secret of its own")
    typer.echo(f"{name} secret of {workspace} removed: deliveries signed with it are refused")
