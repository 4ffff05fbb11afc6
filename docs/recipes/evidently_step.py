"""Evidently → debtpulse: a pipeline step that posts a failed test run as one signal on a
debt item (``POST /api/signals``).

Evidently has no webhook; run this after its tests, in the same job or as the next step.
In Python, with the result of ``Report([...]).run(...)`` (tests included)::

    from evidently_step import post_failures

    snapshot = report.run(current_data=current, reference_data=reference)
    post_failures(
        snapshot.dict(),
        base_url="https://debtpulse.example.com",
        debt_key="DEBT-9",
        suite="ranking-features-daily",
        token=os.environ["DEBTPULSE_SIGNALS_TOKEN"],
        kind="drift",  # or data_quality (the default)
    )

or from a shell, on a snapshot saved with ``snapshot.save_json(path)`` (the legacy
``TestSuite.save_json`` output works too: both list ``tests`` with a ``status``)::

    DEBTPULSE_SIGNALS_TOKEN=... python evidently_step.py snapshot.json \\
        --url https://debtpulse.example.com --debt-key DEBT-9 --suite ranking-features-daily

A run with one test or more at ``FAIL`` is one signal (value 1), whose ``dedup_key`` is the
suite and the run's time: posting the same run twice stores it once. Tests that only warn
(not critical) or pass post nothing. Only the standard library speaks HTTP here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KINDS = ("data_quality", "drift")
SOURCE_LENGTH = 100
DEDUP_LENGTH = 200


class PostFailed(Exception):
    """debtpulse did not take the signal: the status and its reason (never the token)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"debtpulse answered {status}: {reason}" if status else reason)
        self.status = status
        self.reason = reason


def failed_tests(result: Mapping[str, Any]) -> list[str]:
    """The names of the tests at ``FAIL`` in an Evidently result (``snapshot.dict()``)."""
    tests = result.get("tests")
    if not isinstance(tests, list):
        raise ValueError("tests: not in the result (was the report run with tests?)")
    return [
        str(test.get("name") or test.get("id") or "test")
        for test in tests
        if isinstance(test, Mapping) and _status(test.get("status")) == "FAIL"
    ]


def _status(status: Any) -> str:
    """A test's status: a string in saved JSON, a string enum (``TestStatus.FAIL``) in
    ``snapshot.dict()``."""
    return str(getattr(status, "value", status) or "").upper()


def signal_for(
    result: Mapping[str, Any],
    *,
    debt_key: str,
    suite: str,
    observed_at: datetime,
    kind: str = "data_quality",
) -> dict[str, Any] | None:
    """The JSON object ``POST /api/signals`` takes for a run with failures; None without."""
    if kind not in KINDS:
        raise ValueError(f"kind: one of {', '.join(KINDS)} expected")
    if not failed_tests(result):
        return None
    moment = observed_at if observed_at.tzinfo else observed_at.replace(tzinfo=UTC)
    dedup = f"evidently:{suite}:{moment.astimezone(UTC).isoformat()}"
    if len(dedup) > DEDUP_LENGTH:
        dedup = "evidently:sha256:" + hashlib.sha256(dedup.encode()).hexdigest()
    return {
        "debt_key": debt_key,
        "kind": kind,
        "value": 1.0,
        "source": f"evidently:{suite}"[:SOURCE_LENGTH],
        "observed_at": moment.isoformat(),
        "dedup_key": dedup,
    }


def post_signal(
    base_url: str,
    signal: Mapping[str, Any],
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


def post_failures(
    result: Mapping[str, Any],
    *,
    base_url: str,
    debt_key: str,
    suite: str,
    token: str,
    observed_at: datetime | None = None,
    kind: str = "data_quality",
    team: str | None = None,
) -> dict[str, Any] | None:
    """Post the run's failures as one signal; debtpulse's reply, or None when none failed."""
    signal = signal_for(
        result,
        debt_key=debt_key,
        suite=suite,
        observed_at=observed_at or datetime.now(UTC),
        kind=kind,
    )
    if signal is None:
        return None
    return post_signal(base_url, signal, token=token, team=team)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Post an Evidently run's failures to debtpulse.")
    parser.add_argument("result", type=Path, help="the snapshot or test-suite JSON")
    parser.add_argument("--url", required=True, help="debtpulse's address (https://...)")
    parser.add_argument("--debt-key", required=True, help="the debt item, e.g. DEBT-9")
    parser.add_argument("--suite", required=True, help="the run's name, e.g. orders-daily")
    parser.add_argument("--kind", choices=KINDS, default="data_quality")
    parser.add_argument("--team", help="the Slack workspace (team id), with several")
    parser.add_argument("--token-env", default="DEBTPULSE_SIGNALS_TOKEN")
    args = parser.parse_args(argv)
    token = os.environ.get(args.token_env, "")
    if not token:
        print(f"evidently_step: {args.token_env} is not set", file=sys.stderr)
        return 2
    try:
        result = json.loads(args.result.read_text(encoding="utf-8"))
        failed = failed_tests(result)
        reply = post_failures(
            result,
            base_url=args.url,
            debt_key=args.debt_key,
            suite=args.suite,
            token=token,
            kind=args.kind,
            team=args.team,
        )
    except (OSError, ValueError, PostFailed) as exc:
        print(f"evidently_step: {exc}", file=sys.stderr)
        return 1
    if reply is None:
        print("evidently_step: no test failed; nothing posted")
    else:
        said = "already known" if reply.get("duplicate") else "stored"
        print(f"evidently_step: {len(failed)} failed test(s) posted to {args.debt_key} ({said})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
