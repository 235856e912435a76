"""Live access in PrivX: the users of our directory, their login sessions and their open connections, read and
ended.

A person who signed in through our directory has one PrivX user record there (``source`` our directory id,
``source_user_id`` their Cognito ``sub``; docs/privx-api.md#users); a person deleted and added again has a new
``sub`` and may have two. Their access lives on in **login sessions** (the auth service's session storage: the
PrivX web UI and its tokens) and **connections** (SSH/RDP through PrivX's connection manager). Ending access means
ending both: PrivX applies a role change only when it refreshes the user's access token, at an interval it does not
publish (docs/privx-api.md#sessions-and-connections).

Routes (privx-sdk-go ``api/auth/client.go``, ``api/connectionmanager/client.go``, ``api/rolestore/client.go``):
``POST /role-store/api/v1/users/search`` ``{source, keywords?}``; ``GET /auth/api/v1/sessionstorage/users/{id}/
sessions`` and ``…/sources/{id}/sessions`` (valid sessions); ``POST …/users/{id}/sessions/terminate``;
``POST /connection-manager/api/v1/connections/search`` ``{user_id: [...], status: ["CONNECTED"]}``;
``POST /connection-manager/api/v1/terminate/user/{id}``. Every listing is paged (``offset``/``limit``, at most
:data:`PAGE` a page) and read as it comes (iterators), so a directory of any size costs pages, not memory.

A refusal names the PrivX permission to add (:data:`PERMISSIONS`); which permission the session routes need is not
published (unverified: the emulator's ``users-view`` / ``users-manage``), so the hint names our best reading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cognito_privx.errors import PrivXPermissionError
from cognito_privx.privx import answers
from cognito_privx.privx.client import PrivXClient

USERS_SEARCH_PATH = "/role-store/api/v1/users/search"
SESSIONS_PATH = "/auth/api/v1/sessionstorage"
CONNECTIONS_SEARCH_PATH = "/connection-manager/api/v1/connections/search"
TERMINATE_CONNECTIONS_PATH = "/connection-manager/api/v1/terminate/user"
# The largest page PrivX serves (docs/privx-api.md#paging: limit max 1000).
PAGE = 1000
LIVE = "CONNECTED"  # Connection.status of an open connection (privx-sdk-go connectionmanager.Connection)

# What each step needs of the API client's PrivX role. users-view and connections-terminate are documented
# (role-store roles schema, v41); the other two are our best reading (docs/privx-api.md: unverified).
PERMISSIONS = {
    "find": "users-view",
    "list sessions": "users-view",
    "end sessions": "users-manage",
    "list connections": "connections-view",
    "end connections": "connections-terminate",
}


def _denied(step: str, done: str, e: PrivXPermissionError) -> PrivXPermissionError:
    """The refusal of ``step``, naming the permission to add and what was ``done`` already."""
    permission = PERMISSIONS[step]
    error = PrivXPermissionError(
        f"{done + '; ' if done else ''}PrivX refused to {step}: {e.message}",
        f"give the API client's PrivX role the permission {permission} (docs/permissions.md#privx), then run the "
        "command again to finish",
        status=e.status,
    )
    error.permission = permission
    return error


def pages(
    px: PrivXClient,
    method: str,
    path: str,
    *,
    body: Any = None,
    page: int = PAGE,
    shape: type[answers.Listing] = answers.Listing,
) -> Iterator[list[dict[str, Any]]]:
    """Each page of a PrivX listing (``{count, items}``, each page checked as ``shape``, privx/answers.py), read
    as it is consumed; stops at ``count`` or a short page. Raises what :meth:`PrivXClient.request` raises, and
    :class:`PrivXAPIError` for a page of another shape."""
    offset = 0
    while True:
        answer = px.request(method, path, json_body=body, params={"offset": offset, "limit": page}, shape=shape)
        items: list[dict[str, Any]] = answer.get("items") or []
        if items:
            yield items
        offset += len(items)
        count = answer.get("count")
        if len(items) < page or (isinstance(count, int) and offset >= count):
            return


def directory_users(px: PrivXClient, directory_id: str, *, keywords: str = "") -> Iterator[dict[str, Any]]:
    """Every PrivX user of the directory (``users/search`` with ``source``; ``keywords`` narrows the search), as
    PrivX answers them (Go SDK ``rolestore.User``). Users of other directories a server might add are dropped."""
    body: dict[str, Any] = {"source": directory_id}
    if keywords:
        body["keywords"] = keywords
    for items in pages(px, "POST", USERS_SEARCH_PATH, body=body, shape=answers.Users):
        yield from (u for u in items if u.get("source") in (None, directory_id) and u.get("id"))


def is_person(user: Mapping[str, Any], *, sub: str, email: str) -> bool:
    """Whether a PrivX user record is this Cognito user's: their ``sub`` as ``source_user_id``, or their email as
    the record's email or principal (a person deleted and added again keeps the email, not the ``sub``)."""
    folded = email.casefold()
    if sub and user.get("source_user_id") == sub:
        return True
    return any(str(user.get(k) or "").casefold() == folded for k in ("email", "principal")) if folded else False


