"""Purging a workspace deletes every one of its rows — checked table by table over every
table the models define, so a table added later cannot be forgotten — and its OAuth
install, in one transaction, with a log row that stays; another workspace's rows stay
whole. Refusals: an active workspace (without force), one no longer due."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from bot.config import Settings
from bot.runtime import Runtime
from bot.services import team_lifecycle
from storage import purge as purge_store
from storage.models import TeamPurge, metadata
from tests.factories import NOW
from tests.team_factories import CLIENT_ID, fill_team, gone, install, shared_rows

GONE, KEPT = "T0GONE", "T0KEPT"
#: Tables of no workspace's data: a purge never touches them.
SHARED = {"scheduler_lease"}
#: The purge log outlives the purge.
SURVIVES = {TeamPurge.__tablename__}
LIBRARY = ("slack_bots", "slack_installations")


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    settings = Settings(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET="client-secret",
        SLACK_SIGNING_SECRET="signing-secret",
        SLACK_STATE_SECRET="state-secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    return Runtime(settings, engine=engine, default_team=KEPT, clock=lambda: NOW)


@pytest.fixture
def two_teams(engine: Engine, session: Session) -> Iterator[None]:
    for team in (GONE, KEPT):
        fill_team(session, team)
    gone(session, GONE)
    shared_rows(session)
    session.commit()
    install(engine, KEPT)
    install(engine, GONE, installed_at=NOW.timestamp() - 40 * 86400)  # before it went
    yield


def _counts(engine: Engine, team: str) -> dict[str, int]:
    """Rows of ``team`` per table: every table of the models, and the installation store's."""
    counts = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "team_id" not in table.c:
                assert table.name in SHARED, (
                    f"table {table.name} has no team_id: tell the purge (and this test) how its "
                    "rows belong to a workspace"
                )
                continue
            query = select(func.count()).select_from(table).where(table.c.team_id == team)
            counts[table.name] = conn.execute(query).scalar_one()
        for name in LIBRARY:
            query = text(f"SELECT count(*) FROM {name} WHERE team_id = :team")
            counts[name] = conn.execute(query, {"team": team}).scalar_one()
    return counts


def _shared(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in SHARED
        }


def test_a_purge_deletes_every_row_of_the_workspace_and_nothing_else(
    engine: Engine, runtime: Runtime, two_teams: None
) -> None:
    before = _counts(engine, GONE)
    missing = sorted(name for name, n in before.items() if n == 0 and name not in SURVIVES)
    assert missing == [], (
        f"the purge test's workspace has no row in {missing}: add one to "
        "tests/team_factories.py fill_team, so the purge is checked on it"
    )
    kept, shared = _counts(engine, KEPT), _shared(engine)

    log = team_lifecycle.purge(runtime, GONE, actor="cli:ops", reason="test")

    after = _counts(engine, GONE)
    assert {name: n for name, n in after.items() if n and name not in SURVIVES} == {}
    assert _counts(engine, KEPT) == kept
    assert _shared(engine) == shared
    # the log says what went, table by table, and is the one row left of the workspace
    assert log.status == "done" and log.purged_by == "cli:ops" and log.purged_at == NOW
    assert log.counts == {name: n for name, n in before.items() if n and name not in SURVIVES}
    assert after[TeamPurge.__tablename__] == 1
    with Session(engine) as session:
        (stored,) = purge_store.purges(session, team_id=GONE)
    assert stored.counts == log.counts and stored.status == "done"


def test_an_active_workspace_is_purged_only_with_force(
    engine: Engine, runtime: Runtime, two_teams: None
) -> None:
    kept = _counts(engine, KEPT)
    with pytest.raises(team_lifecycle.PurgeRefused) as refused:
        team_lifecycle.purge(runtime, KEPT, actor="cli:ops", reason="test")
    assert refused.value.option == "--force"
    assert "T0KEPT is active" in str(refused.value)
    assert _counts(engine, KEPT) == kept

    team_lifecycle.purge(runtime, KEPT, actor="cli:ops", reason="test", force=True)
    assert {n for name, n in _counts(engine, KEPT).items() if name not in SURVIVES} == {0}


def test_the_worker_purges_the_workspaces_due_and_no_other(
    engine: Engine, session: Session, runtime: Runtime, two_teams: None
) -> None:
    for team in ("T0LATER", "T0BACK", "T0HELD"):
        fill_team(session, team)
    gone(session, "T0LATER", days_ago=2, purge_in=28)
    gone(session, "T0BACK")  # due, but installed again since
    gone(session, "T0HELD", purge_in=None)  # kept by hand
    session.commit()
    install(engine, "T0BACK", installed_at=NOW.timestamp())

    done = team_lifecycle.purge_due(runtime, NOW)

    assert [log.team_id for log in done] == [GONE]
    assert done[0].purged_by == team_lifecycle.WORKER_ACTOR
    for team in ("T0LATER", "T0BACK", "T0HELD", KEPT):
        assert _counts(engine, team)["debt_item"] == 1, team
    assert team_lifecycle.purge_due(runtime, NOW) == []  # nothing left due


def test_the_workers_hourly_job_purges_what_is_due(
    engine: Engine, runtime: Runtime, two_teams: None
) -> None:
    from bot.jobs import scheduler as jobs

    jobs.register(runtime, lambda: NOW)
    jobs.run_purges()

    assert _counts(engine, GONE)["debt_item"] == 0
    assert _counts(engine, KEPT)["debt_item"] == 1
