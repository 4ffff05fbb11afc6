"""``debtpulse metrics import|list`` and ``metrics.yaml`` in ``debtpulse surveys check``: a
file is stored whole or not at all with ``line N: column: message`` for each problem, the
list says what each metric has, and a bad ``metrics.yaml`` is named at its line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from storage import signals
from storage.models import MetricPoint
from surveys import builtin_dir
from tests.cli.test_lazy_imports import DATABASE, TEMPLATES_AND_SLACK, loaded
from tests.factories import make_item

TEAM = "local"  # no Slack configured: the CLI's own team
GOOD = (
    "metric,scope,value,observed_at,unit\n"
    "feature_cycle_time_hours,team,31.5,2026-11-09,hours\n"
    "deploy_frequency,payments,3,2026-11-10T09:00:00+01:00,\n"
    "change_failure_rate,debt-1,0.2,2026-11-11,\n"
)


@pytest.fixture
def register(cli_db: Engine) -> Engine:
    with Session(cli_db) as session:
        make_item(session, "DEBT-1", team_id=TEAM, component="payments")
        session.commit()
    return cli_db


def _file(tmp_path: Path, text: str, name: str = "metrics.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _points(engine: Engine) -> list[tuple[str, str, float, datetime]]:
    with Session(engine) as session:
        rows = session.exec(select(MetricPoint).order_by(col(MetricPoint.id))).all()
        return [(r.metric, r.scope, r.value, r.observed_at) for r in rows]


def _templates(tmp_path: Path, metrics_yaml: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for template in builtin_dir().glob("*.yaml"):
        (folder / template.name).write_text(template.read_text(encoding="utf-8"))
    (folder / "metrics.yaml").write_text(metrics_yaml, encoding="utf-8")
    return folder


def test_import_stores_the_file_and_a_second_import_replaces_it(
    cli, register: Engine, tmp_path: Path
) -> None:
    path = _file(tmp_path, GOOD)
    first = cli("metrics", "import", path)
    assert first.code == 0, first
    assert first.out == f"{path}: 3 stored, 0 replaced\n"
    assert _points(register) == [
        ("feature_cycle_time_hours", "team", 31.5, datetime(2026, 11, 9, tzinfo=UTC)),
        ("deploy_frequency", "payments", 3.0, datetime(2026, 11, 10, 8, tzinfo=UTC)),
        ("change_failure_rate", "DEBT-1", 0.2, datetime(2026, 11, 11, tzinfo=UTC)),
    ]
    again = cli("metrics", "import", _file(tmp_path, GOOD.replace("31.5", "30")))
    assert again.code == 0, again
    assert again.out.endswith(": 0 stored, 3 replaced\n")
    assert _points(register)[0][2] == 30.0


def test_a_bad_file_is_refused_whole_with_each_problem_on_its_line(
    cli, register: Engine, tmp_path: Path
) -> None:
    bad = GOOD + (
        "feature_cycle_time_hours,checkout,12,2026-11-09,days\n"
        "alerts_per_week,team,3,2026-11-09,\n"
        "experiment_success_rate,team,55,2999-01-01,\n"
    )
    result = cli("metrics", "import", _file(tmp_path, bad))
    assert result.code == 1, result
    assert "Traceback" not in result.err
    assert result.err.splitlines() == [
        "line 5: scope: 'checkout' is not team, a component of this team's register or one of "
        "its debt keys (like DEBT-1); its components are payments",
        "line 5: unit: 'days' is not the unit of feature_cycle_time_hours: expected 'hours', "
        "or leave it out",
        "line 6: metric: alerts_per_week is derived from the signals stored, not posted: send "
        "the signals (POST /api/signals) instead",
        result.err.splitlines()[3],  # the clock's now, checked below
        "line 7: value: experiment_success_rate is a rate: between 0 and 1 (0.25 for 25 %)",
        "debtpulse: rejected: 5 problems; nothing was changed",
    ]
    assert result.err.splitlines()[3].startswith("line 7: observed_at: in the future (it is ")
    assert _points(register) == []

    missing = cli("metrics", "import", str(tmp_path / "nope.csv"))
    assert missing.code == 1
    assert (
        missing.err.strip()
        == f"debtpulse: FILE: cannot read {tmp_path / 'nope.csv'} (no such file)"
    )


def test_list_shows_every_metric_with_its_points_and_signals(
    cli, register: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _templates(
        tmp_path, "metrics:\n  - {name: model_auc, direction: higher, unit: ratio}\n"
    )
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(folder))
    assert (
        cli("metrics", "import", _file(tmp_path, GOOD + "model_auc,team,0.8,2026-11-09,\n")).code
        == 0
    )
    at = datetime(2026, 11, 9, 10, tzinfo=UTC)
    sent = (("PD-1", "incident", at), ("PD-2", "incident", None), ("AL-1", "alert", None))
    with Session(register) as session:
        debt = make_item(session, "DEBT-1", team_id=TEAM)
        assert debt.id is not None
        for key, kind, ended in sent:
            signals.add_signal(
                session,
                team_id=TEAM,
                debt_item_id=debt.id,
                kind=kind,
                value=1.0,
                source="pagerduty",
                observed_at=at,
                dedup_key=key,
                received_at=at,
                ended_at=ended,
            )
        session.commit()
    listed = cli("metrics", "list")
    assert listed.code == 0, listed
    rows = {line.split()[0]: line.split()[1:5] for line in listed.out.splitlines()[1:-1]}
    assert rows["feature_cycle_time_hours"] == ["lower", "hours", "built-in", "1"]
    assert rows["mttr_hours"] == ["lower", "hours", "built-in", "0"]
    assert rows["experiment_success_rate"] == ["higher", "ratio", "built-in", "0"]
    assert rows["model_auc"] == ["higher", "ratio", "declared", "1"]
    assert rows["incidents_per_week"] == ["lower", "per_week", "derived", "2"]
    assert rows["alerts_per_week"] == ["lower", "per_week", "derived", "1"]
    assert rows["time_to_recover_hours"] == ["lower", "hours", "derived", "1"]
    assert listed.out.splitlines()[0].split() == [
        "metric",
        "direction",
        "unit",
        "origin",
        "points",
        "description",
    ]

    monkeypatch.delenv("DEBTPULSE_SURVEYS_DIR")  # the declaration gone, its points are not
    listed = cli("metrics", "list")
    auc = [line.split()[:5] for line in listed.out.splitlines() if line.startswith("model_auc ")]
    assert auc == [["model_auc", "?", "?", "undeclared", "1"]]


def test_a_bad_metrics_yaml_is_named_at_its_line_and_stops_an_import(
    cli, register: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _templates(
        tmp_path,
        "metrics:\n"
        "  - {name: model_auc, direction: higher, unit: ratio}\n"
        "  - {name: deploy_frequency, direction: lower, unit: per_day}\n",
    )
    checked = cli("surveys", "check", str(folder))
    assert checked.code == 1, checked
    assert checked.err.splitlines() == [
        f"{folder / 'metrics.yaml'}:3: metrics.1.name: 'deploy_frequency' is built in "
        "(direction higher, unit per_week) and cannot be declared again; remove it or pick "
        "another name",
        f"debtpulse: 1 problem in {folder}",
    ]
    alone = cli("surveys", "check", str(folder / "metrics.yaml"))
    assert alone.code == 1 and alone.err.splitlines()[0] == checked.err.splitlines()[0]

    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(folder))
    refused = cli("metrics", "import", _file(tmp_path, GOOD))
    assert refused.code == 2, refused
    assert refused.err.splitlines()[-1] == (
        "debtpulse: the survey templates have problems: run `debtpulse surveys check`"
    )
    assert _points(register) == []

    (folder / "metrics.yaml").write_text(
        "metrics:\n  - {name: model_auc, direction: higher, unit: ratio}\n", encoding="utf-8"
    )
    checked = cli("surveys", "check", str(folder))
    assert checked.code == 0, checked
    assert "ok  metric  model_auc  (metrics.yaml: higher is better, ratio)" in checked.out
    alone = cli("surveys", "check", str(folder / "metrics.yaml"))
    assert alone.code == 0 and alone.out.splitlines() == [
        "ok  metric  model_auc  (metrics.yaml: higher is better, ratio)",
        f"{folder / 'metrics.yaml'}: no problems",
    ]


def test_metrics_help_loads_no_database_template_or_slack_code(tmp_path: Path) -> None:
    watch = (*DATABASE, *TEMPLATES_AND_SLACK, "bot.config", "bot.runtime")
    assert loaded(["metrics", "--help"], watch, tmp_path) == []
    assert loaded(["metrics", "import", "--help"], watch, tmp_path) == []


def test_list_reads_a_sqlite_file_without_sqlalchemy(register: Engine, tmp_path: Path) -> None:
    if register.dialect.name != "sqlite":
        pytest.skip("the standard library reads SQLite files only")
    url = register.url.render_as_string(hide_password=False)
    assert loaded(["metrics", "list", "--team", TEAM], DATABASE, tmp_path, DATABASE_URL=url) == []


def test_nothing_is_stored_for_another_team(cli, register: Engine, tmp_path: Path) -> None:
    result = cli("metrics", "import", _file(tmp_path, GOOD), "--team", "T0OTHER")
    assert result.code == 1
    assert "line 3: scope: 'payments' is not team" in result.err
    with Session(register) as session:
        assert session.exec(select(func.count()).select_from(MetricPoint)).one() == 0
