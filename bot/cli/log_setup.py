"""How every long-running process logs: text (the default) or one JSON object per line.

``DEBTPULSE_LOG_FORMAT=json`` makes each line an object with ``time`` (UTC, ISO 8601),
``level``, ``logger`` and ``message``, the fields a call passed with ``extra=`` (``run_id``,
``survey``, ``team``, ``slack_error`` …), ``exception`` with a traceback when there is one,
and for gunicorn's access log the request's ``method``, ``path``, ``status``, ``bytes`` and
``duration_s``. gunicorn's error and access logs use the same formatters as debtpulse's own
lines (:func:`gunicorn_logger`). Either way a database error is told without the values it
carries (:mod:`bot.cli.log_redaction`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.cli.log_redaction import format_exception, safe_record

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: The attributes every log record has: anything else was passed with ``extra=``.
_STANDARD = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "taskName",
    }
)
#: gunicorn's access log atoms, as JSON fields.
_ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "B": "bytes", "L": "duration_s"}


class SafeFormatter(logging.Formatter):
    """A text formatter that tells database errors without their values."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(safe_record(record))

    def formatException(self, ei: Any) -> str:
        return format_exception(ei)


class JsonFormatter(SafeFormatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        record = safe_record(record)
        payload: dict[str, Any] = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            atoms = record.args
            for atom, field in _ACCESS_FIELDS.items():
                if atom in atoms and atoms[atom] != "-":
                    payload[field] = _number(atoms[atom]) if atom in "sBL" else atoms[atom]
        payload.update(
            time=datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
        )
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def _number(value: Any) -> Any:
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return value


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of ``DEBTPULSE_LOG_FORMAT`` (``text`` or ``json``)."""
    return JsonFormatter() if log_format == "json" else SafeFormatter(TEXT_FORMAT)


def configure(log_format: str) -> None:
    """Log INFO and up to stderr in ``log_format``, as ``logging.basicConfig`` does (nothing
    changes when logging is set up already); Python's warnings become log lines too, so a JSON
    log holds nothing but JSON."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.captureWarnings(True)


def gunicorn_logger(log_format: str) -> type:
    """gunicorn's logger class with debtpulse's formatters on its error and access logs (its
    own text layout kept in ``text``)."""
    from gunicorn.glogging import Logger

    class DebtpulseGunicornLogger(Logger):
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for log, layout in ((self.error_log, self.error_fmt), (self.access_log, None)):
                for handler in log.handlers:
                    if log_format == "json":
                        handler.setFormatter(JsonFormatter())
                    elif layout is not None:
                        handler.setFormatter(SafeFormatter(layout, self.datefmt))
                    else:
                        handler.setFormatter(SafeFormatter(self.access_fmt))

    return DebtpulseGunicornLogger
