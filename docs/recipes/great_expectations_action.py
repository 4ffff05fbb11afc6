"""Great Expectations → debtpulse: a checkpoint action that posts each failed validation as a
``data_quality`` signal on a debt item (``POST /api/signals``).

Great Expectations has no generic webhook; its extension point is an action run after each
checkpoint. Copy this file next to your checkpoint code, then::

    import great_expectations as gx
    from great_expectations_action import DebtpulseAction

    checkpoint = gx.Checkpoint(
        name="orders_nightly",
        validation_definitions=[orders_validation],
        actions=[
            DebtpulseAction(
                name="debtpulse",
                url="https://debtpulse.example.com",  # where debtpulse serve answers
                debt_key="DEBT-6",                     # the item this data's debt is
            )
        ],
    )

The token is read from the environment when the action runs (``DEBTPULSE_SIGNALS_TOKEN``,
or the variable named by ``token_env``), never stored in the checkpoint's configuration.
One signal per failed validation (one suite on one batch), value 1: a batch that breaks ten
expectations is one occurrence of bad data, not ten. Its ``dedup_key`` is the suite, the
data asset and the run's time, so running the action again for the same run posts nothing
new. The failed expectations are in the action's result (and the logs).

Only the standard library speaks HTTP here; the part that builds and posts the signal
(:func:`signal_for`, :func:`post_signal`) works without Great Expectations installed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

logger = logging.getLogger(__name__)

#: The widths ``POST /api/signals`` takes.
SOURCE_LENGTH = 100
DEDUP_LENGTH = 200


class PostFailed(Exception):
    """debtpulse did not take the signal: the status and its reason (never the token)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"debtpulse answered {status}: {reason}" if status else reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class FailedValidation:
    """One suite that failed on one batch: what the signal is made of."""

    suite: str
    asset: str
    run_time: datetime
    failed: tuple[str, ...]


def signal_for(failure: FailedValidation, *, debt_key: str) -> dict[str, Any]:
    """The JSON object ``POST /api/signals`` takes for one failed validation."""
    moment = failure.run_time
    if moment.tzinfo is None:  # Great Expectations writes its run times in UTC
        moment = moment.replace(tzinfo=UTC)
    dedup = f"gx:{failure.suite}:{failure.asset}:{moment.astimezone(UTC).isoformat()}"
    if len(dedup) > DEDUP_LENGTH:
        dedup = "gx:sha256:" + hashlib.sha256(dedup.encode()).hexdigest()
    return {
        "debt_key": debt_key,
        "kind": "data_quality",
        "value": 1.0,
        "source": f"great_expectations:{failure.suite}"[:SOURCE_LENGTH],
        "observed_at": moment.isoformat(),
        "dedup_key": dedup,
    }


def post_signal(
    base_url: str,
    signal: dict[str, Any],
    *,
    token: str,
    team: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Post one signal; debtpulse's reply (``stored``, or ``duplicate`` for one seen before).

    Raises :class:`PostFailed` when debtpulse refuses it (the fields it names) or cannot be
    reached.
    """
    url = base_url.rstrip("/") + "/api/signals"
    if team:
        url += "?" + urllib.parse.urlencode({"team": team})
    request = urllib.request.Request(
        url,
        data=json.dumps(signal).encode("utf-8"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return dict(json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        raise PostFailed(exc.code, _reason(exc.read())) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PostFailed(0, f"debtpulse not reachable at {base_url} ({exc})") from None


def _reason(body: bytes) -> str:
    """debtpulse's error and the fields it names, from a refusal's JSON body."""
    try:
        reply = json.loads(body)
    except ValueError:
        return "no reason given"
    if not isinstance(reply, dict):
        return "no reason given"
    said = str(reply.get("error", "no reason given"))
    fields = [f"{e.get('field')}: {e.get('message')}" for e in reply.get("errors", []) or []]
    return f"{said} ({'; '.join(fields)})" if fields else said


def failed_validations(checkpoint_result: Any) -> list[FailedValidation]:
    """The validations of a checkpoint run that failed, read from Great Expectations'
    ``CheckpointResult``."""
    run_time = checkpoint_result.run_id.run_time
    failures = []
    for result in checkpoint_result.run_results.values():
        if result.success:
            continue
        batch = (result.meta or {}).get("active_batch_definition") or {}
        failed = tuple(
            _expectation(outcome.expectation_config)
            for outcome in result.results
            if not outcome.success
        )
        failures.append(
            FailedValidation(
                suite=result.suite_name,
                asset=str(batch.get("data_asset_name") or "asset"),
                run_time=run_time,
                failed=failed,
            )
        )
    return failures


def _expectation(config: Any) -> str:
    column = (config.kwargs or {}).get("column")
    return f"{config.type}({column})" if column else str(config.type)


try:  # the action itself needs Great Expectations; the rest of this file does not
    from great_expectations.checkpoint import ValidationAction
except ImportError:  # pragma: no cover - depends on what is installed
    ValidationAction = None

if ValidationAction is not None:

    class DebtpulseAction(ValidationAction):
        """Posts each failed validation of the checkpoint as a ``data_quality`` signal."""

        type: Literal["debtpulse"] = "debtpulse"
        url: str
        debt_key: str
        team: str | None = None
        token_env: str = "DEBTPULSE_SIGNALS_TOKEN"

        def run(self, checkpoint_result: Any, action_context: Any = None) -> dict:
            failures = failed_validations(checkpoint_result)
            if not failures:
                return {"posted": 0}
            token = os.environ.get(self.token_env, "")
            if not token:
                logger.warning("debtpulse: %s is not set; nothing posted", self.token_env)
                return {"posted": 0, "error": f"{self.token_env} is not set"}
            posted, errors = 0, []
            for failure in failures:
                try:
                    post_signal(
                        self.url,
                        signal_for(failure, debt_key=self.debt_key),
                        token=token,
                        team=self.team,
                    )
                    posted += 1
                except PostFailed as exc:  # a data pipeline does not stop for debtpulse
                    logger.warning("debtpulse: %s not posted: %s", failure.suite, exc)
                    errors.append(str(exc))
            failed = {f"{f.suite}/{f.asset}": list(f.failed) for f in failures}
            return {"posted": posted, "failed": failed, "errors": errors}
