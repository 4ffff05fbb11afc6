"""When `serve`'s worker has a whole request and may hand it to a thread."""

from __future__ import annotations

import pytest

from bot.web.buffering_worker import (
    COMPLETE,
    HAND_OVER,
    MAX_BUFFERED_BODY,
    MAX_HEADER_BYTES,
    MORE,
    TOO_LARGE,
    framing,
)

HEAD = b"POST /slack/events HTTP/1.1\r\nHost: debtpulse\r\n"


@pytest.mark.parametrize(
    ("sent", "state"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", MORE),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", COMPLETE),
        (HEAD + b"Content-Length: 5\r\n\r\nabc", MORE),
        (HEAD + b"Content-Length: 5\r\n\r\nabcde", COMPLETE),
        (HEAD + b"content-length:  5 \r\n\r\nabcde", COMPLETE),
        (HEAD + b"Content-Length: 0\r\n\r\n", COMPLETE),
        (HEAD + b"Content-Length: five\r\n\r\n", HAND_OVER),
        (HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nabcde", HAND_OVER),
        (HEAD + b"Content-Length: %d\r\n\r\n" % (MAX_BUFFERED_BODY + 1), HAND_OVER),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", MORE),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n", MORE),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", COMPLETE),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n", COMPLETE),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", HAND_OVER),
        (HEAD + b"X: " + b"a" * MAX_HEADER_BYTES, TOO_LARGE),
        (HEAD + b"X: " + b"a" * MAX_HEADER_BYTES + b"\r\n\r\n", TOO_LARGE),
    ],
)
def test_framing(sent: bytes, state: str) -> None:
    assert framing(sent) == state


def test_a_chunked_body_over_the_limit_goes_to_the_application_unbuffered() -> None:
    size = MAX_BUFFERED_BODY + 10
    sent = HEAD + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % size + b"a" * 100
    assert framing(sent) == HAND_OVER
