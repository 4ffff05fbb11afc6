"""The metrics debtpulse knows: built in, declared in ``metrics.yaml``, or derived from signals.

A metric is a weekly time series the return on a fix is measured in. Each has a name, a
direction (``lower`` or ``higher``: which way is better) and a unit:

- **built in**: the numbers teams already track (cycle time, retraining latency, the DORA
  four...), posted to ``POST /api/metrics`` or imported with ``debtpulse metrics import``;
- **declared** in ``metrics.yaml`` beside the templates, for any other series a team keeps
  (``metrics: [{name, direction, unit, description}]``), posted the same way;
- **derived** from the signals already stored (incidents, alerts, drift, flaky tests, and
  the time to recover where a signal says when it ended): read, never posted.

``metrics.yaml`` is validated like a template: every problem is ``path:line: field:
message``. A declared name is snake_case, at most 64 characters, and is neither built in nor
derived (a built-in's direction and unit are fixed, so every team's numbers mean the same).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from surveys.fields import TemplateModel, fail, problem
from surveys.yamldoc import FieldPath, line_of

__all__ = [
    "BUILTIN_METRICS",
    "DERIVED_METRICS",
    "METRICS_FILE",
    "TIME_TO_RECOVER",
    "Direction",
    "MetricCatalog",
    "MetricDefinition",
    "Origin",
    "load_metrics",
]

METRICS_FILE = "metrics.yaml"
MAX_NAME_LENGTH = 64
MAX_UNIT_LENGTH = 16
MAX_DESCRIPTION_LENGTH = 200
_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

Direction = Literal["lower", "higher"]
"""Which way is better for a metric."""
Origin = Literal["builtin", "declared", "derived"]


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: its name, which way is better, its unit, and where it comes from.

    ``signal_kind`` is set for a derived weekly count (the signal kind it counts); a derived
    metric with none is the time to recover.
    """

    name: str
    direction: Direction
    unit: str
    description: str
    origin: Origin
    signal_kind: str | None = None

    @property
    def derived(self) -> bool:
        """Read from stored signals; it cannot be posted."""
        return self.origin == "derived"

    @property
    def is_rate(self) -> bool:
        """A share between 0 and 1 (every ``*_rate`` metric)."""
        return self.name.endswith("_rate")


def _builtin(name: str, direction: Direction, unit: str, description: str) -> MetricDefinition:
    return MetricDefinition(name, direction, unit, description, "builtin")


BUILTIN_METRICS: tuple[MetricDefinition, ...] = (
    _builtin(
        "feature_cycle_time_hours", "lower", "hours", "Time from starting a feature to shipping it"
    ),
    _builtin(
        "retraining_latency_hours",
        "lower",
        "hours",
        "Time from deciding to retrain a model to serving the new one",
    ),
    _builtin(
        "experiment_success_rate",
        "higher",
        "ratio",
        "Share of experiments that ran to a valid result (0 to 1)",
    ),
    _builtin("deploy_frequency", "higher", "per_week", "Deployments to production per week"),
    _builtin(
        "change_failure_rate",
        "lower",
        "ratio",
        "Share of deployments that caused a failure in production (0 to 1)",
    ),
    _builtin("mttr_hours", "lower", "hours", "Mean time to restore service after a failure"),
)


def _count(name: str, kind: str, what: str) -> MetricDefinition:
    return MetricDefinition(
        name, "lower", "per_week", f"{what} per week, from the signals", "derived", kind
    )


TIME_TO_RECOVER = "time_to_recover_hours"

#: One weekly count per signal kind (``storage.models.SignalKind``), and the time to recover.
DERIVED_METRICS: tuple[MetricDefinition, ...] = (
    _count("incidents_per_week", "incident", "Incidents"),
    _count("alerts_per_week", "alert", "Alerts"),
    _count("drift_per_week", "drift", "Drift signals"),
    _count("flaky_tests_per_week", "flaky_test", "Flaky test signals"),
    _count("ci_failures_per_week", "ci_failure", "CI failure signals"),
    _count("data_quality_per_week", "data_quality", "Data-quality signals"),
    _count("code_quality_per_week", "code_quality", "Code-quality signals"),
    _count("custom_signals_per_week", "custom", "Custom signals"),
    MetricDefinition(
        TIME_TO_RECOVER,
        "lower",
        "hours",
        "Hours from a signal to its end, for signals whose sender said when they ended",
        "derived",
    ),
)


