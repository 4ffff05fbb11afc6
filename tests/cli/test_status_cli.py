"""`debtpulse debt status` (an effort with resolved, a review date with accepted) and the
register CSV's ``effort_spent``, ``resolved_on`` and ``accepted_until``: what is printed,
stored and audited, an export that imports back unchanged, and bad input refused by name
with nothing written. The team's days are UTC here (the built-in digest's zone)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from storage.models import AuditEvent, DebtItem
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

TODAY = datetime.now(UTC).date()
FUTURE = TODAY + timedelta(days=60)
PAST = TODAY - timedelta(days=30)
REGISTER = """key,title,status,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,open,4,4,2
DEBT-2,Legacy CSV exporter,open,3,3,3
DEBT-3,Copy-paste notebooks,in_progress,2,3,3
"""


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _item(engine: Engine, key: str) -> DebtItem:
    with Session(engine) as session:
        return session.exec(select(DebtItem).where(DebtItem.key == key)).one()


def _events(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


@pytest.fixture
def registered(cli: Cli, cli_db: Engine, tmp_path: Path) -> Engine:
    assert cli("debt", "import", _write(tmp_path, "reg.csv", REGISTER)).code == 0
    return cli_db


def test_resolved_with_an_effort_prints_and_audits_it(cli: Cli, registered: Engine) -> None:
    result = cli(
        "debt", "status", "debt-1", "resolved", "--effort", "4h", "--why", "PR 7", "--actor", "ana"
    )
    assert (result.code, result.out) == (0, "DEBT-1 resolved (effort 0.5 days)\n")
    item = _item(registered, "DEBT-1")
    assert (item.status, item.effort_spent_days) == ("resolved", 0.5)
    assert item.resolved_at is not None
    with Session(registered) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == "DEBT-1")).all()
    changes = [(e.action, e.actor, e.after, e.reason) for e in events][-2:]
    assert changes == [
        ("item.status", "ana", {"status": "resolved"}, "debtpulse debt status: PR 7"),
        ("item.updated", "ana", {"effort_spent_days": 0.5}, "debtpulse debt status: PR 7"),
    ]
    again = cli("debt", "status", "DEBT-1", "resolved")
    assert again.out == "DEBT-1 already has status resolved\n"


def test_accepted_leaves_the_ranking_until_its_review_date(cli: Cli, registered: Engine) -> None:
    result = cli(
        "debt", "status", "DEBT-2", "accepted", "--until", FUTURE.isoformat(), "--why", "it works"
    )
    assert result.code == 0, result
    assert result.out == f"DEBT-2 accepted until {FUTURE}: it leaves the ranking until then\n"
    item = _item(registered, "DEBT-2")
    assert (item.status, item.accepted_until) == ("accepted", FUTURE)
    ranked = [row["key"] for row in json.loads(cli("top", "--json").out)]
    assert ranked and "DEBT-2" not in ranked
    why = cli("why", "DEBT-2")
    assert "status accepted, so it has no score" in why.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["DEBT-1", "done"], "STATUS: 'done' is not a status (open, in_progress, resolved,"),
        (["DEBT-1", "resolved", "--effort", "3x"], '--effort: "3x" is not an effort: expected'),
        (["DEBT-1", "resolved", "--effort", "3"], '--effort: "3" is not an effort'),
        (["DEBT-1", "open", "--effort", "3d"], "--effort: goes only with status resolved;"),
        (["DEBT-1", "resolved", "--until", "2099-01-01"], "--until: goes only with status acc"),
        (["DEBT-1", "accepted", "--why", "x"], "--until: required with status accepted: the"),
        (["DEBT-1", "accepted", "--until", "2099-02-30", "--why", "x"], '--until: "2099-02-30" is'),
        (
            ["DEBT-1", "accepted", "--until", PAST.isoformat(), "--why", "x"],
            f"--until: {PAST} is not after today ({TODAY}, UTC); nothing was changed",
        ),
        (["DEBT-1", "accepted", "--until", FUTURE.isoformat()], "--why: required with status acc"),
        (["DEBT-404", "open"], "KEY: no debt item DEBT-404 in team local"),
    ],
)
def test_bad_arguments_are_refused_by_name_and_nothing_changes(
    cli: Cli, registered: Engine, args: list[str], message: str
) -> None:
    before = (_item(registered, "DEBT-1").status, _events(registered))
    result = cli("debt", "status", *args)
    assert result.code == 1
    assert message in result.err and "Traceback" not in result.err
    assert (_item(registered, "DEBT-1").status, _events(registered)) == before


def test_the_register_csv_carries_effort_fix_days_and_review_dates(
    cli: Cli, cli_db: Engine, tmp_path: Path
) -> None:
    text = (
        "key,title,status,effort_spent,resolved_on,accepted_until\n"
        f"DEBT-1,Flaky data ingestion,resolved,3d,{PAST},\n"  # a fix made before debtpulse
        "DEBT-2,No schema validation,resolved,2.5,,\n"  # a plain number of days; fixed now
        f"DEBT-3,Legacy CSV exporter,accepted,,,{FUTURE}\n"
        "DEBT-4,Copy-paste notebooks,in_progress,1w,,\n"  # work so far
    )
    result = cli("debt", "import", _write(tmp_path, "reg.csv", text))
    assert result.code == 0, result
    assert "4 created" in result.out
    fixed_before = _item(cli_db, "DEBT-1")
    assert fixed_before.effort_spent_days == 3.0
    assert fixed_before.resolved_at is not None
    # the day the fix was made: noon of it in the team's zone (here UTC)
    assert fixed_before.resolved_at == datetime(PAST.year, PAST.month, PAST.day, 12, tzinfo=UTC)
    fixed_now = _item(cli_db, "DEBT-2")
    assert fixed_now.effort_spent_days == 2.5
    assert fixed_now.resolved_at is not None
    assert datetime.now(UTC) - fixed_now.resolved_at < timedelta(minutes=5)
    assert _item(cli_db, "DEBT-3").accepted_until == FUTURE
    assert _item(cli_db, "DEBT-4").effort_spent_days == 5.0

    exported = cli("debt", "export").out
    rows = [line.split(",")[-3:] for line in exported.splitlines()]
    assert rows == [
        ["effort_spent", "resolved_on", "accepted_until"],
        ["3", PAST.isoformat(), ""],
        ["2.5", TODAY.isoformat(), ""],
        ["", "", FUTURE.isoformat()],
        ["5", "", ""],
    ]
    again = cli("debt", "import", _write(tmp_path, "again.csv", exported))
    assert "0 created, 0 updated, 4 unchanged" in again.out
    assert _item(cli_db, "DEBT-1").resolved_at == fixed_before.resolved_at

    # a fix moved to another day; an accepted item reopened by hand (its date goes)
    moved = (
        "key,title,status,resolved_on\n"
        f"DEBT-1,Flaky data ingestion,resolved,{PAST - timedelta(days=1)}\n"
        "DEBT-3,Legacy CSV exporter,open,\n"
    )
    assert "2 updated" in cli("debt", "import", _write(tmp_path, "moved.csv", moved)).out
    resolved_at = _item(cli_db, "DEBT-1").resolved_at
    assert resolved_at is not None and resolved_at.date() == PAST - timedelta(days=1)
    assert (_item(cli_db, "DEBT-3").status, _item(cli_db, "DEBT-3").accepted_until) == (
        "open",
        None,
    )


HEADER = "key,title,status,effort_spent,resolved_on,accepted_until\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("DEBT-9,X,resolved,3x,,", 'line 2: effort_spent: "3x" is not an effort: expected'),
        ("DEBT-9,X,resolved,-1,,", 'line 2: effort_spent: "-1" is not an effort'),
        ("DEBT-9,X,resolved,99999,,", 'line 2: effort_spent: "99999" is more than 10,000 days'),
        ("DEBT-9,X,resolved,,2026-13-01,", 'line 2: resolved_on: "2026-13-01" is not a date'),
        (f"DEBT-9,X,resolved,,{FUTURE},", f"line 2: resolved_on: {FUTURE} is after today"),
        (f"DEBT-9,X,open,,{PAST},", "line 2: resolved_on: only with status resolved"),
        (f"DEBT-9,X,,,{PAST},", "line 2: resolved_on: only with status resolved"),
        (f"DEBT-9,X,resolved,,,{FUTURE}", "line 2: accepted_until: only with status accepted"),
        (f"DEBT-9,X,accepted,,,{TODAY}", f"line 2: accepted_until: {TODAY} is not after today"),
        ("DEBT-9,X,accepted,,,", "line 2: accepted_until: required with status accepted"),
    ],
)
def test_bad_roi_cells_reject_the_file_naming_line_and_column(
    cli: Cli, registered: Engine, tmp_path: Path, row: str, expected: str
) -> None:
    before = _events(registered)
    text = HEADER + row + "\nDEBT-50,Would be new,open,,,\n"
    result = cli("debt", "import", _write(tmp_path, "bad.csv", text))
    assert result.code == 1
    assert expected in result.err and "nothing was changed" in result.err
    assert "Traceback" not in result.err
    assert _events(registered) == before  # neither row was written
    with Session(registered) as session:
        keys = set(session.exec(select(DebtItem.key)).all())
    assert keys == {"DEBT-1", "DEBT-2", "DEBT-3"}


def test_an_accepted_item_keeps_its_date_when_a_file_leaves_it_blank(
    cli: Cli, registered: Engine, tmp_path: Path
) -> None:
    cli("debt", "status", "DEBT-2", "accepted", "--until", FUTURE.isoformat(), "--why", "ok")
    text = "key,title,status,accepted_until\nDEBT-2,Legacy CSV exporter,accepted,\n"
    result = cli("debt", "import", _write(tmp_path, "same.csv", text))
    assert "1 unchanged" in result.out
    assert _item(registered, "DEBT-2").accepted_until == FUTURE


def test_broken_templates_stop_a_dated_change_but_not_an_export(
    cli: Cli, registered: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team's days come from its digest template: a change checked against today waits
    for the templates to load; an export, which only writes days down, reads them in UTC."""
    broken = tmp_path / "templates"
    broken.mkdir()
    (broken / "weekly-digest.yaml").write_text("id: weekly-digest\nkind: digest\n", "utf-8")
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(broken))
    refused = cli("debt", "status", "DEBT-2", "accepted", "--until", str(FUTURE), "--why", "ok")
    assert refused.code == 2
    assert "the survey templates have problems: run `debtpulse surveys check`" in refused.err
    assert _item(registered, "DEBT-2").status == "open"
    exported = cli("debt", "export")
    assert exported.code == 0 and exported.out.startswith("key,title,")
