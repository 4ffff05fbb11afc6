"""The scoring modules stay pure: no Slack, web, scheduler, database, nor clock."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SCORING_MODULES = [
    "bot.core.score_settings",
    "bot.core.stats",
    "bot.core.inputs",
    "bot.core.components",
    "bot.core.priority",
    "bot.core.rounding",
    "bot.core.explain",
    "bot.core.capacity",
    "bot.core.digest",
    "bot.core.digest_model",
    "bot.core.chart",
    "bot.core.blocktext",
]
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
