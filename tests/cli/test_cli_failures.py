"""Bad paths, a database from a newer debtpulse, a digest with nowhere to go: each is one
line naming what is wrong, with no traceback and nothing half-written."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.sandbox import FakeSlack
from storage import db
from surveys import builtin_dir

REGISTER = """key,title,category,component,owner,status,effort,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,operational,ingest,U0LEAD,open,M,4,4,2
"""


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# -- files written: --output and --chart ------------------------------------------------


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    (path / "a-file").write_text("not a folder\n")
    return path


def _bad_targets(out_dir: Path) -> list[tuple[Path, str]]:
    return [
        (out_dir / "missing" / "x", "No such file or directory"),
        (out_dir, "Is a directory"),
        (out_dir / "a-file" / "x", "Not a directory"),
    ]


def test_export_to_a_path_that_cannot_be_written_is_one_line(
    cli, cli_db: Engine, out_dir: Path
) -> None:
    for target, reason in _bad_targets(out_dir):
        result = cli("debt", "export", "--output", str(target))
        assert result.code == 1, result
        assert _one_line(result.err) == f"debtpulse: --output: cannot write {target} ({reason})"
        assert result.out == ""
        assert _files(out_dir) == ["a-file"]


def test_export_that_fails_while_writing_keeps_the_old_file_and_leaves_no_temp_file(
    cli, cli_db: Engine, out_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = tmp_path / "reg.csv"
    register.write_text(REGISTER, encoding="utf-8")
    assert cli("debt", "import", str(register)).code == 0
    target = out_dir / "register.csv"
    target.write_text("the old export\n")

    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("os.replace", disk_full)
    result = cli("debt", "export", "--output", str(target))
    assert result.code == 1, result
    assert _one_line(result.err) == (
        f"debtpulse: --output: cannot write {target} (No space left on device)"
    )
    assert target.read_text() == "the old export\n"
    assert _files(out_dir) == ["a-file", "register.csv"]


def test_export_writes_the_whole_file(cli, cli_db: Engine, out_dir: Path, tmp_path: Path) -> None:
    register = tmp_path / "reg.csv"
    register.write_text(REGISTER, encoding="utf-8")
    assert cli("debt", "import", str(register)).code == 0
    target = out_dir / "register.csv"
    target.write_text("the old export, longer than the new one " * 50)
    result = cli("debt", "export", "--output", str(target))
    assert result.code == 0, result
    assert result.out == f"wrote {target}\n"
    assert target.read_text().splitlines()[1].startswith("DEBT-1,Flaky data ingestion")
    assert _files(out_dir) == ["a-file", "register.csv"]


def test_digest_chart_to_a_path_that_cannot_be_written_is_one_line_before_any_output(
    cli, cli_db: Engine, out_dir: Path
) -> None:
    for target, reason in _bad_targets(out_dir):
        result = cli("digest", "preview", "--chart", str(target))
        assert result.code == 1, result
        assert _one_line(result.err) == f"debtpulse: --chart: cannot write {target} ({reason})"
        assert result.out == ""
        assert _files(out_dir) == ["a-file"]


def test_digest_chart_is_written(
    cli, cli_db: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.digest_jobs.chart_png", lambda *_: b"\x89PNG fake")
    target = out_dir / "c.png"
    result = cli("digest", "preview", "--chart", str(target))
    assert result.code == 0, result
    assert result.out.endswith(f"chart written to {target}\n")
    assert target.read_bytes() == b"\x89PNG fake"
    assert _files(out_dir) == ["a-file", "c.png"]


# -- files read: FILE and DIRECTORY ------------------------------------------------------


@pytest.mark.parametrize(
    "command", [("debt", "import"), ("responses", "import"), ("signals", "import")]
)
def test_a_file_that_cannot_be_read_is_one_line_naming_the_argument(
    cli, cli_db: Engine, tmp_path: Path, command: tuple[str, str]
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("key,title\nDEBT-1,Café\n".encode("latin-1"))
    cases = [
        (tmp_path / "nope.csv", "no such file"),
        (tmp_path, "Is a directory"),
        (latin, "not UTF-8 text"),
    ]
    for path, reason in cases:
        result = cli(*command, str(path))
        assert result.code == 1, result
        assert _one_line(result.err) == f"debtpulse: FILE: cannot read {path} ({reason})"


def test_surveys_check_names_a_missing_path(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = cli("surveys", "check", str(missing))
    assert result.code == 1, result
    expected = f"debtpulse: PATH: cannot read {missing} (no such file or directory)"
    assert _one_line(result.err) == expected


def test_surveys_check_takes_one_template_file(cli, tmp_path: Path) -> None:
    """An author checks the file being edited; its problems are listed, the folder's not."""
    (tmp_path / "other.yaml").write_text("id: [broken\n")
    good = tmp_path / "pulse.yaml"
    good.write_text(
        "id: team-pulse\ntitle: Team pulse\n"
        'schedule: {cron: "0 10 * * MON", timezone: UTC}\nopen_for: 48h\n'
        "questions:\n  - {id: note, type: text, prompt: 'Anything?'}\n"
    )
    result = cli("surveys", "check", str(good))
    assert result.code == 0, result
    assert result.out.splitlines()[0] == "ok  survey  team-pulse  (pulse.yaml)"

    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("open_for: 48h", "open_for: 48 hours"))
    result = cli("surveys", "check", str(bad))
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert lines[0].startswith(f"{bad}:4: open_for: ")
    assert lines[-1] == f"debtpulse: 1 problem in {bad}"


