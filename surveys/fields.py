"""Building blocks shared by the template models: the strict base model, id types, errors.

Every template model forbids unknown fields. Errors are pydantic ``ValidationError``s whose
``loc`` points at the offending field, so the loader can turn each into ``file:line: field:
message``. Checks that span several fields use :func:`fail` to report each problem at the
exact field it concerns (``questions.2.id`` rather than ``questions``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

__all__ = [
    "ChannelId",
    "Label",
    "Loc",
    "Slug",
    "TemplateModel",
    "Title",
    "UsergroupId",
    "fail",
    "problem",
    "reraise",
]

Loc = tuple[str | int, ...]

ERROR_TYPE = "debtpulse_template"


def problem(message: str) -> PydanticCustomError:
    """An error to raise from a validator; ``message`` is shown as is."""
    return PydanticCustomError(ERROR_TYPE, message)


def as_init_details(error: ErrorDetails, loc: Loc | None = None) -> InitErrorDetails:
    """Turn a reported error back into one that can be raised again (message preserved).

    ``loc`` replaces the error's own location when given.
    """
    return InitErrorDetails(
        type=PydanticCustomError(error["type"], error["msg"]),
        loc=tuple(error["loc"]) if loc is None else loc,
        input=error["input"],
    )


def reraise(title: str, details: Sequence[InitErrorDetails]) -> NoReturn:
    """Raise all ``details`` at once (locs relative to the model or field being validated)."""
    raise ValidationError.from_exception_data(title, list(details))


def fail(title: str, problems: Iterable[tuple[Loc, str, object]]) -> NoReturn:
    """Raise one error per ``(loc, message, input)``; locs are relative to the current value."""
    reraise(
        title,
        [InitErrorDetails(type=problem(msg), loc=loc, input=value) for loc, msg, value in problems],
    )


class TemplateModel(BaseModel):
    """Base of every template model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _explain_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            reraise(cls.__name__, [cls._explain(error) for error in exc.errors()])

    @classmethod
    def _explain(cls, error: ErrorDetails) -> InitErrorDetails:
        loc = tuple(error["loc"])
        if error["type"] == "missing":
            return InitErrorDetails(
                type=PydanticCustomError("missing", "missing required field"),
                loc=loc,
                input=error["input"],
            )
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            message = cls._unknown_field_message(str(loc[0]))
            return InitErrorDetails(
                type=PydanticCustomError("extra_forbidden", message), loc=loc, input=error["input"]
            )
        return as_init_details(error)

    @classmethod
    def _unknown_field_message(cls, name: str) -> str:
        close = difflib.get_close_matches(name, list(cls.model_fields), n=1, cutoff=0.6)
        if close:
            return f"unknown field; did you mean '{close[0]}'?"
        return "unknown field; expected one of: " + ", ".join(cls.model_fields)


_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_CHANNEL_RE = re.compile(r"[CG][A-Z0-9]{2,}")
_USERGROUP_RE = re.compile(r"S[A-Z0-9]{2,}")


def _slug(value: str) -> str:
    if len(value) > 64:
        raise problem("must be at most 64 characters")
    if not _SLUG_RE.fullmatch(value):
        raise problem(
            f"'{value}' is not a valid id: use lowercase letters, digits and '-',"
            " starting with a letter or digit"
        )
    return value


def _channel(value: str) -> str:
    if not _CHANNEL_RE.fullmatch(value):
        raise problem(f"'{value}' is not a Slack channel id (like C0123456789)")
    return value


def _usergroup(value: str) -> str:
    if not _USERGROUP_RE.fullmatch(value):
        raise problem(f"'{value}' is not a Slack user group id (like S0123456789)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise problem("must not be empty")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
"""A template or question id: ``[a-z0-9][a-z0-9-]*``, at most 64 characters."""

ChannelId = Annotated[str, AfterValidator(_channel)]
"""A Slack channel id (``C…``)."""

UsergroupId = Annotated[str, AfterValidator(_usergroup)]
"""A Slack user group id (``S…``)."""

Title = Annotated[str, Field(max_length=150), AfterValidator(_not_blank)]
"""A non-empty title; 150 characters is Slack's limit for a header block."""

Label = Annotated[str, Field(max_length=75), AfterValidator(_not_blank)]
"""A non-empty label shown on a button or option; 75 characters is Slack's limit."""
