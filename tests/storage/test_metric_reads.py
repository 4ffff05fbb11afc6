"""Metric points stored and read back as weekly series, on SQLite and PostgreSQL: a point
sent again replaces its value, weeks start on Monday (UTC), signal counts are zero-filled
and the time to recover comes from the signals that say when they ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage import metrics, signals
from storage.metrics import NewPoint, WeekValue
from storage.models import MetricPoint
from storage.reader import open_sqlite
from tests.factories import TEAM, make_item

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday, 00:00 UTC
RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)


def _point(
    at: datetime, value: float, *, metric: str = "feature_cycle_time_hours", scope: str = "team"
) -> NewPoint:
    return NewPoint(metric, scope, value, "hours", at)


def _store(session: Session, points: list[NewPoint], team_id: str = TEAM) -> metrics.Upserted:
    counts = metrics.upsert_points(
        session, team_id=team_id, points=points, source="csv", received_at=RECEIVED
    )
    session.commit()
    return counts


def _signal(
    session: Session,
    item_id: int,
    key: str,
    at: datetime,
    *,
    kind: str = "incident",
    **end: datetime,
) -> None:
    signals.add_signal(
        session,
        team_id=TEAM,
        debt_item_id=item_id,
        kind=kind,
        value=3.0,  # a weight in the score: a signal still counts once
        source="pagerduty",
        observed_at=at,
        dedup_key=key,
        received_at=RECEIVED,
        ended_at=end.get("ended_at"),
    )


def test_a_point_sent_again_replaces_its_value(session: Session) -> None:
    first = _store(session, [_point(MONDAY, 10.0), _point(MONDAY + timedelta(days=1), 12.0)])
    assert first == metrics.Upserted(stored=2, replaced=0)
    again = _store(session, [_point(MONDAY, 20.0), _point(MONDAY + timedelta(days=2), 14.0)])
    assert again == metrics.Upserted(stored=1, replaced=1)
    rows = session.exec(select(MetricPoint).order_by(col(MetricPoint.observed_at))).all()
    assert [(r.value, r.observed_at) for r in rows] == [
        (20.0, MONDAY),
        (12.0, MONDAY + timedelta(days=1)),
        (14.0, MONDAY + timedelta(days=2)),
    ]
    # the same moment written in another zone is the same point
    berlin = MONDAY.astimezone(timezone(timedelta(hours=1)))
    assert _store(session, [_point(berlin, 30.0)]) == metrics.Upserted(stored=0, replaced=1)


def test_more_points_than_one_statement_takes_are_stored_in_batches(session: Session) -> None:
    many = [_point(MONDAY + timedelta(hours=n), float(n)) for n in range(2 * metrics.BATCH + 7)]
    assert _store(session, many) == metrics.Upserted(stored=len(many), replaced=0)
    half = [*many[: metrics.BATCH + 3], _point(MONDAY - timedelta(hours=1), 1.0)]
    assert _store(session, half) == metrics.Upserted(stored=1, replaced=metrics.BATCH + 3)
    assert len(session.exec(select(MetricPoint)).all()) == len(many) + 1


def test_two_points_at_the_same_key_in_one_batch_are_a_caller_error(session: Session) -> None:
    with pytest.raises(ValueError, match="share metric, scope and observed_at"):
        _store(session, [_point(MONDAY, 1.0), _point(MONDAY, 2.0)])


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_the_database_refuses_a_value_that_is_not_finite(session: Session, value: float) -> None:
    with pytest.raises(IntegrityError):
        _store(session, [_point(MONDAY, value)])


def test_weekly_means_start_on_monday_and_leave_out_weeks_without_points(
    session: Session,
) -> None:
    week = timedelta(weeks=1)
    _store(
        session,
        [
            _point(MONDAY, 10.0),
            _point(MONDAY + timedelta(days=6, hours=23, minutes=59), 20.0),  # Sunday night
            _point(MONDAY + week, 40.0),  # the next Monday, 00:00: a new week
            _point(MONDAY + 3 * week, 7.0),  # a week without points before it
            _point(MONDAY + week, 99.0, scope="ingestion"),  # another scope
            _point(MONDAY + week, 99.0, metric="mttr_hours"),  # another metric
            _point(MONDAY + 9 * week, 99.0),  # after the window
        ],
    )
    _store(session, [_point(MONDAY, 99.0)], team_id="T0OTHER")  # another team
    series = metrics.weekly_metric(
        session,
        TEAM,
        "feature_cycle_time_hours",
        "team",
        since=date(2026, 11, 4),
        until=date(2026, 11, 23),
    )
    assert series == [
        WeekValue(date(2026, 11, 2), 15.0, 2),
        WeekValue(date(2026, 11, 9), 40.0, 1),
        WeekValue(date(2026, 11, 23), 7.0, 1),
    ]
    assert metrics.weekly_metric(
        session, TEAM, "feature_cycle_time_hours", "ingestion", since=MONDAY, until=MONDAY + week
    ) == [WeekValue(date(2026, 11, 9), 99.0, 1)]
    assert metrics.scopes_with_metric(session, TEAM, "feature_cycle_time_hours") == [
        "ingestion",
        "team",
    ]
    assert metrics.scopes_with_metric(session, TEAM, "deploy_frequency") == []
    assert metrics.point_counts(session, TEAM) == {"feature_cycle_time_hours": 6, "mttr_hours": 1}


def test_signal_counts_fill_every_week_and_count_each_signal_once(session: Session) -> None:
    item = make_item(session, "DEBT-1")
    other = make_item(session, "DEBT-2")
    assert item.id is not None and other.id is not None
    _signal(session, item.id, "PD-1", MONDAY + timedelta(hours=5))
    _signal(session, item.id, "PD-2", MONDAY + timedelta(days=3))
    _signal(session, item.id, "PD-3", MONDAY + timedelta(weeks=2, days=6))
    _signal(session, item.id, "AL-1", MONDAY + timedelta(days=1), kind="alert")
    _signal(session, other.id, "PD-4", MONDAY + timedelta(days=1))
    session.commit()
    series = metrics.weekly_signal_counts(
        session, TEAM, item.id, "incident", since=date(2026, 10, 26), until=date(2026, 11, 22)
    )
    assert series == [
        WeekValue(date(2026, 10, 26), 0.0, 0),
        WeekValue(date(2026, 11, 2), 2.0, 2),
        WeekValue(date(2026, 11, 9), 0.0, 0),
        WeekValue(date(2026, 11, 16), 1.0, 1),
    ]
    alerts = metrics.weekly_signal_counts(
        session, TEAM, item.id, "alert", since=MONDAY, until=MONDAY
    )
    assert alerts == [WeekValue(date(2026, 11, 2), 1.0, 1)]


def test_time_to_recover_is_read_from_the_signals_that_ended(session: Session) -> None:
    item = make_item(session, "DEBT-1")
    assert item.id is not None
    start = MONDAY + timedelta(hours=9)
    _signal(session, item.id, "PD-1", start, ended_at=start + timedelta(hours=2))
    _signal(
        session,
        item.id,
        "PD-2",
        start + timedelta(days=1),
        ended_at=start + timedelta(days=1, hours=4),
    )
    _signal(session, item.id, "PD-3", start + timedelta(days=2))  # still going: not counted
    _signal(
        session,
        item.id,
        "AL-1",
        start + timedelta(weeks=1),
        kind="alert",
        ended_at=start + timedelta(weeks=1, minutes=30),
    )
    session.commit()
    until = MONDAY + timedelta(weeks=2)
    assert metrics.weekly_time_to_recover(session, TEAM, item.id, since=MONDAY, until=until) == [
        WeekValue(date(2026, 11, 2), 3.0, 2),
        WeekValue(date(2026, 11, 9), 0.5, 1),
    ]
    incidents = metrics.weekly_time_to_recover(
        session, TEAM, item.id, since=MONDAY, until=until, kind="incident"
    )
    assert incidents == [WeekValue(date(2026, 11, 2), 3.0, 2)]
    assert metrics.signal_counts(session, TEAM) == metrics.SignalCounts(
        {"incident": 3, "alert": 1}, ended=3
    )


def test_an_end_is_recorded_once_and_never_before_the_start(session: Session) -> None:
    item = make_item(session, "DEBT-1")
    assert item.id is not None
    _signal(session, item.id, "PD-1", MONDAY)
    before = MONDAY - timedelta(hours=1)
    assert not signals.record_end(session, team_id=TEAM, dedup_key="PD-1", ended_at=before)
    end = MONDAY + timedelta(hours=2)
    assert signals.record_end(session, team_id=TEAM, dedup_key="PD-1", ended_at=end)
    later = MONDAY + timedelta(hours=5)
    assert not signals.record_end(session, team_id=TEAM, dedup_key="PD-1", ended_at=later)
    assert not signals.record_end(session, team_id="T0OTHER", dedup_key="PD-1", ended_at=end)
    session.commit()
    assert metrics.weekly_time_to_recover(session, TEAM, item.id, since=MONDAY, until=MONDAY) == [
        WeekValue(date(2026, 11, 2), 2.0, 1)
    ]


def test_a_plain_sqlite_read_gives_the_same_series(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        pytest.skip("the standard library reads SQLite files only")
    _store(session, [_point(MONDAY, 10.0), _point(MONDAY + timedelta(days=8), 30.0)])
    window = {"since": MONDAY, "until": MONDAY + timedelta(weeks=1)}
    through_session = metrics.weekly_metric(
        session, TEAM, "feature_cycle_time_hours", "team", **window
    )
    with open_sqlite(Path(str(bind.url.database))) as reader:  # type: ignore[union-attr]
        through_sqlite3 = metrics.weekly_metric(
            reader, TEAM, "feature_cycle_time_hours", "team", **window
        )
    assert (
        through_sqlite3
        == through_session
        == [
            WeekValue(date(2026, 11, 2), 10.0, 1),
            WeekValue(date(2026, 11, 9), 30.0, 1),
        ]
    )