class MetricCatalog:
    """Every metric a team may use, by name: the built-ins, the declared, the derived."""

    def __init__(self, declared: tuple[MetricDefinition, ...] = ()) -> None:
        self._by_name: dict[str, MetricDefinition] = {
            metric.name: metric for metric in (*BUILTIN_METRICS, *declared, *DERIVED_METRICS)
        }

    def get(self, name: str) -> MetricDefinition | None:
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[MetricDefinition]:
        """Built-in first, then declared (in file order), then derived."""
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def declared(self) -> tuple[MetricDefinition, ...]:
        return tuple(metric for metric in self if metric.origin == "declared")


_RESERVED: Mapping[str, MetricDefinition] = {
    metric.name: metric for metric in (*BUILTIN_METRICS, *DERIVED_METRICS)
}


class DeclaredMetric(TemplateModel):
    """One entry of ``metrics.yaml``."""

    name: str = Field(max_length=MAX_NAME_LENGTH)
    direction: Direction
    unit: str = Field(min_length=1, max_length=MAX_UNIT_LENGTH)
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise problem(
                f"'{value}' is not snake_case: lowercase letters and digits joined by '_', "
                "starting with a letter (e.g. model_auc)"
            )
        known = _RESERVED.get(value)
        if known is not None:
            what = "derived from signals" if known.derived else "built in"
            raise problem(
                f"'{value}' is {what} (direction {known.direction}, unit {known.unit}) "
                "and cannot be declared again; remove it or pick another name"
            )
        return value

    @field_validator("unit", "description")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ord(character) < 32 or ord(character) == 127 for character in value):
            raise problem("must be one line of text without control characters")
        if value != value.strip():
            raise problem("must not start or end with a space")
        return value


class MetricsFile(TemplateModel):
    """What ``metrics.yaml`` holds: ``metrics``, a list of declared metrics."""

    metrics: list[DeclaredMetric] = Field(default_factory=list)


def _validate(data: Any) -> MetricsFile:
    if not isinstance(data, dict):
        fail("MetricsFile", [(("metrics",), "expected the file to be `metrics:` and a list", data)])
    return MetricsFile.model_validate(data)


def _names_once(path: Path, loaded: MetricsFile, lines: Mapping[FieldPath, int]) -> None:
    """Refuse a name declared twice, at the line of each repeat."""
    from surveys.loader import TemplateError, TemplateErrors

    first: dict[str, int] = {}
    errors = []
    for index, metric in enumerate(loaded.metrics):
        where = ("metrics", str(index), "name")
        if metric.name in first:
            message = f"'{metric.name}' is declared twice (first at line {first[metric.name]})"
            errors.append(TemplateError(path, line_of(lines, where), ".".join(where), message))
        else:
            first[metric.name] = line_of(lines, where)
    if errors:
        raise TemplateErrors(errors)


def load_metrics(directory: Path | None) -> MetricCatalog:
    """The metrics in effect: the built-ins and derived ones, plus those declared in
    ``directory/metrics.yaml`` when it exists.

    Raises ``surveys.TemplateErrors`` listing every problem in the file.
    """
    path = directory / METRICS_FILE if directory is not None else None
    if path is None or not path.is_file():
        return MetricCatalog()
    from surveys.loader import load_validated

    loaded, _, lines = load_validated(path, _validate, what="metrics")
    _names_once(path, loaded, lines)
    declared = tuple(
        MetricDefinition(m.name, m.direction, m.unit, m.description, "declared")
        for m in loaded.metrics
    )
    return MetricCatalog(declared)
