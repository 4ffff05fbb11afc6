"""The shared Jinja environment escapes exactly ``&``, ``<`` and ``>`` in interpolated values."""

from __future__ import annotations

import pytest

from surveys.render import Mrkdwn, RenderError, environment, mrkdwn_escape, render, render_template


def test_mrkdwn_escape_escapes_exactly_three_characters() -> None:
    assert mrkdwn_escape("<b> & \"quotes\" 'too' *bold*") == (
        "&lt;b&gt; &amp; \"quotes\" 'too' *bold*"
    )
    assert mrkdwn_escape(42) == "42"


def test_interpolated_values_are_escaped() -> None:
    assert render("{{ title }}", title="<script>") == "&lt;script&gt;"
    assert render("{{ title }}", title="R&D") == "R&amp;D"


def test_literal_template_text_is_not_escaped() -> None:
    out = render("<@U1> see <https://example.com|{{ title }}> & more", title="a<b")
    assert out == "<@U1> see <https://example.com|a&lt;b> & more"


def test_quotes_are_not_escaped() -> None:
    assert render("{{ t }}", t='it\'s "fine"') == 'it\'s "fine"'


def test_none_is_empty_and_mrkdwn_values_are_trusted() -> None:
    assert render("[{{ owner }}]", owner=None) == "[]"
    assert render("{{ link }}", link=Mrkdwn("<@U2>")) == "<@U2>"


def test_filters_and_loops_are_escaped_once() -> None:
    out = render("{{ items | join(', ') }}", items=["a&b", "<c>"])
    assert out == "a&amp;b, &lt;c&gt;"


def test_one_shared_environment() -> None:
    env = environment()
    assert env is environment()
    assert env.autoescape is False


def test_undefined_names_are_errors_naming_the_template() -> None:
    with pytest.raises(RenderError) as caught:
        render_template("weekly-debt-pulse questions.0.prompt", "{{ item.title }}", {})
    assert caught.value.template_name == "weekly-debt-pulse questions.0.prompt"
    assert str(caught.value) == (
        "template weekly-debt-pulse questions.0.prompt: 'item' is undefined"
    )


def test_syntax_errors_name_the_template_and_line() -> None:
    with pytest.raises(RenderError) as caught:
        render("Hello\n{% if %}")
    assert str(caught.value).startswith("template 'Hello' (line 2): ")
