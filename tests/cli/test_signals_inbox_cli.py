"""``debtpulse signals inbox [route|ignore]``: the waiting groups listed with a handle to type;
a group routed by handle (with its rule saved) or ignored, audited; a bad group or key is one
line naming the argument and changes nothing. ``debtpulse why`` then names where the item's
signals came from."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.routing import group_handle
from bot.core.webhooks.events import HookEvent
from bot.services import inbox
from storage import register, signals
from storage.models import AuditEvent, Signal, SignalInbox, SignalRoute
from storage.types import utcnow

TEAM = "local"
ALERTS = "alertmanager/alert: alertname=DiskFull"
BUILDS = "github/ci_failure: workflow=ci, repo=acme/api"


def _arrange(session: Session) -> None:
    """DEBT-1 (with a signal sent over the API without a source), three alerts and one
    failed build waiting in the inbox."""
    now = utcnow()
    item, _ = register.upsert_item(
        session, team_id=TEAM, key="DEBT-1", fields={"title": "Disks fill up"}, now=now
    )
    assert item.id is not None
    signals.add_signal(
        session,
        team_id=TEAM,
        debt_item_id=item.id,
        kind="incident",
        value=1.0,
        source="",
        observed_at=now - timedelta(days=1),
        dedup_key="api:1",
        received_at=now,
    )
    for n in range(3):
        event = HookEvent(
            source="alertmanager",
            kind="alert",
            action="open",
            dedup_key=f"am:{n}",
            observed_at=now - timedelta(days=2, hours=n),
            title=f"DiskFull on node-{n}",
            attributes={"alertname": "DiskFull", "labels.severity": "page"},
        )
        inbox.file_unrouted(session, TEAM, event, received_at=now)
    build = HookEvent(
        source="github",
        kind="ci_failure",
        action="open",
        dedup_key="gh:1",
        observed_at=now - timedelta(hours=3),
        title="ci failed on main",
        url="https://github.com/acme/api/actions/runs/1",
        attributes={"workflow": "ci", "repo": "acme/api", "branch": "main"},
    )
    inbox.file_unrouted(session, TEAM, build, received_at=now)
    session.commit()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_the_inbox_lists_its_groups_with_a_handle(cli, cli_db: Engine, session: Session) -> None:  # type: ignore[no-untyped-def]
    empty = cli("signals", "inbox")
    assert (empty.code, empty.out) == (0, "local: the signals inbox is empty\n")

    _arrange(session)
    listed = cli("signals", "inbox", "--team", TEAM)
    assert listed.code == 0, listed
    lines = listed.out.splitlines()
    assert lines[0] == "local: 4 signals in 2 groups wait in the signals inbox"
    assert lines[1] == f"{group_handle(ALERTS)}  {ALERTS}"
    assert lines[2].startswith("          3 signals, first seen ")
    assert lines[3] == "          shared: alertname=DiskFull, labels.severity=page"
    assert lines[4] == "          e.g. DiskFull on node-0"
    assert lines[5] == f"{group_handle(BUILDS)}  {BUILDS}"
    assert "e.g. ci failed on main  https://github.com/acme/api/actions/runs/1" in listed.out
    assert lines[-1].startswith("route a group: debtpulse signals inbox route GROUP KEY")


def test_a_group_is_routed_by_its_handle_and_its_rule_saved(
    cli, cli_db: Engine, session: Session
) -> None:  # type: ignore[no-untyped-def]
    _arrange(session)
    routed = cli(
        "signals", "inbox", "route", group_handle(ALERTS), "debt-1", "--save-rule",
        "--actor", "ops@example",
    )  # fmt: skip
    assert routed.code == 0, routed
    assert routed.out == (
        f"routed 3 signals of {ALERTS} to DEBT-1; each counts from when it was observed\n"
        "saved a rule: signals matching source=alertmanager, kind=alert, alertname=DiskFull "
        "go to DEBT-1\n"
    )
    session.expire_all()
    stored = session.exec(select(Signal.dedup_key).order_by(Signal.dedup_key)).all()
    assert stored == ["am:0", "am:1", "am:2", "api:1"]
    (rule,) = session.exec(select(SignalRoute)).all()
    assert (rule.debt_key, rule.created_by) == ("DEBT-1", "ops@example")
    trail = session.exec(select(AuditEvent.action, AuditEvent.actor)).all()
    assert trail == [("signal_inbox.routed", "ops@example")]

    listed = cli("signals", "inbox")
    assert ALERTS not in listed.out and BUILDS in listed.out

    why = cli("why", "DEBT-1", "--team", TEAM)
    assert why.code == 0, why
    assert "4 signals: 3 from alertmanager, 1 with no source; 3 alerts, 1 incident" in why.out


def test_a_group_is_ignored_by_its_key(cli, cli_db: Engine, session: Session) -> None:  # type: ignore[no-untyped-def]
    _arrange(session)
    ignored = cli("signals", "inbox", "--team", TEAM, "ignore", BUILDS)
    assert ignored.code == 0, ignored
    assert ignored.out == f"ignored 1 signal of {BUILDS}: they count for no item\n"
    session.expire_all()
    rows = session.exec(select(SignalInbox).where(SignalInbox.group_key == BUILDS)).all()
    assert [(row.status, row.decided_by is not None) for row in rows] == [("ignored", True)]
    assert session.exec(select(AuditEvent.action)).all() == ["signal_inbox.ignored"]


def test_a_bad_group_key_or_actor_is_one_line_and_changes_nothing(
    cli, cli_db: Engine, session: Session
) -> None:  # type: ignore[no-untyped-def]
    _arrange(session)
    no_group = cli("signals", "inbox", "route", "deadbeef", "DEBT-1")
    assert no_group.code == 1
    assert _one_line(no_group.err) == (
        "debtpulse: GROUP: no group 'deadbeef' waits in the signals inbox of local "
        "(`debtpulse signals inbox` lists them)"
    )
    no_item = cli("signals", "inbox", "route", group_handle(ALERTS), "DEBT-9", "--save-rule")
    assert no_item.code == 1
    assert _one_line(no_item.err) == (
        "debtpulse: KEY: no debt item DEBT-9 in this team; nothing was changed"
    )
    no_actor = cli("signals", "inbox", "ignore", group_handle(ALERTS), "--actor", " ")
    assert no_actor.code == 1
    assert _one_line(no_actor.err) == "debtpulse: --actor: 1 to 64 characters expected (got 0)"
    other_team = cli("signals", "inbox", "--team", "T0NOPE")
    assert other_team.code == 1 and "--team: no workspace 'T0NOPE' here" in other_team.err
    session.expire_all()
    assert {row.status for row in session.exec(select(SignalInbox)).all()} == {"pending"}
    assert session.exec(select(Signal.dedup_key)).all() == ["api:1"]
    assert session.exec(select(SignalRoute)).all() == []
    assert session.exec(select(AuditEvent)).all() == []
