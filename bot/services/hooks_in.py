"""Webhook deliveries received (``POST /api/hooks/<source>``): which secret checks them, and
what their events become.

Each sender has a module ``bot.core.webhooks.<source>`` (:mod:`bot.core.webhooks.events`
says what it exposes), looked up by name among :data:`SOURCES`; any other name, or a sender
whose module is not there, has no endpoint.

The secret: the workspace's own (``debtpulse integrations add``) for the team named by
``?team=`` (or, without it, the posting workspace, or the one workspace that has a secret
for that sender); else the sender's environment variable, which serves the posting workspace
only, as ``DEBTPULSE_SIGNALS_TOKEN`` does. Alertmanager without a token is taken unsigned
only when ``DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED`` is true, and for the posting workspace.
Without a secret there is no endpoint (:class:`NoEndpoint`, a 404).

The events, in the caller's one transaction, after the delivery id is recorded (per team and
source, in ``inbound_event``; a delivery seen before changes nothing):

- ``open`` / ``link``: a signal on the item :func:`bot.services.inbox.destination` names,
  or, with none, the event waits in the inbox (:func:`bot.services.inbox.file_unrouted`);
  an event whose ``dedup_key`` is stored already is known (its end, if it brings one, is
  recorded on the stored signal as ``POST /api/signals`` does);
- ``close``: the end of the stored signal, or inbox row, with the same ``dedup_key``; a
  close for a key stored nowhere stores nothing and counts as ignored;
- ``suggest``: the inbox.

A time after the server's clock is taken as the clock's (it would otherwise count
undecayed). The effort hint of an event (SonarQube's technical-debt minutes) is not written
to the register: its ``effort`` is an S/M/L size or story points, not days.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.core.webhooks.events import Delivery, HookEvent
from bot.services import inbox
from bot.services.webhook_secrets import (
    SETTINGS_FIELDS,
    SOURCES,
    CannotOpen,
    stored_secret,
    teams_with,
)
from storage import events as inbound
from storage import inbox as inbox_rows
from storage import register, signals

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.routing import Rule

__all__ = [
    "SOURCES",
    "NoEndpoint",
    "Receipt",
    "TeamNeeded",
    "Verifier",
    "receive",
    "sender",
    "verifier",
]

logger = logging.getLogger(__name__)
#: ``inbound_event.event_id`` and ``signal.dedup_key`` widths: a longer id is hashed to fit.
EVENT_ID_WIDTH = 64
DEDUP_KEY_WIDTH = 200


class NoEndpoint(Exception):
    """No endpoint for this sender and workspace: answered as if it did not exist."""


class TeamNeeded(Exception):
    """Several workspaces could have sent it: the URL must name one (``?team=``)."""


@dataclass(frozen=True)
class Verifier:
    """Whose delivery it is and the secret that checks it (None: taken unsigned)."""

    team_id: str
    secret: str | None
    origin: str
    """``stored`` (the workspace's own), ``environment`` or ``unsigned``."""

    def __repr__(self) -> str:  # never the secret
        return f"Verifier(team_id={self.team_id!r}, origin={self.origin!r})"


def sender(source: str) -> ModuleType | None:
    """The module of ``source``, or None when debtpulse has no such sender."""
    if source not in SOURCES:
        return None
    name = f"bot.core.webhooks.{source}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        logger.warning("webhook sender %s has no module here", source)
        return None


def _environment_secret(settings: Settings, source: str) -> str | None:
    value = getattr(settings, SETTINGS_FIELDS[source])
    return value.get_secret_value() if value is not None else None


def verifier(
    session: Session,
    *,
    source: str,
    asked: str | None,
    posting_team: str | None,
    settings: Settings,
    master: str | None,
) -> Verifier:
    """The workspace and secret of a delivery to ``source`` with ``?team=asked``.

    ``posting_team`` is the workspace the process posts for, None when it cannot tell (several
    OAuth workspaces); ``master`` is ``DEBTPULSE_ANON_SECRET``, which opens stored secrets.
    Raises :class:`NoEndpoint` or :class:`TeamNeeded`.
    """
    environment = _environment_secret(settings, source)
    unsigned = source == "alertmanager" and settings.alertmanager_allow_unsigned
    team = asked or posting_team
    if team is None:
        teams = teams_with(session, source=source)
        if len(teams) == 1:
            team = teams[0]
        elif teams or environment or unsigned:
            raise TeamNeeded(
                "several workspaces are served here: name one with ?team=T in the URL "
                f"(each needs its own secret: debtpulse integrations add {source} --team T)"
            )
        else:
            raise NoEndpoint
    try:
        secret = stored_secret(session, team_id=team, source=source, master=master)
    except CannotOpen as exc:
        why = (
            "sealed with another DEBTPULSE_ANON_SECRET"
            if exc.changed_key
            else "the stored row is damaged"
        )
        logger.warning(
            "webhook %s for %s refused: its secret does not open (%s); make a new one with "
            "debtpulse integrations add %s --team %s --replace",
            source,
            team,
            why,
            source,
            team,
        )
        raise NoEndpoint from None
    if secret is not None:
        return Verifier(team, secret, "stored")
    if team == posting_team:
        if environment:
            return Verifier(team, environment, "environment")
        if unsigned:
            return Verifier(team, None, "unsigned")
    raise NoEndpoint


@dataclass(frozen=True)
class Receipt:
    """What one delivery did."""

    delivery_id: str
    duplicate: bool = False
    signals: int = 0
    """New signals on items."""
    inbox: int = 0
    """New rows waiting in the inbox."""
    ended: int = 0
    """Ends recorded on a stored signal or inbox row."""
    known: int = 0
    """Events whose ``dedup_key`` was stored already (and brought no new end)."""
    ignored: int = 0
    """Closes of an occurrence stored nowhere."""
    items: tuple[str, ...] = ()
    """The debt keys that got a signal."""

    @property
    def stored(self) -> bool:
        return bool(self.signals or self.inbox or self.ended)

    def counts(self) -> dict[str, int]:
        return {
            "signals": self.signals,
            "inbox": self.inbox,
            "ended": self.ended,
            "known": self.known,
            "ignored": self.ignored,
        }


def _fit(text: str, width: int, prefix: str = "") -> str:
    """``prefix + text``, or, when longer than ``width``, ``prefix`` and a hash of ``text``."""
    whole = prefix + text
    if len(whole) <= width:
        return whole
    return f"{prefix}#{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}"


def _no_later_than(event: HookEvent, now: datetime) -> HookEvent:
    observed = min(event.observed_at, now)
    ended = min(event.ended_at, now) if event.ended_at is not None else None
    dedup_key = _fit(event.dedup_key, DEDUP_KEY_WIDTH)
    if (observed, ended, dedup_key) == (event.observed_at, event.ended_at, event.dedup_key):
        return event
    return replace(event, observed_at=observed, ended_at=ended, dedup_key=dedup_key)


def receive(
    session: Session,
    *,
    team_id: str,
    source: str,
    delivery: Delivery,
    rules: Sequence[Rule],
    now: datetime,
) -> Receipt:
    """Store a verified, parsed delivery's events in the caller's transaction."""
    if delivery.delivery_id:
        event_id = _fit(delivery.delivery_id, EVENT_ID_WIDTH, f"hook:{source}:")
        if not inbound.first_delivery(session, team_id=team_id, event_id=event_id, at=now):
            return Receipt(delivery.delivery_id, duplicate=True)
    tally = dict.fromkeys(("signals", "inbox", "ended", "known", "ignored"), 0)
    items: list[str] = []
    for raw in delivery.events:
        event = _no_later_than(raw, now)
        if event.action == "close":
            ended_at = event.ended_at or event.observed_at
            if _record_end(session, team_id, event.dedup_key, ended_at):
                tally["ended"] += 1
            else:
                tally["ignored"] += 1
            continue
        key = (
            inbox.destination(session, team_id, event, rules) if event.action != "suggest" else None
        )
        item = register.get_item(session, team_id=team_id, key=key) if key else None
        if item is None or item.id is None:
            filed = inbox.file_unrouted(session, team_id, event, received_at=now)
            tally["inbox" if filed else "known"] += 1
            continue
        added = signals.add_signal(
            session,
            team_id=team_id,
            debt_item_id=item.id,
            kind=event.kind,
            value=event.value,
            source=source,
            observed_at=event.observed_at,
            dedup_key=event.dedup_key,
            received_at=now,
            ended_at=event.ended_at,
        )
        if added:
            tally["signals"] += 1
            items.append(item.key)
        elif event.ended_at is not None and _record_end(
            session, team_id, event.dedup_key, event.ended_at
        ):
            tally["ended"] += 1
        else:
            tally["known"] += 1
    return Receipt(
        delivery.delivery_id,
        signals=tally["signals"],
        inbox=tally["inbox"],
        ended=tally["ended"],
        known=tally["known"],
        ignored=tally["ignored"],
        items=tuple(dict.fromkeys(items)),
    )


def _record_end(session: Session, team_id: str, dedup_key: str, ended_at: datetime) -> bool:
    """Record the end of the stored signal, else of the inbox row, with ``dedup_key``."""
    if signals.record_end(session, team_id=team_id, dedup_key=dedup_key, ended_at=ended_at):
        return True
    return inbox_rows.record_end(session, team_id=team_id, dedup_key=dedup_key, ended_at=ended_at)
