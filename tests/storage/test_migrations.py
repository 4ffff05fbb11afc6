"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from storage import db
from storage.models import metadata
from tests.conftest import POSTGRES_URL, postgres_engine, postgres_schema


def _not_library_table(obj: object, name: str | None, *_: object) -> bool:
    table = getattr(obj, "table", obj)
    return getattr(table, "name", name) not in {
        "slack_bots",
        "slack_installations",
        "slack_oauth_states",
    }


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _not_library_table}
        )
        return list(compare_metadata(context, metadata))


def _round_trip(engine: Engine) -> None:
    assert db.current_revision(engine) is None
    before, after = db.upgrade(engine)
    assert (before, after) == (None, db.head_revision())
    assert _schema_diff(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {table.name for table in metadata.sorted_tables} <= tables
    assert {"slack_bots", "slack_installations", "slack_oauth_states"} <= tables
    db.check_schema(engine)  # at head: no complaint
    command.downgrade(db.alembic_config(engine), "base")
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert _schema_diff(engine) == []


def test_migrations_on_an_empty_sqlite_database(tmp_path: Path) -> None:
    _round_trip(db.make_engine(f"sqlite:///{tmp_path / 'fresh.db'}"))


@pytest.mark.postgres
def test_migrations_on_an_empty_postgres_database() -> None:
    with postgres_schema("debtpulse_mig") as schema:
        _round_trip(postgres_engine(schema))


def test_the_start_up_check_knows_the_newest_migration() -> None:
    assert db.head_revision() == db.SCHEMA_HEAD


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_start_up_check_refuses_a_database_that_is_behind(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'stale.db'}")
    with pytest.raises(db.SchemaOutOfDate, match="debtpulse db upgrade"):
        db.check_schema(engine)
    db.upgrade(engine, "0003")  # an older revision: upgrading helps
    with pytest.raises(db.SchemaOutOfDate, match=r"at revision 0003.*debtpulse db upgrade") as e:
        db.check_schema(engine)
    assert not e.value.ahead


def test_a_database_from_a_newer_debtpulse_is_refused_and_left_alone(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'newer.db'}")
    db.upgrade(engine)
    with engine.begin() as conn:  # a revision only a newer debtpulse knows
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    tables = set(inspect(engine).get_table_names())
    expected = (
        f"the database was migrated by a newer debtpulse (revision 0099; this one knows up to "
        f"{db.SCHEMA_HEAD}): upgrade debtpulse to use it; nothing was changed"
    )
    with pytest.raises(db.SchemaOutOfDate) as checked:
        db.check_schema(engine)
    assert checked.value.ahead and str(checked.value) == expected
    with pytest.raises(db.SchemaOutOfDate) as upgraded:
        db.upgrade(engine)
    assert upgraded.value.ahead and str(upgraded.value) == expected
    assert db.stored_revision(engine) == "0099"
    assert set(inspect(engine).get_table_names()) == tables


def test_cli_refuses_a_stale_database_and_names_the_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stale.db'}"
    env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "debt", "export"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "run `debtpulse db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr
    upgraded = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert "upgraded from empty to" in upgraded.stdout
    again = subprocess.run(
        [sys.executable, "-m", "bot.cli", "debt", "export"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert again.stdout.startswith("key,title,category")


@pytest.mark.postgres
def test_two_upgrades_at_once_on_postgres_both_succeed() -> None:
    with postgres_schema("debtpulse_mig") as schema:
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent)}
        upgrades = [  # two release phases of two deploys, say
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate() for p in upgrades]
        results = [
            (p.returncode, out, err) for p, (out, err) in zip(upgrades, outputs, strict=True)
        ]
        for code, _out, err in results:
            assert (code, err) == (0, "")
        said = sorted(out.strip() for _code, out, _err in results)
        assert said == [  # the one that waited says it had nothing to do
            f"database already at the newest revision ({db.SCHEMA_HEAD})",
            f"database upgraded from empty to {db.SCHEMA_HEAD}",
        ]
        db.check_schema(postgres_engine(schema))


def _a_failing_upgrade_changes_nothing(engine: Engine) -> None:
    db.upgrade(engine, "0004")
    with engine.begin() as conn:  # 0006 will fail: its table is in the way
        conn.execute(text("CREATE TABLE item_respondent (x integer)"))
    with pytest.raises(DatabaseError):
        db.upgrade(engine)
    assert db.stored_revision(engine) == "0004"
    assert "digest_post" not in inspect(engine).get_table_names()  # 0005 was undone too


def test_a_failing_upgrade_leaves_a_sqlite_database_as_it_was(tmp_path: Path) -> None:
    _a_failing_upgrade_changes_nothing(db.make_engine(f"sqlite:///{tmp_path / 'half.db'}"))


@pytest.mark.postgres
def test_a_failing_upgrade_leaves_a_postgres_database_as_it_was() -> None:
    with postgres_schema("debtpulse_mig") as schema:
        _a_failing_upgrade_changes_nothing(postgres_engine(schema))
