"""``routes.yaml``: routes load in file order with their lines, every problem in the file
comes back as ``path:line: field: message``, the template loader leaves the file alone and
``surveys check`` (the function and the command) checks it; the runtime turns the routes
into rules that say where they were written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import Runtime
from surveys import builtin_dir, check, load_directory
from surveys.loader import TemplateErrors
from surveys.routes_file import ROUTES_FILE, Route, load_routes
from tests.surveys.conftest import WriteTemplate

EXAMPLE = """
routes:
  - match: {source: alertmanager, labels: {service: ingest}}
    to: DEBT-1
  - match: {source: github, repo: acme/ml-platform, workflow: "nightly-*"}
    to: debt-7
  - match:
      source: pagerduty
      service: "Feature store"
    to: DEBT-6
"""


def _problems(directory: Path) -> list[str]:
    with pytest.raises(TemplateErrors) as caught:
        load_routes(directory)
    return [str(error).removeprefix(f"{directory / ROUTES_FILE}:") for error in caught.value.errors]


def test_routes_load_in_file_order_with_dotted_names_and_their_lines(
    write: WriteTemplate,
) -> None:
    path = write(ROUTES_FILE, EXAMPLE)
    assert load_routes(path.parent) == (
        Route({"source": "alertmanager", "labels.service": "ingest"}, "DEBT-1", 2),
        Route(
            {"source": "github", "repo": "acme/ml-platform", "workflow": "nightly-*"}, "DEBT-7", 4
        ),
        Route({"source": "pagerduty", "service": "Feature store"}, "DEBT-6", 6),
    )


def test_without_the_file_there_are_no_routes(tmp_path: Path) -> None:
    assert load_routes(tmp_path) == ()
    assert load_routes(None) == ()


def test_every_problem_is_reported_at_its_line(write: WriteTemplate) -> None:
    path = write(
        ROUTES_FILE,
        """
        routes:
          - match:
              source: alertmanger
              labels:
                service: yes
                team: {name: data}
              repo: ""
              kind: incidents
            to: nope
          - match: {}
            to: DEBT-2
          - match: {source: "git*", workflow: [a, b], "bad name": x}
            to: DEBT-3
          - to: DEBT-3
            colour: red
        """,
    )
    assert _problems(path.parent) == [
        "3: routes.0.match.source: 'alertmanger' is not a source debtpulse knows; expected one "
        "of: alertmanager, github, gitlab, pagerduty, sentry, sonarqube",
        "5: routes.0.match.labels.service: read as true, a yes/no value in YAML: quote it to "
        "match the text",
        "6: routes.0.match.labels.team: one level only, e.g. labels: {team: value}",
        "7: routes.0.match.repo: empty: give a pattern, or leave the field out to match any value",
        "8: routes.0.match.kind: 'incidents' is not a kind debtpulse knows; expected one of: "
        "incident, alert, drift, flaky_test, ci_failure, data_quality, code_quality, custom",
        "9: routes.0.to: 'nope' is not a debt item key like DEBT-12",
        "10: routes.1.match: empty: name at least one field (an empty match would take every "
        "signal)",
        "12: routes.2.match.bad name: not a field name: letters, digits and _ . : / - (e.g. "
        "repo, alertname, labels.service)",
        "12: routes.2.match.workflow: expected one pattern, not a list (use a glob such as "
        "'ingest-*')",
        "14: routes.3.match: missing required field",
        "15: routes.3.colour: unknown field; expected one of: match, to",
    ]


def test_a_route_that_repeats_an_earlier_match_is_refused(write: WriteTemplate) -> None:
    path = write(
        ROUTES_FILE,
        """
        routes:
          - match: {source: alertmanager, labels: {service: ingest}}
            to: DEBT-1
          - match: {source: github}
            to: DEBT-2
          - match: {labels.service: ingest, source: alertmanager}
            to: DEBT-3
        """,
    )
    assert _problems(path.parent) == [
        "6: routes.2.match: the same match as the route at line 2, which comes first: this one "
        "would never be used"
    ]


def test_the_same_field_given_twice_is_refused(write: WriteTemplate) -> None:
    path = write(
        ROUTES_FILE,
        "routes:\n  - match: {labels: {service: a}, labels.service: b}\n    to: DEBT-1\n",
    )
    assert _problems(path.parent) == [
        "2: routes.0.match.labels.service: labels.service is given twice"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("routes: [\n", "2: yaml: while parsing a flow node"),
        ("", "1: routes: the file is empty"),
        ("- match: {source: github}\n", "1: routes: expected the file to be `routes:` and a list"),
        ("route:\n  - {to: DEBT-1}\n", "1: route: unknown field; did you mean 'routes'?"),
        ("routes:\n  - match: github\n    to: DEBT-1\n", "2: routes.0.match: expected fields"),
    ],
    ids=["bad-yaml", "empty", "a-list", "misspelt", "match-not-a-mapping"],
)
def test_a_malformed_file_is_refused_with_its_line(
    write: WriteTemplate, text: str, expected: str
) -> None:
    path = write(ROUTES_FILE, text)
    problems = _problems(path.parent)
    assert problems[0].startswith(expected), problems


def test_the_loader_skips_routes_yaml_and_check_checks_it(
    write: WriteTemplate, tmp_path: Path
) -> None:
    for template in builtin_dir().glob("*.yaml"):
        (tmp_path / template.name).write_text(template.read_text(encoding="utf-8"))
    write(ROUTES_FILE, EXAMPLE)
    loaded = load_directory(tmp_path)
    assert loaded.errors == []
    assert ROUTES_FILE not in {t.path.name for t in loaded.templates.values()}
    assert check(tmp_path) == []

    write(ROUTES_FILE, "routes:\n  - match: {source: github}\n    to: DEBT\n")
    assert load_directory(tmp_path).errors == []
    assert [str(error) for error in check(tmp_path)] == [
        f"{tmp_path / ROUTES_FILE}:3: routes.0.to: 'DEBT' is not a debt item key like DEBT-12"
    ]


def test_surveys_check_lists_the_routes_and_their_problems(cli, write: WriteTemplate) -> None:  # type: ignore[no-untyped-def]
    path = write(ROUTES_FILE, EXAMPLE)
    for template in builtin_dir().glob("*.yaml"):
        (path.parent / template.name).write_text(template.read_text(encoding="utf-8"))
    folder = cli("surveys", "check", str(path.parent))
    assert folder.code == 0, folder
    assert "ok  route   routes.yaml:2  source=alertmanager, labels.service=ingest -> DEBT-1" in (
        folder.out
    )
    one = cli("surveys", "check", str(path))
    assert one.code == 0, one
    assert "ok  route   routes.yaml:6  source=pagerduty, service=Feature store -> DEBT-6" in one.out
    assert one.out.endswith(f"{path}: no problems\n")

    write(ROUTES_FILE, "routes:\n  - match: {source: gihub}\n    to: DEBT-1\n")
    broken = cli("surveys", "check", str(path))
    assert broken.code == 1
    assert f"{path}:2: routes.0.match.source: 'gihub' is not a source debtpulse knows" in (
        broken.err
    )
    assert "Traceback" not in broken.err


def test_the_runtime_turns_routes_into_rules_that_say_where_they_were_written(
    write: WriteTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(ROUTES_FILE, EXAMPLE)
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(path.parent))
    rules = Runtime().routes
    assert [(rule.to, rule.where) for rule in rules] == [
        ("DEBT-1", "routes.yaml:2"),
        ("DEBT-7", "routes.yaml:4"),
        ("DEBT-6", "routes.yaml:6"),
    ]
    assert rules[0].match == {"source": "alertmanager", "labels.service": "ingest"}
