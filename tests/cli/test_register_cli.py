"""`debtpulse debt import/export` and `signals import`: all or nothing, errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from storage.models import Assessment, AuditEvent, DebtItem, Signal

GOOD = """key,title,category,component,owner,status,effort,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,operational,ingest,<@U0LEAD>,open,M,4,4,2
DEBT-2,No schema validation,experimentation,features,,open,S,,,
DEBT-3,Copy-paste training notebook,experimentation,training,U0OWNER,in_progress,L,2,3,3
"""


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(model)).one()
            for model in (DebtItem, Assessment, AuditEvent)
        )


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_then_export_round_trips(cli, cli_db: Engine, tmp_path: Path) -> None:
    result = cli("debt", "import", _write(tmp_path, "reg.csv", GOOD))
    assert result.code == 0, result
    assert "3 created, 0 updated, 0 unchanged, 2 assessed" in result.out
    exported = cli("debt", "export")
    lines = exported.out.splitlines()
    assert lines[0].startswith("key,title,category,component,owner,status,effort,impact")
    assert lines[1].startswith("DEBT-1,Flaky data ingestion,operational,ingest,U0LEAD,open,M,4,4,2")
    assert lines[2].startswith("DEBT-2,No schema validation,experimentation,features,,open,S,,,")
    # importing the export again changes nothing
    again = cli("debt", "import", _write(tmp_path, "again.csv", exported.out))
    assert "0 created, 0 updated, 3 unchanged, 0 assessed" in again.out
    assert _counts(cli_db) == (3, 2, 5)  # 3 items, 2 assessments, 3 created + 2 assessed


def test_the_export_does_not_run_as_a_spreadsheet_formula(
    cli, cli_db: Engine, tmp_path: Path
) -> None:
    """A title a spreadsheet would run (=, +, -, @) is exported as text and imports back."""
    titles = [
        '=HYPERLINK("http://x.test","click")',
        "+1 flaky retries",
        "-- legacy ETL",
        "@here the feature store",
        "'quoted' notebooks",
        "'=guarded by hand",  # the guard a person wrote is taken off like debtpulse's own
    ]
    rows = "".join(
        f'DEBT-{n},"{t.replace(chr(34), chr(34) * 2)}"\n' for n, t in enumerate(titles, 1)
    )
    imported = cli("debt", "import", _write(tmp_path, "reg.csv", "key,title\n" + rows))
    assert imported.code == 0, imported
    exported = cli("debt", "export")
    cells = [line.split(",", 2)[1] for line in exported.out.splitlines()[1:]]
    assert cells == [
        '"\'=HYPERLINK(""http://x.test""',  # the guard; the cell continues after the comma
        "'+1 flaky retries",
        "'-- legacy ETL",
        "'@here the feature store",
        "''quoted' notebooks",
        "'=guarded by hand",
    ]
    again = cli("debt", "import", _write(tmp_path, "again.csv", exported.out))
    assert "0 created, 0 updated, 6 unchanged, 0 assessed" in again.out
    with Session(cli_db) as session:
        stored = session.exec(select(DebtItem.title).order_by(DebtItem.id)).all()
    assert stored == [*titles[:-1], "=guarded by hand"]


def test_reimport_updates_and_audits_status_and_owner(cli, cli_db: Engine, tmp_path: Path) -> None:
    cli("debt", "import", _write(tmp_path, "reg.csv", GOOD))
    change = "key,title,status,owner,impact,likelihood,detectability\n"
    change += "DEBT-1,Flaky data ingestion,resolved,U0NEW,5,4,2\n"
    result = cli("debt", "import", "--actor", "U0LEAD", _write(tmp_path, "c.csv", change))
    assert "0 created, 1 updated, 0 unchanged, 1 assessed" in result.out
    with Session(cli_db) as session:
        item = session.exec(select(DebtItem).where(DebtItem.key == "DEBT-1")).one()
        assert (item.status, item.owner, item.component) == ("resolved", "U0NEW", "ingest")
        assert item.resolved_at is not None
        actions = [
            (e.action, e.actor, e.before, e.after)
            for e in session.exec(select(AuditEvent).where(AuditEvent.subject == "DEBT-1"))
        ][1:]
    assert ("item.status", "U0LEAD", {"status": "open"}, {"status": "resolved"}) in actions
    assert ("item.owner", "U0LEAD", {"owner": "U0LEAD"}, {"owner": "U0NEW"}) in actions
    assessed = [a for a in actions if a[0] == "item.assessed"][-1]
    assert assessed[2:] == (
        {"impact": 4, "likelihood": 4, "detectability": 2},
        {"impact": 5, "likelihood": 4, "detectability": 2},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key,title,category\nDEBT-9,X,misc\n", "line 2: category: Input should be"),
        ("key,title,status\nDEBT-9,X,closed\n", "line 2: status: Input should be"),
        ("key,title,impact,likelihood,detectability\nDEBT-9,X,6,1,1\n", "line 2: impact:"),
        ("key,title,impact,likelihood,detectability\nDEBT-9,X,0,1,1\n", "line 2: impact:"),
        ("key,title,impact,likelihood,detectability\nDEBT-9,X,3,1,\n", "line 2: detectability:"),
        ("key,title\n,Nameless\n", "line 2: key: required but empty"),
        ("key,title,colour\nDEBT-9,X,red\n", "line 1: colour: unknown column"),
        ("title\nX\n", "line 1: key: required column is missing"),
        ("key,title\nDEBT-9,\n", "line 2: title: required for a new item"),
        ("key,title,effort\nDEBT-9,X,huge\n", "line 2: effort: expected S, M, L"),
        ("key,title,effort\nDEBT-9,X,2.3\n", "line 2: effort: 2.3 points: expected whole or"),
        ("key,title\nDEBT-9,X\nDEBT-9,Y\n", "line 3: key: DEBT-9 already on line 2"),
        ("key,title\nDEBT-9,X\ndebt-9,Y\n", "line 3: key: DEBT-9 already on line 2"),
        # the owner is a person (or a team name), never a channel or broken markup
        ("key,title,owner\nDEBT-9,X,<#C123>\n", "line 2: owner: '<#C123>' is a channel, not a"),
        ("key,title,owner\nDEBT-9,X,#ml-platform\n", "line 2: owner: '#ml-platform' is a chan"),
        ("key,title,owner\nDEBT-9,X,<!subteam^S1>\n", "line 2: owner: '<!subteam^S1>' is a gro"),
        ("key,title,owner\nDEBT-9,X,<@bob>\n", "line 2: owner: '<@bob>' is not a valid user"),
        ("key,title,owner\nDEBT-9,X,<@U0ABC\n", "line 2: owner: '<@U0ABC' is not a valid user"),
        ("key,title,owner\nDEBT-9,X,@alice\n", "line 2: owner: '@alice' is a display name"),
        # malformed CSV: one line naming the row, never a traceback
        ("key,title\nDEBT-9," + "x" * 200_000 + "\n", "line 2: row: a cell is longer than 131072"),
        ('key,title\nDEBT-9,"' + "x" * 200_000 + '"\n', "line 2: row: a cell is longer than"),
        ("key,title,category\nDEBT-9,X\n", "line 2: row: expected 3 cells, found 2"),
        ("key,title\nDEBT-9,X,operational\n", "line 2: row: expected 2 cells, found 3"),
        ('key,title\nX-7,"unterminated\n', "line 2: row: a quoted cell is never closed"),
        ('key,title\nDEBT-9,"X"Y\n', "line 2: row: text after a closing quote"),
        ('key,"title\nDEBT-9,X\n', "line 1: header: a quoted cell is never closed"),
    ],
)
def test_a_bad_file_is_rejected_whole(
    cli, cli_db: Engine, tmp_path: Path, text: str, expected: str
) -> None:
    cli("debt", "import", _write(tmp_path, "reg.csv", GOOD))
    before = _counts(cli_db)
    # a good row too (as many cells as the header): it must not be written either
    columns = text.split("\n", 1)[0].count(",") + 1
    good = "DEBT-50,Would be new" + "," * (columns - 2) + "\n"
    bad = text + good if text.startswith("key,title") else text
    result = cli("debt", "import", _write(tmp_path, "bad.csv", bad))
    assert result.code == 1
    assert expected in result.err
    assert "nothing was changed" in result.err
    assert "Traceback" not in result.err
    assert _counts(cli_db) == before


def test_owner_takes_a_user_a_mention_or_a_team_name(cli, cli_db: Engine, tmp_path: Path) -> None:
    text = (
        "key,title,owner\nDEBT-1,A,U0ANA\nDEBT-2,B,<@U0BEN|ben>\nDEBT-3,C,ml-platform\nDEBT-4,D,\n"
    )
    result = cli("debt", "import", _write(tmp_path, "reg.csv", text))
    assert result.code == 0, result
    with Session(cli_db) as session:
        owners = {i.key: i.owner for i in session.exec(select(DebtItem))}
    assert owners == {"DEBT-1": "U0ANA", "DEBT-2": "U0BEN", "DEBT-3": "ml-platform", "DEBT-4": ""}


def test_a_quoted_cell_may_span_lines(cli, cli_db: Engine, tmp_path: Path) -> None:
    text = 'key,title,description\nDEBT-1,A,"two\nlines"\nDEBT-1,B,"three\nmore\nlines"\n'
    result = cli("debt", "import", _write(tmp_path, "reg.csv", text))
    # rows are numbered by the line they start on
    assert "line 4: key: DEBT-1 already on line 2" in result.err


def test_malformed_rows_are_listed_with_the_other_problems(
    cli, cli_db: Engine, tmp_path: Path
) -> None:
    text = "key,title,category\nDEBT-1,A,misc\nDEBT-2,B\nDEBT-3,C,operational\n"
    result = cli("debt", "import", _write(tmp_path, "bad.csv", text))
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "line 2: category: Input should be 'experimentation' or 'operational'",
        "line 3: row: expected 3 cells, found 2",
    ]
    assert "rejected: 2 problems" in result.err
    assert _counts(cli_db) == (0, 0, 0)


def test_every_problem_in_a_file_is_listed(cli, cli_db: Engine, tmp_path: Path) -> None:
    text = "key,title,category,status\nDEBT-1,A,misc,open\nDEBT-2,B,operational,done\n"
    result = cli("debt", "import", _write(tmp_path, "bad.csv", text))
    assert "line 2: category:" in result.err
    assert "line 3: status:" in result.err
    assert "rejected: 2 problems" in result.err


def test_missing_and_non_utf8_files(cli, cli_db: Engine, tmp_path: Path) -> None:
    assert "no such file" in cli("debt", "import", str(tmp_path / "nope.csv")).err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("key,title\nDEBT-1,Caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in cli("debt", "import", str(latin)).err


SIGNALS = (
    '{"debt_key": "DEBT-1", "kind": "incident", "value": 1, "source": "pagerduty",'
    ' "observed_at": "2026-11-20T10:00:00Z", "dedup_key": "PD-123"}\n'
    '{"debt_key": "DEBT-1", "kind": "alert", "observed_at": "2026-11-20T11:00:00+01:00",'
    ' "dedup_key": "AM-9"}\n'
)


def test_signals_import_and_dedup(cli, cli_db: Engine, tmp_path: Path) -> None:
    cli("debt", "import", _write(tmp_path, "reg.csv", GOOD))
    first = cli("signals", "import", _write(tmp_path, "s.jsonl", SIGNALS))
    assert first.code == 0, first
    assert "2 stored, 0 duplicates skipped" in first.out
    again = cli("signals", "import", _write(tmp_path, "s.jsonl", SIGNALS))
    assert "0 stored, 2 duplicates skipped" in again.out
    with Session(cli_db) as session:
        kinds = sorted(s.kind for s in session.exec(select(Signal)))
    assert kinds == ["alert", "incident"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "line 3: json: not valid JSON"),
        (
            '{"debt_key": "DEBT-1", "kind": "rumour", "observed_at": "2026-11-20T10:00:00Z",'
            ' "dedup_key": "x"}',
            "line 3: kind: Input should be",
        ),
        (
            '{"debt_key": "DEBT-1", "kind": "alert", "observed_at": "2026-11-20T10:00:00",'
            ' "dedup_key": "x"}',
            "line 3: observed_at: Input should have timezone info",
        ),
        (
            '{"debt_key": "DEBT-1", "kind": "alert", "observed_at": "2026-11-20T10:00:00Z"}',
            "line 3: dedup_key: required\n",
        ),
        (
            '{"debt_key": "DEBT-1", "kind": "alert", "observed_at": "2026-11-20T10:00:00Z",'
            ' "dedup_key": " "}',
            "line 3: dedup_key: required but empty\n",
        ),
        (
            '{"debt_key": "DEBT-1", "kind": "alert", "dedup_key": "x"}',
            "line 3: observed_at: required\n",
        ),
        (
            '{"debt_key": "DEBT-1", "kind": "alert", "observed_at": "2030-01-01T00:00:00Z",'
            ' "dedup_key": "x"}',
            "line 3: observed_at: in the future\n",
        ),
        (
            '{"debt_key": "DEBT-77", "kind": "alert", "observed_at": "2026-11-20T10:00:00Z",'
            ' "dedup_key": "x"}',
            "line 3: debt_key: no debt item DEBT-77",
        ),
        (
            '{"debt_key": "DEBT-1", "kind": "alert", "observed_at": "2026-11-20T10:00:00Z",'
            ' "dedup_key": "x", "severity": 3}',
            "line 3: severity: Extra inputs are not permitted",
        ),
        ("[1, 2]", "line 3: json: expected a JSON object"),
    ],
)
def test_bad_signals_reject_the_file(
    cli, cli_db: Engine, tmp_path: Path, line: str, expected: str
) -> None:
    cli("debt", "import", _write(tmp_path, "reg.csv", GOOD))
    result = cli("signals", "import", _write(tmp_path, "s.jsonl", SIGNALS + line + "\n"))
    assert result.code == 1
    assert expected in result.err
    with Session(cli_db) as session:
        assert session.exec(select(func.count()).select_from(Signal)).one() == 0


def test_signal_keys_match_in_any_case(cli, cli_db: Engine, tmp_path: Path) -> None:
    cli("debt", "import", _write(tmp_path, "reg.csv", GOOD))
    line = (
        '{"debt_key": "debt-2", "kind": "drift", "observed_at": "2026-11-20T10:00:00Z",'
        ' "dedup_key": "DR-1"}\n'
    )
    first = cli("signals", "import", _write(tmp_path, "s.jsonl", line))
    assert first.code == 0, first
    assert first.out.endswith(": 1 stored, 0 duplicates skipped\n")
    again = cli("signals", "import", _write(tmp_path, "s.jsonl", line))
    assert again.out.endswith(": 0 stored, 1 duplicate skipped\n")
    with Session(cli_db) as session:
        item = session.exec(select(DebtItem).where(DebtItem.key == "DEBT-2")).one()
        assert [s.debt_item_id for s in session.exec(select(Signal))] == [item.id]


def test_half_point_efforts_are_imported_and_used_by_the_capacity_hint(
    cli, cli_db: Engine, tmp_path: Path
) -> None:
    text = "key,title,effort,impact,likelihood,detectability\nDEBT-1,Flaky,2.5,4,4,2\n"
    assert cli("debt", "import", _write(tmp_path, "reg.csv", text)).code == 0
    hint = cli("capacity")
    assert hint.code == 0, hint
    assert "DEBT-1" in hint.out and "No usable estimate" not in hint.out
