"""manifest.yml is a valid Slack app manifest and matches what the code registers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from bot.listeners.app import BOT_SCOPES
from bot.slack.parse import SUBCOMMANDS, USAGE

ROOT = Path(__file__).parents[2]
SCHEMA = ROOT.parent / "shared" / "slack" / "manifest.schema.json"
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_matches_slacks_schema() -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not available at {SCHEMA}")
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(MANIFEST), key=lambda e: list(e.path)
    )
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def _registered(app) -> tuple[set[str], set[str]]:
    """Slash commands and event types the app's listeners match (the catch-all aside)."""
    found: dict[str, set[str]] = {"command": set(), "event": set()}
    for listener in app._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            kind = getattr(func, "__qualname__", "").split(".")[0]
            for cell in getattr(func, "__closure__", None) or ():
                if kind in found and isinstance(cell.cell_contents, str):
                    found[kind].add(cell.cell_contents)
    return found["command"], found["event"]


def test_commands_events_and_scopes_match_the_code(bolt_app) -> None:
    commands, events = _registered(bolt_app)
    manifest_commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert manifest_commands == commands == {"/debt"}
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == events
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_usage_hint_names_real_subcommands() -> None:
    hint = MANIFEST["features"]["slash_commands"][0]["usage_hint"]
    for word in re.findall(r"[a-z]+", hint.replace("KEY", "")):
        if word not in {"n"}:
            assert word in SUBCOMMANDS
    assert set(USAGE) == set(SUBCOMMANDS)
