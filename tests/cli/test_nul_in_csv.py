"""A NUL character in an imported CSV is refused by line and column, on every database.

PostgreSQL cannot store a NUL in text (the import ended in a long traceback there), and
SQLite stored it silently; both now refuse the file with ``line N: column: …``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from storage.models import DebtItem, HeldAnswer, Response

REGISTER = "key,title\nDEBT-1,Flaky data ingestion\n"
ANSWERS = "survey_id,run_date,respondent,question_id,debt_key,value,text\n"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (REGISTER + "DEBT-2,No schema\x00 validation\n", "line 3: title: contains a NUL"),
        (REGISTER + 'DEBT-2,"two\nli\x00nes"\n', "line 3: title: contains a NUL"),
        ("key,title,owner\nDEBT-2,Schema,U0\x00LEAD\n", "line 2: owner: contains a NUL"),
        ("key,ti\x00tle\nDEBT-2,Schema\n", "line 1: header: a column name contains a NUL"),
    ],
    ids=["cell", "multi-line-cell", "owner", "header"],
)
def test_register_import_refuses_a_nul(
    cli, cli_db: Engine, tmp_path: Path, text: str, expected: str
) -> None:
    result = cli("debt", "import", _write(tmp_path, "reg.csv", text))
    assert result.code != 0, result
    assert "Traceback" not in result.err
    assert expected in result.err + result.out
    assert _count(cli_db, DebtItem) == 0  # all or nothing: DEBT-1 is not stored either


def test_register_import_names_every_cell_with_a_nul(cli, cli_db: Engine, tmp_path: Path) -> None:
    text = "key,title,component\nDEBT-1,ok,ingest\nDEBT-2,a\x00b,c\x00d\n"
    result = cli("debt", "import", _write(tmp_path, "reg.csv", text))
    assert result.code != 0, result
    output = result.err + result.out
    assert "line 3: title: contains a NUL character" in output
    assert "line 3: component: contains a NUL character" in output
    assert "Traceback" not in output


def test_responses_import_refuses_a_nul(
    cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret-for-tests")
    assert cli("debt", "import", _write(tmp_path, "reg.csv", REGISTER)).code == 0
    text = ANSWERS + (
        "weekly-debt-pulse,2026-11-16,alice@example.com,pain,DEBT-1,4,\n"
        'weekly-debt-pulse,2026-11-16,bob@example.com,note,,,"Broke\x00 twice"\n'
    )
    result = cli("responses", "import", _write(tmp_path, "answers.csv", text))
    assert result.code != 0, result
    output = result.err + result.out
    assert "line 3: text: contains a NUL character" in output
    assert "Traceback" not in output
    assert _count(cli_db, HeldAnswer) == 0
    assert _count(cli_db, Response) == 0


def test_responses_import_refuses_a_nul_in_the_respondent(
    cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "s3cret-for-tests")
    assert cli("debt", "import", _write(tmp_path, "reg.csv", REGISTER)).code == 0
    text = ANSWERS + "weekly-debt-pulse,2026-11-16,al\x00ice,pain,DEBT-1,4,\n"
    result = cli("responses", "import", _write(tmp_path, "answers.csv", text))
    assert result.code != 0, result
    assert "line 2: respondent: contains a NUL character" in result.err + result.out
    assert _count(cli_db, HeldAnswer) == 0
