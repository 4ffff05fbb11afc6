"""``metrics.yaml``: declared metrics load beside the built-in and derived ones, and every
problem in the file comes back as ``path:line: field: message``; the template loader and
``surveys check`` treat it as the metrics file it is, not as a template."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.models import SignalKind
from surveys import builtin_dir, check, load_directory
from surveys.loader import TemplateErrors
from surveys.metrics_file import (
    BUILTIN_METRICS,
    DERIVED_METRICS,
    METRICS_FILE,
    TIME_TO_RECOVER,
    load_metrics,
)
from tests.surveys.conftest import WriteTemplate


def _problems(directory: Path) -> list[str]:
    with pytest.raises(TemplateErrors) as caught:
        load_metrics(directory)
    return [
        str(error).removeprefix(f"{directory / METRICS_FILE}:") for error in caught.value.errors
    ]


def test_without_a_file_the_builtin_and_derived_metrics_are_known(tmp_path: Path) -> None:
    for directory in (None, tmp_path):
        catalog = load_metrics(directory)
        assert [m.name for m in catalog] == [m.name for m in (*BUILTIN_METRICS, *DERIVED_METRICS)]
    cycle = load_metrics(None).get("feature_cycle_time_hours")
    assert cycle is not None and (cycle.direction, cycle.unit) == ("lower", "hours")
    success = load_metrics(None).get("experiment_success_rate")
    assert success is not None and success.direction == "higher" and success.is_rate
    assert {m.name for m in BUILTIN_METRICS} == {
        "feature_cycle_time_hours",
        "retraining_latency_hours",
        "experiment_success_rate",
        "deploy_frequency",
        "change_failure_rate",
        "mttr_hours",
    }


def test_one_derived_count_per_signal_kind_and_the_time_to_recover() -> None:
    counted = [m.signal_kind for m in DERIVED_METRICS if m.signal_kind is not None]
    assert sorted(counted) == sorted(kind.value for kind in SignalKind)
    assert [m.name for m in DERIVED_METRICS if m.signal_kind is None] == [TIME_TO_RECOVER]
    assert all(m.derived and m.direction == "lower" for m in DERIVED_METRICS)
    assert not any(m.derived for m in BUILTIN_METRICS)


def test_declared_metrics_join_the_catalog_in_file_order(write: WriteTemplate) -> None:
    path = write(
        METRICS_FILE,
        """
        metrics:
          - name: p95_latency_ms
            direction: lower
            unit: ms
          - {name: model_auc, direction: higher, unit: ratio, description: AUC of the ranker}
        """,
    )
    catalog = load_metrics(path.parent)
    assert [(m.name, m.direction, m.unit, m.origin) for m in catalog.declared] == [
        ("p95_latency_ms", "lower", "ms", "declared"),
        ("model_auc", "higher", "ratio", "declared"),
    ]
    auc = catalog.get("model_auc")
    assert auc is not None and auc.description == "AUC of the ranker" and not auc.derived
    assert "mttr_hours" in catalog and "incidents_per_week" in catalog


def test_every_problem_is_reported_at_its_line(write: WriteTemplate) -> None:
    path = write(
        METRICS_FILE,
        """
        metrics:
          - name: mttr_hours
            direction: lower
            unit: hours
          - name: incidents_per_week
            direction: lower
            unit: per_week
          - name: Model-AUC
            direction: up
            unit: ""
          - name: cost
            unit: eur
            colour: red
          - name: p95_latency_ms
            direction: lower
            unit: "milliseconds, p95"
        """,
    )
    assert _problems(path.parent) == [
        "2: metrics.0.name: 'mttr_hours' is built in (direction lower, unit hours) and "
        "cannot be declared again; remove it or pick another name",
        "5: metrics.1.name: 'incidents_per_week' is derived from signals (direction lower, "
        "unit per_week) and cannot be declared again; remove it or pick another name",
        "8: metrics.2.name: 'Model-AUC' is not snake_case: lowercase letters and digits "
        "joined by '_', starting with a letter (e.g. model_auc)",
        "9: metrics.2.direction: Input should be 'lower' or 'higher'",
        "10: metrics.2.unit: String should have at least 1 character",
        "11: metrics.3.direction: missing required field",
        "13: metrics.3.colour: unknown field; expected one of: name, direction, unit, description",
        "16: metrics.4.unit: String should have at most 16 characters",
    ]


def test_a_name_declared_twice_names_the_first_line(write: WriteTemplate) -> None:
    path = write(
        METRICS_FILE,
        """
        metrics:
          - {name: model_auc, direction: higher, unit: ratio}
          - {name: p95_latency_ms, direction: lower, unit: ms}
          - {name: model_auc, direction: lower, unit: ratio}
        """,
    )
    assert _problems(path.parent) == [
        "4: metrics.2.name: 'model_auc' is declared twice (first at line 2)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics: [\n", "2: yaml: while parsing a flow node"),
        ("", "1: metrics: the file is empty"),
        ("- name: x\n", "1: metrics: expected the file to be `metrics:` and a list"),
        ("metric:\n  - {name: x}\n", "1: metric: unknown field; did you mean 'metrics'?"),
        (
            "metrics:\n  - name: " + "a" * 65 + "\n    direction: lower\n    unit: x\n",
            "2: metrics.0.name: String should have at most 64 characters",
        ),
    ],
    ids=["bad-yaml", "empty", "a-list", "misspelt", "name-too-long"],
)
def test_a_malformed_file_is_refused_with_its_line(
    write: WriteTemplate, text: str, expected: str
) -> None:
    path = write(METRICS_FILE, text)
    problems = _problems(path.parent)
    assert problems[0].startswith(expected), problems


def test_the_loader_and_check_treat_metrics_yaml_as_the_metrics_file(
    write: WriteTemplate, tmp_path: Path
) -> None:
    for template in builtin_dir().glob("*.yaml"):
        (tmp_path / template.name).write_text(template.read_text(encoding="utf-8"))
    write(METRICS_FILE, "metrics:\n  - {name: model_auc, direction: higher, unit: ratio}\n")
    loaded = load_directory(tmp_path)
    assert loaded.errors == [] and METRICS_FILE not in {
        t.path.name for t in loaded.templates.values()
    }
    assert check(tmp_path) == []

    write(METRICS_FILE, "metrics:\n  - {name: model_auc, direction: sideways, unit: ratio}\n")
    assert load_directory(tmp_path).errors == []  # templates are fine, the metrics are not
    assert [str(error) for error in check(tmp_path)] == [
        f"{tmp_path / METRICS_FILE}:2: metrics.0.direction: Input should be 'lower' or 'higher'"
    ]
