"""Read one YAML document and remember the line of every field in it.

The node tree from PyYAML's composer carries a start mark for every key and item; we keep a
map from each field path (``("questions", "2", "scale", "min")``) to its 1-based line so that
validation errors can be reported at ``file:line``. Duplicate keys in a mapping, which plain
YAML loading silently accepts (the last one wins), are collected as problems too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["DuplicateKey", "FieldPath", "ParsedDocument", "YamlSyntaxError", "line_of", "parse"]

FieldPath = tuple[str, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlSyntaxError(Exception):
    """The text is not valid YAML (or not a single document)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


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
        self._seen: set[int] = set()

    def walk(self, node: Node, path: FieldPath) -> None:
        if id(node) in self._seen:  # an alias: its fields were mapped where it was defined
            return
        self._seen.add(id(node))
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
        loader = yaml.SafeLoader(text)
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
