"""Type-specific and cross-field template rules, reported at the field's line.

The fixtures are written inline; the comment at the end of a line is its line number.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from surveys import validate_template

WriteTemplate = Callable[[str, str], Path]
Problems = Callable[[Path], list[tuple[int, str, str]]]

VALID = """
id: team-pulse                                  # 1
title: Team pulse                               # 2
schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
open_for: 48h                                   # 4
questions:                                      # 5
  - id: note                                    # 6
    type: text                                  # 7
    prompt: "Anything?"                         # 8
"""


def test_a_prompt_using_item_needs_for_each(write: WriteTemplate, problems: Problems) -> None:
    text = VALID.replace('prompt: "Anything?"', 'prompt: "{{ item.title }}"')
    assert problems(write("item.yaml", text)) == [
        (8, "questions.0.prompt", "uses 'item' but the question has no for_each")
    ]


def test_fields_of_other_question_types_are_named(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "fields.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        questions:                                      # 5
          - id: note                                    # 6
            type: text                                  # 7
            prompt: "Anything?"                         # 8
            for_each: {debt_items: {}}                  # 9
          - id: rate                                    # 10
            type: likert                                # 11
            prompt: "Rate it"                           # 12
            options: [{value: a, label: A}]             # 13
          - id: pick                                    # 14
            type: choice                                # 15
            prompt: "Pick"                              # 16
            options: [{value: a, label: A}]             # 17
        """,
    )
    assert problems(path) == [
        (
            9,
            "questions.0.for_each",
            "not allowed on a text question (only on: likert, choice, nps, hours)",
        ),
        (13, "questions.1.options", "not allowed on a likert question (only on: choice)"),
        (17, "questions.2.options", "List should have at least 2 items after validation, not 1"),
    ]


def test_the_pain_question_is_the_scored_likert(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "pain.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        sample: 3                                       # 5
        questions:                                      # 6
          - id: pain                                    # 7
            type: likert                                # 8
            prompt: "How much does debt hurt?"          # 9
            scale: {min: 1, max: 7}                     # 10
        """,
    )
    assert problems(path) == [
        (
            5,
            "sample",
            "sample needs a question with for_each (it limits the debt items asked about)",
        ),
        (
            7,
            "questions.0.id",
            "the 'pain' question feeds the priority score and must be asked for_each debt item",
        ),
        (
            10,
            "questions.0.scale",
            "the 'pain' question feeds the priority score and must use the scale 1..5",
        ),
    ]


SETTINGS = """
id: team-pulse                                  # 1
title: Team pulse                               # 2
schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
open_for: 48h                                   # 4
{setting}
questions:                                      # 6
  - {id: note, type: text, prompt: "Anything?"}   # 7
"""


def with_setting(line_5: str) -> str:
    return SETTINGS.replace("{setting}", line_5)


def test_sample_needs_a_per_item_question(write: WriteTemplate, problems: Problems) -> None:
    path = write("sample.yaml", with_setting("sample: 3  # 5"))
    assert problems(path) == [
        (
            5,
            "sample",
            "sample needs a question with for_each (it limits the debt items asked about)",
        )
    ]


def test_rules_across_fields_are_reported_with_field_errors(
    write: WriteTemplate, problems: Problems
) -> None:
    """One check lists every problem: a typo elsewhere does not hide the pain and sample rules."""
    path = write(
        "together.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        sample: 3                                       # 5
        questions:                                      # 6
          - id: pain                                    # 7
            type: likert                                # 8
            prompt: "How much does debt hurt?"          # 9
          - id: note                                    # 10
            type: text                                  # 11
            prompt: "Anything?"                         # 12
            max_lenght: 200                             # 13
        """,
    )
    assert problems(path) == [
        (
            5,
            "sample",
            "sample needs a question with for_each (it limits the debt items asked about)",
        ),
        (
            7,
            "questions.0.id",
            "the 'pain' question feeds the priority score and must be asked for_each debt item",
        ),
        (13, "questions.1.max_lenght", "unknown field; did you mean 'max_length'?"),
    ]


