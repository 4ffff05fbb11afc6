"""Sign-in links stay out of the access log: gunicorn writes each request line, query
included, so the token of ``/dash/signin?t=TOKEN`` is replaced before the line is written."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping

ACCESS_LOGGER = "gunicorn.access"
_TOKEN = re.compile(r"((?:^|[?&])t=)[^&\s\"]*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the value of every ``t=`` query parameter replaced."""
    return _TOKEN.sub(rf"\g<1>{REDACTED}", text) if "t=" in text else text


class LinkTokens(logging.Filter):
    """Replaces sign-in tokens in an access-log record's atoms (request line, query,
    referrer), in place; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if isinstance(atoms, MutableMapping):
            for name, value in list(atoms.items()):
                if isinstance(value, str) and "t=" in value:
                    atoms[name] = redact(value)
        elif isinstance(atoms, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in atoms)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def keep_tokens_out_of_access_logs() -> None:
    """Install the filter on gunicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, LinkTokens) for f in logger.filters):
        logger.addFilter(LinkTokens())
