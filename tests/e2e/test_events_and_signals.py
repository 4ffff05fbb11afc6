"""Events (dedup, App Home, unhandled), POST /api/signals and Web API retries, end to end."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, func, select

from bot.services import signal_tokens
from storage.models import InboundEvent, Signal
from tests.e2e.conftest import LEAD, MEMBER, SECRET, SIGNALS_TOKEN, TEAM, Stack

pytestmark = pytest.mark.e2e


def _post(
    stack: Stack,
    body: object,
    *,
    token: str | None = SIGNALS_TOKEN,
    raw: bytes | None = None,
    team: str | None = None,
):
    data = raw if raw is not None else json.dumps(body).encode()
    query = f"?team={team}" if team else ""
    request = urllib.request.Request(f"{stack.url}/api/signals{query}", data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _add_item(stack: Stack, title: str) -> str:
    lead = stack.lead()
    lead.slash(text="add")
    stack.fake.wait_for_calls("views.open", count=1, timeout=5)
    lead.submit_modal({"title": title})
    stack.fake.wait_for(
        lambda: any("Added" in e.text for e in stack.fake.ephemerals(user=LEAD)), timeout=5
    )
    text = next(e.text for e in stack.fake.ephemerals(user=LEAD) if "Added" in e.text)
    return text.split("*")[1]


def test_app_home_publishes_a_valid_view_once_per_event(e2e: Stack) -> None:
    first = e2e.driver.event(
        {"type": "app_home_opened", "user": MEMBER, "channel": "D0USER", "tab": "home"},
        event_id="Ev0HOME1",
    )
    assert first.ok
    e2e.fake.wait_for_calls("views.publish", count=1, timeout=5)
    home = e2e.fake.home(MEMBER)
    assert home is not None
    texts = json.dumps(home.blocks)
    assert "Top debt priorities" in texts and "Items you own" in texts
    assert e2e.fake.rejections == []
    again = e2e.driver.event(
        {"type": "app_home_opened", "user": MEMBER, "channel": "D0USER", "tab": "home"},
        event_id="Ev0HOME1",
        retry_num=1,
    )
    assert again.ok
    time.sleep(0.5)
    assert len(e2e.fake.calls_to("views.publish")) == 1
    with Session(e2e.engine()) as session:
        ids = session.exec(select(InboundEvent.event_id)).all()
    assert ids.count("Ev0HOME1") == 1


def test_unhandled_events_and_the_bots_own_messages_get_200_and_no_effect(e2e: Stack) -> None:
    reaction = e2e.driver.event({"type": "reaction_added", "user": MEMBER, "reaction": "tada"})
    assert reaction.status == 200
    own = e2e.driver.event(
        {
            "type": "message",
            "user": "U0BOT",
            "bot_id": "B0BOT",
            "text": "hi",
            "channel": "C0GENERAL",
        }
    )
    assert own.status == 200
    time.sleep(0.3)
    assert [c.method for c in e2e.fake.calls if c.method != "auth.test"] == []


def test_url_verification_is_answered(e2e: Stack) -> None:
    response = e2e.driver.url_verification("debtpulse-challenge")
    assert response.ok and "debtpulse-challenge" in response.body_text


def test_signals_endpoint_auth_validation_and_dedup(e2e: Stack) -> None:
    key = _add_item(e2e, "Missing drift monitoring")
    signal = {
        "debt_key": key,
        "kind": "incident",
        "value": 1,
        "source": "pagerduty",
        "observed_at": "2026-11-20T10:00:00Z",
        "dedup_key": "PD-123",
    }
    assert _post(e2e, signal, token=None)[0] == 401
    assert _post(e2e, signal, token="wrong")[0] == 401
    status, body = _post(e2e, None, raw=b"{not json")
    assert status == 422 and body["errors"][0]["field"] == "json"
    status, body = _post(e2e, signal | {"kind": "rumour"})
    assert status == 422 and body["errors"][0]["field"] == "kind"
    status, body = _post(e2e, {k: v for k, v in signal.items() if k != "observed_at"})
    assert status == 422 and body["errors"][0] == {
        "field": "observed_at",
        "message": "required",
    }
    status, body = _post(e2e, signal | {"debt_key": "DEBT-999"})
    assert status == 422 and body["errors"][0]["field"] == "debt_key"
    assert _post(e2e, signal) == (201, {"ok": True, "stored": True, "dedup_key": "PD-123"})
    status, body = _post(e2e, signal)
    assert status == 200 and body["duplicate"] is True
    with Session(e2e.engine()) as session:
        assert session.exec(select(func.count()).select_from(Signal)).one() == 1

    # A sender that streams its body (Transfer-Encoding: chunked, no Content-Length)
    url = urllib.parse.urlsplit(e2e.url)
    chunked = signal | {"dedup_key": "PD-124"}
    text = json.dumps(chunked).encode()
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        connection.request(
            "POST",
            "/api/signals",
            body=iter([text[:20], text[20:]]),
            headers={
                "Authorization": f"Bearer {SIGNALS_TOKEN}",
                "Content-Type": "application/json",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (
            201,
            {"ok": True, "stored": True, "dedup_key": "PD-124"},
        )
    finally:
        connection.close()


def test_each_workspace_token_posts_for_its_own_workspace_only(
    e2e: Stack, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _add_item(e2e, "Unmonitored feature pipeline")
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": e2e.fake.base_url,
        "DATABASE_URL": e2e.database_url,
    }.items():
        monkeypatch.setenv(name, value)
    made = cli("signals", "token", "rotate")  # for the bot token's workspace
    assert made.code == 0, made
    token = made.out.strip()
    with Session(e2e.engine()) as session:
        other = signal_tokens.rotate(
            session, team_id="T0OTHER", actor="test", reason="test", now=datetime.now(UTC)
        ).token
        session.commit()

    def signal(dedup_key: str) -> dict[str, object]:
        return {
            "debt_key": key,
            "kind": "alert",
            "observed_at": "2026-11-20T10:00:00Z",
            "dedup_key": dedup_key,
        }

    wrong = (401, {"ok": False, "error": "missing or wrong bearer token"})
    stored = {"ok": True, "stored": True}
    assert _post(e2e, signal("TOK-1"), token=token) == (201, stored | {"dedup_key": "TOK-1"})
    assert _post(e2e, signal("TOK-2"), token=token, team=TEAM)[0] == 201
    assert _post(e2e, signal("TOK-3"), token=token, team="T0OTHER") == wrong
    assert _post(e2e, signal("TOK-3"), token=other, team=TEAM) == wrong

    rotated = cli("signals", "token", "rotate")
    assert rotated.code == 0, rotated
    assert _post(e2e, signal("TOK-3"), token=token) == wrong  # the old one: refused at once
    assert _post(e2e, signal("TOK-3"), token=rotated.out.strip())[0] == 201

    # DEBTPULSE_SIGNALS_TOKEN still posts for this workspace, and for no other
    assert _post(e2e, signal("TOK-4"))[0] == 201
    assert _post(e2e, signal("TOK-5"), team="T0OTHER") == wrong
    with Session(e2e.engine()) as session:
        rows = session.exec(select(Signal).where(col(Signal.dedup_key).startswith("TOK-"))).all()
    assert sorted((s.team_id, s.dedup_key) for s in rows) == [
        (TEAM, f"TOK-{n}") for n in (1, 2, 3, 4)
    ]
    served = e2e.log.read_text()
    assert token not in served and other not in served


def test_rate_limited_confirmation_is_waited_out_and_lands_once(e2e: Stack) -> None:
    e2e.fake.fail_next("chat.postEphemeral", status=429, retry_after=1, times=1)
    _add_item(e2e, "Hardcoded features in the recommender")
    landed = [e for e in e2e.fake.ephemerals(user=LEAD) if "Added" in e.text]
    assert len(landed) == 1
    statuses = [c.status for c in e2e.fake.calls_to("chat.postEphemeral")]
    assert statuses == [429, 200]


def test_persistent_rate_limit_ends_with_a_message_not_a_hot_loop(e2e: Stack) -> None:
    e2e.fake.fail_next("chat.postEphemeral", status=429, retry_after=1, times=100)
    lead = e2e.lead()
    lead.slash(text="add")
    e2e.fake.wait_for_calls("views.open", count=1, timeout=5)
    lead.submit_modal({"title": "Manual model deployment"})
    e2e.fake.wait_for(lambda: e2e.fake.messages(channel="D" + LEAD[1:]), timeout=15)
    attempts = len(e2e.fake.calls_to("chat.postEphemeral"))
    assert 2 <= attempts <= 5  # the retry handler gave up after a few tries
    dm = e2e.fake.messages(channel="D" + LEAD[1:])
    assert len(dm) == 1 and "Added" in dm[0].text


def test_server_errors_are_retried(e2e: Stack) -> None:
    e2e.fake.fail_next("files.completeUploadExternal", status=503, times=1)
    e2e.lead().slash(text="export")
    e2e.fake.wait_for(lambda: e2e.fake.uploaded_files, timeout=10)
    e2e.fake.wait_for_calls("files.completeUploadExternal", count=2, timeout=10)
    assert [c.status for c in e2e.fake.calls_to("files.completeUploadExternal")] == [503, 200]
