"""The return on fixing an item, from the answers, metrics and effort debtpulse stored.

A team answers a weekly pulse about two items for 22 weeks; DEBT-1 is fixed in week 12
(3 days of effort) and its pain drops, its component's cycle time too; DEBT-2 is left alone
and serves as the control. What ``item_roi`` reports — and what it refuses to report under
the anonymity rule — is checked on both databases.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.core.weights_file import RoiSettings
from bot.services import roi as roi_service
from storage import db, metrics, responses
from storage.models import DebtItem
from surveys.metrics_file import MetricCatalog
from tests.factories import TEAM, make_item, make_run

START = date(2026, 3, 2)  # a Monday
FIX_WEEK = 12
WEEKS = 22
PEOPLE = [f"U{n:02d}" for n in range(6)]
NOISE = [0.0, 0.3, -0.2, 0.1, -0.3, 0.2, 0.0, -0.1]


def _at(week: int, day: int = 1) -> datetime:
    return datetime.combine(START + timedelta(weeks=week, days=day), datetime.min.time(), UTC)


def _ctx(min_group: int = 5, cost: float | None = 95.0) -> roi_service.Context:
    return roi_service.Context(
        team_id=TEAM,
        today=START + timedelta(weeks=WEEKS, days=2),
        min_group=min_group,
        high_threshold=4.0,
        catalog=MetricCatalog(),
        costs=RoiSettings(cost, "EUR" if cost else None),
    )


def _pain(week: int, person: int, fixed: bool) -> float:
    level = 2.0 if fixed and week > FIX_WEEK else 4.2
    return max(1.0, min(5.0, round(level + NOISE[(week + person) % len(NOISE)] * 2)))


def _team(session: Session, *, first_person_shift: float = 0.0) -> None:
    one = make_item(session, "DEBT-1", component="ingest")
    two = make_item(session, "DEBT-2", component="serving")
    for week in range(WEEKS):
        run = make_run(session, scheduled_for=_at(week), status="closed")
        for person, user in enumerate(PEOPLE):
            for item, fixed in ((one, True), (two, False)):
                responses.upsert_response(
                    session,
                    team_id=TEAM,
                    poll_run_id=run.id,
                    question_id="pain",
                    debt_item_id=item.id,
                    respondent=user,
                    value=max(
                        1.0,
                        min(
                            5.0,
                            _pain(week, person, fixed) + (first_person_shift if person == 0 else 0),
                        ),
                    ),
                    text_value=None,
                    at=_at(week, 2),
                )
        cycle = 40.0 if week < FIX_WEEK else 31.0
        serving = 35.0
        points = [
            metrics.NewPoint(
                "feature_cycle_time_hours",
                "ingest",
                cycle + NOISE[week % 8] * 3,
                "hours",
                _at(week, 3),
            ),
            metrics.NewPoint(
                "feature_cycle_time_hours",
                "serving",
                serving + NOISE[(week + 3) % 8] * 3,
                "hours",
                _at(week, 3),
            ),
        ]
        metrics.upsert_points(
            session, team_id=TEAM, points=points, source="csv", received_at=_at(week, 3)
        )
    stored = session.get(DebtItem, one.id)
    assert stored is not None
    stored.status = "resolved"
    stored.resolved_at = _at(FIX_WEEK, 2)
    stored.effort_spent_days = 3.0
    session.add(stored)
    session.commit()


def test_a_fix_that_lowered_pain_and_cycle_time_is_reported_with_its_cost(session) -> None:
    _team(session)
    report = roi_service.item_roi(session, _ctx(), "debt-1")
    assert report.key == "DEBT-1" and report.resolved_on == _at(FIX_WEEK, 2).date()
    assert report.cost.effort_days == 3.0 and report.cost.hours == 24.0
    assert report.cost.money == pytest.approx(24 * 95.0)
    by_name = {(m.name, m.scope): m for m in report.metrics}
    pain = by_name[("pain", "DEBT-1")].result
    assert pain.verdict == "improved"
    assert pain.effect is not None and pain.effect.method == "did"  # DEBT-2 is the control
    assert pain.effect.high < 0 and -3.0 < pain.effect.estimate < -1.5
    cycle = by_name[("feature_cycle_time_hours", "ingest")].result
    assert cycle.verdict == "improved" and cycle.effect is not None
    assert cycle.effect.low < -9 < cycle.effect.high
    assert cycle.pre.weeks >= 4 and cycle.post.weeks >= 2
    payload = roi_service.as_json(report)
    assert set(payload) >= {
        "key",
        "resolved_on",
        "cost",
        "metrics",
        "hours_saved_per_week",
        "payback_weeks",
        "caveats",
    }
    assert set(payload["cost"]) >= {"effort_days", "hours", "money"}
    first = payload["metrics"][0]
    assert set(first) == {"name", "scope", "unit", "direction", "pre", "post", "effect", "verdict"}
    assert set(first["effect"]) == {"estimate", "low", "high", "method"}
    json.dumps(payload)  # plain JSON


def test_an_item_left_alone_is_not_reported_and_an_unknown_key_is_named(session) -> None:
    _team(session)
    with pytest.raises(roi_service.RoiRefused, match="DEBT-2 is open, not resolved"):
        roi_service.item_roi(session, _ctx(), "DEBT-2")
    with pytest.raises(roi_service.RoiRefused, match="DEBT-9: no such debt item"):
        roi_service.item_roi(session, _ctx(), "DEBT-9")


def test_pain_from_fewer_people_than_the_anonymity_group_is_insufficient_data(session) -> None:
    """Six people answered; with a minimum group of 7 no week of pain may be shown, so the
    report says insufficient data and shows no mean — the same rule as every other view."""
    _team(session)
    report = roi_service.item_roi(session, _ctx(min_group=7), "DEBT-1")
    pain = next(m for m in report.metrics if m.name == "pain")
    assert pain.result.verdict == "insufficient_data"
    assert pain.result.effect is None
    assert pain.result.pre.mean is None and pain.result.post.mean is None
    assert any("fewer than 7 people" in caveat for caveat in report.caveats)


def test_every_fix_since_a_date_with_totals(session) -> None:
    _team(session)
    reports = roi_service.roi_since(session, _ctx(), START)
    assert [r.key for r in reports] == ["DEBT-1"]
    totals = roi_service.totals(reports)
    assert totals.items == 1 and totals.effort_days == 3.0
    assert roi_service.roi_since(session, _ctx(), START + timedelta(weeks=FIX_WEEK + 1)) == []


def test_one_persons_answers_under_the_group_change_no_roi_figure(
    migrated_sqlite_template: Path, tmp_path: Path
) -> None:
    """Neighbouring worlds: the same team, except what one person answered (every week,
    two points apart). With a minimum group larger than the people answering, nothing of
    the ROI report may tell the two worlds apart: not its JSON, not its text lines, not
    the digest's section."""
    from bot.cli.roi_cmds import text_lines

    seen = []
    for shift in (0.0, 2.0):
        path = tmp_path / f"world-{shift}.db"
        shutil.copy(migrated_sqlite_template, path)
        engine = db.make_engine(f"sqlite:///{path}")
        with Session(engine) as session:
            _team(session, first_person_shift=shift)
            report = roi_service.item_roi(session, _ctx(min_group=7), "DEBT-1")
            since = roi_service.roi_since(session, _ctx(min_group=7), START)
        engine.dispose()
        seen.append(
            (
                json.dumps(roi_service.as_json(report), sort_keys=True),
                text_lines(report),
                [roi_service.as_json(r) for r in since],
            )
        )
    assert seen[0] == seen[1]
    # and the same worlds do differ once the group is small enough to release them
    released = []
    for shift in (0.0, 2.0):
        path = tmp_path / f"released-{shift}.db"
        shutil.copy(migrated_sqlite_template, path)
        engine = db.make_engine(f"sqlite:///{path}")
        with Session(engine) as session:
            _team(session, first_person_shift=shift)
            released.append(roi_service.as_json(roi_service.item_roi(session, _ctx(), "DEBT-1")))
        engine.dispose()
    assert released[0] != released[1]
