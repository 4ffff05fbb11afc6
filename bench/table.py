"""Issue 17's table from the figures the benches just recorded (``make bench`` runs it last).

Run ``python -m bench.table`` after the benches; rows a bench did not record are named as
missing.
"""

from __future__ import annotations

from bench.results import recorded

#: The rows, in the table's order: (key, what a person waits on).
ORDER = [
    ("vote_sqlite", "one-click vote, SQLite, 16 connections"),
    ("modal_sqlite", "answer modal of 5 items, SQLite"),
    ("vote_postgres", "one-click vote, PostgreSQL, 2 workers"),
    ("top_1m", "debtpulse top, 200 items x 1M answers, SQLite"),
    ("cli_help", "debtpulse --help"),
    ("cli_top_empty", "debtpulse top, empty database"),
    ("digest_preview", "digest preview, same data"),
    ("fanout", "DM poll to 1,000 people, 10 % faults"),
    ("serve_rss", "idle serve worker RSS"),
    ("slow_clients", "signed slash command with 64 slow clients"),
    ("teams", "DM poll in 200 workspaces x 25 people at once, 2 workers"),
    ("dash_ranking", "dashboard: the ranking, 1M answers"),
    ("dash_filtered", "dashboard: the ranking, filtered"),
    ("dash_item", "dashboard: an item page"),
    ("dash_polls", "dashboard: polls"),
    ("dash_roi", "dashboard: ROI"),
]


def main() -> None:
    rows = recorded()
    print("\n| path | anchor (same run) | debtpulse | target | met |")
    print("|---|---|---|---|---|")
    for key, path in ORDER:
        row = rows.get(key)
        if row is None:
            print(f"| {path} | – | not measured in this run | – | – |")
            continue
        print(
            f"| {row.path} | {row.anchor} | {row.figure} | {row.target} | "
            f"{'yes' if row.met else 'NO'} |"
        )
    for key, row in rows.items():
        if key not in dict(ORDER):
            print(
                f"| {row.path} | {row.anchor} | {row.figure} | {row.target} | "
                f"{'yes' if row.met else 'NO'} |"
            )


if __name__ == "__main__":
    main()
