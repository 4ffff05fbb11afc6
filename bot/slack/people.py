"""Who is a person in Slack: channel and usergroup members, and whether a user is a person
(no bot, not deactivated) — for poll audiences, App Home and debt owners alike.

An audience is resolved with list calls, not a call per person: ``conversations.members``
(up to 1,000 a page) or ``usergroups.users.list`` (one call), then one ``users.list`` sweep
(200 a page, stopping once everyone is found), which tells bots, deactivated accounts and
time zones apart for everyone at once. Only an audience of a few people, or the last few of
a sweep through a very large directory, is looked up person by person (``users.info``).
``before_call(method)`` runs before each call, so the caller can pace them under Slack's
limits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

BeforeCall = Callable[[str], None]
MEMBERS_PAGE = 1000
"""``conversations.members``: Slack's largest page."""
USERS_PAGE = 200
"""``users.list``: Slack asks for pages of no more than 200."""
LOOK_UP_AT_MOST = 20
"""Audiences of at most this many people are looked up with ``users.info`` each (Tier 4);
larger ones with one ``users.list`` sweep (Tier 2)."""
SWEEP_PAGES = 20
"""A sweep that has read this many pages (4,000 people: a minute of Tier 2) and still misses
no more than :data:`LOOK_UP_REST` of the audience looks those up one by one instead: a small
audience in a very large workspace is not held up by reading the whole directory."""
LOOK_UP_REST = 100


def _nothing(_method: str) -> None:
    return None


def _next_cursor(page: Any) -> str | None:
    return (page.get("response_metadata") or {}).get("next_cursor") or None


def channel_members(
    client: WebClient, channel: str, *, before_call: BeforeCall = _nothing
) -> set[str]:
    """Every member of ``channel``, page by page."""
    members: set[str] = set()
    cursor = None
    while True:
        before_call("conversations.members")
        page = client.conversations_members(channel=channel, cursor=cursor, limit=MEMBERS_PAGE)
        members |= set(page["members"])
        cursor = _next_cursor(page)
        if not cursor:
            return members


def usergroup_members(
    client: WebClient, usergroup: str, *, before_call: BeforeCall = _nothing
) -> set[str]:
    """Every member of ``usergroup`` (one call: Slack does not page it)."""
    before_call("usergroups.users.list")
    return set(client.usergroups_users_list(usergroup=usergroup)["users"])


def people_among(
    client: WebClient, users: set[str], *, before_call: BeforeCall = _nothing
) -> dict[str, str | None]:
    """The persons among ``users`` (bots and deactivated accounts left out), each with their
    Slack time zone when known."""
    found: dict[str, Mapping[str, Any]] = {}
    if len(users) > LOOK_UP_AT_MOST:
        found = _directory(client, users, before_call)
    for user in sorted(users - set(found)):  # a few, or members the directory did not list
        try:
            before_call("users.info")
            found[user] = client.users_info(user=user)["user"]
        except SlackApiError as exc:  # one unknown member must not stop the poll for all
            logger.warning("a member was left out (%s)", exc.response.get("error"))
    return {
        user: info.get("tz") or None
        for user, info in sorted(found.items())
        if why_not_a_person(user, info) is None
    }


def _directory(
    client: WebClient, wanted: set[str], before_call: BeforeCall
) -> dict[str, Mapping[str, Any]]:
    """The ``users.list`` records of ``wanted``, sweeping the directory until all are seen."""
    found: dict[str, Mapping[str, Any]] = {}
    cursor = None
    pages = 0
    while True:
        before_call("users.list")
        page = client.users_list(cursor=cursor, limit=USERS_PAGE)
        pages += 1
        for member in page["members"]:
            if member.get("id") in wanted:
                found[member["id"]] = member
        cursor = _next_cursor(page)
        missing = len(wanted) - len(found)
        if not cursor or not missing or (pages >= SWEEP_PAGES and missing <= LOOK_UP_REST):
            return found


def why_not_a_person(user: str, info: Mapping[str, Any]) -> str | None:
    """From ``users.info``: why ``user`` is not a person (a bot, deactivated), or None."""
    if info.get("is_bot") or user == "USLACKBOT":
        return f"<@{user}> is a bot, not a person"
    if info.get("deleted"):
        return f"<@{user}> is deactivated"
    return None


def not_a_person(client: WebClient, user: str) -> str | None:
    """Why ``user`` cannot own a debt item (a bot, deactivated, unknown), or None if they can.

    When Slack cannot be asked (a network error, a rate limit that outlasted the retries),
    the user is taken as given rather than refused: the check protects from typos, and the
    owner can be changed again.
    """
    try:
        info = client.users_info(user=user)["user"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in {"user_not_found", "user_not_visible"}:
            return f"<@{user}> is not a member of this workspace"
        logger.warning("could not check a debt owner with users.info: %s", error)
        return None
    except OSError as exc:
        logger.warning("could not check a debt owner with users.info: %s", type(exc).__name__)
        return None
    return why_not_a_person(user, info)
