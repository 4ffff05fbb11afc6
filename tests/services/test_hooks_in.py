"""The receiving service behind ``POST /api/hooks/<source>``: which secret serves which
workspace, and what a verified delivery's events become — a signal on the item they name or
a rule routes them to, a row in the inbox, the end of a stored occurrence — once per delivery
id, and all of a delivery or nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.core.components import signal_pressure
from bot.core.routing import Rule
from bot.core.score_settings import ScoreSettings
from bot.core.webhooks.events import Delivery, HookEvent
from bot.core.weights_file import load_weights
from bot.services import hooks_in, webhook_secrets
from storage.db import session_scope
from storage.models import Signal
from surveys import TemplateErrors
from tests.factories import NOW, TEAM, make_item

MASTER = "anon-secret-for-hook-tests"
KINDS = ("ci_failure", "data_quality", "code_quality")
EARLIER = NOW - timedelta(hours=3)


def _settings(**values: Any) -> Settings:
    return Settings(**values)


def _add(session: Session, team: str, source: str, master: str = MASTER) -> str:
    added = webhook_secrets.add(
        session, team_id=team, source=source, master=master, actor="t", reason="t", now=NOW
    )
    session.commit()
    assert added.secret is not None
    return added.secret


def _verifier(
    session: Session,
    source: str = "github",
    *,
    asked: str | None = None,
    posting: str | None = TEAM,
    settings: Settings | None = None,
    master: str | None = MASTER,
) -> hooks_in.Verifier:
    return hooks_in.verifier(
        session,
        source=source,
        asked=asked,
        posting_team=posting,
        settings=settings or _settings(),
        master=master,
    )


def test_a_workspace_secret_serves_its_workspace_and_the_environment_the_posting_one(
    session: Session,
) -> None:
    with pytest.raises(hooks_in.NoEndpoint):  # nothing configured: no endpoint
        _verifier(session)
    env = _settings(DEBTPULSE_GITHUB_SECRET="env-github-secret")
    found = _verifier(session, settings=env)
    assert (found.team_id, found.secret, found.origin) == (TEAM, "env-github-secret", "environment")
    assert "env-github-secret" not in repr(found)
    assert _verifier(session, asked=TEAM, settings=env).origin == "environment"
    with pytest.raises(hooks_in.NoEndpoint):  # the environment serves no other workspace
        _verifier(session, asked="T0OTHER", settings=env)
    with pytest.raises(hooks_in.NoEndpoint):  # nor another sender
        _verifier(session, "gitlab", settings=env)

    other = _add(session, "T0OTHER", "github")
    found = _verifier(session, asked="T0OTHER", settings=env)
    assert (found.team_id, found.secret, found.origin) == ("T0OTHER", other, "stored")
    mine = _add(session, TEAM, "github")  # the workspace's own comes before the environment
    assert _verifier(session, settings=env).secret == mine


def test_without_a_posting_workspace_the_url_must_name_one_when_several_could_have_sent_it(
    session: Session,
) -> None:
    with pytest.raises(hooks_in.NoEndpoint):
        _verifier(session, posting=None)
    _add(session, "T0A", "sentry")
    assert _verifier(session, "sentry", posting=None).team_id == "T0A"  # the only one
    _add(session, "T0B", "sentry")
    with pytest.raises(hooks_in.TeamNeeded, match=r"\?team=T"):
        _verifier(session, "sentry", posting=None)
    assert _verifier(session, "sentry", posting=None, asked="T0B").team_id == "T0B"
    env = _settings(DEBTPULSE_GITHUB_SECRET="env-github-secret")
    with pytest.raises(hooks_in.TeamNeeded):  # the environment's serves one workspace
        _verifier(session, posting=None, settings=env)


def test_alertmanager_is_taken_unsigned_only_when_the_operator_allows_it(
    session: Session,
) -> None:
    with pytest.raises(hooks_in.NoEndpoint):
        _verifier(session, "alertmanager")
    allowed = _settings(DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED="true")
    found = _verifier(session, "alertmanager", settings=allowed)
    assert (found.team_id, found.secret, found.origin) == (TEAM, None, "unsigned")
    with pytest.raises(hooks_in.NoEndpoint):  # for the posting workspace only
        _verifier(session, "alertmanager", asked="T0OTHER", settings=allowed)
    with pytest.raises(hooks_in.NoEndpoint):  # and for no other sender
        _verifier(session, "github", settings=allowed)
    both = _settings(
        DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED="true", DEBTPULSE_ALERTMANAGER_TOKEN="am-token"
    )
    assert _verifier(session, "alertmanager", settings=both).secret == "am-token"


def test_a_secret_that_does_not_open_is_no_endpoint_and_is_logged_without_it(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    secret = _add(session, TEAM, "gitlab")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(hooks_in.NoEndpoint):
        _verifier(session, "gitlab", master="another-anon-secret")
    with pytest.raises(hooks_in.NoEndpoint):
        _verifier(session, "gitlab", master=None)
    assert "sealed with another DEBTPULSE_ANON_SECRET" in caplog.text
    assert "debtpulse integrations add gitlab --team T0001 --replace" in caplog.text
    # a sealed secret moved to another workspace or sender does not open either
    session.execute(text("UPDATE webhook_secret SET team_id = 'T0THIEF'"))
    with pytest.raises(webhook_secrets.CannotOpen):
        webhook_secrets.stored_secret(session, team_id="T0THIEF", source="gitlab", master=MASTER)
    session.execute(text("UPDATE webhook_secret SET team_id = :t, source = 'github'"), {"t": TEAM})
    with pytest.raises(webhook_secrets.CannotOpen):
        webhook_secrets.stored_secret(session, team_id=TEAM, source="github", master=MASTER)
    assert secret not in caplog.text


def test_sealing_hides_the_secret_and_refuses_a_changed_byte() -> None:
    sealed, key_id = webhook_secrets.seal("s3cret-value", master=MASTER, team_id=TEAM, source="x")
    again, _ = webhook_secrets.seal("s3cret-value", master=MASTER, team_id=TEAM, source="x")
    assert sealed != again  # a fresh nonce each time
    assert "s3cret" not in sealed
    opened = webhook_secrets.open_sealed(sealed, key_id, master=MASTER, team_id=TEAM, source="x")
    assert opened == "s3cret-value"
    body = sealed[3:]
    for n in (0, len(body) // 2, len(body) - 1):
        flipped = body[:n] + ("A" if body[n] != "A" else "B") + body[n + 1 :]
        with pytest.raises(webhook_secrets.CannotOpen):
            webhook_secrets.open_sealed(
                "v1:" + flipped, key_id, master=MASTER, team_id=TEAM, source="x"
            )


# --- what a delivery becomes -------------------------------------------------------------


def _event(dedup_key: str, **fields: Any) -> HookEvent:
    values: dict[str, Any] = {
        "source": "github",
        "kind": "ci_failure",
        "action": "open",
        "dedup_key": dedup_key,
        "observed_at": EARLIER,
        "title": f"run {dedup_key} failed",
        "attributes": {"repo": "acme/ml-platform", "workflow": "nightly-training"},
    }
    return HookEvent(**(values | fields))


def _receive(
    engine: Engine, *events: HookEvent, delivery: str = "D-1", rules: list[Rule] | None = None
) -> hooks_in.Receipt:
    with session_scope(engine) as session:
        return hooks_in.receive(
            session,
            team_id=TEAM,
            source="github",
            delivery=Delivery(delivery, events=events),
            rules=rules or [],
            now=NOW,
        )


def _signals(session: Session) -> list[tuple[str, str, str, str, datetime, datetime | None]]:
    session.expire_all()
    rows = session.exec(select(Signal).order_by(col(Signal.id))).all()
    keys = {item_id: key for item_id, key in session.execute(text("SELECT id, key FROM debt_item"))}
    return [
        (keys[s.debt_item_id], s.kind, s.source, s.dedup_key, s.observed_at, s.ended_at)
        for s in rows
    ]


def _inbox(session: Session) -> list[tuple[str, str, str, bool]]:
    rows = session.execute(
        text("SELECT dedup_key, action, status, ended_at FROM signal_inbox ORDER BY id")
    ).all()
    return [(key, action, status, ended is not None) for key, action, status, ended in rows]


@pytest.fixture
def items(session: Session, engine: Engine) -> Engine:
    make_item(session, "DEBT-7", title="Nightly training is flaky")
    make_item(session, "DEBT-3", title="Ingest alerts")
    make_item(session, "DEBT-7", team_id="T0OTHER", title="Someone else's")
    session.commit()
    return engine


def test_an_event_naming_an_item_is_a_signal_on_it_once_per_delivery_and_per_key(
    items: Engine, session: Session
) -> None:
    event = _event("github:run:1:1", debt_key="DEBT-7")
    receipt = _receive(items, event)
    assert (receipt.signals, receipt.items, receipt.stored) == (1, ("DEBT-7",), True)
    assert _signals(session) == [
        ("DEBT-7", "ci_failure", "github", "github:run:1:1", EARLIER, None)
    ]
    again = _receive(items, event)  # the same delivery redelivered
    assert again.duplicate and not again.stored
    other = _receive(items, event, delivery="D-2")  # another delivery, the same occurrence
    assert (other.duplicate, other.known, other.stored) == (False, 1, False)
    assert len(_signals(session)) == 1
    assert _inbox(session) == []


def test_a_rule_routes_what_names_no_item_and_the_rest_waits_in_the_inbox(
    items: Engine, session: Session
) -> None:
    rules = [Rule({"source": "github", "workflow": "nightly-*"}, "DEBT-3", "routes.yaml:2")]
    routed = _event("github:run:2:1")
    waiting = _event("github:run:3:1", attributes={"repo": "acme/web", "workflow": "deploy"})
    suggestion = _event(
        "github:issue:9", kind="custom", action="suggest", attributes={"repo": "acme/web"}
    )
    receipt = _receive(items, routed, waiting, suggestion, rules=rules)
    assert receipt.counts() == {"signals": 1, "inbox": 2, "ended": 0, "known": 0, "ignored": 0}
    assert [row[:4] for row in _signals(session)] == [
        ("DEBT-3", "ci_failure", "github", "github:run:2:1")
    ]
    assert _inbox(session) == [
        ("github:run:3:1", "open", "pending", False),
        ("github:issue:9", "suggest", "pending", False),
    ]
    again = _receive(items, waiting, delivery="D-9")  # filed once
    assert (again.inbox, again.known) == (0, 1)


def test_a_close_ends_the_stored_signal_or_inbox_row_and_an_unknown_one_is_ignored(
    items: Engine, session: Session
) -> None:
    began = _event("alert:fp1", kind="alert", debt_key="DEBT-3")
    unrouted = _event("alert:fp2", kind="alert", attributes={"alertname": "DiskFull"})
    _receive(items, began, unrouted)
    ended = NOW - timedelta(hours=1)
    closes = [
        _event("alert:fp1", kind="alert", action="close", ended_at=ended),
        _event("alert:fp2", kind="alert", action="close", ended_at=ended),
        _event("alert:fp3", kind="alert", action="close", ended_at=ended),
    ]
    receipt = _receive(items, *closes, delivery="D-2")
    assert (receipt.ended, receipt.ignored, receipt.stored) == (2, 1, True)
    assert _signals(session)[0][5] == ended
    assert _inbox(session) == [("alert:fp2", "open", "pending", True)]
    again = _receive(items, closes[0], delivery="D-3")  # an end once recorded is kept
    assert (again.ended, again.ignored) == (0, 1)


def test_times_after_the_clock_are_taken_as_now_and_long_ids_are_hashed_to_fit(
    items: Engine, session: Session
) -> None:
    ahead = _event("k" * 250, debt_key="DEBT-7", observed_at=NOW + timedelta(days=2))
    long_id = "delivery-" + "x" * 100
    assert _receive(items, ahead, delivery=long_id).signals == 1
    (row,) = _signals(session)
    assert row[4] == NOW and len(row[3]) <= 200
    assert _receive(items, ahead, delivery=long_id).duplicate
    assert _receive(items, ahead, delivery=long_id[:-1] + "y").known == 1


def test_a_delivery_that_fails_midway_stores_nothing_and_can_come_again(
    items: Engine, session: Session
) -> None:
    good = _event("github:run:5:1", debt_key="DEBT-7")
    bad = _event("github:run:6:1", debt_key="DEBT-7", kind="rumour")
    with pytest.raises(IntegrityError):
        _receive(items, good, bad)
    assert _signals(session) == []
    assert session.execute(text("SELECT count(*) FROM inbound_event")).scalar_one() == 0
    receipt = _receive(items, good)  # the same delivery id, sent again, is taken
    assert (receipt.duplicate, receipt.signals) == (False, 1)


def test_deliveries_are_told_apart_per_workspace(items: Engine, session: Session) -> None:
    event = _event("github:run:7:1", debt_key="DEBT-7")
    assert _receive(items, event).signals == 1
    with session_scope(items) as writing:
        other = hooks_in.receive(
            writing,
            team_id="T0OTHER",
            source="github",
            delivery=Delivery("D-1", events=(event,)),
            rules=[],
            now=NOW,
        )
    assert (other.duplicate, other.signals) == (False, 1)


# --- what the webhook kinds weigh --------------------------------------------------------


def test_the_webhook_kinds_weigh_in_and_a_weights_file_written_before_them_still_loads(
    tmp_path: Path,
) -> None:
    settings = ScoreSettings()
    fresh = [signal_pressure([(kind, 1.0, NOW)], now=NOW, settings=settings) for kind in KINDS]
    assert fresh == [1.0, 2.0, 0.5]  # ci_failure, data_quality, code_quality
    week_old = [("ci_failure", 1.0, NOW - timedelta(days=7))]  # half-life: a week
    assert signal_pressure(week_old, now=NOW, settings=settings) == pytest.approx(0.5)

    older = "signal_kind_weights: {incident: 5, alert: 1, drift: 2, flaky_test: 1, custom: 1}\n"
    (tmp_path / "weights.yaml").write_text(older, encoding="utf-8")
    loaded = load_weights(tmp_path, min_group=5).settings
    assert loaded.signal_kind_weights.of("incident") == 5
    assert [loaded.signal_kind_weights.of(kind) for kind in KINDS] == [1.0, 2.0, 0.5]
    (tmp_path / "weights.yaml").write_text(
        older.replace("custom: 1}", "custom: 1, code_quality: 0}"), encoding="utf-8"
    )
    assert load_weights(tmp_path, min_group=5).settings.signal_kind_weights.of("code_quality") == 0
    (tmp_path / "weights.yaml").write_text(
        "signal_half_life_days: {incident: 7, ci_failure: 3}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateErrors, match=r"signal_half_life_days\.alert"):
        load_weights(tmp_path, min_group=5)  # the five first kinds are still required
