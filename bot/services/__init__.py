"""Use cases: the one layer that combines storage, the pure core and Slack I/O.

Opening, delivering, reminding and closing polls, recording answers, ranking and explaining,
snapshots, register changes, imports, signals, digest preview and post. Listeners, jobs and
the CLI call these; nothing here parses a request or decides when to run.
"""
