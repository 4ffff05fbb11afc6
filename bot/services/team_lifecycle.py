"""A workspace's life in debtpulse: installed, its token revoked or the app uninstalled (its
work stops at once), and its data purged.

``app_uninstalled`` and ``tokens_revoked`` (a bot token) record the workspace's state, stop
its messages not sent yet and audit it, in one transaction; its rows of slack_sdk's
installation store are deleted after, as Bolt's own revocation listeners do. Nothing of the
workspace runs from then on (``workspaces.active_teams`` leaves it out, ``team_runtime``
refuses it). Its data is purged ``DEBTPULSE_PURGE_AFTER_DAYS`` later (:func:`purge_due`, the
worker's hourly job) unless kept (:func:`set_purge_date`), or at once with ``debtpulse team
purge``. An install (Bolt's OAuth success) makes it active again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError
from bot.services import bot_tokens, team_settings
from bot.services.workspaces import (
    ACTIVE,
    effective_state,
    installations,
    token_fingerprint,
)
from bot.teams import TeamError, resolve_team
from storage import audit, team_state
from storage import purge as purge_store
from storage.dialect import lock_for_transaction
from storage.models import TeamLifecycle

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.runtime import Runtime
    from storage.models import TeamPurge, TeamState

logger = logging.getLogger(__name__)

#: Who the audit trail names for what Slack told debtpulse.
SLACK_ACTOR = "slack"
WORKER_ACTOR = "debtpulse worker"
INSTALLED = "team.installed"
PURGE_DATE = "team.purge_date"


class PurgeRefused(ValueError):
    """A purge that was not done; ``option`` is what to pass to do it anyway (if any)."""

    def __init__(self, message: str, option: str | None = None) -> None:
        self.option = option
        super().__init__(message)


@dataclass(frozen=True)
class Stopped:
    """What an uninstall (or a revoked token) changed."""

    team: str
    before: str
    state: str
    purge_after: datetime | None
    messages_stopped: int


def _purge_after(runtime: Runtime, now: datetime) -> datetime | None:
    days = runtime.settings.purge_after_days
    return now + timedelta(days=days) if days else None


def workspace_gone(
    runtime: Runtime, team: str, *, state: TeamLifecycle, reason: str, actor: str = SLACK_ACTOR
) -> Stopped:
    """Stop all of ``team``'s work: ``state`` (uninstalled or tokens_revoked) recorded, its
    poll messages and result posts not sent yet stopped, audited — one transaction — then
    its installation deleted from the installation store (OAuth)."""
    now = runtime.clock()
    settings = runtime.settings
    gone_token = None if settings.oauth_enabled else token_fingerprint(settings.slack_bot_token)
    with runtime.transaction() as session:
        before, row = team_state.mark_gone(
            session,
            team_id=team,
            state=state,
            now=now,
            purge_after=_purge_after(runtime, now),
            gone_token=gone_token,
        )
        stopped = team_state.stop_sending(session, team_id=team, now=now)
        audit.record(
            session,
            team_id=team,
            actor=actor,
            action=f"team.{state.value}",
            subject=team,
            before={"state": before},
            after={"state": row.state, "purge_after": _iso(row.purge_after)},
            reason=reason,
            at=now,
        )
        done = Stopped(team, before, row.state, row.purge_after, stopped)
    if settings.oauth_enabled:
        try:
            bot_tokens.installation_store(runtime).delete_all(enterprise_id=None, team_id=team)
        except SQLAlchemyError:  # the recorded state stops the work all the same
            logger.exception("could not delete the installation of %s", team)
    logger.info(
        "workspace %s is %s: its work stopped (%d messages not sent); purge after %s",
        team,
        done.state,
        stopped,
        _iso(done.purge_after) or "never",
    )
    return done


def user_tokens_revoked(runtime: Runtime, team: str, users: list[str]) -> None:
    """Users' own tokens revoked (no bot token): their installations go, as Bolt does."""
    if runtime.settings.oauth_enabled:
        store = bot_tokens.installation_store(runtime)
        for user in users:
            store.delete_installation(enterprise_id=None, team_id=team, user_id=user)


