"""The directory gunicorn's processes share their metrics in: fresh at start, gone at exit;
and gunicorn's child_exit hook dropping a dead worker's live gauges, not its counts."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import metrics_dir
from bot.config import ConfigError
from bot.web import gunicorn_hooks


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_dir, "_prepared", [])
    monkeypatch.setenv(metrics_dir.VARIABLE, "")  # so that whatever a test sets is undone
    monkeypatch.delenv(metrics_dir.VARIABLE)


def test_the_operators_directory_is_emptied_of_an_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4242.db").write_bytes(b"old counts")
    (folder / "README").write_text("kept")
    monkeypatch.setenv(metrics_dir.VARIABLE, str(folder))
    assert metrics_dir.prepare_shared() == folder
    assert sorted(p.name for p in folder.iterdir()) == ["README"]
    (folder / "counter_1.db").write_bytes(b"this run's")
    assert metrics_dir.prepare_shared() == folder  # `run`, then its serve: prepared once
    assert (folder / "counter_1.db").exists()


def test_without_one_a_fresh_directory_is_made_and_named_in_the_environment() -> None:
    path = metrics_dir.prepare_shared()
    assert path.is_dir() and list(path.iterdir()) == []
    assert os.environ[metrics_dir.VARIABLE] == str(path)
    metrics_dir._remove(path, os.getpid() + 1)  # a forked worker leaving: kept
    assert path.is_dir()
    metrics_dir._remove(path, os.getpid())  # the server leaving: removed
    assert not path.exists()


def test_a_directory_that_cannot_be_used_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    monkeypatch.setenv(metrics_dir.VARIABLE, str(taken))
    with pytest.raises(ConfigError) as error:
        metrics_dir.prepare_shared()
    assert str(error.value).startswith("configuration error: PROMETHEUS_MULTIPROC_DIR: cannot use")


def test_a_single_process_ignores_an_inherited_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics_dir.VARIABLE, str(tmp_path))
    metrics_dir.single_process()
    assert metrics_dir.VARIABLE not in os.environ


def test_a_dead_workers_live_gauges_leave_and_its_counts_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics_dir.VARIABLE, str(tmp_path))
    for name in ("counter_77.db", "histogram_77.db", "gauge_livemax_77.db", "gauge_livemax_78.db"):
        (tmp_path / name).write_bytes(b"")
    gunicorn_hooks.child_exit(SimpleNamespace(), SimpleNamespace(pid=77))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_77.db",
        "gauge_livemax_78.db",
        "histogram_77.db",
    ]
