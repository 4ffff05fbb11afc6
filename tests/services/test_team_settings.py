"""A workspace's own settings over the environment's: what is in effect, where it comes from,
what a team may not set (a lower minimum group above all), every change audited in its
transaction, the installer as the first lead, and the time a change takes to be seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.core.anonymity import day_only
from bot.runtime import Runtime
from bot.services import reviews, team_settings
from bot.services.ranking import current_ranking
from storage import polls, responses
from storage.models import AuditEvent, TeamSetting
from tests.factories import make_item

NOW = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)
TEAM, OTHER = "T0ONE", "T0TWO"
LEAD = "U0LEAD"


def _runtime(engine: Engine, **env: Any) -> Runtime:
    return Runtime(Settings(**env), engine=engine, default_team=TEAM, clock=lambda: NOW)


def _set(runtime: Runtime, key: str, value: Any, team: str = TEAM) -> team_settings.Change:
    return team_settings.set_value(runtime, team, key, value, actor=LEAD, reason="test")


def _audit(engine: Engine) -> list[tuple[str, str, Any, Any]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(r.action, r.subject, (r.before or {}).get("value"), r.after) for r in rows]


def _rows(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(TeamSetting).order_by(col(TeamSetting.key))).all()
        return [(r.team_id, r.key, r.value) for r in rows]


def test_a_team_that_set_nothing_has_the_environments_settings(engine: Engine) -> None:
    runtime = _runtime(engine, DEBTPULSE_POLL_CHANNEL="C0ENV", DEBTPULSE_LEADS="U0ENV")
    assert team_settings.effective(runtime, TEAM) is runtime.settings
    shown = {item.key: item for item in team_settings.show(runtime, TEAM)}
    assert shown["poll_channel"] == ("poll_channel", "C0ENV", "default", None, None)
    assert shown["timezone"].value == "UTC"  # the built-in digest's schedule
    assert shown["debt_budget"].value == 0.15  # weights.yaml's share
    assert team_settings.origin(runtime, "min_group") == "DEBTPULSE_MIN_GROUP"
    assert team_settings.origin(runtime, "debt_budget") == "weights.yaml"


def test_stored_values_lie_over_the_environment_for_their_team_only(engine: Engine) -> None:
    runtime = _runtime(engine, DEBTPULSE_DIGEST_CHANNELS="C0ENV", DEBTPULSE_MIN_GROUP="5")
    _set(runtime, "poll_channel", "<#C0POLLS|polls>")
    _set(runtime, "digest_channels", "C0ONE, C0TWO,C0ONE")
    _set(runtime, "leads", "<@U0A|ann> S0LEADS")
    _set(runtime, "timezone", " Europe/Berlin ")
    _set(runtime, "min_group", "7")
    _set(runtime, "debt_budget", "20%")

    mine = team_settings.effective(runtime, TEAM)
    assert (mine.poll_channel, mine.digest_channels, mine.leads) == (
        "C0POLLS",
        ["C0ONE", "C0TWO"],
        ["U0A", "S0LEADS"],
    )
    assert (mine.timezone, mine.min_group, mine.debt_budget) == ("Europe/Berlin", 7, 0.2)
    assert mine.database_url == runtime.settings.database_url  # the rest is the process's
    other = team_settings.effective(runtime, OTHER)
    assert (other.digest_channels, other.min_group) == (["C0ENV"], 5)
    shown = team_settings.show(runtime, TEAM)
    assert {item.source for item in shown} == {"team"}
    assert {item.changed_by for item in shown} == {LEAD}
    assert all(item.changed_at == NOW for item in shown)

    view = team_settings.team_view(runtime)  # what the team's work reads
    assert view.capacity.debt_share == 0.2
    assert view.score_settings.min_group == 7
    assert reviews.team_zone(view) == ZoneInfo("Europe/Berlin")
    assert team_settings.team_view(runtime, OTHER).capacity.debt_share == 0.15


@pytest.mark.parametrize(
    ("key", "raw", "said"),
    [
        ("colour", "blue", "colour: not a setting (one of poll_channel,"),
        ("poll_channel", "#general", "poll_channel: not a Slack channel id: '#general'"),
        ("poll_channel", "C0A C0B", "poll_channel: one channel id expected"),
        ("digest_channels", "C0A,U0B", "digest_channels: not a Slack channel id: 'U0B'"),
        ("leads", "", "leads: at least one user or usergroup id expected"),
        ("leads", "@ann", "leads: not a Slack user or usergroup id: '@ann'"),
        ("timezone", "Mars/Olympus", "timezone: not a time zone name like Europe/Berlin"),
        ("min_group", "seven", "min_group: a whole number expected (got 'seven')"),
        ("min_group", "4", "min_group: 4 is under this deployment's minimum of 5"),
        ("debt_budget", "15", "debt_budget: a share of a sprint like 0.15 or 15% expected"),
        ("debt_budget", "0%", "debt_budget: a share of a sprint like 0.15 or 15% expected"),
    ],
)
def test_a_refused_value_names_its_key(key: str, raw: str, said: str) -> None:
    with pytest.raises(team_settings.SettingRefused) as refused:
        team_settings.check(key, raw, floor=5)
    assert said in str(refused.value)
    assert refused.value.argument == ("KEY" if key == "colour" else "VALUE")


def test_values_are_checked_all_first_and_a_refusal_writes_nothing(engine: Engine) -> None:
    runtime = _runtime(engine)
    wanted = {"poll_channel": "C0FINE", "timezone": "Mars/Olympus", "min_group": "2"}
    with pytest.raises(team_settings.SettingRefused) as refused:
        team_settings.apply(runtime, TEAM, wanted, actor=LEAD, reason="test")
    assert set(refused.value.errors) == {"timezone", "min_group"}
    assert _rows(engine) == [] and _audit(engine) == []
    assert team_settings.effective(runtime, TEAM).poll_channel is None


def test_a_team_may_raise_the_minimum_group_never_lower_it(engine: Engine) -> None:
    runtime = _runtime(engine, DEBTPULSE_MIN_GROUP="5")
    with pytest.raises(team_settings.SettingRefused, match=r"\(DEBTPULSE_MIN_GROUP\): a team"):
        _set(runtime, "min_group", 3)
    _set(runtime, "min_group", 6)
    assert team_settings.effective(runtime, TEAM).min_group == 6
    stricter = _runtime(engine, DEBTPULSE_MIN_GROUP="8")  # the deployment's rose over it
    assert team_settings.effective(stricter, TEAM).min_group == 8
    assert team_settings.show(stricter, TEAM)[4][1:3] == (8, "default")


def test_each_change_is_audited_with_its_value_before_and_after(engine: Engine) -> None:
    runtime = _runtime(engine)
    first = _set(runtime, "digest_channels", "C0A")
    again = _set(runtime, "digest_channels", ["C0A"])  # the same: nothing to audit
    second = _set(runtime, "digest_channels", "none")
    removed = team_settings.unset_value(runtime, TEAM, "digest_channels", actor=LEAD, reason="x")
    nothing = team_settings.unset_value(runtime, TEAM, "digest_channels", actor=LEAD, reason="x")

    assert [c.changed for c in (first, again, second, removed, nothing)] == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert _audit(engine) == [
        ("team_setting.set", "digest_channels", None, {"value": ["C0A"]}),
        ("team_setting.set", "digest_channels", ["C0A"], {"value": []}),
        ("team_setting.unset", "digest_channels", [], {"value": None}),
    ]
    assert _rows(engine) == []


def _install(engine: Engine, team: str, user: str) -> None:
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=engine)
    store.save(
        Installation(
            app_id="A1",
            team_id=team,
            user_id=user,
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="U0B",
        )
    )


def test_the_user_who_installed_the_app_is_the_first_lead(engine: Engine) -> None:
    _install(engine, TEAM, "U0FIRST")
    _install(engine, TEAM, "U0AGAIN")  # a re-install by someone else
    runtime = _runtime(engine)
    assert team_settings.effective(runtime, TEAM).leads == ["U0FIRST"]
    assert team_settings.show(runtime, TEAM)[2][1:3] == (["U0FIRST"], "installer")
    assert team_settings.effective(runtime, OTHER).leads == []  # not installed there
    deployment = _runtime(engine, DEBTPULSE_LEADS="U0OPS")
    assert team_settings.effective(deployment, TEAM).leads == ["U0OPS"]
    _set(runtime, "leads", "U0CHOSEN")
    assert team_settings.effective(runtime, TEAM).leads == ["U0CHOSEN"]


def test_a_change_is_seen_at_once_here_and_within_the_ttl_in_other_processes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = _runtime(engine), _runtime(engine)  # two processes on one database
    assert team_settings.effective(there, TEAM).min_group == 5
    _set(here, "min_group", 9)
    assert team_settings.effective(here, TEAM).min_group == 9
    kept = team_settings.effective(there, TEAM)
    assert kept.min_group == 5  # read from memory: no query for each request
    assert team_settings.effective(there, TEAM) is kept
    later = team_settings.time.monotonic() + team_settings.TTL_S + 1
    monkeypatch.setattr(team_settings.time, "monotonic", lambda: later)
    assert team_settings.effective(there, TEAM).min_group == 9
    unchanged = team_settings.effective(there, TEAM)
    monkeypatch.setattr(team_settings.time, "monotonic", lambda: later + team_settings.TTL_S + 1)
    assert team_settings.effective(there, TEAM) is unchanged  # read again, the same object


def _answers(session: Session, *, item_id: int, people: int) -> None:
    run, _ = polls.claim_run(
        session,
        team_id=TEAM,
        survey_id="pulse",
        scheduled_for=NOW - timedelta(days=2),
        values={"anonymous": False},
    )
    assert run.id is not None
    for who in range(people):
        responses.upsert_response(
            session,
            team_id=TEAM,
            poll_run_id=run.id,
            question_id="pain",
            debt_item_id=item_id,
            respondent=f"U{who}",
            value=4,
            text_value=None,
            at=day_only(NOW - timedelta(days=2)),
        )


def test_a_teams_minimum_group_suppresses_more_in_its_ranking(engine: Engine) -> None:
    runtime = _runtime(engine, DEBTPULSE_MIN_GROUP="5")
    with Session(engine, expire_on_commit=False) as session:
        item = make_item(session, "DEBT-1", team_id=TEAM, title="Flaky ingestion")
        assert item.id is not None
        _answers(session, item_id=item.id, people=6)
        session.commit()

    def ranked() -> tuple[bool, str]:
        view = team_settings.team_view(runtime)
        with view.transaction(write=False) as session:
            ranking = current_ranking(session, team_id=TEAM, now=NOW, settings=view.score_settings)
        breakdown = ranking.items[0].breakdown
        return breakdown.suppressed, breakdown.respondents_label

    assert ranked() == (False, "6")
    _set(runtime, "min_group", 7)
    assert ranked() == (True, "fewer than 7")
