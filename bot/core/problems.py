"""Problems found in user input, reported all at once as ``line N: column: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.message}"


class InputRejected(Exception):
    """The input was refused as a whole; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def from_validation_error(line: int, error: ValidationError) -> list[Problem]:
    """One Problem per pydantic error, named by the field it is about."""
    problems = []
    for item in error.errors():
        column = ".".join(str(part) for part in item["loc"]) or "row"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required but empty"
        problems.append(Problem(line, column, message))
    return problems
