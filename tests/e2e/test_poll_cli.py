"""`debtpulse poll send` opens a run and delivers it through the Web API."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.sandbox import FakeSlack
from storage import db
from storage.models import PollDelivery, PollRun, Survey

pytestmark = pytest.mark.e2e


def _environment(
    monkeypatch: pytest.MonkeyPatch, *, api: str, url: str, poll_channel: str | None = None
) -> None:
    """What `debtpulse poll send` needs: the bot token, the Web API, the database."""
    values = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": api,
        "DATABASE_URL": url,
        "DEBTPULSE_ANON_SECRET": "a",
    }
    if poll_channel:
        values["DEBTPULSE_POLL_CHANNEL"] = poll_channel
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_poll_send_opens_once_per_minute_and_posts(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db.upgrade(db.make_engine(url))
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_channel("C0POLLS", name="polls", members=["U0BOT"])
        _environment(monkeypatch, api=fake.base_url, url=url, poll_channel="C0POLLS")
        first = cli("poll", "send", "weekly-debt-pulse")
        assert first.code == 0, first
        assert first.out.strip() == "opened weekly-debt-pulse as run #1: posted in C0POLLS."
        assert len(fake.messages(channel="C0POLLS")) == 1
        again = cli("poll", "send", "weekly-debt-pulse")
        if again.code == 0:  # the minute turned over between the two calls
            assert "run #2" in again.out
        else:
            assert "opened this minute already; nothing was sent" in again.err
        unknown = cli("poll", "send", "nope")
        assert unknown.code == 1 and "survey_id: no survey 'nope'" in unknown.err
    with Session(db.make_engine(url)) as session:
        runs = session.exec(select(PollRun)).all()
        deliveries = session.exec(select(PollDelivery)).all()
        templates = session.exec(select(Survey)).all()
    assert [(t.survey_id, len(t.content_hash)) for t in templates] == [("weekly-debt-pulse", 64)]
    assert {r.source for r in runs} == {"manual"}
    assert all(d.status == "sent" and d.recipient == "C0POLLS" for d in deliveries)
    assert len(deliveries) == len(runs)


def test_poll_send_says_when_the_channel_refused_the_poll(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run opens, but the lead is told (exit 1) that nobody can see it, and what to do."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db.upgrade(db.make_engine(url))
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_channel("C0ARCH", name="old-polls", members=["U0BOT"], is_archived=True)
        _environment(monkeypatch, api=fake.base_url, url=url, poll_channel="C0ARCH")
        result = cli("poll", "send", "weekly-debt-pulse")
    assert result.code == 1, result
    assert result.err.strip() == (
        "debtpulse: opened weekly-debt-pulse as run #1, but nothing sent; the poll in C0ARCH was "
        "skipped (is_archived): the channel is archived: unarchive it or change the survey's "
        "audience."
    )


def test_poll_send_without_a_channel_says_what_to_set(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db.upgrade(db.make_engine(url))
    with FakeSlack() as fake:
        _environment(monkeypatch, api=fake.base_url, url=url)
        result = cli("poll", "send", "weekly-debt-pulse")
    assert result.code == 1
    assert "set DEBTPULSE_POLL_CHANNEL" in result.err


def test_poll_send_when_slack_cannot_be_reached_opens_nothing(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db.upgrade(db.make_engine(url))
    with socket.socket() as closed:  # a port nobody listens on once this socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    _environment(monkeypatch, api=f"http://127.0.0.1:{port}/api/", url=url, poll_channel="C0POLLS")
    result = cli("poll", "send", "weekly-debt-pulse")
    assert result.code == 1
    assert result.err.strip().endswith(
        "cannot tell which workspace to post for: could not reach Slack to find the "
        "token's workspace (URLError)"
    ), result.err
    assert "Traceback" not in result.err and "--team" not in result.err
    with Session(db.make_engine(url)) as session:
        assert session.exec(select(PollRun)).all() == []
        assert session.exec(select(PollDelivery)).all() == []


SECRET_SQUAD_SURVEY = """
id: secret-squad
title: Secret squad check
schedule: {cron: "0 9 * * TUE", timezone: UTC}
audience: {dm: {channel_members: G0SECRET}}
anonymous: true
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""


def test_poll_send_to_a_private_channel_without_the_bot_says_to_invite_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack hides a private channel's members from a bot not in it (channel_not_found)."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db.upgrade(db.make_engine(url))
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "secret-squad.yaml").write_text(SECRET_SQUAD_SURVEY, encoding="utf-8")
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user("U0ALICE", name="alice")
        fake.workspace.add_channel("G0SECRET", name="secret", members=["U0ALICE"], is_private=True)
        _environment(monkeypatch, api=fake.base_url, url=url)
        monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(surveys))
        result = cli("poll", "send", "secret-squad")
        assert fake.messages() == []
    assert result.code == 1, result
    assert "Traceback" not in result.err
    assert "(channel_not_found)" in result.err
    assert "invite the bot to it (`/invite @debtpulse` in that channel)" in result.err
    with Session(db.make_engine(url)) as session:
        assert session.exec(select(PollRun)).all() == []
