"""Two processes writing one SQLite file at once lose nothing and never see "locked"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, func, select

from storage import db, polls
from storage.models import Response
from tests.factories import NOW, TEAM, make_item

WRITER = """
import sys
from datetime import UTC, datetime
from sqlmodel import func, select
from storage import db, responses
from storage.models import Response
engine = db.make_engine(sys.argv[1])
run_id, item_id, who, count = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
for i in range(count):
    with db.session_scope(engine) as session:
        session.exec(select(func.count()).select_from(Response)).one()  # read, then write
        responses.upsert_response(
            session, team_id="T0001", poll_run_id=run_id, question_id="pain",
            debt_item_id=item_id, respondent=f"{who}-{i % (count // 2)}", value=(i % 5) + 1,
            text_value=None, at=datetime.now(UTC),
        )
print("done", who)
"""


def test_two_processes_upserting_at_once(tmp_path: Path, migrated_sqlite_template: Path) -> None:
    path = tmp_path / "shared.db"
    path.write_bytes(migrated_sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        item = make_item(session)
        run, _ = polls.claim_run(session, team_id=TEAM, survey_id="s", scheduled_for=NOW)
        run_id, item_id = run.id, item.id
    count = 2000
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(run_id), str(item_id), who, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert "locked" not in err
        assert proc.returncode == 0, err
    with Session(engine) as session:
        # each writer answered for count/2 respondents, each twice (the second replaces)
        assert session.exec(select(func.count()).select_from(Response)).one() == count
        values = session.exec(select(Response.respondent, Response.value)).all()
    expected_last = {f"a-{i}": ((i + count // 2) % 5) + 1 for i in range(count // 2)}
    assert {r: v for r, v in values if r.startswith("a-")} == expected_last