def test_sample_is_not_blamed_when_a_per_item_question_has_its_own_error(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write(
        "per-item.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        sample: 3                                       # 5
        questions:                                      # 6
          - id: pain                                    # 7
            type: likert                                # 8
            prompt: "{{ item.title }}"                  # 9
            for_each: {debt_items: {}}                  # 10
            scale: {min: 1, max: 7}                     # 11
        """,
    )
    assert problems(path) == [
        (
            11,
            "questions.0.scale",
            "the 'pain' question feeds the priority score and must use the scale 1..5",
        )
    ]


def test_a_bad_sample_value_is_reported_once(write: WriteTemplate, problems: Problems) -> None:
    path = write("zero.yaml", with_setting("sample: 0  # 5"))
    assert problems(path) == [(5, "sample", "Input should be greater than or equal to 1")]


def test_per_recipient_timezone_needs_a_dm_audience(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write("tz.yaml", with_setting("per_recipient_timezone: true  # 5"))
    assert problems(path) == [
        (
            5,
            "per_recipient_timezone",
            "only a dm audience can be sent in each recipient's time zone",
        )
    ]


def test_dm_audience_needs_recipients(write: WriteTemplate, problems: Problems) -> None:
    path = write("dm.yaml", with_setting("audience: {dm: {}}  # 5"))
    assert problems(path) == [(5, "audience.dm", "name a usergroup, channel_members, or both")]


def test_reminders_must_come_before_the_poll_closes(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write("reminders.yaml", with_setting("reminders: [24h, 2d]  # 5"))
    assert problems(path) == [
        (5, "reminders.1", "reminder after 2d must come before the poll closes (2d)")
    ]


def test_unknown_kind_empty_file_and_non_mapping(write: WriteTemplate, problems: Problems) -> None:
    assert problems(write("kind.yaml", "id: x\nkind: report\n")) == [
        (2, "kind", "must be 'survey' or 'digest', not 'report'")
    ]
    assert problems(write("empty.yaml", "# nothing here\n")) == [
        (1, "template", "the file is empty")
    ]
    assert problems(write("list.yaml", "- id: x\n")) == [
        (1, "template", "a template must be a mapping of fields")
    ]


def test_digest_errors(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "digest.yaml",
        """
        id: weekly                                      # 1
        kind: digest                                    # 2
        title: Weekly digest                            # 3
        channels: [C0123, not-a-channel]                # 4
        schedule: {cron: "0 9 * * MON", timezone: UTC}  # 5
        top: 0                                          # 6
        sections:                                       # 7
          movers: false                                 # 8
          velocity: true                                # 9
        category: product                               # 10
        """,
    )
    assert [(line, field) for line, field, _ in problems(path)] == [
        (4, "channels.1"),
        (6, "top"),
        (9, "sections.velocity"),
        (10, "category"),
    ]


def test_live_results_need_a_named_survey(write: WriteTemplate, problems: Problems) -> None:
    # anonymous by default: results shown while open would tell each new answer apart
    path = write("live.yaml", with_setting("results_hidden_until_close: false  # 5"))
    assert problems(path) == [
        (
            5,
            "results_hidden_until_close",
            "an anonymous survey keeps its results hidden until it closes (live results would "
            "show how each new answer moved them); set anonymous: false to show results while "
            "the poll is open",
        )
    ]
    named = yaml.safe_load(with_setting("anonymous: false\nresults_hidden_until_close: false"))
    assert validate_template(named).results_hidden_until_close is False  # type: ignore[union-attr]


PER_ITEM = """
id: team-pulse                                  # 1
title: Team pulse                               # 2
schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
open_for: 48h                                   # 4
questions:                                      # 5
  - id: rating                                  # 6
    type: likert                                # 7
    prompt: "PROMPT"                            # 8
    for_each: {debt_items: {status: open}}      # 9
"""


def test_a_prompt_that_would_fail_when_the_poll_opens_fails_the_check(
    write: WriteTemplate, problems: Problems
) -> None:
    """surveys check renders each prompt with a sample item, as the poll will when it opens."""
    for prompt, message in [
        (
            "How is {{ team }} doing?",
            "uses 'team', which a prompt does not have: it may use only item "
            "(item.key, item.title, item.id) in a for_each question",
        ),
        ("{{ item.owner }} owns it", "cannot be shown: "),
        ("{{ item.key.nope }}", "cannot be shown: "),
    ]:
        found = problems(write("prompt.yaml", PER_ITEM.replace("PROMPT", prompt)))
        assert len(found) == 1 and found[0][:2] == (8, "questions.0.prompt"), found
        assert found[0][2].startswith(message), found
    valid = validate_template(yaml.safe_load(PER_ITEM.replace("PROMPT", "{{ item.title }}")))
    assert valid.id == "team-pulse"
