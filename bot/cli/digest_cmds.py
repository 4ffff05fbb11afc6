"""``debtpulse digest preview`` and ``digest post``: the weekly digest from the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import check_writable, fail, write_file
from bot.cli.options import TeamOption

if TYPE_CHECKING:
    from bot.runtime import Runtime

DigestOption = Annotated[
    str | None,
    typer.Option(
        "--digest", help="The digest template's id (default: the only one, or weekly-digest)."
    ),
]


def _no_such_digest(digest: str | None, exc: LookupError) -> NoReturn:
    """``--digest`` is blamed only when it was given; else the default was not found."""
    if digest is not None:
        fail(f"--digest: {exc.args[0]}")
    fail(f"{exc.args[0]}: pass --digest ID")


def _runtime(team: str | None) -> Runtime:
    """The workspace's runtime: its own settings (minimum group, channels, time zone)."""
    from bot.services import team_settings

    return team_settings.team_view(cli_runtime(team).load(read_only=True))


def posting_runtime(team: str | None) -> Runtime:
    """What ``poll send`` and ``digest post`` post with: the workspace's settings and its own
    bot token (``--team``; without it, the only workspace there is). A one-line failure when
    the workspace cannot be posted for (``--team`` is blamed when it was given)."""
    from bot.cli.serve_cmds import make_runtime
    from bot.services import per_team

    runtime = make_runtime(cli_runtime().settings)
    try:
        return per_team.posting_runtime(runtime, team or runtime.posting_team())
    except LookupError as exc:
        said = str(exc.args[0])
        if team:
            fail(f"--team: {said}")
        fail(f"{said}; pass --team" if per_team.multi_team(runtime) else said)


def preview(
    digest: DigestOption = None,
    team: TeamOption = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            help="Also write the chart PNG here (needs the charts extra: debtpulse\\[charts])."
        ),
    ] = None,
) -> None:
    """Show the digest as it would be posted now, as text; nothing is posted or stored."""
    from bot.core.blocktext import blocks_to_text
    from bot.services import digest_jobs  # Slack code loads only for digest commands

    if chart is not None:
        check_writable(chart, "--chart")
    runtime = _runtime(team)
    try:
        built = digest_jobs.preview(runtime, digest)
    except LookupError as exc:
        _no_such_digest(digest, exc)
    message = built.message
    typer.echo(blocks_to_text(message["blocks"], fallback=message["text"]))
    if chart is not None:
        png = digest_jobs.chart_png(runtime, built)
        if png is None:
            fail("--chart: no chart to draw (it needs the charts extra and at least one score)")
        write_file(chart, png, "--chart")
        typer.echo(f"chart written to {chart}")


def post(
    digest: DigestOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Post even if this week's digest was posted.")
    ] = False,
    team: TeamOption = None,
) -> None:
    """Post the digest to its channels now (once per week unless --force), in the workspace
    of --team (with its own token and channels)."""
    from bot.config import ConfigError
    from bot.services import digest_jobs

    runtime = posting_runtime(team)
    digest_id = digest or digest_jobs.default_digest_id(runtime)
    try:
        template = digest_jobs.digest_template(runtime, digest_id)
    except LookupError as exc:
        _no_such_digest(digest, exc)
    try:
        digest_jobs.channels_of(runtime, template)
    except LookupError:
        if runtime.settings.oauth_enabled:  # the workspace's own setting
            fail(
                f"--team: workspace {runtime.default_team} has no digest channels (digest "
                f"{template.id} lists none of its own): `debtpulse config set --team "
                f"{runtime.default_team} digest_channels C…` or `/debt config`"
            )
        raise ConfigError(
            "DEBTPULSE_DIGEST_CHANNELS",
            f"required but not set (digest {template.id} lists no channels of its own)",
        ) from None
    try:
        results = digest_jobs.post_digest(runtime, digest_id, runtime.clock(), force=force)
    except LookupError as exc:  # no bot token, or no workspace to post for
        fail(str(exc.args[0]))
    for result in results:
        typer.echo(str(result))
    if any(r.outcome == "failed" for r in results):
        raise typer.Exit(1)
    if all(r.outcome == "already posted" for r in results):
        typer.echo("this week's digest was posted already; --force posts it again")
