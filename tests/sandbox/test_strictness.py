"""The fake is no more lenient than Slack: the manifest's scopes, tier rate limits, error codes."""

from __future__ import annotations

from pathlib import Path

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import BOT_TOKEN, FakeSlack, ManualClock
from bot.sandbox.workspace import BOT_SCOPES
from tests.sandbox.test_errors import error, refusal

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Assess"}, "blocks": []}


def _status_and_headers(call_error: SlackApiError) -> tuple[int, dict[str, str]]:
    response = call_error.response
    return response.status_code, {k.lower(): v for k, v in response.headers.items()}


# -- 1. the bot token carries exactly the manifest's bot scopes ------------------------------


def test_the_bot_token_has_exactly_the_manifests_bot_scopes(slack: FakeSlack) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(BOT_SCOPES) == granted
    assert slack.workspace.tokens[BOT_TOKEN].scopes == granted
    for lenient in ("chat:write.public", "im:read", "mpim:read", "mpim:write", "app_mentions:read"):
        assert lenient not in slack.workspace.tokens[BOT_TOKEN].scopes


def test_a_call_needing_a_scope_the_manifest_does_not_grant_is_missing_scope(
    client: WebClient, slack: FakeSlack
) -> None:
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    body = refusal(client.conversations_members, channel=dm)  # needs im:read
    assert body["error"] == "missing_scope"
    assert body["needed"] == "im:read"
    assert body["provided"] == ",".join(sorted(BOT_SCOPES))
    slack.workspace.add_channel("C0OUT", name="out", members=["U0ALICE"])
    # posting where the bot is not a member would need chat:write.public
    assert error(client.chat_postMessage, channel="C0OUT", text="x") == "not_in_channel"


# -- 2. every method is rate-limited by its Slack tier ---------------------------------------


def test_a_tier_2_method_answers_429_with_retry_after_past_20_a_minute(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    slack.workspace.add_usergroup("S0LEADS", handle="leads", users=["U0ALICE"])
    for _ in range(20):
        assert client.usergroups_users_list(usergroup="S0LEADS")["ok"]
    body = refusal(client.usergroups_users_list, usergroup="S0LEADS")
    assert body["error"] == "ratelimited"
    call = slack.calls_to("usergroups.users.list")[-1]
    assert call.status == 429
    try:
        client.usergroups_users_list(usergroup="S0LEADS")
    except SlackApiError as exc:
        status, headers = _status_and_headers(exc)
    assert status == 429 and headers["retry-after"] == "3"  # one call every 3 s refills
    assert client.users_info(user="U0ALICE")["ok"]  # another method has its own count
    clock.advance(3)
    assert client.usergroups_users_list(usergroup="S0LEADS")["ok"]


def test_tier_3_and_tier_4_methods_allow_50_and_100_a_minute(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    for _ in range(100):
        assert client.users_info(user="U0ALICE")["ok"]
    assert error(client.users_info, user="U0ALICE") == "ratelimited"
    ts = client.chat_postMessage(channel="C0DEBT", text="to edit")["ts"]
    for n in range(50):
        assert client.chat_update(channel="C0DEBT", ts=ts, text=f"edit {n}")["ok"]
    try:
        client.chat_update(channel="C0DEBT", ts=ts, text="one too many")
    except SlackApiError as exc:
        status, headers = _status_and_headers(exc)
    assert status == 429 and headers["retry-after"] == "2"  # 50 a minute: 1.2 s, rounded up
    clock.advance(60)
    assert client.users_info(user="U0ALICE")["ok"]


def test_tier_limits_are_configurable_and_off_with_none(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, tier_rates=None) as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])
        for _ in range(150):
            assert client.users_info(user="U0USER")["ok"]
    with FakeSlack(clock=clock, tier_rates={"tier4": 2}) as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])
        assert client.users_info(user="U0USER")["ok"]
        assert client.users_info(user="U0USER")["ok"]
        assert error(client.users_info, user="U0USER") == "ratelimited"
        # tiers not named are not limited
        for _ in range(60):
            assert client.conversations_open(users="U0USER")["ok"]


# -- 3. a private channel the bot is not in is not found -------------------------------------


def test_members_of_a_private_channel_the_bot_is_not_in_is_channel_not_found(
    client: WebClient, slack: FakeSlack
) -> None:
    slack.workspace.add_channel("G0SECRET", name="secret", members=["U0ALICE"], is_private=True)
    slack.workspace.add_channel(
        "G0OURS", name="ours", members=["U0BOT", "U0ALICE"], is_private=True
    )
    slack.workspace.add_channel("C0OUT", name="out", members=["U0ALICE"])
    assert error(client.conversations_members, channel="G0SECRET") == "channel_not_found"
    assert client.conversations_members(channel="G0OURS")["members"] == ["U0BOT", "U0ALICE"]
    assert client.conversations_members(channel="C0OUT")["members"] == ["U0ALICE"]


