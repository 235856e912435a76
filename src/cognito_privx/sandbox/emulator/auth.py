"""The OAuth token grant (choice 1 in :mod:`.core`), the API clients it knows, and the bearer-token check."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from cognito_privx.sandbox.emulator.wire import (
    ALL_PERMISSIONS,
    ApiError,
    Call,
    EmulatorResponse,
    OAuthError,
    RouteSpec,
    json_response,
)

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

TOKEN_PATH = "/auth/api/v1/oauth/token"


@dataclass(frozen=True)
class _ApiClient:
    secret: str
    permissions: frozenset[str]


class Auth:
    """Grants tokens to known API clients and checks them; reads the OAuth client and ``token_ttl`` from the
    emulator at each request, so changing them (``POST /_emulator/config``) applies to the next grant."""

    def __init__(self, emu: PrivXEmulator, clock: Callable[[], float]) -> None:
        self._emu = emu
        self._clock = clock
        self._clients: dict[str, _ApiClient] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (api client id, expiry by clock)

    def add_client(self, client_id: str, client_secret: str, permissions: Iterable[str]) -> None:
        perms = frozenset(permissions)
        if unknown := perms - ALL_PERMISSIONS:
            raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}")
        self._clients[client_id] = _ApiClient(client_secret, perms)

    def set_permissions(self, client_id: str, permissions: Iterable[str]) -> None:
        """Replace a known API client's permissions (its role's); tokens already out follow at once."""
        if client_id not in self._clients:
            raise KeyError(client_id)
        self.add_client(client_id, self._clients[client_id].secret, permissions)

    def permissions(self) -> dict[str, list[str]]:
        """Every API client's permissions, by client id (no secrets)."""
        return {cid: sorted(c.permissions) for cid, c in self._clients.items()}

    def forget_tokens(self) -> None:
        self._tokens.clear()

    def routes(self) -> list[RouteSpec]:
        return [("POST", TOKEN_PATH, None, self._grant)]

    def authorize(self, headers: Mapping[str, str], permission: str) -> str:
        """The API client id behind the request's bearer token, if it holds ``permission``; else 401 or 403."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "UNAUTHORIZED", "missing bearer token")
        entry = self._tokens.get(token.strip())
        if entry is None:
            raise ApiError(401, "UNAUTHORIZED", "unknown access token")
        client_id, expires_at = entry
        if self._clock() >= expires_at:
            del self._tokens[token.strip()]
            raise ApiError(401, "UNAUTHORIZED", "access token expired")
        client = self._clients.get(client_id)
        if client is None or permission not in client.permissions:
            raise ApiError(
                403,
                "FORBIDDEN",
                f"API client lacks permission {permission!r}; its role needs " + ", ".join(sorted(ALL_PERMISSIONS)),
            )
        return client_id

    def _grant(self, call: Call) -> EmulatorResponse:
        emu = self._emu
        scheme, _, encoded = call.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if scheme.lower() != "basic" or (user, password) != (emu.oauth_client_id, emu.oauth_client_secret):
            raise OAuthError(401, "invalid_client", "OAuth client authentication failed")
        if not call.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise OAuthError(400, "invalid_request", "body must be application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(call.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "password":
            raise OAuthError(400, "unsupported_grant_type", f"grant_type {form.get('grant_type')!r}")
        if "username" not in form or "password" not in form:
            raise OAuthError(400, "invalid_request", "username and password are required")
        client = self._clients.get(form["username"])
        if client is None or client.secret != form["password"]:
            raise OAuthError(401, "invalid_grant", "invalid API client credentials")
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (form["username"], self._clock() + emu.token_ttl)
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": round(emu.token_ttl),
            "refresh_token": secrets.token_urlsafe(32),
            "scope": " ".join(sorted(client.permissions)),
        }
        return json_response(200, body, {"Cache-Control": "no-store"})
