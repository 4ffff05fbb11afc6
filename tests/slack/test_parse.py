"""`/debt` text parsing: every subcommand, and a usage line naming what is wrong."""

from __future__ import annotations

import pytest

from bot.slack.parse import Command, UsageError, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("top", Command("top", {"limit": 10})),
        ("top 5 operational", Command("top", {"limit": 5, "category": "operational"})),
        (
            "top experimentation features",
            Command("top", {"limit": 10, "category": "experimentation", "component": "features"}),
        ),
        ("show debt-3", Command("show", {"key": "DEBT-3"})),
        ("why DEBT-12", Command("why", {"key": "DEBT-12"})),
        ("add", Command("add")),
        ("assess DEBT-1", Command("assess", {"key": "DEBT-1"})),
        (
            "owner DEBT-1 <@U0ABC|alice>",
            Command("owner", {"key": "DEBT-1", "user": "U0ABC", "why": ""}),
        ),
        (
            "status DEBT-1 in_progress",
            Command("status", {"key": "DEBT-1", "status": "in_progress", "why": ""}),
        ),
        # the words after a change are its reason, kept in the audit trail
        (
            "status DEBT-1 resolved fixed by PR 412, see #ml-platform",
            Command(
                "status",
                {"key": "DEBT-1", "status": "resolved", "why": "fixed by PR 412, see #ml-platform"},
            ),
        ),
        (  # as Slack sends &, < and >
            "status DEBT-1 wont_fix &lt;legacy&gt; &amp; unused",
            Command("status", {"key": "DEBT-1", "status": "wont_fix", "why": "<legacy> & unused"}),
        ),
        (
            "owner DEBT-2 <@U0ABC|alice> she wrote the loader",
            Command("owner", {"key": "DEBT-2", "user": "U0ABC", "why": "she wrote the loader"}),
        ),
        ("polls", Command("polls")),
        (
            "poll send weekly-debt-pulse",
            Command("poll", {"action": "send", "target": "weekly-debt-pulse"}),
        ),
        ("poll close 12", Command("poll", {"action": "close", "target": "12"})),
        ("digest preview", Command("digest", {"action": "preview"})),
        ("digest post", Command("digest", {"action": "post"})),
        ("export", Command("export")),
        # words in any case, as keys already are
        ("top 3 Operational", Command("top", {"limit": 3, "category": "operational"})),
        (
            "status debt-1 Resolved",
            Command("status", {"key": "DEBT-1", "status": "resolved", "why": ""}),
        ),
        ("Digest Post Force", Command("digest", {"action": "post", "force": True})),
        ("poll Close 7", Command("poll", {"action": "close", "target": "7"})),
    ],
)
def test_valid_commands(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate", "unknown command `frobnicate`"),
        ("top 0", "N must be between 1 and 50"),
        ("top 51", "N must be between 1 and 50"),
        ("top 5 operational db extra", "too many arguments"),
        ("why", "missing arguments for `why`"),
        ("why DEBT-1 DEBT-2", "too many arguments for `why`"),
        ("show 12", "`12` is not a debt item key"),
        ("owner DEBT-1 alice", "`alice` is not a @mention"),
        ("status DEBT-1 done", "`done` is not a status"),
        ("status DEBT-1", "missing arguments for `status`"),
        ("status DEBT-1 resolved " + "x" * 501, "the reason is longer than 500 characters"),
        ("poll open x", "expected `send SURVEY_ID` or `close RUN`"),
        ("poll close latest", "`latest` is not a run number"),
        ("digest mail", "expected `preview`, `post` or `post force`"),
        ("export now", "too many arguments for `export`"),
        # digits Python's isdigit() takes but int() or the database cannot
        ("poll close ²", "`²` is not a run number"),
        ("poll close 99999999999999999999", "is not a run number"),
        ("top -3", "N must be between 1 and 50"),
        ("why DEBT-١", "is not a debt item key"),
    ],
)
def test_malformed_commands_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse(text)
    assert message in error.value.message
    assert error.value.usage.startswith("/debt")


def test_lead_only_commands() -> None:
    assert parse("add").lead_only and parse("export").lead_only
    assert parse("digest post").lead_only and not parse("digest preview").lead_only
    assert not parse("top").lead_only and not parse("why DEBT-1").lead_only
