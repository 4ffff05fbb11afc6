"""The shapes every webhook receiver shares: what a delivery became, or why it was refused.

A sender module (``bot.core.webhooks.<source>``) exposes exactly:

``SOURCE: str``
    its name in URLs and in the stored signals (``github``, ``gitlab``, ...).
``verify(headers: Headers, body: bytes, secret: str) -> None``
    checks the request the way the sender signs it, on the raw body, before any parsing;
    raises :class:`HookRefused` (401/403, or 400 for a malformed signature header) otherwise.
    Comparisons are constant-time (``hmac.compare_digest``).
``parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery``
    the delivery's id (for dedup) and its events, or an ignored delivery with its reason;
    raises :class:`HookRefused` (400/422) naming what is wrong with a malformed body.

Pure: no clock (``received_at`` is given), no I/O, no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

#: Request headers with lower-case names.
Headers = Mapping[str, str]

#: What an event does to debtpulse's signals.
#: ``open``: a new signal (an occurrence: a failure, an alert firing, an incident);
#: ``close``: the end of the occurrence with the same ``dedup_key`` (its ``ended_at``);
#: ``suggest``: an issue labelled as debt without a key: a suggestion waiting in the inbox;
#: ``link``: an issue labelled ``debt:KEY``: a signal on KEY.
Action = Literal["open", "close", "suggest", "link"]

#: Signal kinds a webhook may produce (``storage.models.SignalKind`` holds every kind).
Kind = Literal[
    "incident",
    "alert",
    "drift",
    "flaky_test",
    "ci_failure",
    "data_quality",
    "code_quality",
    "custom",
]


class HookRefused(Exception):
    """A request that is not taken: the HTTP status and a message naming what is wrong
    (never repeating a secret or a signature)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class HookEvent:
    """One thing a delivery reports, in debtpulse's terms.

    ``dedup_key``: unique per occurrence within the source (e.g. ``github:run:<id>``,
    ``alertmanager:<fingerprint>:<startsAt>``); a ``close`` carries the same key as its
    ``open``. ``debt_key``: the item the sender named itself (a ``debt_key`` label, a
    ``debt:KEY`` issue label or tag), upper-case, else None. ``attributes``: what routing
    rules match on, flat strings: ``repo``, ``workflow``, ``branch``, ``service``,
    ``project``, ``environment``, ``alertname`` and ``labels.<name>`` for alert labels or
    ``tags.<name>`` for tags. ``effort_minutes``: an effort hint (SonarQube's technical debt).
    """

    source: str
    kind: Kind
    action: Action
    dedup_key: str
    observed_at: datetime
    title: str
    ended_at: datetime | None = None
    debt_key: str | None = None
    url: str = ""
    value: float = 1.0
    attributes: Mapping[str, str] = field(default_factory=dict)
    effort_minutes: float | None = None


@dataclass(frozen=True)
class Delivery:
    """What one request carried: its id (the sender's delivery id, for dedup), its events,
    or — when nothing in it concerns debtpulse — the reason it was ignored."""

    delivery_id: str
    events: tuple[HookEvent, ...] = ()
    ignored: str | None = None
