"""The admin routes: paths under ``/_emulator/`` are the test harness's own.

They need no token, are never recorded (so never in ``requests`` or :meth:`PrivXEmulator.write_requests`) and
never faulted. Errors use the PrivX error body.

- ``GET /_emulator/state`` → 200 ``{"sources": [...], "roles": [...], "users": [...], "requests": [{method,
  path, status, fault}], "logins": [...], "faults": [{...fault fields, "seen"}], "config": {"token_ttl"},
  "variant": {rule_grammar, login_route, attribute_mapping, resolve_unknown, rotated_refresh_token}}``; ``logins`` as
  :attr:`PrivXEmulator.logins` (choice 19 of :mod:`.core`); everything as stored: sources are **not**
  masked, roles have no ``member_count`` and users no ``roles``/``permissions`` (those are computed on reads).
- ``POST /_emulator/reset`` → 200, empty body: same as :meth:`PrivXEmulator.reset` (built-ins only, no
  tokens, no recorded requests or logins, **no faults**; API clients, configuration and variant are kept).
- ``POST /_emulator/users`` body ``{"source_id", "claims": {...}}`` → 201 ``{"id"}`` for a new user, 200 for
  one updated by a later login with the same ``sub``: :meth:`PrivXEmulator.login_user` over HTTP (choice 14 of
  :mod:`.core`). A login PrivX would refuse answers its PrivX error (404 unknown directory, 400 otherwise,
  403 without ``oidc_allow_login_tag``).
- ``POST /_emulator/faults`` body ``{"path", "method"?, "nth"?, "times"?, "status"?, "retry_after"?,
  "latency"?, "drop"?}`` → 201 with the fault as stored. Unknown keys, wrong types, ``nth``/``times`` < 1, a
  status outside 400-599, a negative or non-finite number, a latency over 60 s, a ``retry_after`` over 3600
  s, a path not starting with ``/`` or with ``*`` anywhere but the end, or not exactly one effect → 400
  ``INVALID_PARAMETER`` / ``MISSING_PARAMETER`` with ``property`` (``fault`` for the effect count).
- ``DELETE /_emulator/faults`` → 200 ``{"cleared": <number of active faults removed>}``.
- ``POST /_emulator/config`` body ``{"token_ttl"?, "session_ttl"?: <seconds > 0>}`` → 200 with the
  configuration. A new TTL applies to tokens granted (sessions opened) afterwards; those already out keep theirs.
- ``POST /_emulator/connections`` body ``{"user_id", "host"}`` → 201 ``{"id"}``: a live connection of a PrivX
  user to a host, as an SSH session through PrivX would open (choice 21 of :mod:`.core`); 404 for an unknown
  user.
- ``POST /_emulator/permissions`` body ``{"client_id", "permissions": [...]}`` → 200 ``{"client_id",
  "permissions"}``: replace an API client's permissions (its PrivX role's), e.g. to take
  ``connections-terminate`` away; tokens already granted follow at once. 404 for an unknown client, 400 for an
  unknown permission.

- ``POST /_emulator/sessions/refresh`` body optional ``{"user_id"?: <user id>}`` → 200 ``{"refreshed", "ended",
  "skipped": <counts>, "sessions": [{"id", "user_id", "outcome": "refreshed" | "ended" | "skipped", "error"?}]}``:
  PrivX uses the IdP's refresh token of each valid session (of that user), as :meth:`PrivXEmulator.refresh_sessions`
  (choice 22 of :mod:`.core`; :mod:`.refresh`). The IdP is asked with the emulator's lock released, so other
  requests are answered meanwhile. An unknown user is 404 ``OBJECT_NOT_FOUND``, another key or a ``user_id`` not a
  string 400 ``INVALID_PARAMETER``. Refresh tokens appear in no answer, this one and ``state`` included.

``state`` also has ``sessions`` (every session, ended ones with ``logged_out: true``; ``valid`` says whether it
is valid now; never an IdP refresh token), ``refreshes`` (:attr:`PrivXEmulator.refreshes`), ``connections``
(every connection; ``status`` ``CONNECTED`` or ``DISCONNECTED``) and ``api_clients`` (client id → permissions).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.faults import Fault, FaultRegistry, InvalidFault
from cognito_privx.sandbox.emulator.wire import (
    ALL_PERMISSIONS,
    ApiError,
    EmulatorResponse,
    deferred,
    invalid,
    is_number,
    json_object,
    json_response,
    method_not_allowed,
    missing,
    no_such_endpoint,
    not_found,
)

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.auth import Auth
    from cognito_privx.sandbox.emulator.connections import Connections
    from cognito_privx.sandbox.emulator.core import PrivXEmulator
    from cognito_privx.sandbox.emulator.refresh import SessionRefresh
    from cognito_privx.sandbox.emulator.sessions import Sessions

PREFIX = "/_emulator/"
_FAULT_FIELDS = frozenset({"method", "path", "nth", "times", "status", "retry_after", "latency", "drop"})


class Admin:
    """Answers the admin routes; the emulator calls :meth:`answer` with its lock held."""

    def __init__(
        self,
        emu: PrivXEmulator,
        faults: FaultRegistry,
        reset: Callable[[], None],
        login: Callable[[Any, Any], tuple[str, bool]],
    ) -> None:
        self._emu = emu
        self._faults = faults
        self._reset = reset
        self._login = login
        self._routes: dict[tuple[str, str], Callable[[bytes], EmulatorResponse]] = {
            ("GET", f"{PREFIX}state"): self._state,
            ("POST", f"{PREFIX}reset"): self._do_reset,
            ("POST", f"{PREFIX}faults"): self._add_fault,
            ("DELETE", f"{PREFIX}faults"): self._clear_faults,
            ("POST", f"{PREFIX}config"): self._config,
            ("POST", f"{PREFIX}users"): self._login_user,
            ("POST", f"{PREFIX}connections"): self._open_connection,
            ("POST", f"{PREFIX}permissions"): self._set_permissions,
            ("POST", f"{PREFIX}sessions/refresh"): self._refresh_sessions,
        }
        self._auth: Auth | None = None
        self._connections: Connections | None = None
        self._sessions: Sessions | None = None
        self._refresh: SessionRefresh | None = None

    def harness(self, auth: Auth, connections: Connections, sessions: Sessions, refresh: SessionRefresh) -> None:
        """The parts behind ``/_emulator/permissions``, ``/_emulator/connections``, ``/_emulator/sessions/refresh``
        and the state's sessions."""
        self._auth, self._connections, self._sessions, self._refresh = auth, connections, sessions, refresh

    def answer(self, method: str, path: str, body: bytes) -> EmulatorResponse:
        try:
            handler = self._routes.get((method, path))
            if handler is not None:
                return handler(body)
            if allowed := [m for m, p in self._routes if p == path]:
                raise method_not_allowed(method, path, allowed)
            raise no_such_endpoint(method, path)
        except ApiError as e:
            return e.response()

    def _settings(self) -> dict[str, Any]:
        return {"token_ttl": self._emu.token_ttl, "session_ttl": self._emu.session_ttl}

    def _state(self, _body: bytes) -> EmulatorResponse:
        emu = self._emu
        state = {
            "sources": copy.deepcopy(list(emu.sources.values())),
            "roles": copy.deepcopy(list(emu.roles.values())),
            "users": copy.deepcopy(list(emu.users.values())),
            "requests": [asdict(r) for r in emu.requests],
            "logins": copy.deepcopy(emu.logins),
            "sessions": [
                copy.deepcopy(s) | {"valid": self._sessions.is_valid(sid)} if self._sessions else s
                for sid, s in emu.sessions.items()
            ],
            "refreshes": copy.deepcopy(emu.refreshes),
            "connections": copy.deepcopy(list(emu.connections.values())),
            "api_clients": self._auth.permissions() if self._auth else {},
            "faults": self._faults.snapshot(),
            "config": self._settings(),
            "variant": asdict(emu.variant),
        }
        return json_response(200, state)

    def _do_reset(self, _body: bytes) -> EmulatorResponse:
        self._reset()
        return EmulatorResponse(200)

    def _add_fault(self, body: bytes) -> EmulatorResponse:
        fields = json_object(body)
        for key in fields:
            if key not in _FAULT_FIELDS:
                raise invalid(key, f"is not a fault field; known: {sorted(_FAULT_FIELDS)}")
        if "path" not in fields:
            raise missing("path")
        try:
            fault = Fault(**fields)
        except InvalidFault as e:
            raise invalid(e.prop, e.why) from None
        self._faults.add(fault)
        return json_response(201, asdict(fault))

    def _login_user(self, body: bytes) -> EmulatorResponse:
        fields = json_object(body)
        for key in fields:
            if key not in ("source_id", "claims"):
                raise invalid(key, "is not a login field; known: ['claims', 'source_id']")
        if "claims" not in fields:
            raise missing("claims")
        user_id, created = self._login(fields.get("source_id"), fields["claims"])
        return json_response(201 if created else 200, {"id": user_id})

    def _clear_faults(self, _body: bytes) -> EmulatorResponse:
        return json_response(200, {"cleared": self._faults.clear()})

    def _config(self, body: bytes) -> EmulatorResponse:
        fields = json_object(body)
        for key, value in fields.items():
            if key not in ("token_ttl", "session_ttl"):
                raise invalid(key, "is not a setting; known: ['session_ttl', 'token_ttl']")
            if not is_number(value) or value <= 0:
                raise invalid(key, "must be a number of seconds > 0")
        for key, value in fields.items():
            setattr(self._emu, key, float(value))
        return json_response(200, self._settings())

    def _open_connection(self, body: bytes) -> EmulatorResponse:
        assert self._connections is not None
        return json_response(201, {"id": self._connections.open(json_object(body))})

    def _refresh_sessions(self, body: bytes) -> EmulatorResponse:
        """Checked here (lock held); the refresh itself runs once the lock is released."""
        assert self._refresh is not None
        fields = json_object(body) if body.strip() else {}
        for key in fields:
            if key != "user_id":
                raise invalid(key, "is not a refresh field; known: ['user_id']")
        user_id = fields.get("user_id")
        if user_id is not None and not isinstance(user_id, str):
            raise invalid("user_id", "must be a string")
        self._refresh.check_user(user_id)
        refresh = self._refresh
        return deferred(lambda: json_response(200, refresh.run(user_id)))

    def _set_permissions(self, body: bytes) -> EmulatorResponse:
        assert self._auth is not None
        fields = json_object(body)
        for key in fields:
            if key not in ("client_id", "permissions"):
                raise invalid(key, "is not a field; known: ['client_id', 'permissions']")
        for key in ("client_id", "permissions"):
            if key not in fields:
                raise missing(key)
        client_id, perms = fields["client_id"], fields["permissions"]
        if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
            raise invalid("permissions", "must be a list of strings")
        if unknown := set(perms) - ALL_PERMISSIONS:
            raise invalid("permissions", f"unknown {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}")
        if not isinstance(client_id, str) or client_id not in self._auth.permissions():
            raise not_found("API client", str(client_id))
        self._auth.set_permissions(client_id, perms)
        return json_response(200, {"client_id": client_id, "permissions": sorted(set(perms))})