def installed(runtime: Runtime, team: str, *, installer: str | None) -> None:
    """``team`` installed the app (or again): active from now, no purge date; audited."""
    now = runtime.clock()
    with runtime.transaction() as session:
        before, _ = team_state.mark_active(session, team_id=team, now=now)
        again = before is not None and before != ACTIVE
        audit.record(
            session,
            team_id=team,
            actor=installer or SLACK_ACTOR,
            action=INSTALLED,
            subject=team,
            before={"state": before} if before is not None else None,
            after={"state": ACTIVE},
            reason="installed again" if again else "installed",
            at=now,
        )
    logger.info("workspace %s installed%s", team, " again" if again else "")


def set_purge_date(
    runtime: Runtime, team: str, *, when: datetime | None, actor: str, reason: str
) -> TeamState:
    """When a gone workspace's data is purged (None: kept until purged by hand); audited.
    Raises PurgeRefused for a workspace that is not uninstalled (it has no purge date)."""
    now = runtime.clock()
    with runtime.transaction() as session:
        before = team_state.of_team(session, team_id=team)
        earlier = before.purge_after if before is not None else None
        row = team_state.set_purge_after(session, team_id=team, when=when, now=now)
        if row is None:
            raise PurgeRefused(f"workspace {team} is not uninstalled: it has no purge date")
        audit.record(
            session,
            team_id=team,
            actor=actor,
            action=PURGE_DATE,
            subject=team,
            before={"purge_after": _iso(earlier)},
            after={"purge_after": _iso(when)},
            reason=reason,
            at=now,
        )
        return row


def purge(
    runtime: Runtime,
    team: str,
    *,
    actor: str,
    reason: str,
    force: bool = False,
    due_by: datetime | None = None,
) -> TeamPurge:
    """Delete every row of ``team`` (its installation included) in one transaction, with a
    purge log row that stays. Refuses an active workspace unless ``force``; ``due_by``: only
    if still gone with a purge date not after it (the worker's check, made in the same
    transaction as the purge, so a re-install meanwhile wins)."""
    token_team = None if force else _token_team(runtime)
    now = runtime.clock()
    with runtime.transaction() as session:
        lock_for_transaction(session, f"debtpulse.purge:{team}")
        row = team_state.of_team(session, team_id=team)
        if due_by is not None:
            due = row is not None and row.purge_after is not None and row.purge_after <= due_by
            if not due or _active(runtime, session, team, row, token_team):
                raise PurgeRefused(f"workspace {team} is no longer due for a purge")
        elif not force and _active(runtime, session, team, row, token_team):
            raise PurgeRefused(
                f"workspace {team} is active (installed, its token working): uninstall the app "
                "there first, or pass --force to delete its data anyway",
                option="--force",
            )
        log = purge_store.purge_team(session, team_id=team, actor=actor, reason=reason, now=now)
    team_settings.forget(runtime, team)
    logger.info("workspace %s purged by %s: %d rows", team, actor, sum(log.counts.values()))
    return log


def purge_due(runtime: Runtime, now: datetime) -> list[TeamPurge]:
    """Purge each gone workspace whose purge date has passed (the worker's hourly job);
    one workspace's failure is logged and does not stop the others."""
    with runtime.transaction(write=False) as session:
        due = team_state.due_for_purge(session, now=now)
    done = []
    for team in due:
        try:
            done.append(
                purge(
                    runtime,
                    team,
                    actor=WORKER_ACTOR,
                    reason=f"{runtime.settings.purge_after_days} days after the uninstall",
                    force=True,
                    due_by=now,
                )
            )
        except PurgeRefused as exc:
            logger.info("%s", exc)
        except SQLAlchemyError:
            logger.exception("purging workspace %s failed; it is tried again next hour", team)
    return done


def _token_team(runtime: Runtime) -> str | None:
    """The single-workspace token's workspace (``local`` without Slack); None with OAuth or
    when Slack cannot tell (then a workspace without a recorded state counts as active)."""
    if runtime.settings.oauth_enabled:
        return None
    try:
        return resolve_team(runtime.settings, runtime.engine, None)
    except (TeamError, ConfigError):
        return None


def _active(
    runtime: Runtime, session: Session, team: str, row: TeamState | None, token_team: str | None
) -> bool:
    settings = runtime.settings
    if settings.oauth_enabled:
        install = installations(session, team=team).get(team)
        if install is None:  # not installed: active only if recorded so
            return row is not None and row.state == ACTIVE
        return effective_state(row, installed=install) == ACTIVE
    if row is not None and row.state != ACTIVE:
        return effective_state(row, token=settings.slack_bot_token) == ACTIVE
    return token_team is None or token_team == team


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
