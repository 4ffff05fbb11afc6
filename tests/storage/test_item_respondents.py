"""`item_respondent`: one row per item and person, moved to the person's latest pain answer."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from storage import aggregates, responses
from storage.models import ItemRespondent
from tests.factories import NOW, TEAM, make_item

DAY = date(2026, 11, 16)


def note(session: Session, item_id: int, person: str, day: date, **kw: object) -> None:
    values: dict[str, object] = {"question_id": "pain", "value": 4.0, "key": ("k1", person)}
    values.update(kw)
    responses.note_pain_respondent(
        session,
        team_id=TEAM,
        debt_item_id=item_id,
        day=day,
        **values,  # type: ignore[arg-type]
    )


def test_a_person_is_one_row_per_item_at_their_latest_answer(session: Session) -> None:
    item = make_item(session).id
    other = make_item(session, "DEBT-2").id
    assert item is not None and other is not None
    note(session, item, "person:a", DAY)
    note(session, item, "person:a", DAY + timedelta(weeks=1))  # next week's answer moves it
    note(session, item, "person:a", DAY - timedelta(weeks=3))  # an older import does not
    note(session, other, "person:a", DAY)
    note(session, item, "person:b", DAY - timedelta(weeks=9))
    # answers that are not pain answers about an item count nowhere
    note(session, item, "person:c", DAY, question_id="mood")
    note(session, item, "person:d", DAY, value=None)
    session.commit()
    rows = session.exec(select(ItemRespondent).order_by(ItemRespondent.id)).all()  # type: ignore[arg-type]
    assert [(r.debt_item_id, r.person, r.last_day) for r in rows] == [
        (item, "person:a", DAY + timedelta(weeks=1)),
        (other, "person:a", DAY),
        (item, "person:b", DAY - timedelta(weeks=9)),
    ]
    since = datetime.combine(DAY - timedelta(weeks=8), datetime.min.time(), tzinfo=NOW.tzinfo)
    assert aggregates.item_respondents(session, team_id=TEAM, since=since) == {item: 1, other: 1}
    older = since - timedelta(weeks=2)
    assert aggregates.item_respondents(session, team_id=TEAM, since=older) == {item: 2, other: 1}
    assert aggregates.item_respondents(session, team_id="T0THER", since=older) == {}


def test_counts_under_two_keys_are_never_added(session: Session) -> None:
    item = make_item(session).id
    assert item is not None
    for person in ("a", "b", "c"):
        note(session, item, f"person:old-{person}", DAY, key=("old", f"person:old-{person}"))
    for person in ("a", "b"):
        note(session, item, f"person:new-{person}", DAY, key=("new", f"person:new-{person}"))
    session.commit()
    since = datetime.combine(DAY, datetime.min.time(), tzinfo=NOW.tzinfo)
    assert aggregates.item_respondents(session, team_id=TEAM, since=since) == {item: 3}
