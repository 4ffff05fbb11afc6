"""Load survey and digest templates from YAML files, reporting every problem with its line.

Each problem becomes a :class:`TemplateError` printed as ``path:line: field: message``:

- invalid YAML: one error at the line YAML reports, field ``yaml``;
- a key given twice in one mapping;
- every schema problem, at the line of the field (or, for a missing field, of the mapping
  that should hold it).

``load_directory`` reads every ``*.yaml`` / ``*.yml`` template in a directory (``weights.yaml``
is reserved for score weights, ``metrics.yaml`` for declared metrics and ``routes.yaml`` for
the routing of webhook signals: all are skipped), and reports template ids used by two files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

from pydantic import ValidationError

from surveys import yamldoc
from surveys.schema import Digest, Survey, Template, validate_template

T = TypeVar("T")

__all__ = [
    "RESERVED_FILE_NAMES",
    "LoadResult",
    "LoadedTemplate",
    "TemplateError",
    "TemplateErrors",
    "builtin_dir",
    "load_directory",
    "load_file",
    "load_template",
]

RESERVED_FILE_NAMES = frozenset({"weights.yaml", "metrics.yaml", "routes.yaml"})
TEMPLATE_SUFFIXES = (".yaml", ".yml")
_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")


@dataclass(frozen=True, order=True)
class TemplateError:
    """One problem in a template file. ``line`` is 1-based; 0 when no line applies."""

    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class TemplateErrors(Exception):
    """All the problems found in a template file, in line order."""

    def __init__(self, errors: Sequence[TemplateError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class LoadedTemplate:
    """A valid template together with where it came from."""

    template: Template
    path: Path
    content_hash: str
    """sha256 of the file's bytes (hex)."""
    lines: Mapping[yamldoc.FieldPath, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.template.id

    @property
    def kind(self) -> str:
        return self.template.kind

    @property
    def survey(self) -> Survey | None:
        return self.template if isinstance(self.template, Survey) else None

    @property
    def digest(self) -> Digest | None:
        return self.template if isinstance(self.template, Digest) else None

    def line_of(self, field_path: str) -> int:
        """The line in the file of a dotted field path such as ``questions.0.prompt``."""
        return yamldoc.line_of(self.lines, field_path.split(".") if field_path else [])


class LoadResult(NamedTuple):
    """What ``load_directory`` found: valid templates by id, and every problem."""

    templates: dict[str, LoadedTemplate]
    errors: list[TemplateError]


def builtin_dir() -> Path:
    """The directory of the built-in template library shipped with debtpulse."""
    return Path(__file__).resolve().parent / "library"


def _clean_message(message: str) -> str:
    for prefix in _MESSAGE_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _field_name(loc: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in loc) or "template"


def _validation_errors(
    path: Path, exc: ValidationError, lines: Mapping[yamldoc.FieldPath, int]
) -> list[TemplateError]:
    errors = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if part != "[key]"]
        line = yamldoc.line_of(lines, loc)
        errors.append(TemplateError(path, line, _field_name(loc), _clean_message(error["msg"])))
    return errors


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def load_file(path: str | os.PathLike[str]) -> LoadedTemplate:
    """Load and validate one template file.

    Raises :class:`TemplateErrors` listing every problem found.
    """
    path = Path(path)
    template, raw, lines = load_validated(path, validate_template, what="template")
    content_hash = hashlib.sha256(raw).hexdigest()
    return LoadedTemplate(template, path, content_hash, lines)


def load_validated(
    path: Path, validate: Callable[[object], T], *, what: str
) -> tuple[T, bytes, Mapping[yamldoc.FieldPath, int]]:
    """Read a YAML file and validate its data with ``validate`` (a pydantic validator).

    Returns (result, raw bytes, field lines); raises :class:`TemplateErrors` with every
    problem as ``path:line: field: message``. Shared by templates and the score weights.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateErrors([TemplateError(path, 0, "file", exc.strerror or str(exc))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = TemplateError(path, _line_of_offset(raw, exc.start), "file", "not UTF-8 text")
        raise TemplateErrors([error]) from None
    try:
        document = yamldoc.parse(text)
    except yamldoc.YamlSyntaxError as exc:
        error = TemplateError(path, exc.line, exc.field or "yaml", exc.message)
        raise TemplateErrors([error]) from None

    errors = [
        TemplateError(
            path,
            duplicate.line,
            _field_name(duplicate.path),
            f"duplicate key (first given at line {duplicate.first_line})",
        )
        for duplicate in document.duplicate_keys
    ]
    result: T | None = None
    if document.data is None:
        errors.append(TemplateError(path, 1, what, "the file is empty"))
    else:
        try:
            result = validate(document.data)
        except ValidationError as exc:
            errors.extend(_validation_errors(path, exc, document.lines))
    if errors or result is None:
        raise TemplateErrors(sorted(set(errors)))
    return result, raw, document.lines


def load_template(path: str | os.PathLike[str]) -> Template:
    """Load and validate one template file; raises :class:`TemplateErrors`."""
    return load_file(path).template


def _template_files(directory: Path) -> list[Path]:
    return sorted(
        entry
        for entry in directory.iterdir()
        if entry.suffix in TEMPLATE_SUFFIXES
        and entry.name not in RESERVED_FILE_NAMES
        and not entry.name.startswith(".")
        and entry.is_file()
    )


def load_directory(directory: str | os.PathLike[str]) -> LoadResult:
    """Load every template file in ``directory`` (not its subdirectories).

    Files are read in name order; a template id already used by an earlier file is an error
    and the later file is left out. Files with problems are left out; all their problems are
    in ``errors``. Hidden files and the reserved files (``weights.yaml``, ``metrics.yaml``,
    ``routes.yaml``) are skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        error = TemplateError(directory, 0, "directory", "not a directory")
        return LoadResult({}, [error])
    templates: dict[str, LoadedTemplate] = {}
    errors: list[TemplateError] = []
    for path in _template_files(directory):
        try:
            loaded = load_file(path)
        except TemplateErrors as exc:
            errors.extend(exc.errors)
            continue
        earlier = templates.get(loaded.id)
        if earlier is not None:
            message = (
                f"duplicate template id '{loaded.id}'"
                f" (already defined in {earlier.path.name}:{earlier.line_of('id')})"
            )
            errors.append(TemplateError(path, loaded.line_of("id"), "id", message))
            continue
        templates[loaded.id] = loaded
    return LoadResult(templates, errors)
