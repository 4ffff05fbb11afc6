"""SonarQube (Server and Cloud) webhooks (pure): a failed quality gate opens a
``code_quality`` signal, with the project's technical debt as an effort hint.

With a secret set on the webhook, SonarQube sends ``X-Sonar-Webhook-HMAC-SHA256``: the bare
hex HMAC-SHA256 of the raw body (no ``sha256=`` prefix); missing or wrong, the request is
refused with 401. ``X-SonarQube-Project`` names the project (it must agree with
``project.key``). SonarQube sends no delivery id: one is made of the project key,
``analysedAt``, the revision and, when the gate changed after the analysis, ``changedAt``.

A gate whose ``status`` is ``ERROR`` (or ``FAILED``) is one occurrence per project, branch
and revision: ``sonarqube:<project>:<branch>:<revision>``, titled with the failed
conditions, with the attributes ``project`` (the key) and ``branch``. A gate that passed,
an analysis without a gate and any other status are ignored, with the reason. The project's
technical debt in minutes, ``sqale_index``, when the scanner passed it as an analysis
property (``sonar.analysis.sqale_index``) or the gate has a condition on it, becomes the
event's ``effort_minutes``; ``sonar.analysis.debt_key`` names the debt item.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime

from bot.core.webhooks.debt_labels import debt_key
from bot.core.webhooks.events import Delivery, Headers, HookEvent, HookRefused
from bot.core.webhooks.payload import Fields, header, load_object, short
from bot.core.webhooks.signing import hmac_sha256_hex, require_secret

SOURCE = "sonarqube"
SIGNATURE_HEADER = "X-Sonar-Webhook-HMAC-SHA256"
PROJECT_HEADER = "X-SonarQube-Project"
FAILED = ("ERROR", "FAILED")
#: The analysis properties read (the scanner's ``-Dsonar.analysis.<name>=...``).
DEBT_MINUTES = ("sonar.analysis.sqale_index", "sqale_index")
DEBT_KEY = ("sonar.analysis.debt_key", "debt_key")
#: Ids and dedup keys longer than this are replaced by a hash (a project key may be long).
KEY_LENGTH = 200
_OPERATORS = {"GREATER_THAN": ">", "LESS_THAN": "<", "EQUALS": "=", "NOT_EQUALS": "≠"}


def verify(headers: Headers, body: bytes, secret: str) -> None:
    """Valid when the header is the bare hex HMAC-SHA256 of the body with ``secret``."""
    require_secret(secret, SIGNATURE_HEADER)
    given = header(headers, SIGNATURE_HEADER)
    if given is None:
        raise HookRefused(401, f"{SIGNATURE_HEADER}: missing (set the webhook's secret)")
    expected = hmac_sha256_hex(secret, body).encode("ascii")
    if not hmac.compare_digest(expected, given.lower().encode("utf-8", "replace")):
        raise HookRefused(401, f"{SIGNATURE_HEADER}: does not match the secret")


def parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery:
    """The delivery and, for a failed quality gate, its ``code_quality`` signal."""
    payload = load_object(body)
    project = payload.child("project")
    key = project.text("key")
    named = header(headers, PROJECT_HEADER)
    if named is not None and named != key:
        raise HookRefused(400, f"{PROJECT_HEADER}: names another project than project.key")
    analysed = payload.text("analysedAt")
    analysed_at = payload.timestamp("analysedAt")
    changed = payload.optional_text("changedAt")
    revision = payload.optional_text("revision")
    moments = [analysed] if changed in (None, analysed) else [analysed, changed]
    delivery_id = _bounded(":".join([key, *moments, revision or ""]))
    gate = payload.optional_child("qualityGate")
    if gate is None:
        task = short(payload.optional_text("status") or "without a status")[:40]
        return Delivery(delivery_id, ignored=f"analysis {task} has no quality gate")
    status = gate.text("status")
    if status not in FAILED:
        reason = (
            "quality gate passed"
            if status in ("OK", "WARN")
            else f"quality gate {short(status)[:40]}"
        )
        return Delivery(delivery_id, ignored=reason)
    branch_fields = payload.optional_child("branch")
    branch = branch_fields.optional_text("name") if branch_fields is not None else None
    conditions = gate.children("conditions")
    properties = _properties(payload)
    attributes = {"project": key} | ({"branch": branch} if branch else {})
    where = f"{project.optional_text('name') or key}" + (f" ({branch})" if branch else "")
    failed = [_condition_text(condition) for condition in conditions if _failed(condition)]
    title = f"Quality gate failed on {where}" + (": " + "; ".join(failed) if failed else "")
    parts = [SOURCE, key, branch or "", revision or analysed]
    event = HookEvent(
        source=SOURCE,
        kind="code_quality",
        action="open",
        dedup_key=_bounded(":".join(parts), prefix=f"{SOURCE}:"),
        observed_at=payload.optional_timestamp("changedAt") or analysed_at,
        title=short(title),
        debt_key=_named_key(properties),
        url=project.optional_text("url") or "",
        attributes=attributes,
        effort_minutes=_debt_minutes(properties, conditions),
    )
    return Delivery(delivery_id, events=(event,))


def _properties(payload: Fields) -> dict[str, str]:
    """The analysis properties, ``sonar.analysis.*`` as the scanner was given them."""
    written = payload.data.get("properties")
    if written is None:
        return {}
    if not isinstance(written, dict):
        raise payload.refuse("properties", "expected an object")
    return {name: value for name, value in written.items() if isinstance(value, str)}


def _named_key(properties: dict[str, str]) -> str | None:
    """The debt item the analysis names (``-Dsonar.analysis.debt_key=ML-12``), if any."""
    written = next((properties[name] for name in DEBT_KEY if name in properties), None)
    return debt_key(written)


def _failed(condition: Fields) -> bool:
    return condition.optional_text("status") in FAILED


def _condition_text(condition: Fields) -> str:
    """``coverage 45.2 (< 80)``: the metric, its value and the threshold it crossed."""
    metric = condition.optional_text("metric") or "condition"
    value = condition.optional_text("value")
    threshold = condition.optional_text("errorThreshold")
    operator = _OPERATORS.get(condition.optional_text("operator") or "", "")
    said = f"{metric} {value}" if value is not None else metric
    if threshold is not None:
        said += f" ({operator} {threshold})" if operator else f" (threshold {threshold})"
    return said


def _debt_minutes(properties: dict[str, str], conditions: list[Fields]) -> float | None:
    """The technical debt in minutes: an analysis property, else a gate condition on it."""
    for name in DEBT_MINUTES:
        if name in properties:
            return _minutes(properties[name], f"properties.{name}")
    for condition in conditions:
        if condition.optional_text("metric") == "sqale_index":
            value = condition.optional_text("value")
            if value is not None:
                return _minutes(value, condition.path("value"))
    return None


def _minutes(written: str, where: str) -> float:
    try:
        minutes = float(written)
    except ValueError:
        minutes = math.nan
    if not math.isfinite(minutes) or minutes < 0:
        raise HookRefused(400, f"{where}: not a number of minutes")
    return minutes


def _bounded(text: str, prefix: str = "") -> str:
    """``text`` itself, or when longer than KEY_LENGTH, ``prefix`` and its SHA-256."""
    if len(text) <= KEY_LENGTH:
        return text
    return prefix + "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