def find_person(px: PrivXClient, directory_id: str, *, sub: str, email: str) -> list[dict[str, Any]]:
    """The PrivX user records of one Cognito user in our directory (none: never signed in to PrivX).

    A keyword search for the email comes first (one call); how PrivX matches keywords is not published, so when it
    finds nobody the whole directory is read (its pages) before "none" is believed. Raises
    :class:`PrivXPermissionError` naming ``users-view``."""
    try:
        found = [u for u in directory_users(px, directory_id, keywords=email) if is_person(u, sub=sub, email=email)]
        if not found:
            found = [u for u in directory_users(px, directory_id) if is_person(u, sub=sub, email=email)]
    except PrivXPermissionError as e:
        raise _denied("find", "", e) from e
    return found


def _valid(session: Mapping[str, Any]) -> bool:
    return session.get("logged_out") is not True


def user_sessions(px: PrivXClient, user_id: str) -> list[dict[str, Any]]:
    """The user's valid login sessions (Go SDK ``GetUserSessions``; a logged-out one a server lists is dropped)."""
    listing = pages(px, "GET", f"{SESSIONS_PATH}/users/{user_id}/sessions", shape=answers.Sessions)
    return [s for items in listing for s in items if _valid(s)]


def directory_sessions(px: PrivXClient, directory_id: str) -> Iterator[dict[str, Any]]:
    """Every valid login session of the directory's users (Go SDK ``GetSourceSessions``), page by page."""
    for items in pages(px, "GET", f"{SESSIONS_PATH}/sources/{directory_id}/sessions", shape=answers.Sessions):
        yield from (s for s in items if _valid(s))


def live_connections(px: PrivXClient, user_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The open connections of these users (Go SDK ``SearchConnections``, ``status`` ``CONNECTED``), page by page;
    at most :data:`PAGE` users a search."""
    for start in range(0, len(user_ids), PAGE):
        ids = list(user_ids[start : start + PAGE])
        body = {"user_id": ids, "status": [LIVE]}
        for items in pages(px, "POST", CONNECTIONS_SEARCH_PATH, body=body, shape=answers.Connections):
            yield from (c for c in items if c.get("status") == LIVE and (c.get("user") or {}).get("id") in ids)


@dataclass(frozen=True)
class EndedAccess:
    """What ending one person's live PrivX access did: their records found, sessions and connections ended;
    ``held``: the lost groups the ended records still held (a stale-only pass), for the words."""

    records: int
    sessions: int
    connections: int
    held: tuple[str, ...] = ()

    def words(self) -> str:
        """``"2 PrivX sessions ended, 1 connection ended"``; ``"no PrivX session or connection"``; or
        ``"never signed in to PrivX"`` when the directory has no record of them."""
        if not self.records:
            return "never signed in to PrivX"
        if not (self.sessions or self.connections):
            return "no PrivX session or connection"
        held = f" (it held group{'s' if len(self.held) > 1 else ''} {', '.join(self.held)})" if self.held else ""
        return f"{_count(self.sessions, 'PrivX session')} ended, {_count(self.connections, 'connection')} ended{held}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def end_user(px: PrivXClient, user_id: str, *, done: Callable[[], str] = lambda: "") -> tuple[int, int]:
    """End one PrivX user's valid sessions and open connections: (sessions, connections) ended.

    Each is listed first (so the count is what was live) and terminated only when something is live, so a re-run
    over an ended user writes nothing. Raises :class:`PrivXPermissionError` naming the missing permission, its
    message starting with ``done()`` (what the command did already)."""
    steps = ("list sessions", "end sessions", "list connections", "end connections")
    step, sessions, connections = steps[0], 0, 0
    try:
        sessions = len(user_sessions(px, user_id))
        step = steps[1]
        if sessions:
            px.request("POST", f"{SESSIONS_PATH}/users/{user_id}/sessions/terminate")
        step = steps[2]
        connections = sum(1 for _ in live_connections(px, [user_id]))
        step = steps[3]
        if connections:
            px.request("POST", f"{TERMINATE_CONNECTIONS_PATH}/{user_id}")
    except PrivXPermissionError as e:
        ended = f"{_count(sessions, 'PrivX session')} ended" if step in steps[2:] and sessions else ""
        raise _denied(step, "; ".join(p for p in (done(), ended) if p), e) from e
    return sessions, connections


def end_person(
    px: PrivXClient, directory_id: str, *, sub: str, email: str, done: Callable[[], str] = lambda: ""
) -> EndedAccess:
    """End every live session and connection of one Cognito user's records in our directory.

    ``done()`` says what the command changed before (it starts the message of a refusal). Raises
    :class:`PrivXPermissionError` (the permission named) and what the client raises."""
    records = find_person(px, directory_id, sub=sub, email=email)
    sessions = connections = 0
    for record in records:
        s, c = end_user(px, str(record["id"]), done=done)
        sessions, connections = sessions + s, connections + c
    return EndedAccess(len(records), sessions, connections)


def end_users(px: PrivXClient, user_ids: Iterable[str]) -> tuple[int, int]:
    """End the sessions and connections of several PrivX users: totals (sessions, connections)."""
    sessions = connections = 0
    for user_id in user_ids:
        s, c = end_user(px, user_id)
        sessions, connections = sessions + s, connections + c
    return sessions, connections


__all__ = [
    "PAGE",
    "PERMISSIONS",
    "EndedAccess",
    "directory_sessions",
    "directory_users",
    "end_person",
    "end_user",
    "end_users",
    "find_person",
    "is_person",
    "live_connections",
    "pages",
    "user_sessions",
]
