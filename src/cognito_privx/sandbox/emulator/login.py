"""The direct login into one OIDC directory, with PrivX as the relying party (choices 17 and 19 in :mod:`.core`).

The emulator serves exactly one of two login routes, as its variant's ``login_route`` says; the other is 404:

- ``authorize`` (default): PrivX's documented ``GET /auth/api/v1/oauth/authorize`` with ``oidc_id`` (the auth API
  reference lists it; Go SDK v1 ``Params.OidcID``). Go SDK v2 ``oauth/authcode.go`` calls it with
  ``client_id=privx-ui``, ``redirect_uri=/privx/oauth-callback``, ``response_type=code`` and a ``state``, and
  expects **307**.
- ``legacy``: ``GET /auth/api/v1/oidc/login?directory=<id>``, a route no public source shows (cognito-privx's old
  guess), answering 302.

Both fetch the issuer's discovery document (:mod:`.oidc`) and redirect to its ``authorization_endpoint`` with the
directory's client id, ``openid`` plus its additional scopes, the ``/auth/api/v1/oidc-cb`` callback and PrivX's
own random ``state`` and ``nonce``, remembered here with the directory for :attr:`DirectLogin.state_ttl`.
``GET /auth/api/v1/oidc-cb`` (the callback the PrivX docs name, "AWS Cognito as a User Directory") takes the code
or the IdP's error back, exchanges and verifies (:mod:`.oidc`), logs the user in (:meth:`.Users.login`: the Go
SDK's ``rolestore.User``) and answers a small HTML page; every outcome is appended to ``logins``. The IdP's
refresh token, if it gave one, is kept with the session the login opens, for a refresh (:mod:`.refresh`).

The route handlers run with the emulator's lock held; whatever waits on the IdP is returned as
:func:`.wire.deferred` work that runs with it released and takes it again only to touch state.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cognito_privx.sandbox.emulator import oidc
from cognito_privx.sandbox.emulator.refresh import IdpGrant
from cognito_privx.sandbox.emulator.wire import ApiError, Call, EmulatorResponse, RouteSpec, deferred, invalid

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

AUTHORIZE_PATH = "/auth/api/v1/oauth/authorize"
LEGACY_PATH = "/auth/api/v1/oidc/login"
CALLBACK_PATH = "/auth/api/v1/oidc-cb"
# What PrivX's own web UI sends (Go SDK v2 oauth/authcode.go, ``clientID``).
UI_CLIENT_ID = "privx-ui"
UI_REDIRECT_URI = "/privx/oauth-callback"
DEFAULT_STATE_TTL = 600.0  # seconds a started login may take to come back to the callback
_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}

# (directory id, claims, what the IdP gave for a later refresh) -> (user id, created); opens the session.
Login = Callable[[Any, Any, IdpGrant | None], tuple[str, bool]]


@dataclass(frozen=True)
class _Pending:
    """A login sent to the IdP and not yet back: the ``state`` it went out with is its key."""

    directory_id: str
    nonce: str
    redirect_uri: str
    provider: oidc.Provider
    expires_at: float  # by the emulator's clock


class DirectLogin:
    """The login route of the emulator's variant and the callback; reads ``base_url``, ``oidc_http`` and
    ``issuer_locator`` from the emulator at each request. ``logins`` records every callback's outcome."""

    def __init__(
        self, emu: PrivXEmulator, lock: threading.Lock, clock: Callable[[], float], login: Login, state_ttl: float
    ) -> None:
        self._emu = emu
        self._lock = lock
        self._clock = clock
        self._login = login
        self.state_ttl = state_ttl
        self._pending: dict[str, _Pending] = {}
        self.logins: list[dict[str, Any]] = []

    def routes(self) -> list[RouteSpec]:
        callback: RouteSpec = ("GET", CALLBACK_PATH, None, self._callback)
        if self._emu.variant.login_route == "legacy":
            return [("GET", LEGACY_PATH, None, self._legacy), callback]
        return [("GET", AUTHORIZE_PATH, None, self._authorize), callback]

    def forget(self) -> None:
        """No logins under way, none recorded (lock held)."""
        self._pending.clear()
        self.logins.clear()

    # -- out to the IdP -----------------------------------------------------------------------------

    def _authorize(self, call: Call) -> EmulatorResponse:
        """307 to the IdP; any parameter PrivX would not accept is 400 naming it."""
        q = call.query
        expected = (("response_type", "code"), ("client_id", UI_CLIENT_ID), ("redirect_uri", UI_REDIRECT_URI))
        for name, want in expected:
            if q.get(name) != want:
                raise invalid(name, f"must be {want!r}, not {q.get(name)!r}")
        directory_id = q.get("oidc_id", "")
        if not directory_id:
            raise invalid("oidc_id", "is required to log in through a directory")
        conn = self._oidc_connection(directory_id, lambda why: invalid("oidc_id", why))
        return self._redirect(directory_id, conn, 307)

    def _legacy(self, call: Call) -> EmulatorResponse:
        directory_id = call.query.get("directory", "")

        def not_found(why: str) -> ApiError:
            return ApiError(404, "OBJECT_NOT_FOUND", f"directory {directory_id!r} {why}")

        conn = self._oidc_connection(directory_id, not_found)
        return self._redirect(directory_id, conn, 302)

    def _oidc_connection(self, directory_id: str, unknown: Callable[[str], ApiError]) -> Mapping[str, Any]:
        """The connection of an enabled OIDC directory; ``unknown(why)`` is raised for a missing or non-OIDC one,
        400 ``GENERAL_ERROR`` for a disabled one."""
        source = self._emu.sources.get(directory_id)
        conn = source.get("connection") if source else None
        if source is None or not isinstance(conn, dict):
            raise unknown("is not a directory")
        if conn.get("type") != "OIDC":
            raise unknown("is not an OIDC directory")
        if source.get("enabled") is False or conn.get("oidc_enabled") is not True:
            raise ApiError(400, "GENERAL_ERROR", f"directory {directory_id} is disabled")
        return conn

    def _redirect(self, directory_id: str, conn: Mapping[str, Any], status: int) -> EmulatorResponse:
        """Discover (lock released), remember a state and a nonce, redirect to the authorization endpoint."""
        emu = self._emu
        issuer = str(conn.get("oidc_issuer") or "")
        client_id = str(conn.get("oidc_client_id") or "")
        scope = " ".join(["openid", *(conn.get("oidc_additional_scopes") or [])])
        redirect_uri = f"{emu.base_url}{CALLBACK_PATH}"
        http, locate = emu.oidc_client(), emu.issuer_locator

        def then() -> EmulatorResponse:
            try:
                provider = oidc.discover(http, issuer, locate, directory_id)
            except ApiError as e:
                return e.response()
            state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            with self._lock:
                now = self._clock()
                for old in [s for s, p in self._pending.items() if p.expires_at <= now]:
                    del self._pending[old]
                self._pending[state] = _Pending(directory_id, nonce, redirect_uri, provider, now + self.state_ttl)
            params = {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "state": state,
                "nonce": nonce,
            }
            endpoint = provider.authorization_endpoint
            location = f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
            return EmulatorResponse(status, {"Location": location, "Cache-Control": "no-store"})

        return deferred(then)

    # -- back from the IdP --------------------------------------------------------------------------

    def _callback(self, call: Call) -> EmulatorResponse:
        """Check the state (single use), then the IdP's answer; the exchange runs with the lock released."""
        q = call.query
        state = q.get("state", "")
        pending = self._pending.pop(state, None) if state else None
        if pending is None or self._clock() >= pending.expires_at:
            why = "has expired" if pending else "is unknown or was used already"
            known = pending.directory_id if pending else None
            return self._failed(known, 400, "invalid_state", f"the login's state {why}: start the login again")
        directory_id = pending.directory_id
        if q.get("error"):
            description = q.get("error_description") or ""
            return self._failed(directory_id, 401, q["error"], description or "the identity provider refused")
        code = q.get("code", "")
        if not code:
            return self._failed(directory_id, 400, "invalid_request", "the callback carries neither code nor error")
        source = self._emu.sources.get(directory_id)
        conn = source.get("connection") if source else None
        if source is None or not isinstance(conn, dict) or conn.get("type") != "OIDC":
            return self._failed(directory_id, 400, "directory_unavailable", f"directory {directory_id} is gone")
        client_id = str(conn.get("oidc_client_id") or "")
        secret = str(conn.get("oidc_client_secret") or "")  # the stored secret, never the mask
        # Tokens are checked against the issuer configured now, whatever discovery said when the login started.
        provider = replace(pending.provider, issuer=str(conn.get("oidc_issuer") or ""))
        http = self._emu.oidc_client()

        def then() -> EmulatorResponse:
            try:
                tokens = oidc.exchange(http, provider, code, pending.redirect_uri, client_id, secret)
                claims = oidc.verify(http, provider, tokens["id_token"], client_id, pending.nonce)
            except oidc.LoginFailed as e:
                with self._lock:
                    return self._failed(directory_id, e.status, e.code, e.description)
            # Kept with the session for a later refresh (choice 22), never shown.
            token = tokens.get("refresh_token")
            grant = (
                IdpGrant(directory_id, client_id, str(claims["sub"]), pending.provider, token)
                if isinstance(token, str) and token
                else None
            )
            with self._lock:
                return self._signed_in(directory_id, claims, grant)

        return deferred(then)

    def _signed_in(self, directory_id: str, claims: dict[str, Any], grant: IdpGrant | None) -> EmulatorResponse:
        """Log the user in (lock held): the page naming them and their roles."""
        try:
            user_id, created = self._login(directory_id, claims, grant)
        except ApiError as e:
            code = "login_not_allowed" if e.status == 403 else "login_refused"
            return self._failed(directory_id, e.status, code, e.message, claims)
        user = self._emu.users[user_id]
        roles = [str(r["name"]) for r in self._emu.membership.roles_of(user)]
        self.logins.append(
            _record(directory_id, 200, None, None, claims)
            | {
                "user_id": user_id,
                "new_user": created,
                "principal": user.get("principal") or None,
                "email": user.get("email") or None,
                "tags": list(user.get("tags") or []),
                "roles": roles,
            }
        )
        return _page(200, f"Signed in as {user.get('principal') or user_id}", _user_html(user, roles))

    def _failed(
        self, directory_id: str | None, status: int, code: str, description: str, claims: dict[str, Any] | None = None
    ) -> EmulatorResponse:
        """Record a failed login (lock held) and answer its page."""
        self.logins.append(_record(directory_id, status, code, description, claims))
        html = f'<p id="error">{escape(code)}</p>\n<p id="error_description">{escape(description)}</p>\n'
        return _page(status, "Sign-in failed", html)


