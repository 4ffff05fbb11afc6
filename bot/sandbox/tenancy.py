"""The workspaces one fake Slack holds, and which of them a token acts in.

Each workspace has its own team, people, channels and tokens (``workspace``); a call's
token decides the workspace every user and channel it names is looked up in, and the team
its rate limits are counted against. An OAuth install of a team the fake holds no workspace
for lands in the first workspace, under its own team id (one workspace, several installs).
"""

from __future__ import annotations

from bot.sandbox.workspace import Token, Workspace


class Tenancy:
    """The workspaces by team id, the first one first. Guarded by the state's lock."""

    def __init__(self, first: Workspace) -> None:
        self.first = first
        self.by_team: dict[str, Workspace] = {first.team_id: first}

    def add(self, workspace: Workspace) -> Workspace:
        if workspace.team_id in self.by_team:
            raise ValueError(f"the fake holds a workspace {workspace.team_id} already")
        taken = [t for t in workspace.tokens if self.find_token(t) is not None]
        if taken:
            raise ValueError(
                f"token {taken[0]} belongs to another workspace: give each its own "
                "(Workspace(bot_token=…, app_token=…))"
            )
        self.by_team[workspace.team_id] = workspace
        return workspace

    def named(self, team: str | None) -> Workspace:
        """The workspace of team ``team`` (the first one for None or a team not held)."""
        return self.by_team.get(team or "", self.first)

    def find_token(self, token: str) -> Token | None:
        """The token's record, in whichever workspace holds it."""
        for workspace in self.by_team.values():
            record = workspace.tokens.get(token)
            if record is not None:
                return record
        return None

    def holder(self, token: Token) -> Workspace:
        """The workspace holding ``token``: where every user and channel it names is."""
        for workspace in self.by_team.values():
            if workspace.tokens.get(token.token) is token:
                return workspace
        return self.first

    def team_of(self, token: Token) -> str:
        """The team a token's calls count against: its installing team, else its
        workspace's."""
        return token.team_id or self.holder(token).team_id
