"""Read one YAML document and remember the line of every field in it.

The node tree from PyYAML's composer carries a start mark for every key and item; we keep a
map from each field path (``("questions", "2", "scale", "min")``) to its 1-based line so that
validation errors can be reported at ``file:line``. Duplicate keys in a mapping, which plain
YAML loading silently accepts (the last one wins), are collected as problems too. An
integer of more than :data:`MAX_INTEGER_DIGITS` digits is refused at its field: no template
or weight needs one, and Python would not even read one of thousands of digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_INTEGER_DIGITS",
    "DuplicateKey",
    "FieldPath",
    "ParsedDocument",
    "YamlSyntaxError",
    "line_of",
    "parse",
]

FieldPath = tuple[str, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"

MAX_INTEGER_DIGITS = 18
"""The most digits an integer in a YAML file may have (it then fits in 64 bits)."""
_INTEGER_LIMIT = 10**MAX_INTEGER_DIGITS


class YamlSyntaxError(Exception):
    """The text is not valid YAML (or not a single document), or holds a value no field
    can take; ``field`` is the dotted path of that value when known."""

    def __init__(self, line: int, message: str, field: str | None = None) -> None:
        self.line = line
        self.message = message
        self.field = field
        super().__init__(f"line {line}: {message}")


class _ValueProblem(yaml.constructor.ConstructorError):
    """A scalar YAML reads but debtpulse refuses (an integer of thousands of digits)."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(None, None, message, node.start_mark)
        self.node = node


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with integers bounded to :data:`MAX_INTEGER_DIGITS` digits."""

    def construct_bounded_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        digits = text.replace("_", "").lstrip("+-").lstrip("0")
        too_large = (
            f"too large: an integer has at most {MAX_INTEGER_DIGITS} digits (quote it for text)"
        )
        if digits.isdigit() and len(digits) > MAX_INTEGER_DIGITS:  # before int() reads it
            raise _ValueProblem(node, too_large)
        try:
            value = self.construct_yaml_int(node)
        except ValueError:
            raise _ValueProblem(node, "not an integer") from None
        if not -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
            raise _ValueProblem(node, too_large)
        return int(value)


_Loader.add_constructor(_INT_TAG, _Loader.construct_bounded_int)


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one mapping; the later value is the one that counts."""

    path: FieldPath
    line: int
    first_line: int


@dataclass(frozen=True)
class ParsedDocument:
    """The document's data, the line of each field path, and any duplicate keys."""

    data: object
    lines: Mapping[FieldPath, int]
    duplicate_keys: tuple[DuplicateKey, ...] = field(default=())


def _syntax_error(exc: yaml.YAMLError, text: str) -> YamlSyntaxError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        parts = [part for part in (exc.context, exc.problem) if part]
        return YamlSyntaxError(line, ": ".join(parts) or "invalid YAML")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        character = (
            exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        )
        return YamlSyntaxError(line, f"unacceptable character #x{character:04x}: {exc.reason}")
    return YamlSyntaxError(1, str(exc))


class _Walker:
    def __init__(self) -> None:
        self.lines: dict[FieldPath, int] = {}
        self.duplicates: list[DuplicateKey] = []
        self.paths: dict[int, FieldPath] = {}
        """The field path of each node (by ``id``); a key's is its mapping's."""

    def walk(self, node: Node, path: FieldPath) -> None:
        if id(node) in self.paths:  # an alias: its fields were mapped where it was defined
            return
        self.paths[id(node)] = path
        if isinstance(node, MappingNode):
            self._walk_mapping(node, path)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, str(index))
                self.lines[child] = item.start_mark.line + 1
                self.walk(item, child)

    def _walk_mapping(self, node: MappingNode, path: FieldPath) -> None:
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            self.paths.setdefault(id(key_node), path)
            child = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if key_node.value in first_lines:
                self.duplicates.append(DuplicateKey(child, line, first_lines[key_node.value]))
            else:
                first_lines[key_node.value] = line
            self.lines[child] = line
            self.walk(value_node, child)


def parse(text: str) -> ParsedDocument:
    """Parse ``text`` as one YAML document (safe types only).

    Raises :class:`YamlSyntaxError` with the line YAML reports.
    """
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # a character YAML does not accept
        raise _syntax_error(exc, text) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedDocument(data=None, lines={(): 1})
        walker = _Walker()
        walker.lines[()] = node.start_mark.line + 1
        walker.walk(node, ())
        data = loader.construct_document(node)
    except _ValueProblem as exc:
        path = walker.paths.get(id(exc.node))
        line = exc.node.start_mark.line + 1
        message = exc.problem or "invalid value"
        raise YamlSyntaxError(line, message, ".".join(path) if path else None) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text) from None
    finally:
        loader.dispose()
    return ParsedDocument(data, walker.lines, tuple(walker.duplicates))


def line_of(lines: Mapping[FieldPath, int], path: Sequence[str | int]) -> int:
    """The line of ``path``, or of its closest enclosing field when it is not in the file."""
    parts = tuple(str(part) for part in path)
    for end in range(len(parts), -1, -1):
        line = lines.get(parts[:end])
        if line is not None:
            return line
    return 1
