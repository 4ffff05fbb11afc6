"""Helpers for the survey template tests: write YAML fixtures and collect reported errors."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from surveys.loader import TemplateErrors, load_file

WriteTemplate = Callable[[str, str], Path]
Problems = Callable[[Path], list[tuple[int, str, str]]]


@pytest.fixture
def write(tmp_path: Path) -> WriteTemplate:
    """Write dedented YAML ``text`` to ``tmp_path / name`` (line 1 is the first text line)."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


def _problems(path: Path) -> list[tuple[int, str, str]]:
    with pytest.raises(TemplateErrors) as caught:
        load_file(path)
    for error in caught.value.errors:
        assert error.path == path
    return [(error.line, error.field, error.message) for error in caught.value.errors]


@pytest.fixture
def problems() -> Problems:
    """Load a file that must fail; return its errors as ``(line, field, message)``."""
    return _problems