# -- 4. Slack's error codes: account_inactive, missing_argument ------------------------------


def test_a_deactivated_token_is_account_inactive(client: WebClient, slack: FakeSlack) -> None:
    assert client.auth_test()["ok"]
    slack.deactivate_token()
    assert error(client.auth_test) == "account_inactive"
    assert error(client.chat_postMessage, channel="C0DEBT", text="x") == "account_inactive"
    assert slack.messages() == []


def test_a_missing_argument_is_missing_argument(client: WebClient, slack: FakeSlack) -> None:
    assert (
        error(client.api_call, api_method="files.getUploadURLExternal", params={"length": 3})
        == "missing_argument"
    )
    assert (
        error(client.api_call, api_method="files.getUploadURLExternal", params={"filename": "a"})
        == "missing_argument"
    )
    assert error(client.api_call, api_method="files.completeUploadExternal", params={}) == (
        "missing_argument"
    )
    assert error(
        client.api_call, api_method="views.open", params={"trigger_id": slack.new_trigger_id()}
    ) == ("missing_argument")
    assert error(client.api_call, api_method="views.update", json={"view": MODAL}) == (
        "missing_argument"
    )
    # a present but malformed argument stays invalid_arguments
    bad = {"filename": "a", "length": "many"}
    assert error(client.api_call, api_method="files.getUploadURLExternal", params=bad) == (
        "invalid_arguments"
    )


# -- 4. users.list and chat.postMessage are limited as Slack documents them ------------------


def test_users_list_pages_at_most_200_with_cursors_and_is_tier_2(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    for n in range(450):
        slack.workspace.add_user(f"U1{n:04d}", name=f"p{n}", is_bot=n == 7, deleted=n == 8)
    everyone = list(slack.workspace.users)
    seen: list[str] = []
    sizes: list[int] = []
    cursor = ""
    while True:
        page = client.users_list(limit=1000, cursor=cursor)  # asks for more than Slack gives
        sizes.append(len(page["members"]))
        seen += [member["id"] for member in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == everyone  # bots and deactivated accounts too, each once
    assert max(sizes) == 200 and len(sizes) == -(-len(everyone) // 200)
    record = {m["id"]: m for m in client.users_list(limit=5)["members"]}
    assert set(record["U0ALICE"]) >= {"id", "deleted", "is_bot", "tz"}
    assert record["U0ALICE"]["tz"] == "Europe/Berlin"
    assert error(client.users_list, cursor="bm9wZQ==") == "invalid_cursor"
    for _ in range(20 - len(sizes) - 2):
        assert client.users_list(limit=1)["ok"]
    assert error(client.users_list, limit=1) == "ratelimited"  # Tier 2: 20 a minute
    clock.advance(3)
    assert client.users_list(limit=1)["ok"]


def test_posting_is_limited_per_workspace_too_with_retry_after(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    """chat.postMessage: one a second per channel, and "several hundred a minute" per
    workspace (200, a burst of 20): twenty-one DMs to as many people at once are one too many."""
    people = [f"U2{n:04d}" for n in range(21)]
    for person in people:
        slack.workspace.add_user(person, name=person.lower())
    for person in people[:20]:
        assert client.chat_postMessage(channel=person, text="poll")["ok"]  # to the user id
    try:
        client.chat_postMessage(channel=people[20], text="poll")
    except SlackApiError as exc:
        status, headers = _status_and_headers(exc)
    assert status == 429 and headers["retry-after"] == "1"  # one every 0.3 s: 1 s, rounded up
    assert slack.dm_count(people[20]) == 0
    clock.advance(0.31)
    assert client.chat_postMessage(channel=people[20], text="poll")["ok"]
    assert error(client.chat_postMessage, channel="C0DEBT", text="x") == "ratelimited"
    clock.advance(60)
    for n in range(20):  # refilled to its burst, not beyond
        assert client.chat_postMessage(channel=people[n], text="again")["ok"]
    assert error(client.chat_postMessage, channel=people[20], text="x") == "ratelimited"


def test_the_workspace_posting_limit_is_configurable_and_off_with_none(
    clock: ManualClock,
) -> None:
    with FakeSlack(clock=clock, post_rate=None, post_workspace_rate=None) as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])
        for n in range(100):
            assert client.chat_postMessage(channel="C0GENERAL", text=str(n))["ok"]
    with FakeSlack(clock=clock, post_workspace_rate=60, post_workspace_burst=2) as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])
        slack.workspace.add_channel("C0TWO", name="two", members=["U0BOT"])
        assert client.chat_postMessage(channel="C0GENERAL", text="1")["ok"]
        assert client.chat_postMessage(channel="C0TWO", text="2")["ok"]
        assert error(client.chat_postMessage, channel="C0GENERAL", text="3") == "ratelimited"
        clock.advance(1)
        assert client.chat_postMessage(channel="C0GENERAL", text="3")["ok"]
