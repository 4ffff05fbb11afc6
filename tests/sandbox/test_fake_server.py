"""The fake as a server: lifecycle, request forms, thread safety, and what it may import."""

from __future__ import annotations

import ast
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from slack_sdk import WebClient

import bot.sandbox
from bot.sandbox import FakeSlack, ManualClock

SANDBOX = Path(bot.sandbox.__file__).parent


def test_base_url_and_lifecycle() -> None:
    slack = FakeSlack()
    with pytest.raises(RuntimeError, match="not running"):
        _ = slack.base_url
    with slack:
        assert slack.base_url.startswith("http://127.0.0.1:")
        assert slack.base_url.endswith("/api/")
        assert WebClient(token="xoxb-test", base_url=slack.base_url).auth_test()["ok"]
    with pytest.raises(RuntimeError):
        _ = slack.base_url


def test_get_with_a_query_string(slack: FakeSlack) -> None:
    url = slack.base_url + "users.info?token=xoxb-test&user=U0ALICE"
    with urllib.request.urlopen(url, timeout=2) as answer:
        assert json.loads(answer.read())["user"]["name"] == "alice"


def test_unknown_paths_are_404(slack: FakeSlack) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(slack.root_url + "nowhere", timeout=2)
    assert caught.value.code == 404


def test_channel_names_work_for_posting(client: WebClient, slack: FakeSlack) -> None:
    assert client.chat_postMessage(channel="#debt", text="by name")["channel"] == "C0DEBT"


def test_concurrent_calls_are_all_recorded(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, post_rate=None, post_workspace_rate=None) as slack:
        for n in range(8):
            slack.workspace.add_channel(f"C{n:04d}", members=["U0BOT"])
        client = WebClient(token="xoxb-test", base_url=slack.base_url)

        def post(n: int) -> str:
            return str(client.chat_postMessage(channel=f"C{n % 8:04d}", text=str(n))["ts"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            stamps = list(pool.map(post, range(64)))
        assert len(set(stamps)) == 64
        assert len(slack.calls_to("chat.postMessage")) == 64
        assert sorted(int(m.text) for m in slack.messages()) == list(range(64))


def test_wait_for_times_out_with_a_clear_error(slack: FakeSlack) -> None:
    with pytest.raises(TimeoutError, match="fake Slack"):
        slack.wait_for(slack.messages, timeout=0.05)


def test_the_sandbox_imports_only_the_standard_library_and_slack_sdk() -> None:
    allowed_roots = {"slack_sdk", "bot"}
    for path in SANDBOX.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root == "bot":
                    assert name.startswith("bot.sandbox"), f"{path.name} imports {name}"
                elif root not in allowed_roots:
                    assert root in _stdlib(), f"{path.name} imports {name}"


def _stdlib() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names) | {"__future__"}


def test_modules_stay_small() -> None:
    for path in SANDBOX.glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path.name
