"""PrivX's login sessions (the auth service's session storage) and their routes (choice 20 in :mod:`.core`).

Routes and shapes from privx-sdk-go ``api/auth/client.go`` (``GetUserSessions``, ``GetSourceSessions``,
``SearchSessions``, ``TerminateSession``, ``TerminateUserSessions``: "sessions-storage APIs from v27") and
``api/auth/model.go`` (``Session``, ``SessionSearch``); the same paths in privx-sdk-for-python
``privx_api/enums.py`` (``AUTH.USER_SESSIONS`` … ``AUTH.TERMINATE_USER_SESSIONS``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.wire import (
    Call,
    EmulatorResponse,
    RouteSpec,
    invalid,
    json_object,
    json_response,
    not_found,
    page,
)

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator
    from cognito_privx.sandbox.emulator.refresh import IdpGrant

_PATH = "/auth/api/v1/sessionstorage"
DEFAULT_SESSION_TTL = 12 * 3600.0  # unverified: PrivX's ``session_valid`` default is not published
_SORT_KEYS = ("created", "updated", "expires", "username", "type", "id")
_SEARCH_FIELDS = ("keywords", "user_id", "type")


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Sessions:
    """Every session ever opened, by id; ``valid`` ones are not logged out and not past ``expires`` (by
    ``clock``). Reads ``token_ttl`` and ``session_ttl`` from the emulator when a session opens.

    A session opened by a login through the IdP keeps what the IdP gave for it (:class:`.refresh.IdpGrant`, its
    refresh token among it) in ``idp_grants``, apart from the session itself, so that no answer ever shows it
    (choice 22)."""

    def __init__(self, emu: PrivXEmulator, clock: Callable[[], float]) -> None:
        self._emu = emu
        self._clock = clock
        self.by_id: dict[str, dict[str, Any]] = {}
        self._ends: dict[str, float] = {}  # session id -> end by clock
        self.idp_grants: dict[str, IdpGrant] = {}  # session id -> the IdP's refresh token and what it needs

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", f"{_PATH}/users/(?P<id>[^/]+)/sessions", "users-view", self._by_user),
            ("GET", f"{_PATH}/sources/(?P<id>[^/]+)/sessions", "users-view", self._by_source),
            ("POST", f"{_PATH}/sessions/search", "users-view", self._search),
            ("POST", f"{_PATH}/sessions/(?P<id>[^/]+)/terminate", "users-manage", self._terminate_one),
            ("POST", f"{_PATH}/users/(?P<id>[^/]+)/sessions/terminate", "users-manage", self._terminate_user),
        ]

    def clear(self) -> None:
        self.by_id.clear()
        self._ends.clear()
        self.idp_grants.clear()

    def open(
        self, user: dict[str, Any], remote_addr: str = "", user_agent: str = "", idp: IdpGrant | None = None
    ) -> str:
        """A new session for ``user`` (a stored user), as a successful login makes: its id. ``idp``: what a login
        through the IdP got for a later refresh (choice 22); None for a login the harness made."""
        sid = str(uuid.uuid4())
        start = datetime.now(UTC)
        ttl = self._emu.session_ttl
        self.by_id[sid] = {
            "id": sid,
            "user_id": user["id"],
            "source_id": user["source"],
            "domain": "",
            "username": user.get("principal", ""),
            "remote_addr": remote_addr,
            "user_agent": user_agent,
            "type": "user",
            "created": _stamp(start),
            "updated": _stamp(start),
            "expires": _stamp(start + timedelta(seconds=ttl)),
            "token_expires": _stamp(start + timedelta(seconds=min(self._emu.token_ttl, ttl))),
            "logged_out": False,
        }
        self._ends[sid] = self._clock() + ttl
        if idp is not None:
            self.idp_grants[sid] = idp
        return sid

    def is_valid(self, sid: str) -> bool:
        s = self.by_id.get(sid)
        return s is not None and not s["logged_out"] and self._clock() < self._ends[sid]

    def valid(self) -> list[dict[str, Any]]:
        return [s for sid, s in self.by_id.items() if self.is_valid(sid)]

    def end(self, sid: str) -> bool:
        """Log ``sid`` out: True if it was valid."""
        was = self.is_valid(sid)
        s = self.by_id[sid]
        if not s["logged_out"]:
            s["logged_out"] = True
            s["updated"] = _stamp(datetime.now(UTC))
        self.idp_grants.pop(sid, None)  # an ended session is never refreshed: PrivX has no use for the token
        return was

    def forget_users(self, user_ids: set[str]) -> None:
        for sid in [sid for sid, s in self.by_id.items() if s["user_id"] in user_ids]:
            del self.by_id[sid]
            del self._ends[sid]
            self.idp_grants.pop(sid, None)

    # -- routes -------------------------------------------------------------------------------------

    def _by_user(self, call: Call) -> EmulatorResponse:
        mine = [s for s in self.valid() if s["user_id"] == call.params["id"]]
        return json_response(200, page(mine, call.query, _SORT_KEYS, "created"))

    def _by_source(self, call: Call) -> EmulatorResponse:
        if call.params["id"] not in self._emu.sources:
            raise not_found("source", call.params["id"])
        theirs = [s for s in self.valid() if s["source_id"] == call.params["id"]]
        return json_response(200, page(theirs, call.query, _SORT_KEYS, "created"))

    def _search(self, call: Call) -> EmulatorResponse:
        fields = json_object(call.body)
        for key, value in fields.items():
            if key not in _SEARCH_FIELDS:
                raise invalid(key, f"is not a session search field; known: {sorted(_SEARCH_FIELDS)}")
            if not isinstance(value, str):
                raise invalid(key, "must be a string")
        words = fields.get("keywords", "").lower().split()
        found = []
        # Every stored session, logged out ones too (choice 20): a caller must read ``logged_out``.
        for s in self.by_id.values():
            if fields.get("user_id") and s["user_id"] != fields["user_id"]:
                continue
            if fields.get("type") and s["type"] != fields["type"]:
                continue
            text = " ".join(str(s[k]) for k in ("username", "remote_addr", "user_agent", "domain")).lower()
            if all(w in text for w in words):
                found.append(s)
        return json_response(200, page(found, call.query, _SORT_KEYS, "created"))

    def _terminate_one(self, call: Call) -> EmulatorResponse:
        sid = call.params["id"]
        if sid not in self.by_id:
            raise not_found("session", sid)
        self.end(sid)
        return EmulatorResponse(200)

    def _terminate_user(self, call: Call) -> EmulatorResponse:
        uid = call.params["id"]
        if uid not in self._emu.users:
            raise not_found("user", uid)
        for sid, s in list(self.by_id.items()):
            if s["user_id"] == uid:
                self.end(sid)
        return EmulatorResponse(200)
