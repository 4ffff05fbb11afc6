"""The README's reference tables match the code: CLI commands, /debt subcommands, settings.

Each table is found under its heading, so reordering or rewording the rest of the README
does not break these checks; adding a command or a setting without documenting it does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from bot.cli.main import app
from bot.config import Settings
from bot.slack.parse import LEAD_ONLY, SUBCOMMANDS, Command

README = Path(__file__).resolve().parents[1] / "README.md"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_CODE = re.compile(r"`([^`]+)`")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_WORD = re.compile(r"^[a-z][a-z0-9-]*$")


def _plain(text: str) -> str:
    """Heading text without markdown decoration, for comparison."""
    return re.sub(r"[`*_]", "", text).strip().lower()


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(body)]


def _is_separator(cells: list[str]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells)


def table_under(heading: str, text: str | None = None) -> list[dict[str, str]]:
    """The first table in the section titled ``heading``, as one dict per row by header.

    The table must stand in the section's own text, before the next heading of any level;
    headings and tables inside fenced code blocks are ignored.
    """
    lines = (text if text is not None else README.read_text(encoding="utf-8")).splitlines()
    in_fence = False
    level: int | None = None
    table: list[list[str]] = []
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _HEADING.match(line)
        if match:
            if level is not None:
                break  # the table belongs to the section's own text, before any subheading
            if _plain(match.group(2)) == _plain(heading):
                level = len(match.group(1))
            continue
        if level is None:
            continue
        if line.lstrip().startswith("|"):
            table.append(_cells(line))
        elif table:
            break
    assert level is not None, f"README has no heading {heading!r}"
    assert len(table) >= 2 and _is_separator(table[1]), f"no table under {heading!r}"
    header = [cell.lower() for cell in table[0]]
    rows = []
    for cells in table[2:]:
        assert len(cells) == len(header), f"row {cells} under {heading!r} has the wrong width"
        rows.append(dict(zip(header, cells, strict=True)))
    assert rows, f"the table under {heading!r} is empty"
    return rows


def _code_spans(cell: str) -> list[str]:
    return _CODE.findall(cell)


# -- (a) debtpulse commands -------------------------------------------------------------


def registered_commands() -> set[str]:
    """Every runnable command path of ``debtpulse``, e.g. ``top`` and ``digest preview``."""
    found: set[str] = set()

    # Typer's command classes mirror click's (recent Typer ships its own copy of click), so
    # the tree is walked by the group interface, not by isinstance(click.Group).
    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "list_commands"):
            ctx = command.context_class(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, (*path, name))
        else:
            found.add(" ".join(path))

    walk(typer.main.get_command(app), ())
    return found


def documented_commands() -> list[str]:
    paths = []
    for row in table_under("`debtpulse` commands"):
        spans = _code_spans(row["command"])
        assert spans, f"no command in {row['command']!r}"
        words = spans[0].split()
        assert words[0] == "debtpulse", f"{spans[0]!r} does not start with debtpulse"
        path = []
        for word in words[1:]:
            if not _WORD.match(word):
                break  # an argument (KEY, FILE.csv) or an option ([--team T])
            path.append(word)
        paths.append(" ".join(path))
    return paths


def test_cli_table_lists_exactly_the_registered_commands() -> None:
    documented = documented_commands()
    assert len(documented) == len(set(documented)), "a command is listed twice"
    registered = registered_commands()
    assert {"digest preview", "digest post", "demo", "db upgrade"} <= registered
    assert set(documented) == registered, (
        f"missing from the README: {sorted(registered - set(documented))}; "
        f"not a command: {sorted(set(documented) - registered)}"
    )


# -- (b) /debt subcommands ----------------------------------------------------------------

WHO = {"everyone": False, "leads": True}


def documented_subcommands() -> list[tuple[str, str | None, bool]]:
    """(subcommand, action word if any, lead-only) per row of the /debt table."""
    rows = []
    for row in table_under("`/debt` commands"):
        spans = _code_spans(row["command"])
        assert len(spans) == 1, f"one command per row: {row['command']!r}"
        words = spans[0].split()
        assert words[0] == "/debt" and len(words) >= 2, f"not a /debt command: {spans[0]!r}"
        name = words[1]
        action = words[2] if len(words) > 2 and _WORD.match(words[2]) else None
        who = row["who"].strip().lower()
        assert who in WHO, f"who of {spans[0]!r} must be one of {sorted(WHO)}, not {who!r}"
        rows.append((name, action, WHO[who]))
    return rows


def test_debt_table_lists_exactly_the_subcommands() -> None:
    documented = documented_subcommands()
    names = {name for name, _, _ in documented}
    assert names == set(SUBCOMMANDS), (
        f"missing from the README: {sorted(set(SUBCOMMANDS) - names)}; "
        f"not a subcommand: {sorted(names - set(SUBCOMMANDS))}"
    )
    keys = [(name, action) for name, action, _ in documented]
    assert len(keys) == len(set(keys)), "a /debt command is listed twice"


def test_debt_table_marks_lead_only_commands_like_the_parser() -> None:
    for name, action, lead in documented_subcommands():
        args = {"action": action} if action else {}
        command = Command(name, args)
        label = f"/debt {name}{' ' + action if action else ''}"
        assert command.lead_only == lead, f"{label}: the parser says lead_only={command.lead_only}"
        if action is None:
            assert (name in LEAD_ONLY) == lead, label


def test_both_digest_actions_are_documented_with_their_access() -> None:
    actions = {action: lead for name, action, lead in documented_subcommands() if name == "digest"}
    assert actions == {"preview": False, "post": True}
    assert "digest post" in LEAD_ONLY


# -- (c) configuration ---------------------------------------------------------------------


def settings_variables() -> set[str]:
    """Every environment variable Settings reads (its fields' aliases)."""
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(choice) for choice in choices)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(field.alias or name.upper())
    return names


