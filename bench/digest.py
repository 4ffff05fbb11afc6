"""How long ``debtpulse digest preview`` takes on the 200-item / 1,000,000-answer database.

Whole process, median of rounds (``bench/wall.py``), beside ``python -c pass`` run in the
same rounds: the preview as text, and with ``--chart`` (the PNG drawn with matplotlib's Agg
canvas, which loads only then). Targets (issue 17): the preview at most 0.6 s, the chart
adding at most 0.5 s. Asserts nothing. The database is migrated to the newest schema first
(the fixture may predate it).

Run ``python -m bench.digest`` from the repository root (``make bench`` does).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from bench.fixture import TEAM, ensure_bench_db, fixture_arguments
from bench.results import Row, record
from bench.wall import debtpulse, interleaved, row, within
from storage import db

TARGET_S = 0.6
CHART_TARGET_S = 0.5


def main(argv: list[str] | None = None) -> None:
    parser = fixture_arguments("Time `debtpulse digest preview`.", repeat="runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median counts)")
    args = parser.parse_args(argv)
    path = ensure_bench_db(args.db, responses=args.responses).resolve()
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url}
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        chart = Path(tmp) / "chart.png"
        took = interleaved(
            {
                "python": [sys.executable, "-c", "pass"],
                "preview": debtpulse("digest", "preview", "--team", TEAM),
                "chart": debtpulse("digest", "preview", "--team", TEAM, "--chart", str(chart)),
            },
            runs=args.repeat,
            rounds=args.rounds,
            env=env,
            cwd=path.parent,
        )
    python, preview, with_chart = took["python"], took["preview"], took["chart"]
    print(f"database {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(
        f"whole process, median of {args.rounds} rounds of {args.repeat} runs each; "
        f"anchor: python -c pass ({python * 1000:.0f} ms)"
    )
    plain = within(preview, TARGET_S * 1000, python)
    print(
        row(f"debtpulse digest preview --team {TEAM}", preview, python, f"<= {TARGET_S:g} s")
        + plain
    )
    added = with_chart - preview
    charted = within(added, CHART_TARGET_S * 1000, python)
    print(
        row("  with --chart", with_chart, preview, f"adds <= {CHART_TARGET_S:g} s")
        + f"adds {added * 1000:.0f} ms: "
        + charted
    )
    record(
        "digest_preview",
        Row(
            path="digest preview, 200 items x 1M answers (whole process)",
            anchor=f"python -c pass {python * 1000:.0f} ms",
            figure=f"{preview * 1000:.0f} ms; chart adds {added * 1000:.0f} ms",
            target=f"<= {TARGET_S:g} s, chart <= +{CHART_TARGET_S:g} s",
            met=plain.startswith("met") and charted.startswith("met"),
        ),
    )


if __name__ == "__main__":
    main()
