"""Ending a person's live PrivX access for the user commands (issue 21): :class:`PrivXOffboarding`, the hook
``PoolUsers.end_privx`` calls after a Cognito sign-out (disable-user, remove-user, a demoting set-group or import
row), and :func:`live_access` / :func:`end_live_access`, what teardown ends before it removes our directory.

The PrivX side is opened only when a person's access is to be ended: a command that takes nothing away needs no
PrivX credentials. Our directory is the one :func:`privx.find_directories` calls ours (issuer and marker), found
once per run; none (setup never ran) means there is nothing to end. ``batch`` (import-users) reads the directory's
users once per run into an index (``source_user_id``, and the casefolded email and principal) instead of a search
per row, so the PrivX calls of an import grow with its demoted rows, not its unchanged ones; every call goes
through :class:`~cognito_privx.privx.PrivXClient` (its retry policy: throttling and 5xx repeated) and one lock
(the import's worker threads share one client and one index).

Every failure is a :class:`~cognito_privx.errors.PrivXError` (exit 1) whose message starts with what the command
did already (``done()``) and whose hint says a re-run finishes: no credentials, PrivX unreachable, a permission
the API client lacks (named).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cognito_privx import privx
from cognito_privx.config import fold_group
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CredentialsError, PrivXError, PrivXPermissionError, UsageError
from cognito_privx.privx import sessions
from cognito_privx.reconcile.observation import pool_identity

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef

    from cognito_privx.users.offboard import Stale

URL_VARIABLE = "PRIVX_API_BASE_URL"
CREDENTIAL_VARIABLES = "PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET"
_UNSET = object()


def _prefixed(done: str, e: PrivXError, hint: str | None = None) -> PrivXError:
    """``e`` with ``done`` in front of its message (once), the same class, status and permission."""
    message = e.message if not done or e.message.startswith(done) else f"{done}; {e.message}"
    again = type(e)(message, hint or e.hint, status=e.status)
    if isinstance(e, PrivXPermissionError) and isinstance(again, PrivXPermissionError):
        again.permission = e.permission
    return again


@dataclass
class PrivXOffboarding:
    """``(email, sub, done) -> EndedAccess | None``: end one person's live sessions and connections in our
    directory (``None``: this pool has no PrivX directory). ``desired`` gives the run's desired state and
    ``open_client`` the PrivX client (raising :class:`CredentialsError` when the environment holds none), both
    called at the first person only; ``pool`` is our pool as described."""

    desired: Callable[[], DesiredState]
    pool: UserPoolTypeTypeDef | None
    open_client: Callable[[], privx.PrivXClient]
    batch: bool = False
    _px: privx.PrivXClient | None = field(default=None, init=False, repr=False)
    _directory: Any = field(default=_UNSET, init=False, repr=False)
    _index: dict[str, list[dict[str, Any]]] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __call__(
        self, email: str, sub: str, done: Callable[[], str], /, *, stale: Stale | None = None
    ) -> sessions.EndedAccess | None:
        with self._lock:
            if stale is not None and self.batch and self._index is None:
                return sessions.EndedAccess(0, 0, 0)  # an import row that takes nothing away: PrivX not read for it
            try:
                px = self._client()
                directory = self._directory_id(px)
                if directory is None:
                    return None
                records = self._records(px, directory, sub=sub, email=email)
                held: dict[str, None] = {}
                if stale is not None:
                    lost = _lost_groups(stale)
                    records = [r for r in records if any(fold_group(t) in lost for t in _tags(r))]
                    held = {t: None for r in records for t in _tags(r) if fold_group(t) in lost}
                ended_sessions = ended_connections = 0
                for record in records:
                    s, c = sessions.end_user(px, str(record["id"]), done=done)
                    ended_sessions, ended_connections = ended_sessions + s, ended_connections + c
                return sessions.EndedAccess(len(records), ended_sessions, ended_connections, tuple(held))
            except CredentialsError as e:
                if stale is not None:
                    return sessions.EndedAccess(0, 0, 0)  # nothing taken away: PrivX is not required
                if "no PrivX API credentials" not in e.message:
                    raise PrivXError(f"{done()}; PrivX sessions not ended: {e.message}", _again(e.hint)) from e
                raise PrivXError(
                    f"{done()}; PrivX sessions not ended: no PrivX API credentials",
                    f"export {CREDENTIAL_VARIABLES} (or PRIVX_API_BEARER_TOKEN), and {URL_VARIABLE} unless the "
                    "config sets [privx] url, then run the command again to finish",
                ) from e
            except UsageError as e:  # the config's PrivX part (a user command reads it only now)
                if stale is not None:
                    return sessions.EndedAccess(0, 0, 0)
                raise PrivXError(f"{done()}; PrivX sessions not ended: {e.message}", _again(e.hint)) from e
            except PrivXPermissionError as e:
                raise _prefixed(done(), e) from e
            except PrivXError as e:
                raise PrivXError(f"{done()}; PrivX sessions not ended: {e.message}", _again(e.hint)) from e

    def close(self) -> None:
        """Close the PrivX client, if one was opened."""
        if self._px is not None:
            self._px.http.close()

    def _client(self) -> privx.PrivXClient:
        if self._px is None:
            self._px = self.open_client()
        return self._px

    def _directory_id(self, px: privx.PrivXClient) -> str | None:
        if self._directory is _UNSET:
            desired = self.desired()
            found = privx.find_directories(px, desired.directory.name, pool_identity(desired, self.pool))
            self._directory = None if found.ours is None else str(found.ours["id"])
        return self._directory  # type: ignore[no-any-return]

    def _records(self, px: privx.PrivXClient, directory: str, *, sub: str, email: str) -> list[dict[str, Any]]:
        """This person's PrivX user records: by a search (one person), or from the run's index."""
        if not self.batch:
            return sessions.find_person(px, directory, sub=sub, email=email)
        if self._index is None:
            try:
                self._index = _index(sessions.directory_users(px, directory))
            except PrivXPermissionError as e:
                raise _denied("find", e) from e
        keys = [k for k in (f"sub:{sub}" if sub else "", f"email:{email.casefold()}" if email else "") if k]
        found = {str(r["id"]): r for k in keys for r in self._index.get(k, [])}
        return list(found.values())


def _tags(record: dict[str, Any]) -> list[str]:
    """A PrivX user record's ``tags`` (the group claim's values at their last login; none when PrivX lists none)."""
    tags = record.get("tags")
    return [str(t) for t in tags] if isinstance(tags, list) else [str(tags)] if isinstance(tags, str) else []


def _lost_groups(stale: Stale) -> set[str]:
    """The folded [roles] groups the person does not have now: a record's tag among them grants a lost role.
    Folded as PrivX compares groups (docs/users-and-groups.md); a tag outside [roles] grants nothing."""
    return {fold_group(g) for g in stale.role_groups} - {fold_group(g) for g in stale.groups}


def _again(hint: str | None) -> str:
    return f"{hint + '; ' if hint else ''}then run the command again to finish"


def _index(users: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Our directory's users (records) by ``sub:<source_user_id>`` and ``email:<casefolded email or principal>``."""
    index: dict[str, list[dict[str, Any]]] = {}
    for user in users:
        keys = {f"sub:{user['source_user_id']}"} if user.get("source_user_id") else set()
        keys |= {f"email:{str(user[k]).casefold()}" for k in ("email", "principal") if user.get(k)}
        for key in keys:
            index.setdefault(key, []).append(user)
    return index


