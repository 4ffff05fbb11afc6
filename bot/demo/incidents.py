"""Incidents for the painful operational items, sent to ``POST /api/signals`` over HTTP.

How many incidents an item causes in a week is drawn from its hidden weekly rate (a
Poisson count, seeded); each one is posted as a monitoring tool would post it, with the
bearer token, at its simulated time.
"""

from __future__ import annotations

import json
import math
import random
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.demo.stack import Stack
from bot.demo.steps import StepFailed
from bot.demo.truth import Truth

SOURCES = ("pagerduty", "airflow", "opsgenie")


class IncidentRefused(StepFailed):
    """``POST /api/signals`` did not store an incident; the message says what it answered."""


@dataclass(frozen=True)
class Incident:
    at: datetime
    key: str
    dedup_key: str
    source: str


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method: fine for the small weekly rates of the demo."""
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def plan_incidents(
    truth: Truth, keys: Iterable[str], *, week: int, start: datetime, rng: random.Random
) -> list[Incident]:
    """This week's incidents for ``keys``, at random times of the week, oldest first."""
    planned = []
    for key in keys:
        for n in range(_poisson(rng, truth.incidents_per_week.get(key, 0.0))):
            at = start + timedelta(minutes=rng.randrange(7 * 24 * 60))
            source = rng.choice(SOURCES)
            planned.append(Incident(at, key, f"{source}-w{week}-{key}-{n}", source))
    return sorted(planned, key=lambda incident: (incident.at, incident.dedup_key))


def post_incident(stack: Stack, incident: Incident) -> None:
    """Send one incident signal; anything but ``201 Created`` is an IncidentRefused."""
    body = {
        "debt_key": incident.key,
        "kind": "incident",
        "value": 1,
        "source": incident.source,
        "observed_at": incident.at.isoformat(),
        "dedup_key": incident.dedup_key,
    }
    request = urllib.request.Request(
        f"{stack.url}/api/signals",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {stack.signals_token}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:200]
        raise IncidentRefused(f"POST /api/signals answered {exc.code}: {detail}") from None
    if status != 201:
        raise IncidentRefused(f"POST /api/signals answered {status}, not 201")
