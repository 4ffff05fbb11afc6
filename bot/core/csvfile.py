"""Reading the CSV files debtpulse imports: a header row, UTF-8, no unknown columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from bot.core.problems import InputRejected, Problem


def read_rows(
    text: str, *, columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, row)`` for each data row, cells stripped of surrounding blanks.

    The header must name only known columns and every required one; a row with more cells
    than the header is an error. Line numbers count the header as line 1.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InputRejected([Problem(1, "header", "the file is empty")]) from None
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
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InputRejected(
                [Problem(line, "row", f"{len(row)} cells but the header has {len(header)}")]
            )
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        yield line, cells


def write_rows(columns: Sequence[str], rows: Sequence[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in columns})
    return out.getvalue()
