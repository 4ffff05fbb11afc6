"""How long ``debtpulse digest preview`` takes on the 200-item / 1,000,000-answer database.

Prints the median of repeated runs (a subprocess, as a user runs it) and its ratio to the
2-second target, with the start-up floor of any command; asserts nothing. The database is
migrated to the newest schema first (the fixture may predate it).

Run ``python -m bench.digest`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import os
import sys

from bench.fixture import TEAM, ensure_bench_db, fixture_arguments
from bench.top import _command, _median_time, _run
from storage import db

TARGET_S = 2.0


def main(argv: list[str] | None = None) -> None:
    parser = fixture_arguments("Time `debtpulse digest preview`.", repeat="runs (median)")
    args = parser.parse_args(argv)
    path = ensure_bench_db(args.db, responses=args.responses).resolve()
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url}
    preview = _command("digest", "preview", "--team", TEAM)
    _run(preview, env, path.parent)  # warm the OS cache and the bytecode once
    took = _median_time(lambda: _run(preview, env, path.parent), args.repeat)
    startup = _median_time(
        lambda: _run([sys.executable, "-c", "import bot.cli.main"], env, path.parent), args.repeat
    )
    print(f"database {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"median of {args.repeat} runs (target {TARGET_S:g} s)")
    ratio = took / TARGET_S
    print(f"  debtpulse digest preview --team {TEAM}  {took:6.3f} s  ({ratio:.2f} of target)")
    print(f"  start-up floor (import bot.cli.main)   {startup:6.3f} s")


if __name__ == "__main__":
    main()
