"""Block Kit as terminal text (``bot.core.blocktext``): what a person would read."""

from __future__ import annotations

import pytest

from bot.core.blocktext import RULE, blocks_to_text, mrkdwn_to_text


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("see <https://wiki.example.com/runbook|the runbook>", "see the runbook"),
        ("<https://wiki.example.com/runbook>", "https://wiki.example.com/runbook"),
        ("<mailto:ml@example.com|ml@example.com>", "ml@example.com"),
    ],
)
def test_links_keep_their_label(source: str, expected: str) -> None:
    assert mrkdwn_to_text(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("owner <@U04ANA0001>", "owner @U04ANA0001"),
        ("owner <@U04ANA0001|ana>", "owner @ana"),
        ("in <#C0123|ml-platform> and <#C0456>", "in #ml-platform and #C0456"),
        ("<!here> <!channel>", "@here @channel"),
        ("<!subteam^S0123|@ml-team> please", "@ml-team please"),
    ],
)
def test_mentions(source: str, expected: str) -> None:
    assert mrkdwn_to_text(source) == expected


def test_bold_italic_and_code_lose_their_marks() -> None:
    text = "*1. ML-12 · Flaky ingestion*   71.3 ↑\n_mostly risk 26.3_ · pain `▁▅█·`"

    assert (
        mrkdwn_to_text(text) == "1. ML-12 · Flaky ingestion   71.3 ↑\nmostly risk 26.3 · pain ▁▅█·"
    )


def test_marks_inside_words_and_sums_are_kept() -> None:
    assert mrkdwn_to_text("train_model_v2.py and 2*3*4") == "train_model_v2.py and 2*3*4"


def test_entities_are_unescaped_once() -> None:
    assert mrkdwn_to_text("Fix &lt;script&gt; &amp; co") == "Fix <script> & co"
    # an escaped "&amp;" in the source text stays "&amp;" for the reader
    assert mrkdwn_to_text("R&amp;amp;D") == "R&amp;D"
    # an escaped bracket is not a link
    assert mrkdwn_to_text("&lt;@U123&gt;") == "<@U123>"


def test_header_is_underlined_to_its_length() -> None:
    text = blocks_to_text([{"type": "header", "text": plain("Weekly debt digest")}])

    assert text == "Weekly debt digest\n" + "═" * 18


def test_a_long_header_has_a_60_character_underline() -> None:
    lines = blocks_to_text([{"type": "header", "text": plain("x" * 100)}]).splitlines()

    assert lines == ["x" * 100, "═" * 60]


def test_plain_text_keeps_its_asterisks() -> None:
    blocks = [{"type": "section", "text": plain("*not bold* &amp;")}]

    assert blocks_to_text(blocks) == "*not bold* &amp;"


def test_fields_in_two_columns() -> None:
    block = {
        "type": "section",
        "fields": [
            mrkdwn("*Owner:* <@U04ANA0001>"),
            mrkdwn("*Effort:* M"),
            mrkdwn("*Status:* open"),
        ],
    }

    assert blocks_to_text([block]).splitlines() == [
        "Owner: @U04ANA0001" + " " * 12 + "  Effort: M",
        "Status: open",
    ]


def test_context_elements_on_one_line() -> None:
    block = {
        "type": "context",
        "elements": [
            mrkdwn("_answers from fewer than 5 people are never shown_"),
            {"type": "image", "image_url": "https://example.com/c.png", "alt_text": "trend"},
            plain("v2"),
        ],
    }

    assert (
        blocks_to_text([block])
        == "answers from fewer than 5 people are never shown  [image: trend]  v2"
    )


def test_blocks_in_order_with_rules_and_gaps() -> None:
    blocks = [
        {"type": "header", "text": plain("Digest")},
        {"type": "context", "elements": [mrkdwn("3 open items")]},
        {"type": "section", "text": mrkdwn("*What to fix next*")},
        {"type": "divider"},
        {"type": "section", "text": mrkdwn("*Who answered*")},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": plain("Answer"), "action_id": "a"}],
        },
    ]

    assert blocks_to_text(blocks).splitlines() == [
        "Digest",
        "══════",
        "3 open items",
        "",  # Slack leaves a gap between two blocks of content
        "What to fix next",
        RULE,
        "Who answered",
        "",
        "[Answer]",
    ]


def test_no_blocks_reads_the_fallback_text() -> None:
    assert blocks_to_text([], fallback="*Digest* for &lt;team&gt;") == "Digest for <team>"
