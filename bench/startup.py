"""How long ``debtpulse --help`` and ``debtpulse top`` on an empty database take, whole process.

The anchor is the interpreter itself, ``python -c pass``, run in the same rounds (see
``bench/wall.py``). Target: at most 250 ms each (issue 17; 7.9x the interpreter there).
The database is a freshly migrated SQLite file in a temporary directory. It also lists what
``--help`` and ``top`` import of the heavy packages (``python -X importtime``): ``--help``
loads no database code at all, ``top`` on SQLite reads with the standard library's sqlite3.

Run ``python -m bench.startup`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.results import Row, record
from bench.wall import debtpulse, interleaved, row, within

TARGET_MS = 250.0
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "storage.models", "jinja2", "slack_bolt")


def _imported(command: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    """The heavy packages ``command`` imports (``-X importtime`` of the same entry point)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", *command[1:]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return [name for name in HEAVY if name in names]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start-up of debtpulse commands.")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median counts)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DEBTPULSE_"))}
        env["DATABASE_URL"] = f"sqlite:///{folder / 'empty.db'}"
        subprocess.run(
            debtpulse("db", "upgrade"), env=env, cwd=folder, check=True, stdout=subprocess.DEVNULL
        )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "debtpulse --help": debtpulse("--help"),
            "debtpulse top (empty database)": debtpulse("top"),
        }
        took = interleaved(commands, runs=args.runs, rounds=args.rounds, env=env, cwd=folder)
        loads = {name: _imported(commands[name], env, folder) for name in list(commands)[1:]}
    anchor = took.pop("python -c pass")
    print(
        f"median of {args.rounds} rounds of {args.runs} runs each, whole process; "
        f"anchor: python -c pass ({anchor * 1000:.0f} ms)"
    )
    keys = {"debtpulse --help": "cli_help", "debtpulse top (empty database)": "cli_top_empty"}
    for name, seconds in took.items():
        verdict = within(seconds, TARGET_MS, anchor)
        print(row(name, seconds, anchor, f"target <= {TARGET_MS:.0f} ms", verdict))
        record(
            keys[name],
            Row(
                path=name,
                anchor=f"python -c pass {anchor * 1000:.0f} ms",
                figure=f"{seconds * 1000:.0f} ms = {seconds / anchor:.1f}x",
                target=f"<= {TARGET_MS:.0f} ms",
                met=verdict.startswith("met"),
            ),
        )
    for name, heavy in loads.items():
        print(f"  {name} imports: {', '.join(heavy) or 'none of ' + ', '.join(HEAVY)}")


if __name__ == "__main__":
    main()
