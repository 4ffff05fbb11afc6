"""Options shared by several commands."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

TeamOption = Annotated[
    str | None,
    typer.Option("--team", help="Slack team id (default: the token's workspace, or 'local')."),
]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who makes the change, for the audit trail.")
]


def actor_name(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"