def _record(
    directory_id: str | None, status: int, error: str | None, description: str | None, claims: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "directory_id": directory_id,
        "status": status,
        "error": error,
        "error_description": description,
        "user_id": None,
        "new_user": None,
        "principal": None,
        "email": None,
        "tags": [],
        "roles": [],
        "claims": claims,
    }


def _user_html(user: Mapping[str, Any], roles: list[str]) -> str:
    fields = [
        ("user-id", "User id", user.get("id")),
        ("principal", "Principal", user.get("principal")),
        ("email", "Email", user.get("email")),
        ("directory", "Directory", user.get("source")),
        ("tags", "Tags", ", ".join(user.get("tags") or [])),
    ]
    rows = "".join(f'<dt>{label}</dt><dd id="{key}">{escape(str(value or ""))}</dd>' for key, label, value in fields)
    items = "".join(f"<li>{escape(name)}</li>" for name in roles)
    return f'<dl id="user">{rows}</dl>\n<h2>Roles</h2>\n<ul id="roles">{items}</ul>\n'


def _page(status: int, heading: str, body: str) -> EmulatorResponse:
    html = (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>PrivX</title></head>\n<body>\n'
        f"<h1>{escape(heading)}</h1>\n{body}</body>\n</html>\n"
    )
    return EmulatorResponse(status, dict(_HTML), html.encode())
