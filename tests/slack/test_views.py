"""Block Kit built in one place stays within Slack's limits and escapes interpolated text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block

from bot.core.explain import Change
from bot.core.priority import RankedItem, ScoreBreakdown
from bot.slack import help_views, home_views, limits, ranking_views, register_views
from storage.models import DebtItem

NOW = datetime(2026, 11, 16, tzinfo=UTC)


def _ranked(n: int, title: str) -> RankedItem:
    breakdown = ScoreBreakdown(
        key=f"DEBT-{n}",
        score=10.0,
        components={
            "risk": 10.0,
            "severity_floor": 0.0,
            "pain": 0.0,
            "breadth": 0.0,
            "trend": 0.0,
            "signals": 0.0,
        },
        as_of=NOW,
        settings_version="v",
        title=title,
        category="operational",
        suppressed=True,
    )
    return RankedItem(n, breakdown)


def _valid(blocks: list[dict]) -> None:
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_a_long_ranking_is_capped_with_a_note() -> None:
    items = [_ranked(n, "A very long title " * 30) for n in range(1, 80)]
    payload = ranking_views.top_message(items, {}, title="Top 79 debt items")
    blocks = payload["blocks"]
    assert len(blocks) == limits.MESSAGE_BLOCKS
    assert "more items not shown" in blocks[-1]["elements"][0]["text"]
    assert all(len(b["text"]["text"]) <= limits.TEXT for b in blocks if b["type"] == "section")
    _valid(blocks)


def test_interpolated_text_is_escaped_and_suppressed_counts_hidden() -> None:
    item = _ranked(1, "<script> & <@U1>")
    payload = ranking_views.top_message(
        [item],
        {"DEBT-1": DebtItem(team_id="T", key="DEBT-1", title="x", owner="U0OWNER")},
        title="Top",
    )
    line = payload["blocks"][1]["text"]["text"]
    assert "&lt;script&gt; &amp; &lt;@U1&gt;" in line
    assert "<@U0OWNER>" in line
    assert "fewer than 5 people" in line


def test_modals_respect_title_and_metadata_limits() -> None:
    view = register_views.add_modal(next_key="DEBT-100", metadata="x" * 5000)
    assert len(view["title"]["text"]) <= limits.MODAL_TITLE
    assert len(view["private_metadata"]) <= limits.PRIVATE_METADATA
    _valid(view["blocks"])
    item = DebtItem(team_id="T", key="DEBT-123456", title="t" * 300)
    assess = register_views.assess_modal(item, None, metadata="{}")
    assert len(assess["title"]["text"]) <= limits.MODAL_TITLE
    _valid(assess["blocks"])


def test_home_view_is_capped_at_100_blocks() -> None:
    owned = [DebtItem(team_id="T", key=f"DEBT-{n}", title="t", status="open") for n in range(200)]
    view = home_views.home_view(top=[], records={}, open_polls=[], owned=owned)
    assert len(view["blocks"]) == limits.VIEW_BLOCKS
    _valid(view["blocks"])


def _shown(n: int) -> RankedItem:
    item = _ranked(n, f"Item {n}")
    breakdown = dataclasses.replace(item.breakdown, suppressed=False, n_respondents=7)
    return RankedItem(n, breakdown)


def test_the_legend_explains_the_dot_only_when_an_item_is_suppressed() -> None:
    def legend(items: list[RankedItem]) -> str:
        blocks = ranking_views.top_message(items, {}, title="Top")["blocks"]
        return str(blocks[-1]["elements"][0]["text"])

    assert legend([_shown(1)]).endswith("↑ worsening, ↓ improving, → steady.")
    assert legend([_shown(1), _ranked(2, "Quiet item")]).endswith(
        "→ steady; · too few people to tell."
    )


def test_a_suppressed_score_has_no_stray_dot() -> None:
    change = Change(
        key="DEBT-1",
        is_new=True,
        score=10.0,
        previous_score=None,
        total_delta=None,
        since=None,
        deltas=(),
        settings_changed=False,
        sentence="New this week.",
    )
    text = ranking_views.why_message(_ranked(1, "Quiet item"), [], change)["blocks"][1]["text"][
        "text"
    ]
    assert text.startswith("*Score 10.0* · rank 1\n")
    shown = ranking_views.why_message(_shown(2), [], change)["blocks"][1]["text"]["text"]
    assert shown.startswith("*Score 10.0 →* · rank 2\n")


def test_a_team_name_owner_is_text_and_a_user_id_a_mention() -> None:
    item = _shown(1)
    team = DebtItem(team_id="T", key="DEBT-1", title="x", owner="UX-team")
    person = DebtItem(team_id="T", key="DEBT-1", title="x", owner="U0OWNER1")
    assert "<@" not in ranking_views.ranking_line(item, team)
    assert "<@U0OWNER1>" in ranking_views.ranking_line(item, person)
    card = register_views.item_message(team, None, item)["blocks"][1]["text"]["text"]
    assert "*Owner:* UX-team" in card and "<@" not in card
    # a team name in capitals that starts like an id is still a name, not a broken mention
    for name in ("UXR", "WEB", "WEBOPS"):
        named = DebtItem(team_id="T", key="DEBT-1", title="x", owner=name)
        assert "<@" not in ranking_views.ranking_line(item, named)
        card = register_views.item_message(named, None, item)["blocks"][1]["text"]["text"]
        assert f"*Owner:* {name}" in card


def test_help_puts_digest_post_with_the_lead_commands() -> None:
    everyone, leads = (
        block["text"]["text"] for block in help_views.help_message(is_lead=False)["blocks"][1:3]
    )
    assert "`/debt digest preview`" in everyone and "post" not in everyone
    assert "`/debt digest post [force]`" in leads and "leads only" in leads
