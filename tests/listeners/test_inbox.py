"""`/debt inbox` through the real Bolt app: a lead sees the webhook signals no item claimed,
grouped; picks an item, saves the rule and routes a group (its signals count from when each
was observed, and the next one of that group goes to the item by itself); ignores another;
anyone else is refused, in the command and on the buttons."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from bot.core.routing import group_handle
from bot.core.webhooks.events import HookEvent
from bot.services import inbox
from bot.services.ranking import current_ranking
from bot.slack.inbox_views import Choice, block_id
from storage.models import AuditEvent, Signal, SignalInbox, SignalRoute
from tests.listeners.conftest import (
    GENERAL,
    LEAD,
    MEMBER,
    TEAM,
    Harness,
    InProcessDriver,
    ack_json,
)

ALERTS = "alertmanager/alert: alertname=HighErrorRate"
PAGES = "pagerduty/incident: service=Feature store"


def _alert(n: int, at: datetime) -> HookEvent:
    return HookEvent(
        source="alertmanager",
        kind="alert",
        action="open",
        dedup_key=f"alertmanager:fp{n}:{at.isoformat()}",
        observed_at=at,
        title=f"HighErrorRate on ingest-{n}",
        url="https://alerts.example.com/am",
        attributes={"alertname": "HighErrorRate", "labels.service": "ingest", "n": str(n)},
    )


def _page(n: int, at: datetime) -> HookEvent:
    return HookEvent(
        source="pagerduty",
        kind="incident",
        action="open",
        dedup_key=f"pagerduty:P{n}",
        observed_at=at,
        title=f"Feature store timeouts #{n}",
        attributes={"service": "Feature store"},
    )


def _file(harness: Harness, *events: HookEvent) -> None:
    with harness.runtime.transaction() as session:
        for event in events:
            assert inbox.file_unrouted(session, TEAM, event, received_at=harness.runtime.clock())


def _arrange(harness: Harness) -> tuple[str, datetime]:
    """Two items; three alerts a few days old and two pages waiting in the inbox."""
    key = harness.add_item("Ingest error budget burns", component="ingest")
    harness.add_item("Feature store timeouts")
    now = harness.runtime.clock()
    first = now - timedelta(days=3)
    _file(harness, *(_alert(n, first + timedelta(hours=n)) for n in range(3)))
    _file(harness, *(_page(n, now - timedelta(days=1, hours=n)) for n in range(2)))
    return key, first


def _inbox_shown(harness: Harness) -> str:
    return harness.reply_to(LEAD, "Signals inbox")


def test_a_lead_routes_a_group_and_saves_its_rule(harness: Harness, lead: InProcessDriver) -> None:
    key, first = _arrange(harness)
    with harness.runtime.transaction(write=False) as session:
        before = current_ranking(
            session,
            team_id=TEAM,
            now=harness.runtime.clock(),
            settings=harness.runtime.score_settings,
        ).find(key)
    assert before is not None and before.breakdown.components["signals"] == 0

    lead.slash(text="inbox", channel=GENERAL)
    shown = _inbox_shown(harness)
    assert "5 webhook signals in 2 groups found no item" in shown
    assert "*alertmanager · alert* — 3 signals, first seen" in shown
    assert "They share `alertname=HighErrorRate` `labels.service=ingest`" in shown
    assert "e.g. <https://alerts.example.com/am|HighErrorRate on ingest-2>" in shown
    assert "*pagerduty · incident* — 2 signals" in shown and "`service=Feature store`" in shown
    # what "Save as a rule" would match, under the checkbox
    assert "source=alertmanager, kind=alert, alertname=HighErrorRate" in shown
    # the largest group first
    assert shown.index("alertmanager · alert") < shown.index("pagerduty · incident")

    handle = group_handle(ALERTS)
    lead.choose(f"inbox_item:{handle}", key, user=LEAD)
    lead.choose(f"inbox_rule:{handle}", ["save_rule"], user=LEAD)
    lead.click_button(f"inbox_route:{handle}", user=LEAD)

    (outcome,) = [told for told in harness.told(LEAD) if "Routed" in told]
    assert f"Routed 3 signals of `{ALERTS}` to `{key}`; each counts from when it was observed" in (
        outcome
    )
    assert "Saved a rule: signals matching `source=alertmanager, kind=alert, alertname=" in outcome
    assert "Signals inbox" not in "\n".join(harness.told(LEAD))  # replaced, not added to
    with harness.session() as session:
        stored = session.exec(select(Signal).order_by(Signal.observed_at)).all()
        rows = session.exec(select(SignalInbox).where(SignalInbox.group_key == ALERTS)).all()
        rules = session.exec(select(SignalRoute)).all()
        trail = session.exec(select(AuditEvent.action, AuditEvent.actor, AuditEvent.subject)).all()
    assert [(s.source, s.kind, s.observed_at) for s in stored] == [
        ("alertmanager", "alert", first + timedelta(hours=n)) for n in range(3)
    ]
    assert {(r.status, r.routed_to, r.decided_by) for r in rows} == {("routed", key, LEAD)}
    assert [(r.match, r.debt_key, r.created_by) for r in rules] == [
        ({"source": "alertmanager", "kind": "alert", "alertname": "HighErrorRate"}, key, LEAD)
    ]
    assert ("signal_inbox.routed", LEAD, key) in trail

    with harness.runtime.transaction(write=False) as session:
        after = current_ranking(
            session,
            team_id=TEAM,
            now=harness.runtime.clock(),
            settings=harness.runtime.score_settings,
        ).find(key)
        later = _alert(9, harness.runtime.clock())
        assert inbox.destination(session, TEAM, later, harness.runtime.routes) == key
    assert after is not None and after.breakdown.components["signals"] > 0

    lead.slash(text=f"why {key}", channel=GENERAL)
    assert "3 signals: 3 from alertmanager" in harness.reply_to(LEAD, f"{key} ·")

    lead.slash(text="inbox", channel=GENERAL)
    again = harness.reply_to(LEAD, "Signals inbox")
    assert "pagerduty · incident" in again and "alertmanager · alert" not in again


def test_a_lead_ignores_a_group(harness: Harness, lead: InProcessDriver) -> None:
    _arrange(harness)
    lead.slash(text="inbox", channel=GENERAL)
    _inbox_shown(harness)
    lead.click_button(f"inbox_ignore:{group_handle(PAGES)}", user=LEAD)

    outcome = harness.reply_to(LEAD, "Ignored")
    assert f"Ignored 2 signals of `{PAGES}`: they count for no item" in outcome
    with harness.session() as session:
        rows = session.exec(select(SignalInbox).where(SignalInbox.group_key == PAGES)).all()
        assert session.exec(select(Signal)).all() == []
        trail = session.exec(select(AuditEvent.action, AuditEvent.actor)).all()
    assert {(r.status, r.routed_to, r.decided_by) for r in rows} == {("ignored", None, LEAD)}
    assert ("signal_inbox.ignored", LEAD) in trail


def test_route_without_an_item_asks_for_one_and_changes_nothing(
    harness: Harness, lead: InProcessDriver
) -> None:
    _arrange(harness)
    lead.slash(text="inbox", channel=GENERAL)
    lead.click_button(f"inbox_route:{group_handle(ALERTS)}", user=LEAD)
    assert "Pick the item to route this group to first" in harness.reply_to(LEAD, "Pick the item")
    assert "Signals inbox" in _inbox_shown(harness)  # still there to pick from
    with harness.session() as session:
        assert {r.status for r in session.exec(select(SignalInbox)).all()} == {"pending"}


def test_others_are_refused_in_the_command_and_on_the_buttons(
    harness: Harness, member: InProcessDriver
) -> None:
    key, _ = _arrange(harness)
    ack = ack_json(member.slash(text="inbox", channel=GENERAL))
    assert ack["text"].startswith("Sorry, `/debt inbox` is for team leads.")

    handle = group_handle(ALERTS)  # a crafted click on a lead's buttons
    member.block_action(
        f"inbox_route:{handle}",
        ALERTS,
        block_id=block_id(handle, Choice(key, save_rule=True)),
        channel=GENERAL,
    )
    member.block_action(
        f"inbox_ignore:{group_handle(PAGES)}",
        PAGES,
        block_id=block_id(group_handle(PAGES), Choice()),
        channel=GENERAL,
    )
    refusals = [told for told in harness.told(MEMBER) if "for team leads" in told]
    assert len(refusals) == 3 and "Nothing was changed" in refusals[-1]
    with harness.session() as session:
        assert {r.status for r in session.exec(select(SignalInbox)).all()} == {"pending"}
        assert session.exec(select(Signal)).all() == []
        assert session.exec(select(SignalRoute)).all() == []
