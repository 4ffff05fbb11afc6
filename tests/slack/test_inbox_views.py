"""`/debt inbox` Block Kit: within Slack's limits however large the inbox or the register,
with what a lead picked kept in each group's block, and titles that cannot inject mrkdwn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.routing import InboxGroup, key_of
from bot.sandbox.blockkit import validate_message
from bot.slack.inbox_views import (
    MAX_GROUPS,
    Choice,
    action_id,
    block_id,
    inbox_message,
    parse_action_id,
    parse_block_id,
)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _group(n: int, **changes: object) -> InboxGroup:
    match = {"source": "alertmanager", "kind": "alert", "alertname": f"Alert{n}"}
    fields: dict[str, object] = {
        "key": key_of(match),
        "source": "alertmanager",
        "kind": "alert",
        "count": 100 - n,
        "first_seen": AT,
        "last_seen": AT + timedelta(hours=n),
        "title": f"Alert{n} firing",
        "shared": (("alertname", f"Alert{n}"),),
        "match": match,
    }
    return InboxGroup(**(fields | changes))  # type: ignore[arg-type]


def _actions(message: dict[str, object]) -> list[dict[str, object]]:
    return [b for b in message["blocks"] if b["type"] == "actions"]  # type: ignore[index,union-attr]


def test_a_large_inbox_and_register_stay_within_slacks_limits() -> None:
    groups = [_group(n) for n in range(40)]
    items = [(f"DEBT-{n}", "x" * 200) for n in range(1, 151)]
    message = inbox_message(groups, items)
    assert validate_message(message) == []
    assert len(message["blocks"]) <= 50
    actions = _actions(message)
    assert len(actions) == MAX_GROUPS
    select = actions[0]["elements"][0]  # type: ignore[index]
    assert len(select["options"]) == 100
    notes = " ".join(str(b) for b in message["blocks"][-2:])
    assert f"{40 - MAX_GROUPS} more groups: `debtpulse signals inbox` lists them all." in notes
    assert "The first 100 open items are listed" in notes


def test_a_pick_is_kept_in_the_block_and_shown_as_chosen() -> None:
    group = _group(1)
    choice = Choice("DEBT-2", save_rule=True)
    message = inbox_message(
        [group], [("DEBT-1", "One"), ("DEBT-2", "Two")], choices={group.handle: choice}
    )
    assert validate_message(message) == []
    (actions,) = _actions(message)
    assert parse_block_id(str(actions["block_id"])) == (group.handle, choice)
    select, rule, route, ignore = actions["elements"]  # type: ignore[misc]
    assert select["initial_option"]["value"] == "DEBT-2"
    assert rule["initial_options"][0]["value"] == "save_rule"
    assert route["value"] == group.key and ignore["value"] == group.key
    assert parse_action_id(route["action_id"]) == ("inbox_route", group.handle)
    # a pick of an item no longer listed is dropped
    gone = inbox_message([group], [("DEBT-1", "One")], choices={group.handle: choice})
    (actions,) = _actions(gone)
    assert parse_block_id(str(actions["block_id"])) == (group.handle, Choice(None, True))


def test_without_open_items_only_ignore_is_offered() -> None:
    message = inbox_message([_group(1)], [])
    assert validate_message(message) == []
    (actions,) = _actions(message)
    assert [e["action_id"].split(":")[0] for e in actions["elements"]] == ["inbox_ignore"]  # type: ignore[index,union-attr]
    assert "No open item to route to: `/debt add` adds one." in str(message["blocks"])


def test_titles_and_links_cannot_inject_mrkdwn() -> None:
    group = _group(1, title="<!channel> *boom*", url="javascript:alert(1)")
    text = str(inbox_message([group], [("DEBT-1", "One")])["blocks"][2]["text"]["text"])  # type: ignore[index]
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "javascript:" not in text


def test_ids_not_drawn_by_debtpulse_are_not_read() -> None:
    assert parse_action_id("inbox_route:nothex!") is None
    assert parse_action_id("vote_1:abcdef12") is None
    assert parse_block_id("inbox|abcdef12|DEBT-1") is None
    assert parse_block_id("inbox|abcdef12|<script>|1") == ("abcdef12", Choice(None, True))
    assert action_id("inbox_item", "abcdef12") == "inbox_item:abcdef12"
    assert block_id("abcdef12", Choice()) == "inbox|abcdef12||0"
