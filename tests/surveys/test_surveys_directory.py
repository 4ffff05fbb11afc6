"""Loading a directory of templates, the built-in library, and ``check``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from surveys.check import check
from surveys.loader import TemplateError, builtin_dir, load_directory
from surveys.questions import DebtItemChoiceQuestion, LikertQuestion, TextQuestion
from surveys.schema import Digest, Survey, validate_template

WriteTemplate = Callable[[str, str], Path]

BUILTIN_IDS = {
    "weekly-debt-pulse",
    "monthly-category-check",
    "post-incident",
    "quarterly-fix-next",
    "weekly-digest",
    "weekly-hours-lost",
}

SURVEY = """
id: {id}                                        # 1
title: Team pulse                               # 2
schedule: {{cron: "0 10 * * MON", timezone: UTC}} # 3
open_for: 48h                                   # 4
questions:                                      # 5
  - {{id: note, type: text, prompt: "Anything?"}} # 6
"""


def test_the_builtin_library_is_clean() -> None:
    assert check(None) == []
    result = load_directory(builtin_dir())
    assert result.errors == []
    assert set(result.templates) == BUILTIN_IDS
    for loaded in result.templates.values():
        assert loaded.path.parent == builtin_dir()
        assert loaded.path.stem == loaded.id
        assert loaded.content_hash == hashlib.sha256(loaded.path.read_bytes()).hexdigest()
        # The stored definition (JSON) validates back to the same template.
        assert validate_template(loaded.template.model_dump(mode="json")) == loaded.template
        if isinstance(loaded.template, Survey):
            assert loaded.template.audience is None  # the default poll channel at run time


def test_weekly_debt_pulse_feeds_the_score() -> None:
    survey = load_directory(builtin_dir()).templates["weekly-debt-pulse"].survey
    assert survey is not None
    assert survey.schedule.cron == "0 10 * * mon"
    assert survey.schedule.timezone == "UTC"
    assert survey.open_for == timedelta(hours=48)
    assert survey.reminders == [timedelta(hours=24)]
    assert survey.max_reminders == 1
    assert survey.anonymous is True
    assert survey.sample == 5
    pain = survey.question("pain")
    assert isinstance(pain, LikertQuestion)
    assert pain.for_each is not None
    assert pain.for_each.debt_items.status == "open"
    assert pain.for_each.debt_items.top == 8
    assert (pain.scale.min, pain.scale.max) == (1, 5)
    assert pain.scale.labels == {1: "Not at all", 5: "It blocked me"}
    assert isinstance(survey.question("worst"), DebtItemChoiceQuestion)
    note = survey.question("note")
    assert isinstance(note, TextQuestion)
    assert note.optional is True
    monday = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    fire = survey.schedule.trigger().get_next_fire_time(None, monday - timedelta(days=3))
    assert fire == monday


def test_other_builtins() -> None:
    templates = load_directory(builtin_dir()).templates
    digest = templates["weekly-digest"].digest
    assert isinstance(digest, Digest)
    assert (digest.top, digest.channels, digest.schedule.cron) == (10, [], "0 9 * * mon")
    assert all(digest.sections.model_dump().values())
    for survey_id in ("post-incident", "quarterly-fix-next"):
        survey = templates[survey_id].survey
        assert survey is not None
        assert any(isinstance(q, DebtItemChoiceQuestion) for q in survey.questions)
    monthly = templates["monthly-category-check"].survey
    assert monthly is not None
    trigger = monthly.schedule.trigger()
    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 6, tzinfo=UTC))
    assert fire == datetime(2026, 2, 2, 10, 0, tzinfo=UTC)  # the first Monday of February


def test_duplicate_template_ids_across_files(write: WriteTemplate) -> None:
    first = write("a-pulse.yaml", SURVEY.format(id="team-pulse"))
    second = write("b-pulse.yml", SURVEY.format(id="team-pulse"))
    write("c-other.yml", SURVEY.format(id="other"))
    result = load_directory(first.parent)
    assert set(result.templates) == {"team-pulse", "other"}
    assert result.templates["team-pulse"].path == first
    assert result.errors == [
        TemplateError(
            second,
            1,
            "id",
            "duplicate template id 'team-pulse' (already defined in a-pulse.yaml:1)",
        )
    ]
    assert check(first.parent) == result.errors


def test_directory_skips_weights_hidden_and_other_files(write: WriteTemplate) -> None:
    path = write("pulse.yaml", SURVEY.format(id="team-pulse"))
    write("weights.yaml", "risk: 35\npain: 25\n")
    write(".draft.yaml", "not: [valid\n")
    write("notes.txt", "not a template")
    result = load_directory(path.parent)
    assert (list(result.templates), result.errors) == (["team-pulse"], [])


def test_directory_reports_broken_files_and_keeps_the_good(write: WriteTemplate) -> None:
    good = write("good.yaml", SURVEY.format(id="team-pulse"))
    bad = write("bad.yaml", "id: x\ntitle: [oops\n")
    result = load_directory(good.parent)
    assert list(result.templates) == ["team-pulse"]
    assert [(e.path, e.field) for e in result.errors] == [(bad, "yaml")]


def test_check_an_empty_or_missing_directory(tmp_path: Path) -> None:
    assert check(tmp_path) == [
        TemplateError(tmp_path, 0, "directory", "no templates (*.yaml or *.yml) found")
    ]
    missing = tmp_path / "nope"
    assert check(missing) == [TemplateError(missing, 0, "directory", "not a directory")]