def test_surveys_check_takes_the_weights_file(cli, tmp_path: Path) -> None:
    weights = tmp_path / "weights.yaml"
    weights.write_text("weights: {risk: 50}\n")
    result = cli("surveys", "check", str(weights))
    assert result.code == 1, result
    assert result.err.strip().splitlines() == [
        f"{weights}:1: weights: weights must add up to 100, not 115",
        f"debtpulse: 1 problem in {weights}",
    ]


def test_a_database_url_that_is_not_a_database_is_one_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are notes, not a database\n" * 10)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{not_a_db}")
    for command in (("top",), ("db", "upgrade")):
        result = cli(*command)
        assert result.code == 2, result
        assert _one_line(result.err) == (
            "debtpulse: database error: file is not a database (check DATABASE_URL)"
        )


def test_a_mistyped_sqlite_path_is_refused_without_creating_a_file(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "debtplse.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{typo}")
    result = cli("top")
    assert result.code == 2, result
    assert _one_line(result.err) == (
        f"debtpulse: the database is not initialised but this debtpulse needs revision "
        f"{db.SCHEMA_HEAD}: run `debtpulse db upgrade` first"
    )
    assert not typo.exists()
    assert cli("db", "upgrade").code == 0 and typo.exists()  # creating it is upgrade's job


# -- a database migrated by a newer debtpulse ---------------------------------------------


@pytest.fixture
def newer_db(cli_db: Engine) -> Iterator[Engine]:
    with cli_db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    yield cli_db
    with cli_db.begin() as conn:  # the PostgreSQL test schema is shared
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{db.SCHEMA_HEAD}'"))


NEWER = (
    "debtpulse: the database was migrated by a newer debtpulse (revision 0099; this one knows "
    f"up to {db.SCHEMA_HEAD}): upgrade debtpulse to use it; nothing was changed"
)


@pytest.mark.parametrize(
    "command", [("top",), ("debt", "export"), ("digest", "preview"), ("db", "upgrade")]
)
def test_a_database_from_a_newer_debtpulse_is_refused_by_every_command(
    cli, newer_db: Engine, command: tuple[str, ...]
) -> None:
    result = cli(*command)
    assert result.code == 2, result
    assert _one_line(result.err) == NEWER
    assert "db upgrade" not in result.err
    assert db.stored_revision(newer_db) == "0099"


# -- digest post: what is missing is named ------------------------------------------------


@pytest.fixture
def slack_env(cli_db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for name, value in {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake.base_url,
            "DEBTPULSE_ANON_SECRET": "a",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def test_digest_post_without_channels_names_the_setting_not_an_option(
    cli, slack_env: FakeSlack
) -> None:
    result = cli("digest", "post")
    assert result.code == 2, result
    assert _one_line(result.err) == (
        "debtpulse: configuration error: DEBTPULSE_DIGEST_CHANNELS: required but not set"
        " (digest weekly-digest lists no channels of its own)"
    )
    assert slack_env.messages() == []


def test_digest_post_blames_digest_only_when_it_was_given(cli, slack_env: FakeSlack) -> None:
    result = cli("digest", "post", "--digest", "nope")
    assert result.code == 1, result
    assert _one_line(result.err) == "debtpulse: --digest: no digest 'nope' (known: weekly-digest)"


def test_a_missing_default_digest_does_not_blame_an_option(
    cli, cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    shutil.copy(builtin_dir() / "weekly-debt-pulse.yaml", surveys)
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(surveys))
    result = cli("digest", "preview")
    assert result.code == 1, result
    assert _one_line(result.err) == (
        "debtpulse: no digest 'weekly-digest' (known: none): pass --digest ID"
    )


def test_surveys_check_counts_in_the_singular_too(cli, tmp_path: Path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    library = Path(__file__).parents[2] / "surveys" / "library"
    (folder / "weekly-debt-pulse.yaml").write_text(
        (library / "weekly-debt-pulse.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = cli("surveys", "check", str(folder))
    assert result.code == 0, result
    assert result.out.splitlines()[-1] == f"1 template in {folder}: no problems"