@dataclass(frozen=True)
class LiveAccess:
    """What is live in our directory: its users' valid sessions (by user id) and open connections."""

    sessions: dict[str, int]
    connections: dict[str, int]

    @property
    def users(self) -> list[str]:
        return sorted(set(self.sessions) | set(self.connections))

    def words(self) -> str:
        """``"ends 3 live PrivX sessions and 1 connection of 2 users"``; ``""`` when nothing is live."""
        if not self.users:
            return ""
        s, c, u = sum(self.sessions.values()), sum(self.connections.values()), len(self.users)
        return (
            f"ends {s} live PrivX session{'' if s == 1 else 's'} and {c} connection{'' if c == 1 else 's'} "
            f"of {u} user{'' if u == 1 else 's'}"
        )


def live_access(px: privx.PrivXClient, directory_id: str) -> LiveAccess:
    """Every valid session and open connection of our directory's users (read only). Raises
    :class:`PrivXPermissionError` naming the permission (``users-view``, ``connections-view``)."""
    step = "list sessions"
    try:
        by_session: dict[str, int] = {}
        for s in sessions.directory_sessions(px, directory_id):
            user = str(s.get("user_id") or "")
            if user:
                by_session[user] = by_session.get(user, 0) + 1
        users = [str(u["id"]) for u in sessions.directory_users(px, directory_id)]
        step = "list connections"
        by_connection: dict[str, int] = {}
        for c in sessions.live_connections(px, users):
            user = str((c.get("user") or {}).get("id") or "")
            by_connection[user] = by_connection.get(user, 0) + 1
    except PrivXPermissionError as e:
        raise _denied(step, e) from e
    return LiveAccess(by_session, by_connection)


def end_live_access(px: privx.PrivXClient, live: LiveAccess) -> None:
    """End the sessions and connections :func:`live_access` found (per user; nothing live then: no write)."""
    sessions.end_users(px, live.users)


_STEP_WORDS = {
    "find": "read our directory's users",
    "list sessions": "list the sessions of our directory's users",
    "list connections": "list the connections of our directory's users",
}


def _denied(step: str, e: PrivXPermissionError) -> PrivXPermissionError:
    permission = sessions.PERMISSIONS[step]
    error = PrivXPermissionError(
        f"PrivX refused to {_STEP_WORDS[step]}: {e.message}",
        f"give the API client's PrivX role the permission {permission} (docs/permissions.md#privx), then run again",
        status=e.status,
    )
    error.permission = permission
    return error


__all__ = ["LiveAccess", "PrivXOffboarding", "end_live_access", "live_access"]
