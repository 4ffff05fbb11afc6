"""bot/core stays pure: no Slack, web, scheduler, database, nor clock, in every module."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

#: Every module of bot/core: the folder is pure by contract (import-linter keeps storage and
#: Slack out, see pyproject.toml); these tests add what import-linter cannot see.
CORE = Path(__file__).resolve().parents[2] / "bot" / "core"
#: The two that read a file the operator names (templates, weights.yaml) at start.
READS_FILES = {"bot.core.catalog", "bot.core.weights_file"}
SCORING_MODULES = sorted(
    name
    for path in CORE.rglob("*.py")
    if path.stem != "__init__"
    and (name := "bot.core." + ".".join(path.relative_to(CORE).with_suffix("").parts))
    not in READS_FILES
)
FORBIDDEN = (
    "slack_sdk",
    "slack_bolt",
    "apscheduler",
    "http",
    "urllib",
    "socket",
    "requests",
    "sqlalchemy",
    "sqlmodel",
    "storage",
    "bot.cli",
    "time",
    "os",
)
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def tree_of(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", SCORING_MODULES)
def test_no_forbidden_imports(module: str) -> None:
    for node in ast.walk(tree_of(module)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), (module, name)


@pytest.mark.parametrize("module", SCORING_MODULES)
def test_no_clock_reads(module: str) -> None:
    for node in ast.walk(tree_of(module)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, (module, node.func.attr, node.lineno)


@pytest.mark.parametrize("module", SCORING_MODULES)
def test_small_modules(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    assert len(Path(spec.origin).read_text(encoding="utf-8").splitlines()) < 300


def test_the_register_enumerations_match_the_database() -> None:
    from bot.core.records import CATEGORIES, STATUSES
    from storage.models import Category, Status

    assert tuple(c.value for c in Category) == CATEGORIES
    assert tuple(s.value for s in Status) == STATUSES
