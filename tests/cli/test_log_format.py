"""Log lines as text or JSON, and database errors told without the values they carry."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.cli.log_setup import JsonFormatter, SafeFormatter, formatter

USER, ANSWER = "U0SECRETPERSON", "my-very-private-answer"


def _record(
    message: str, *args: object, exc: BaseException | None = None, **extra: object
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.getLogger("bot.listeners.poll_listeners").makeRecord(
        "bot.listeners.poll_listeners", logging.ERROR, __file__, 1, message, args, exc_info
    )
    record.__dict__.update(extra)
    return record


@pytest.fixture
def failed_insert(engine: Engine) -> DBAPIError:
    """A real error of the database, whose driver message may repeat the failing row."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE leak_probe (who VARCHAR(40), answer VARCHAR(40))"))
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("ALTER TABLE leak_probe ADD CONSTRAINT no_answers CHECK (answer = '')")
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER no_answers BEFORE INSERT ON leak_probe "
                    "BEGIN SELECT RAISE(ABORT, 'no answers here'); END"
                )
            )
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO leak_probe VALUES (:who, :answer)"),
                {"who": USER, "answer": ANSWER},
            )
    except DBAPIError as exc:
        return exc
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE leak_probe"))
    raise AssertionError("the insert was not refused")


def _raised(exc: BaseException) -> BaseException:
    """``exc`` raised and caught, wrapped as a caller's error would be, with a traceback."""
    try:
        try:
            raise exc
        except DBAPIError as caught:
            raise RuntimeError(f"storing failed: {caught}") from caught
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_database_error_is_logged_without_its_values(
    failed_insert: DBAPIError, log_format: str
) -> None:
    wrapped = _raised(failed_insert)
    lines = [
        formatter(log_format).format(record)
        for record in (
            _record("run %s: answers could not be stored", 7, exc=wrapped),
            # Bolt's style: the error spliced into the message itself
            _record(f"Failed to run listener function (error: {failed_insert})", exc=wrapped),
            # an error as an argument of the message, no traceback
            _record("could not write (%s)", failed_insert),
        )
    ]
    logged = "\n".join(lines)
    assert USER not in logged and ANSWER not in logged
    assert logged.count("(values withheld)") >= 3
    assert "Traceback (most recent call last)" in logged  # the frames are kept
    assert "The above exception was the direct cause" in logged
    if "psycopg" in logged:
        assert "SQLSTATE 23514" in logged and "check constraint" in logged
    else:
        assert "no answers here" in logged  # SQLite's reason names no value
    if log_format == "json":
        parsed = [json.loads(line) for line in lines]
        assert parsed[0]["message"] == "run 7: answers could not be stored"
        assert "(values withheld)" in parsed[0]["exception"]


def test_other_errors_keep_their_message_and_json_carries_extra_fields() -> None:
    try:
        raise ValueError("the survey file has no id")
    except ValueError as exc:
        error = exc
    line = SafeFormatter("%(levelname)s %(message)s").format(_record("failed", exc=error))
    assert "ValueError: the survey file has no id" in line
    record = _record("run %s closed", 4, run_id=4, team="T0001", slack_error="not_in_channel")
    payload = json.loads(JsonFormatter().format(record))
    assert payload["message"] == "run 4 closed" and payload["level"] == "ERROR"
    assert payload["logger"] == "bot.listeners.poll_listeners"
    assert payload["time"].endswith("+00:00")
    assert (payload["run_id"], payload["team"], payload["slack_error"]) == (
        4,
        "T0001",
        "not_in_channel",
    )
    multi = json.loads(JsonFormatter().format(_record("two\nlines")))
    assert multi["message"] == "two\nlines"


def test_gunicorn_access_lines_carry_the_request() -> None:
    atoms = {"h": "127.0.0.1", "m": "POST", "U": "/slack/events", "s": "200", "B": "0"}
    atoms |= {"L": "0.004", "r": "POST /slack/events HTTP/1.1"}
    record = logging.getLogger("gunicorn.access").makeRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s', (atoms,), None
    )
    payload = json.loads(JsonFormatter().format(record))
    assert payload["message"] == '127.0.0.1 "POST /slack/events HTTP/1.1" 200'
    assert (payload["method"], payload["path"], payload["status"]) == ("POST", "/slack/events", 200)
    assert payload["duration_s"] == 0.004 and payload["bytes"] == 0
