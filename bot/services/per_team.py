"""Work done for each workspace a deployment serves, each with its own runtime, several at once.

The worker's jobs (opening polls, posting digests, catching up, the tick) and its sender do
each team's part with that team's runtime (:func:`bot.services.workspaces.team_runtime`: its
effective settings and its own bot token, read from the installation store as the work
starts, refreshed first when it is about to expire). The teams' parts run on a bounded pool
of threads, each guarded: one team's revoked token, archived channel, rate limiting or
failure is logged for that team and never fails another's, and holds at most one of the
pool's threads while it lasts. A team that is uninstalled, or whose tokens were revoked, is
skipped (said once, not at every tick).

A single-workspace install (``SLACK_BOT_TOKEN``, no OAuth) serves its token's workspace, as
before; work found in the database for another team is done with that same token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.runtime import Runtime
from bot.services import workspaces

logger = logging.getLogger(__name__)

T = TypeVar("T")

TEAM_WORKERS = 16
"""Teams whose part runs at once, per call: enough that a few slow teams (Slack answering
late, a rate limit) leave the others going; few enough for the database's connection pool."""

_SKIPPED: dict[str, str] = {}  # team -> why it was last skipped, so it is said once
_SKIPPED_LOCK = threading.Lock()


def multi_team(runtime: Runtime) -> bool:
    """Whether this deployment serves workspaces installed over OAuth (any number of them)."""
    return bool(runtime.settings.oauth_enabled)


def serving(runtime: Runtime) -> list[str]:
    """The teams scheduled work runs for: every installed, active workspace (OAuth), or the
    process's own (the bot token's) unless it uninstalled the app. Raises LookupError when
    that cannot be told yet (Slack unreachable for ``auth.test``)."""
    return workspaces.active_teams(runtime)


def served(runtime: Runtime, teams: Iterable[str]) -> list[str]:
    """Of ``teams`` (found with work in the database), those whose work is done: the active
    ones (OAuth), or all of them (a single-workspace install posts for each with its token)."""
    wanted = set(teams)
    if multi_team(runtime) and wanted:
        wanted &= set(workspaces.active_teams(runtime))
    return sorted(wanted)


def posting_runtime(runtime: Runtime, team: str) -> Runtime:
    """``team``'s runtime for posting by hand (``/debt poll send``, ``debtpulse digest post
    --team``): its settings and its own bot token. A single-workspace install posts with
    ``SLACK_BOT_TOKEN``, for that token's workspace only. LookupError (saying why) when the
    team cannot be posted for: another workspace than the token's, or one uninstalled."""
    process = runtime.process
    if not multi_team(process):
        own = process.posting_team()
        if team != own:
            raise LookupError(
                f"polls and digests are posted for the workspace of `SLACK_BOT_TOKEN` only "
                f"({own}); {team} is not it"
            )
    return workspaces.team_runtime(process, team)


def in_team(runtime: Runtime, team: str) -> str:
    """`` in T0123`` for log lines of a multi-workspace deployment; empty otherwise."""
    return f" in {team}" if multi_team(runtime) else ""


def team_runtime(runtime: Runtime, team: str) -> Runtime | None:
    """``team``'s runtime, or None (said once) when the team is gone: uninstalled, its
    tokens revoked, or no token to be found."""
    try:
        view = workspaces.team_runtime(runtime, team)
    except LookupError as exc:
        reason = str(exc)
        with _SKIPPED_LOCK:
            said = _SKIPPED.get(team) == reason
            _SKIPPED[team] = reason
        if not said:
            logger.info("team %s skipped: %s", team, reason)
        return None
    if team in _SKIPPED:
        with _SKIPPED_LOCK:
            _SKIPPED.pop(team, None)
    return view


def for_each_team(
    runtime: Runtime,
    teams: Iterable[str],
    work: Callable[[Runtime], T],
    *,
    what: Callable[[str], str],
    workers: int = TEAM_WORKERS,
) -> dict[str, T]:
    """Run ``work`` with each team's runtime, at most ``workers`` teams at once; return what
    it returned, by team, for the teams whose work went through. A failure is logged as
    ``{what(team)} failed`` and leaves the other teams' work going."""
    teams = list(dict.fromkeys(teams))
    results: dict[str, T] = {}

    def one(team: str) -> None:
        try:
            view = team_runtime(runtime, team)
            if view is not None:
                results[team] = work(view)
        except Exception:
            logger.exception("%s failed", what(team))

    if len(teams) <= 1 or workers <= 1:
        for team in teams:
            one(team)
        return results
    with ThreadPoolExecutor(
        max_workers=min(workers, len(teams)), thread_name_prefix="debtpulse-team"
    ) as pool:
        for _ in pool.map(one, teams):
            pass
    return results
