"""Numbers of thousands of digits (or just too long for their column) in an imported CSV:
one ``line N: column: …`` each and nothing stored, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from storage.models import DebtItem

THOUSANDS = "9" * 5000


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "reg.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("effort", "expected"),
    [
        (THOUSANDS, "line 2: effort: expected S, M, L (or XS, XL) or a number of points"),
        (THOUSANDS + ".5", "line 2: effort: expected S, M, L (or XS, XL) or a number of points"),
        ("99999999999999999999", "line 2: effort: expected S, M, L (or XS, XL) or a number of"),
    ],
    ids=["thousands-of-digits", "thousands-and-a-half", "twenty-digits"],
)
def test_an_effort_too_long_to_store_is_refused(
    cli, cli_db: Engine, tmp_path: Path, effort: str, expected: str
) -> None:
    result = cli("debt", "import", _write(tmp_path, f"key,title,effort\nDEBT-1,Flaky,{effort}\n"))
    assert result.code != 0, result
    output = result.err + result.out
    assert expected in output
    assert "Traceback" not in output and len(output) < 500  # the number is not echoed
    with Session(cli_db) as session:
        assert session.exec(select(func.count()).select_from(DebtItem)).one() == 0


def test_an_effort_of_many_points_still_imports(cli, cli_db: Engine, tmp_path: Path) -> None:
    text = "key,title,effort\nDEBT-1,Flaky,120\nDEBT-2,Slow,13.5\n"
    result = cli("debt", "import", _write(tmp_path, text))
    assert result.code == 0, result
    with Session(cli_db) as session:
        efforts = sorted(item.effort for item in session.exec(select(DebtItem)))
    assert efforts == ["120", "13.5"]


def test_a_risk_score_of_thousands_of_digits_is_refused(
    cli, cli_db: Engine, tmp_path: Path
) -> None:
    text = f"key,title,impact,likelihood,detectability\nDEBT-1,Flaky,{THOUSANDS},1,1\n"
    result = cli("debt", "import", _write(tmp_path, text))
    assert result.code != 0, result
    output = result.err + result.out
    assert "line 2: impact:" in output and "Traceback" not in output
