"""The CSV files debtpulse reads and writes: a header row, UTF-8, no unknown columns.

A text cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-`` or ``@``)
is written with a leading ``'``, which spreadsheets show as text; reading takes it off again,
so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from bot.core.problems import InputRejected, Problem

Row = tuple[int, dict[str, str]]

NUL = "\x00"
#: PostgreSQL cannot store it in text, and no spreadsheet writes one: refused on every database.
NUL_MESSAGE = "contains a NUL character (\\0); remove it"


def _csv_problem(line: int, error: csv.Error) -> Problem:
    """A CSV syntax error as one line a person can act on."""
    message = str(error)
    if message.startswith("field larger than field limit"):
        return Problem(line, "row", f"a cell is longer than {csv.field_size_limit()} characters")
    if message == "unexpected end of data":
        return Problem(line, "row", 'a quoted cell is never closed (a " is missing)')
    if message.startswith("',' expected after"):
        return Problem(
            line, "row", 'text after a closing quote; write a " inside a quoted cell as ""'
        )
    return Problem(line, "row", f"not valid CSV ({message})")


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first line, cells)`` per record; a CSV syntax error raises InputRejected.

    Strict parsing: an unterminated quote or text after a closing quote is an error rather
    than a cell silently swallowing the rest of the file.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputRejected([_csv_problem(start, exc)]) from None
        yield start, row


def read_rows(
    text: str, *, columns: Sequence[str], required: Sequence[str]
) -> tuple[list[Row], list[Problem]]:
    """Return ``(rows, problems)``: each well-formed data row with its line number, cells
    stripped of surrounding blanks, and a problem for each malformed one.

    The header must name only known columns and every required one, otherwise
    InputRejected is raised at once. Every data row must have exactly one cell per header
    column (blank cells are fine; a blank line is skipped), and no cell may hold a NUL
    character (a problem per cell). A CSV syntax error (a quote never closed, a cell over
    the csv module's size limit) ends the reading: it is the last problem returned. Line
    numbers count the header as line 1; a row's number is the line it starts on.
    """
    records = _records(text)
    try:
        first = next(records, None)
    except InputRejected as exc:
        raise InputRejected([Problem(1, "header", exc.problems[0].message)]) from None
    if first is None:
        raise InputRejected([Problem(1, "header", "the file is empty")])
    header = [name.strip() for name in first[1]]
    if any(NUL in name for name in header):
        raise InputRejected([Problem(1, "header", f"a column name {NUL_MESSAGE}")])
    problems = [
        Problem(1, name or "(blank)", f"unknown column; expected any of: {', '.join(columns)}")
        for name in header
        if name not in columns
    ]
    problems += [
        Problem(1, name, "required column is missing") for name in required if name not in header
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(1, name, "column appears twice"))
        seen.add(name)
    if problems:
        raise InputRejected(problems)
    rows: list[Row] = []
    try:
        for line, row in records:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    Problem(line, "row", f"expected {len(header)} cells, found {len(row)}")
                )
                continue
            nul = [
                Problem(line, name, NUL_MESSAGE)
                for name, cell in zip(header, row, strict=True)
                if NUL in cell
            ]
            if nul:
                problems += nul
                continue
            rows.append((line, {name: _unguarded(row[i].strip()) for i, name in enumerate(header)}))
    except InputRejected as exc:
        problems += exc.problems
    return rows, problems


#: What a spreadsheet reads as the start of a formula (OWASP's list; tab and CR are
#: stripped from cells anyway).
FORMULA_START = ("=", "+", "-", "@")
GUARD = "'"


def _guarded(value: object) -> object:
    """Text a spreadsheet would run, or text starting with the guard itself, gets the guard."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, GUARD)):
        return GUARD + value
    return value


def _unguarded(cell: str) -> str:
    """The guard :func:`_guarded` added, taken off (a lone leading ``'`` is kept)."""
    if cell.startswith(GUARD) and cell[1:].startswith((*FORMULA_START, GUARD)):
        return cell[1:]
    return cell


def write_rows(columns: Sequence[str], rows: Sequence[dict[str, object]]) -> str:
    """CSV of ``rows`` (missing cells blank), text cells guarded against formulas."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _guarded(row.get(name, "")) for name in columns})
    return out.getvalue()
