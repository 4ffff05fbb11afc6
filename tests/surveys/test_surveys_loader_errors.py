"""Every template problem is reported as ``path:line: field: message`` at the right line.

The fixtures are written inline; the comment at the end of a line is its line number.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from surveys.loader import TemplateError, TemplateErrors, load_file, load_template
from surveys.schema import Survey

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


def test_a_valid_file_loads(write: WriteTemplate) -> None:
    template = load_template(write("ok.yaml", VALID))
    assert isinstance(template, Survey)
    assert template.id == "team-pulse"


def test_error_string_is_path_line_field_message(write: WriteTemplate) -> None:
    path = write(
        "cron.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule:                                       # 3
          cron: "0 25 * * MON"                          # 4
          timezone: UTC                                 # 5
        open_for: 48h                                   # 6
        questions:                                      # 7
          - {id: note, type: text, prompt: "Anything?"} # 8
        """,
    )
    with pytest.raises(TemplateErrors) as caught:
        load_file(path)
    assert [str(error) for error in caught.value.errors] == [
        f"{path}:4: schedule.cron: hour field '25': "
        "the last value (25) is higher than the maximum value (23)"
    ]
    assert str(caught.value) == str(caught.value.errors[0])


def test_bad_yaml_reports_the_line_yaml_gives(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "syntax.yaml",
        """
        id: team-pulse          # 1
        title: Team pulse       # 2
        questions:              # 3
          - id: note            # 4
           type: text           # 5
        """,
    )
    [(line, field, message)] = problems(path)
    assert (line, field) == (5, "yaml")
    assert "expected <block end>" in message


def test_unknown_field_names_the_field_and_suggests(
    write: WriteTemplate, problems: Problems
) -> None:
    text = VALID.replace("open_for: 48h", "open_fro: 48h")
    assert problems(write("unknown.yaml", text)) == [
        (1, "open_for", "missing required field"),
        (4, "open_fro", "unknown field; did you mean 'open_for'?"),
    ]


def test_missing_field_is_reported_at_the_parent_mapping(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write(
        "missing.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        questions:                                      # 5
          - id: note                                    # 6
            type: text                                  # 7
        """,
    )
    assert problems(path) == [(6, "questions.0.prompt", "missing required field")]


def test_bad_cron_and_unknown_timezone(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "schedule.yaml",
        """
        id: team-pulse                  # 1
        title: Team pulse               # 2
        schedule:                       # 3
          cron: "0 10 * *"              # 4
          timezone: Europe/Berlinn      # 5
        open_for: 48h                   # 6
        questions:                      # 7
          - {id: note, type: text, prompt: "Anything?"}   # 8
        """,
    )
    assert problems(path) == [
        (
            4,
            "schedule.cron",
            "expected 5 fields (minute hour day-of-month month day-of-week), got 4",
        ),
        (
            5,
            "schedule.timezone",
            "unknown time zone 'Europe/Berlinn'; did you mean 'Europe/Berlin'?",
        ),
    ]


def test_bad_question_type(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "type.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        questions:                                      # 5
          - id: rate                                    # 6
            type: slider                                # 7
            prompt: "Rate it"                           # 8
        """,
    )
    assert problems(path) == [
        (
            7,
            "questions.0.type",
            "unknown question type 'slider'; expected one of: "
            "likert, choice, debt_item_choice, nps, text, hours",
        )
    ]


def test_duplicate_question_id_is_reported_at_the_duplicate(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write(
        "dup-question.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        questions:                                      # 5
          - id: note                                    # 6
            type: text                                  # 7
            prompt: "Anything?"                         # 8
          - id: note                                    # 9
            type: text                                  # 10
            prompt: "Anything else?"                    # 11
        """,
    )
    assert problems(path) == [
        (9, "questions.1.id", "duplicate question id 'note' (already used by questions.0)")
    ]


def test_jinja_syntax_error_in_a_prompt(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "jinja.yaml",
        """
        id: team-pulse                                  # 1
        title: Team pulse                               # 2
        schedule: {cron: "0 10 * * MON", timezone: UTC} # 3
        open_for: 48h                                   # 4
        questions:                                      # 5
          - id: pain                                    # 6
            type: likert                                # 7
            for_each: {debt_items: {top: 3}}            # 8
            prompt: "How bad is {{ item.title }?"       # 9
        """,
    )
    assert problems(path) == [(9, "questions.0.prompt", "unexpected '}'")]


def test_several_errors_in_one_file_are_all_reported(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write(
        "many.yaml",
        """
        id: Team_Pulse                          # 1
        title: Team pulse                       # 2
        schedule:                               # 3
          cron: "0 10 * * MON"                  # 4
          timezone: Mars/Olympus                # 5
        audience: {channel: C0123, dm: {usergroup: S0123}}   # 6
        open_for: 48h                           # 7
        reminders:                              # 8
          - 24h                                 # 9
          - 3d                                  # 10
        sample: 0                               # 11
        colour: blue                            # 12
        questions:                              # 13
          - id: rate                            # 14
            type: likert                        # 15
            prompt: "Rate it"                   # 16
            scale: {min: 1, max: 5, labels: {7: "Off the scale"}}  # 17
          - id: pick                            # 18
            type: choice                        # 19
            prompt: "Pick one"                  # 20
            options:                            # 21
              - {value: a, label: A}            # 22
              - {value: a, label: B}            # 23
          - id: rate                            # 24
            type: text                          # 25
            prompt: "{% if %}"                  # 26
            max_length: 5000                    # 27
        title: Again                            # 28
        """,
    )
    found = problems(path)
    assert [(line, field) for line, field, _ in found] == [
        (1, "id"),
        (5, "schedule.timezone"),
        (6, "audience"),
        (10, "reminders.1"),
        (11, "sample"),
        (12, "colour"),
        (17, "questions.0.scale.labels.7"),
        (23, "questions.1.options.1.value"),
        (24, "questions.2.id"),
        (26, "questions.2.prompt"),
        (27, "questions.2.max_length"),
        (28, "title"),
    ]
    messages = dict(((line, field), message) for line, field, message in found)
    assert messages[(6, "audience")] == "give exactly one of channel or dm"
    assert messages[(10, "reminders.1")] == (
        "reminder after 3d must come before the poll closes (2d)"
    )
    assert messages[(28, "title")] == "duplicate key (first given at line 2)"
    assert messages[(17, "questions.0.scale.labels.7")] == "label for 7 is outside the scale 1..5"


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(TemplateErrors) as caught:
        load_file(missing)
    [error] = caught.value.errors
    assert error == TemplateError(missing, 0, "file", "No such file or directory")
