"""Metric points checked and stored by the one service behind ``debtpulse metrics import``
and ``POST /api/metrics``: every bad field named at once, nothing stored unless all are
good; and signals that say when they ended, for the time to recover."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.core.problems import InputRejected
from bot.services import metrics_in
from bot.services.signals_in import parse_jsonl, parse_signal, store_signals
from storage.models import MetricPoint, Signal
from surveys.metrics_file import MetricCatalog, load_metrics
from tests.factories import NOW, TEAM, make_item

BUILT_IN = MetricCatalog()
HEADER = "metric,scope,value,observed_at,unit\n"


@pytest.fixture
def register(session: Session) -> Session:
    make_item(session, "DEBT-1", component="ingestion")
    make_item(session, "DEBT-2", component="feature-store")
    make_item(session, "DEBT-1", team_id="T0OTHER", component="billing")
    session.commit()
    return session


def _import(session: Session, text: str, catalog: MetricCatalog = BUILT_IN) -> str:
    summary = metrics_in.import_csv(
        session, team_id=TEAM, text=HEADER + text, catalog=catalog, now=NOW
    )
    session.commit()
    return str(summary)


def _refused(session: Session, text: str, catalog: MetricCatalog = BUILT_IN) -> list[str]:
    with pytest.raises(InputRejected) as caught:
        metrics_in.import_csv(session, team_id=TEAM, text=HEADER + text, catalog=catalog, now=NOW)
    session.rollback()
    return [str(problem) for problem in caught.value.problems]


def _post(session: Session, body: object) -> str:
    raw = body if isinstance(body, str) else json.dumps(body)
    summary = metrics_in.post_points(session, team_id=TEAM, body=raw, catalog=BUILT_IN, now=NOW)
    session.commit()
    return str(summary)


def _posted_problems(session: Session, body: object) -> list[tuple[str, str]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(InputRejected) as caught:
        metrics_in.post_points(session, team_id=TEAM, body=raw, catalog=BUILT_IN, now=NOW)
    session.rollback()
    return [(problem.column, problem.message) for problem in caught.value.problems]


def _stored(session: Session) -> list[tuple[str, str, str, float, str, datetime, str]]:
    rows = session.exec(
        select(MetricPoint).order_by(col(MetricPoint.team_id), col(MetricPoint.id))
    ).all()
    return [(r.team_id, r.metric, r.scope, r.value, r.unit, r.observed_at, r.source) for r in rows]


def test_a_file_is_stored_with_each_scope_and_time_as_the_register_keeps_them(
    register: Session,
) -> None:
    said = _import(
        register,
        "feature_cycle_time_hours,team,31.5,2026-11-09,hours\n"
        "feature_cycle_time_hours,ingestion,12,2026-11-10T10:00:00+01:00,\n"
        "change_failure_rate,debt-2,0.25,2026-11-16T09:00:00Z,\n"
        "mttr_hours,Team,1e1,2026-11-11,hours\n",
    )
    assert said == "4 stored, 0 replaced"
    assert _stored(register) == [
        (
            TEAM,
            "feature_cycle_time_hours",
            "team",
            31.5,
            "hours",
            datetime(2026, 11, 9, tzinfo=UTC),
            "csv",
        ),
        (
            TEAM,
            "feature_cycle_time_hours",
            "ingestion",
            12.0,
            "hours",
            datetime(2026, 11, 10, 9, tzinfo=UTC),
            "csv",
        ),
        (
            TEAM,
            "change_failure_rate",
            "DEBT-2",
            0.25,
            "ratio",
            datetime(2026, 11, 16, 9, tzinfo=UTC),
            "csv",
        ),
        (TEAM, "mttr_hours", "team", 10.0, "hours", datetime(2026, 11, 11, tzinfo=UTC), "csv"),
    ]
    said = _import(
        register,
        "feature_cycle_time_hours,team,29,2026-11-09T00:00:00Z,\n"
        "feature_cycle_time_hours,team,28,2026-11-16,\n",
    )
    assert said == "1 stored, 1 replaced"
    assert _stored(register)[0][3] == 29.0


def test_every_bad_cell_is_named_and_nothing_is_stored(register: Session) -> None:
    problems = _refused(
        register,
        "feature_cycle_time_hours,team,31.5,2026-11-09,hours\n"  # good, yet not stored
        "feature_cycle_time_hour,nowhere,abc,2026-11-09,\n"
        "incidents_per_week,team,2,2026-11-09,\n"
        "change_failure_rate,team,1.5,2026-11-09 10:00,\n"
        "mttr_hours,DEBT-9,nan,2026-11-16T10:06:00Z,minutes\n"
        "experiment_success_rate,billing,1e999,yesterday,\n"
        "mttr_hours,team,,,\n"
        "feature_cycle_time_hours,TEAM,30,2026-11-09T00:00:00+00:00,\n",
    )
    assert problems == [
        "line 3: metric: unknown metric 'feature_cycle_time_hour': use a built-in one "
        "(feature_cycle_time_hours, retraining_latency_hours, experiment_success_rate, "
        "deploy_frequency, change_failure_rate, mttr_hours) or declare it with its direction "
        "and unit in metrics.yaml beside the templates",
        "line 3: scope: 'nowhere' is not team, a component of this team's register or one of "
        "its debt keys (like DEBT-1); its components are feature-store, ingestion",
        "line 3: value: expected a number such as 12.5 (with a point for decimals)",
        "line 4: metric: incidents_per_week is derived from the signals stored, not posted: "
        "send the signals (POST /api/signals) instead",
        "line 5: observed_at: needs its offset (2026-11-20T10:00:00Z or +01:00), or give the "
        "date alone",
        "line 5: value: change_failure_rate is a rate: between 0 and 1 (0.25 for 25 %)",
        "line 6: observed_at: in the future (it is 2026-11-16 10:00 UTC here)",
        "line 6: scope: 'DEBT-9' is not team, a component of this team's register or one of "
        "its debt keys (like DEBT-1); its components are feature-store, ingestion",
        "line 6: unit: 'minutes' is not the unit of mttr_hours: expected 'hours', or leave it out",
        "line 6: value: expected a number such as 12.5 (with a point for decimals)",
        "line 7: observed_at: expected an ISO 8601 date (2026-11-20) or a date and time with "
        "its offset (2026-11-20T10:00:00Z)",
        "line 7: scope: 'billing' is not team, a component of this team's register or one of "
        "its debt keys (like DEBT-1); its components are feature-store, ingestion",
        "line 7: value: not a finite number",
        "line 8: observed_at: required but empty",
        "line 8: value: required but empty",
        "line 9: observed_at: the same metric, scope and time as line 2",
    ]
    assert _stored(register) == []


def test_the_clock_skew_allowed_and_a_long_number_not_echoed(register: Session) -> None:
    within = (NOW + timedelta(minutes=4, seconds=59)).isoformat()
    assert _import(register, f"mttr_hours,team,2,{within},\n") == "1 stored, 0 replaced"
    long_number = "9" * 5000
    problems = _refused(register, f"mttr_hours,team,{long_number},2026-11-09,\n")
    assert problems == ["line 2: value: expected a number such as 12.5 (with a point for decimals)"]


def test_a_file_with_a_wrong_header_is_refused_before_any_row(register: Session) -> None:
    with pytest.raises(InputRejected) as caught:
        metrics_in.import_csv(
            register, team_id=TEAM, text="metric,scope,value,when\n", catalog=BUILT_IN, now=NOW
        )
    assert [str(p) for p in caught.value.problems] == [
        "line 1: observed_at: required column is missing",
        "line 1: when: unknown column; expected any of: metric, scope, value, observed_at, unit",
    ]


def test_a_declared_metric_is_taken_once_declared(register: Session, tmp_path: Path) -> None:
    row = "model_auc,DEBT-1,0.82,2026-11-09,ratio\n"
    assert _refused(register, row)[0].startswith("line 2: metric: unknown metric 'model_auc'")
    (tmp_path / "metrics.yaml").write_text(
        "metrics:\n  - {name: model_auc, direction: higher, unit: ratio}\n", encoding="utf-8"
    )
    declared = load_metrics(tmp_path)
    assert _import(register, row, declared) == "1 stored, 0 replaced"
    assert _refused(register, "model_auc,team,0.8,2026-11-09,percent\n", declared) == [
        "line 2: unit: 'percent' is not the unit of model_auc: expected 'ratio', or leave it out"
    ]


def test_one_point_or_a_list_of_them_is_posted(register: Session) -> None:
    point = {
        "metric": "deploy_frequency",
        "scope": "feature-store",
        "value": 4,
        "observed_at": "2026-11-09",
    }
    assert _post(register, point) == "1 stored, 0 replaced"
    again = {"points": [point | {"value": 5}, point | {"observed_at": "2026-11-02T12:00:00-05:00"}]}
    assert _post(register, again) == "1 stored, 1 replaced"
    assert _post(register, {"points": []}) == "0 stored, 0 replaced"
    assert [(r[2], r[3], r[5], r[6]) for r in _stored(register)] == [
        ("feature-store", 5.0, datetime(2026, 11, 9, tzinfo=UTC), "api"),
        ("feature-store", 4.0, datetime(2026, 11, 2, 17, tzinfo=UTC), "api"),
    ]


def test_each_bad_field_of_a_request_is_named_with_its_index(register: Session) -> None:
    good = {"metric": "mttr_hours", "scope": "team", "value": 2.5, "observed_at": "2026-11-09"}
    body = {
        "points": [
            good,
            good | {"value": "2.5", "unit": 3},
            good | {"value": True, "observed_at": "2026-11-09T10:00:00", "colour": "red"},
            "mttr_hours",
            {"scope": "ingestion", "value": 1e400},
            good | {"scope": "debt-1", "metric": "time_to_recover_hours"},
            good | {"scope": "TEAM"},
        ]
    }
    # 1e400 is valid JSON, beyond any float: Python reads it as infinity
    assert _posted_problems(register, json.dumps(body).replace("Infinity", "1e400")) == [
        ("points[1].unit", "expected text (a JSON string)"),
        ("points[1].value", "expected a JSON number, such as 12.5"),
        ("points[2].colour", "unknown field; expected metric, scope, value, observed_at, unit"),
        (
            "points[2].observed_at",
            "needs its offset (2026-11-20T10:00:00Z or +01:00), or give the date alone",
        ),
        ("points[2].value", "expected a JSON number, such as 12.5"),
        ("points[3]", "expected a point object"),
        ("points[4].metric", "required"),
        ("points[4].observed_at", "required"),
        ("points[4].value", "not a finite number"),
        (
            "points[5].metric",
            "time_to_recover_hours is derived from the signals stored, not posted: send the "
            "signals (POST /api/signals) instead",
        ),
        ("points[6].observed_at", "the same metric, scope and time as points[0]"),
    ]
    assert _stored(register) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "{not json",
            [("json", "not valid JSON (Expecting property name enclosed in double quotes)")],
        ),
        ("[1, 2]", [("json", 'expected a JSON object: one point, or {"points": [...]}')]),
        ('{"points": {"metric": "x"}}', [("points", "expected a list of point objects")]),
        ('{"points": [], "team": "T1"}', [("team", "unknown field; expected only points")]),
        (
            '{"metric": "mttr_hours", "scope": "team", "value": ' + "9" * 5000 + "}",
            [("json", "not valid JSON (a number too long)")],
        ),
        (
            '{"metric": "mttr_hours"}',
            [("observed_at", "required"), ("scope", "required"), ("value", "required")],
        ),
    ],
    ids=["not-json", "a-list", "points-not-a-list", "unknown-field", "huge-integer", "one-point"],
)
def test_a_malformed_body_is_refused_naming_what_is_wrong(
    register: Session, body: str, expected: list[tuple[str, str]]
) -> None:
    assert _posted_problems(register, body) == expected


def test_more_points_than_a_request_may_carry_are_refused_unread(register: Session) -> None:
    body: dict[str, object] = {"points": [{}] * (metrics_in.MAX_POINTS + 1)}
    with pytest.raises(metrics_in.TooManyPoints, match="5001 points in one request; at most 5000"):
        _post(register, body)


# -- signals that say when they ended ---------------------------------------------------


def _signal(dedup_key: str, **fields: str) -> str:
    signal = {
        "debt_key": "DEBT-1",
        "kind": "incident",
        "observed_at": "2026-11-16T08:00:00Z",
        "dedup_key": dedup_key,
    }
    return json.dumps(signal | fields)


def test_a_signal_may_say_when_it_ended_and_a_later_send_records_the_end(
    register: Session,
) -> None:
    items = parse_jsonl(
        _signal("PD-1", ended_at="2026-11-16T09:30:00+00:00") + "\n" + _signal("PD-2") + "\n"
    )
    assert str(store_signals(register, team_id=TEAM, items=items, now=NOW)) == (
        "2 stored, 0 duplicates skipped"
    )
    resolved = [(1, parse_signal(1, _signal("PD-2", ended_at="2026-11-16T10:00:00Z")))]
    summary = store_signals(register, team_id=TEAM, items=resolved, now=NOW)
    assert str(summary) == "0 stored, 1 duplicate skipped, 1 end recorded"
    again = [(1, parse_signal(1, _signal("PD-2", ended_at="2026-11-16T10:05:00Z")))]
    assert store_signals(register, team_id=TEAM, items=again, now=NOW).ended == 0
    register.commit()
    ends = register.exec(select(Signal.dedup_key, Signal.ended_at).order_by(col(Signal.id))).all()
    assert [tuple(row) for row in ends] == [
        ("PD-1", datetime(2026, 11, 16, 9, 30, tzinfo=UTC)),
        ("PD-2", datetime(2026, 11, 16, 10, 0, tzinfo=UTC)),
    ]


def test_an_end_before_the_start_or_in_the_future_is_refused(register: Session) -> None:
    with pytest.raises(InputRejected) as caught:
        parse_signal(4, _signal("PD-1", ended_at="2026-11-16T07:59:00Z"))
    assert [str(p) for p in caught.value.problems] == ["line 4: ended_at: before observed_at"]
    with pytest.raises(InputRejected) as caught:
        parse_signal(4, _signal("PD-1", ended_at="2026-11-16T10:00:00"))
    assert caught.value.problems[0].column == "ended_at"
    future = [(2, parse_signal(2, _signal("PD-1", ended_at="2026-11-16T11:00:00Z")))]
    with pytest.raises(InputRejected) as caught:
        store_signals(register, team_id=TEAM, items=future, now=NOW)
    assert [str(p) for p in caught.value.problems] == ["line 2: ended_at: in the future"]
