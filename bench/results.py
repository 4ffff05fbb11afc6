"""The figures each bench measured, kept for ``python -m bench.table``.

Every bench records its rows of issue 17's table here (a JSON file per row in
``bench/.results/``); ``make bench`` prints the table once all have run, each figure beside
the anchor it was measured against in the same run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / ".results"


@dataclass(frozen=True)
class Row:
    path: str  # what a person waits on
    anchor: str  # what it is measured against, with its figure
    figure: str  # debtpulse's figure (and the ratio to the anchor)
    target: str
    met: bool


def record(key: str, row: Row) -> None:
    """Keep ``row`` under ``key`` (one file per row; a later run replaces it)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{key}.json").write_text(json.dumps(asdict(row)), encoding="utf-8")


def recorded() -> dict[str, Row]:
    if not RESULTS.is_dir():
        return {}
    return {
        path.stem: Row(**json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(RESULTS.glob("*.json"))
    }
