"""The signals inbox service on SQLite and PostgreSQL: where a webhook event goes, how the
ones no item claims wait in groups, and what routing or ignoring a group stores — signals
counted from when each was observed, a saved rule, the audit trail — or refuses, changing
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.core.routing import Rule, group_handle
from bot.core.score_settings import ScoreSettings
from bot.core.webhooks.events import Action, HookEvent, Kind
from bot.services import inbox
from bot.services.inbox import InboxRefused
from bot.services.ranking import current_ranking
from storage.models import AuditEvent, Signal, SignalInbox, SignalRoute
from tests.factories import TEAM, make_item

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
ALERTS = "alertmanager/alert: alertname=HighErrorRate"
NIGHTLY = "github/ci_failure: workflow=nightly [linux]*, repo=acme/ml-platform"
OTHER_TEAM = "T0002"


def _event(
    n: int,
    *,
    source: str = "alertmanager",
    kind: Kind = "alert",
    action: Action = "open",
    at: datetime | None = None,
    ended_at: datetime | None = None,
    debt_key: str | None = None,
    **attributes: str,
) -> HookEvent:
    attrs = attributes or {"alertname": "HighErrorRate", "labels.service": "ingest"}
    return HookEvent(
        source=source,
        kind=kind,
        action=action,
        dedup_key=f"{source}:{n}",
        observed_at=at or NOW - timedelta(days=3, hours=-n),
        title=f"{source} event {n}",
        ended_at=ended_at,
        debt_key=debt_key,
        url=f"https://example.com/{n}",
        value=1.0,
        attributes=attrs,
    )


def _nightly(n: int, **changes: object) -> HookEvent:
    return _event(
        n,
        source="github",
        kind="ci_failure",
        workflow="nightly [linux]*",
        repo="acme/ml-platform",
        **changes,  # type: ignore[arg-type]
    )


def _waiting(session: Session, team: str = TEAM) -> dict[str, str]:
    rows = session.exec(select(SignalInbox).where(SignalInbox.team_id == team)).all()
    return {row.dedup_key: row.status for row in rows}


def test_an_event_goes_to_the_item_it_names_else_the_first_rule_else_nowhere(
    session: Session,
) -> None:
    for key in ("DEBT-1", "DEBT-2", "DEBT-3"):
        make_item(session, key)
    make_item(session, "DEBT-9", team_id=OTHER_TEAM)
    rules = [
        Rule({"source": "alertmanager", "labels.service": "ing*"}, "DEBT-9", "routes.yaml:2"),
        Rule({"source": "alertmanager", "labels.service": "ingest"}, "DEBT-2", "routes.yaml:4"),
        Rule({"source": "alertmanager"}, "DEBT-3", "routes.yaml:6"),
    ]
    alert = _event(1)
    assert inbox.destination(session, TEAM, _event(1, debt_key="debt-1"), rules) == "DEBT-1"
    # the team has no DEBT-9 (another workspace has): that rule is passed over
    assert inbox.destination(session, TEAM, alert, rules) == "DEBT-2"
    assert inbox.destination(session, OTHER_TEAM, alert, rules) == "DEBT-9"
    # a named key the team lacks falls back to the rules
    assert inbox.destination(session, TEAM, _event(1, debt_key="DEBT-77"), rules) == "DEBT-2"
    assert inbox.destination(session, TEAM, _nightly(2), rules) is None
    assert inbox.destination(session, TEAM, alert, []) is None


def test_waiting_signals_are_grouped_by_what_they_share(session: Session) -> None:
    for n in range(3):
        assert inbox.file_unrouted(session, TEAM, _event(n), received_at=NOW)
    assert inbox.file_unrouted(
        session, TEAM, _event(3, **{"alertname": "HighErrorRate", "instance": "a"}), received_at=NOW
    )
    suggestion = _event(
        7, source="github", kind="custom", action="suggest", repo="acme/api", label="tech-debt"
    )
    assert inbox.file_unrouted(session, TEAM, suggestion, received_at=NOW)
    assert inbox.file_unrouted(session, TEAM, _nightly(8), received_at=NOW)
    assert inbox.file_unrouted(session, OTHER_TEAM, _event(0), received_at=NOW)
    assert not inbox.file_unrouted(session, TEAM, _event(1), received_at=NOW)  # seen before

    groups = inbox.pending_groups(session, TEAM)
    assert [(g.key, g.count, g.suggestions) for g in groups] == [
        (ALERTS, 4, 0),
        (NIGHTLY, 1, 0),
        ("github/custom: repo=acme/api", 1, 1),
    ]
    alerts = groups[0]
    assert (alerts.source, alerts.kind) == ("alertmanager", "alert")
    assert alerts.first_seen == _event(0).observed_at
    assert alerts.last_seen == _event(3).observed_at
    assert (alerts.title, alerts.url) == ("alertmanager event 3", "https://example.com/3")
    assert alerts.shared == (("alertname", "HighErrorRate"),)
    assert alerts.handle == group_handle(ALERTS)
    assert inbox.find_group(session, TEAM, alerts.handle) == alerts
    assert inbox.find_group(session, TEAM, f" {ALERTS} ") == alerts
    assert inbox.find_group(session, TEAM, "deadbeef") is None
    assert [g.count for g in inbox.pending_groups(session, OTHER_TEAM)] == [1]


def test_an_end_reaches_the_waiting_signal(session: Session) -> None:
    began = NOW - timedelta(hours=5)
    inbox.file_unrouted(session, TEAM, _event(1, at=began), received_at=NOW)
    inbox.file_unrouted(session, TEAM, _event(2, at=began), received_at=NOW)
    resolved = began + timedelta(hours=2)
    closing = _event(1, action="close", at=began, ended_at=resolved)
    assert not inbox.file_unrouted(session, TEAM, closing, received_at=NOW)
    again = _event(2, at=began, ended_at=began + timedelta(hours=3))
    assert not inbox.file_unrouted(session, TEAM, again, received_at=NOW)
    orphan = _event(5, action="close", at=began, ended_at=resolved)
    assert not inbox.file_unrouted(session, TEAM, orphan, received_at=NOW)  # files nothing
    rows = session.exec(select(SignalInbox).order_by(SignalInbox.dedup_key)).all()
    assert [(r.dedup_key, r.ended_at) for r in rows] == [
        ("alertmanager:1", resolved),
        ("alertmanager:2", began + timedelta(hours=3)),
    ]


def test_routing_a_group_counts_each_signal_from_when_it_was_observed(
    session: Session,
) -> None:
    item = make_item(session, "DEBT-4", title="Ingest alerts")
    began = NOW - timedelta(days=20)
    events = [_event(n, at=began + timedelta(days=n)) for n in range(3)]
    events[0] = _event(0, at=began, ended_at=began + timedelta(hours=2))
    for event in events:
        inbox.file_unrouted(session, TEAM, event, received_at=NOW - timedelta(days=1))
    inbox.file_unrouted(session, TEAM, _nightly(9), received_at=NOW)
    settings = ScoreSettings()
    before = current_ranking(session, team_id=TEAM, now=NOW, settings=settings).find("DEBT-4")
    assert before is not None and before.breakdown.components["signals"] == 0

    routed = inbox.route_group(
        session, TEAM, ALERTS, "debt-4", save_rule=False, actor="U0LEAD", now=NOW
    )

    assert (routed.debt_key, routed.signals, routed.stored, routed.rule) == ("DEBT-4", 3, 3, None)
    stored = session.exec(select(Signal).order_by(Signal.observed_at)).all()
    assert [(s.debt_item_id, s.kind, s.source, s.observed_at, s.ended_at) for s in stored] == [
        (item.id, "alert", "alertmanager", e.observed_at, e.ended_at) for e in events
    ]
    assert {s.received_at for s in stored} == {NOW - timedelta(days=1)}
    assert _waiting(session) == {
        "alertmanager:0": "routed",
        "alertmanager:1": "routed",
        "alertmanager:2": "routed",
        "github:9": "pending",
    }
    after = current_ranking(session, team_id=TEAM, now=NOW, settings=settings).find("DEBT-4")
    assert after is not None and after.breakdown.components["signals"] > 0
    (event,) = session.exec(select(AuditEvent)).all()
    assert (event.action, event.actor, event.subject) == ("signal_inbox.routed", "U0LEAD", "DEBT-4")
    assert event.after == {"group": ALERTS, "signals": 3, "stored": 3, "rule": None}
    assert session.exec(select(SignalRoute)).all() == []


def test_a_saved_rule_takes_the_groups_signals_to_come_and_only_those(session: Session) -> None:
    make_item(session, "DEBT-5")
    make_item(session, "DEBT-6")
    inbox.file_unrouted(session, TEAM, _nightly(1), received_at=NOW)
    routed = inbox.route_group(
        session, TEAM, NIGHTLY, "DEBT-5", save_rule=True, actor="U0LEAD", now=NOW
    )
    assert routed.rule is not None and routed.rule.where == "saved by U0LEAD"
    (rule,) = session.exec(select(SignalRoute)).all()
    assert (rule.team_id, rule.debt_key, rule.created_by) == (TEAM, "DEBT-5", "U0LEAD")
    assert rule.match == {
        "source": "github",
        "kind": "ci_failure",
        "workflow": "nightly [[]linux][*]",
        "repo": "acme/ml-platform",
    }
    assert inbox.destination(session, TEAM, _nightly(2), []) == "DEBT-5"
    assert inbox.destination(session, TEAM, _nightly(3, at=NOW), []) == "DEBT-5"
    assert inbox.destination(session, OTHER_TEAM, _nightly(2), []) is None
    other = _event(
        4, source="github", kind="ci_failure", workflow="nightly l", repo="acme/ml-platform"
    )
    assert inbox.destination(session, TEAM, other, []) is None
    # routes.yaml comes first
    first = [Rule({"source": "github"}, "DEBT-6", "routes.yaml:2")]
    assert inbox.destination(session, TEAM, _nightly(2), first) == "DEBT-6"

    # the same group routed again elsewhere, saving again: the rule follows, in its place
    inbox.file_unrouted(session, TEAM, _nightly(5), received_at=NOW)
    again = inbox.route_group(
        session, TEAM, NIGHTLY, "DEBT-6", save_rule=True, actor="U0OTHER", now=NOW
    )
    assert again.replaced == "DEBT-5"
    assert [(r.id, r.debt_key) for r in session.exec(select(SignalRoute)).all()] == [
        (rule.id, "DEBT-6")
    ]
    assert inbox.destination(session, TEAM, _nightly(2), []) == "DEBT-6"


def test_ignoring_a_group_counts_its_signals_for_no_item(session: Session) -> None:
    make_item(session, "DEBT-1")
    for n in range(2):
        inbox.file_unrouted(session, TEAM, _event(n), received_at=NOW)
    ignored = inbox.ignore_group(session, TEAM, ALERTS, actor="U0LEAD", now=NOW)
    assert (ignored.group, ignored.signals) == (ALERTS, 2)
    assert set(_waiting(session).values()) == {"ignored"}
    assert session.exec(select(Signal)).all() == []
    assert inbox.pending_groups(session, TEAM) == []
    (event,) = session.exec(select(AuditEvent)).all()
    assert (event.action, event.subject) == (
        "signal_inbox.ignored",
        f"inbox {group_handle(ALERTS)}",
    )
    # a later one of the group waits again
    assert inbox.file_unrouted(session, TEAM, _event(9), received_at=NOW)
    assert [g.count for g in inbox.pending_groups(session, TEAM)] == [1]


def test_a_decision_that_cannot_be_made_changes_nothing(session: Session) -> None:
    make_item(session, "DEBT-1")
    inbox.file_unrouted(session, TEAM, _event(1), received_at=NOW)
    with pytest.raises(InboxRefused) as no_item:
        inbox.route_group(session, TEAM, ALERTS, "DEBT-404", save_rule=True, actor="U1", now=NOW)
    assert (no_item.value.argument, no_item.value.message) == (
        "KEY",
        "no debt item DEBT-404 in this team",
    )
    with pytest.raises(InboxRefused) as no_group:
        inbox.route_group(session, TEAM, NIGHTLY, "DEBT-1", save_rule=True, actor="U1", now=NOW)
    assert no_group.value.argument == "GROUP" and "routed or ignored already" in (
        no_group.value.message
    )
    with pytest.raises(InboxRefused):
        inbox.ignore_group(session, OTHER_TEAM, ALERTS, actor="U1", now=NOW)  # not theirs
    assert _waiting(session) == {"alertmanager:1": "pending"}
    assert session.exec(select(Signal)).all() == []
    assert session.exec(select(SignalRoute)).all() == []
    assert session.exec(select(AuditEvent)).all() == []

    inbox.route_group(session, TEAM, ALERTS, "DEBT-1", save_rule=False, actor="U1", now=NOW)
    with pytest.raises(InboxRefused):  # a second lead, a moment later
        inbox.ignore_group(session, TEAM, ALERTS, actor="U2", now=NOW)
    assert _waiting(session) == {"alertmanager:1": "routed"}


def test_the_items_a_group_can_go_to_are_the_open_ones_in_key_order(session: Session) -> None:
    make_item(session, "DEBT-10", title="Ten")
    make_item(session, "DEBT-2", title="Two")
    make_item(session, "DEBT-3", title="Three", status="resolved")
    make_item(session, "DEBT-4", title="Four", status="in_progress")
    assert inbox.route_targets(session, TEAM) == [
        ("DEBT-2", "Two"),
        ("DEBT-4", "Four"),
        ("DEBT-10", "Ten"),
    ]