def documented_variables() -> list[str]:
    names = []
    for row in table_under("Configuration"):
        spans = [span for span in _code_spans(row["variable"]) if _ENV_NAME.match(span)]
        assert spans, f"no variable in {row['variable']!r}"
        names.extend(spans)
    return names


def test_configuration_table_matches_settings() -> None:
    documented = documented_variables()
    assert len(documented) == len(set(documented)), "a variable is listed twice"
    read = settings_variables()
    assert "DEBTPULSE_MIN_GROUP" in read and "DATABASE_URL" in read
    assert set(documented) == read, (
        f"missing from the README: {sorted(read - set(documented))}; "
        f"not read by Settings: {sorted(set(documented) - read)}"
    )


# -- the table reader itself --------------------------------------------------------------

SAMPLE = """\
# Title

## Commands

```text
## Not a heading
| not | a table |
```

Some text.

| command | who |
|---|---|
| `/debt top [a\\|b]` | everyone |

### Deeper

| other | table |
|---|---|
| x | y |

## Next
"""


def test_table_reader_finds_the_table_under_its_heading() -> None:
    assert table_under("Commands", SAMPLE) == [{"command": "`/debt top [a|b]`", "who": "everyone"}]
    assert table_under("deeper", SAMPLE) == [{"other": "x", "table": "y"}]


def test_table_reader_reports_a_missing_heading_or_table() -> None:
    with pytest.raises(AssertionError, match="no heading"):
        table_under("Absent", SAMPLE)
    with pytest.raises(AssertionError, match="no table"):
        table_under("Title", "# Title\n\ntext\n\n## Commands\n\n| a |\n|---|\n| b |\n")


# -- docs/operations.md ---------------------------------------------------------------------

OPERATIONS = README.parent / "docs" / "operations.md"


def test_operations_quotes_the_schema_refusal_with_the_current_revision() -> None:
    from storage.db import head_revision

    text = OPERATIONS.read_text(encoding="utf-8")
    quoted = set(re.findall(r"(?:needs revision|knows up to) (\d{4})", text))
    assert quoted == {head_revision()}, "regenerate the refusals quoted under Migrations"


def _command_at(path: list[str]) -> Any:
    command = typer.main.get_command(app)
    for name in path:
        command = command.get_command(command.context_class(command), name)
    return command


def test_cli_table_lists_each_commands_options() -> None:
    for row in table_under("`debtpulse` commands"):
        usage = _code_spans(row["command"])[0]
        path = []
        for word in usage.split()[1:]:
            if not _WORD.match(word):
                break
            path.append(word)
        documented = set(re.findall(r"--[a-z][a-z-]*", usage))
        options = [
            param
            for param in _command_at(path).params
            if param.param_type_name == "option" and "--help" not in param.opts
        ]
        offered = {opt for param in options for opt in (*param.opts, *param.secondary_opts)}
        assert documented <= offered, f"{usage!r}: not an option: {documented - offered}"
        for param in options:
            forms = {o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")}
            assert forms & documented, f"{usage!r} does not show {sorted(forms)}"
