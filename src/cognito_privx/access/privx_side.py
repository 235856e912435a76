"""The PrivX side of an access review, read whole before the pool is walked: every user record of our directory
(``users/search`` with ``source``, pages of 1000), their valid login sessions (the directory's session listing,
pages) and their open connections (``connections/search``, 1000 user ids a call), indexed for the join by
``source_user_id`` (the Cognito ``sub``) and by casefolded email.

Roles: PrivX's ``rolestore.User`` carries the roles a user holds now (privx-sdk-go ``api/rolestore/model.go``:
``Roles []Role `json:"roles"```, no ``omitempty``), and the emulator fills it in. Whether every PrivX version
computes it in search answers is not published, so each item is judged on its own: a ``roles`` list is used, and an
item without one (missing or ``null``) has its roles read with ``GET /users/{id}/roles`` (privx-sdk-go
``GetUserRoles``). :attr:`PrivXSide.roles_from` says which it took (``search``, ``per user`` or ``mixed``).

Memory: one small :class:`Record` per PrivX user of the directory and two counters; no session or connection
object is kept.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_privx.desired import is_rehearsal
from cognito_privx.privx import sessions
from cognito_privx.privx.client import PrivXClient


@dataclass(frozen=True)
class Record:
    """One PrivX user of our directory, as much of it as the review needs."""

    id: str
    sub: str  # source_user_id: the Cognito sub
    email: str
    principal: str
    tags: tuple[str, ...]  # the groups PrivX took from the ID token at the last login
    roles: tuple[str, ...]  # role names, sorted

    @property
    def rehearsal(self) -> bool:
        """Whether the record is ``doctor --login``'s rehearsal identity (this version's or an older one's)."""
        return is_rehearsal(self.email) or is_rehearsal(self.principal)

    @property
    def shown_email(self) -> str:
        return self.email or self.principal or self.sub


def _role_names(items: Any) -> tuple[str, ...]:
    return tuple(sorted({str(r.get("name") or r.get("id")) for r in items if isinstance(r, Mapping)}))


@dataclass
class PrivXSide:
    """Our directory's users, their sessions and connections, indexed for the join with Cognito."""

    directory_id: str
    records: dict[str, Record] = field(default_factory=dict)  # by PrivX user id
    by_sub: dict[str, list[str]] = field(default_factory=dict)
    by_email: dict[str, list[str]] = field(default_factory=dict)
    sessions: collections.Counter[str] = field(default_factory=collections.Counter)  # PrivX user id -> valid
    connections: collections.Counter[str] = field(default_factory=collections.Counter)  # -> open (CONNECTED)
    roles_searched: int = 0
    roles_read: int = 0

    @classmethod
    def read(cls, px: PrivXClient, directory_id: str) -> PrivXSide:
        """Read our directory's users, sessions and connections: ``ceil(users/1000)`` searches, ``ceil(sessions/
        1000)`` session pages, ``ceil(users/1000)`` connection searches (at least one page each), plus one roles
        read per user whose search item lacks ``roles``. Raises what :class:`PrivXClient` raises (a refusal names
        the permission: ``users-view``, ``connections-view``)."""
        side = cls(directory_id)
        for user in sessions.directory_users(px, directory_id):
            side._add(px, user)
        for session in sessions.directory_sessions(px, directory_id):
            user_id = str(session.get("user_id") or "")
            if user_id in side.records:
                side.sessions[user_id] += 1
        for connection in sessions.live_connections(px, list(side.records)):
            user_id = str((connection.get("user") or {}).get("id") or "")
            if user_id in side.records:
                side.connections[user_id] += 1
        return side

    def _add(self, px: PrivXClient, user: Mapping[str, Any]) -> None:
        user_id = str(user["id"])
        listed = user.get("roles")
        if isinstance(listed, list):
            roles = _role_names(listed)
            self.roles_searched += 1
        else:
            roles = _role_names(px.user_roles(user_id))
            self.roles_read += 1
        tags = user.get("tags") or []
        record = Record(
            id=user_id,
            sub=str(user.get("source_user_id") or ""),
            email=str(user.get("email") or ""),
            principal=str(user.get("principal") or ""),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            roles=roles,
        )
        self.records[user_id] = record
        if record.sub:
            self.by_sub.setdefault(record.sub, []).append(user_id)
        for address in {record.email.casefold(), record.principal.casefold()} - {""}:
            self.by_email.setdefault(address, []).append(user_id)

    def of_person(self, sub: str, email: str) -> list[Record]:
        """The records of one Cognito user: theirs by ``sub``, and by email (a person deleted and added again has
        a new ``sub``; PrivX keeps the old record, which still holds roles)."""
        ids = list(self.by_sub.get(sub, [])) if sub else []
        if email:
            ids += self.by_email.get(email.casefold(), [])
        return [self.records[i] for i in dict.fromkeys(ids)]

    @property
    def roles_from(self) -> str:
        """``search`` (every item carried its roles), ``per user`` (none did) or ``mixed``."""
        if not self.roles_read:
            return "search"
        return "per user" if not self.roles_searched else "mixed"


__all__ = ["PrivXSide", "Record"]
