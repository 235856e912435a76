"""The direct login into one OIDC directory: the route that sends a browser to the IdP (choice 17 in :mod:`.core`).

The emulator serves exactly one of two routes, as its variant's ``login_route`` says; the other is 404:

- ``authorize`` (default): PrivX's documented ``GET /auth/api/v1/oauth/authorize`` with ``oidc_id`` (the auth API
  reference lists it; Go SDK v1 ``Params.OidcID``). Go SDK v2 ``oauth/authcode.go`` calls it with
  ``client_id=privx-ui``, ``redirect_uri=/privx/oauth-callback``, ``response_type=code`` and a ``state``, and
  expects **307**.
- ``legacy``: ``GET /auth/api/v1/oidc/login?directory=<id>``, a route no public source shows (cognito-privx's old
  guess), answering 302.

Both redirect to the issuer's authorization endpoint with the directory's client id, ``openid`` plus its
additional scopes, PrivX's own random ``state`` and the ``/auth/api/v1/oidc-cb`` callback.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cognito_privx.sandbox.emulator.wire import ApiError, Call, EmulatorResponse, RouteSpec, invalid

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

AUTHORIZE_PATH = "/auth/api/v1/oauth/authorize"
LEGACY_PATH = "/auth/api/v1/oidc/login"
CALLBACK_PATH = "/auth/api/v1/oidc-cb"
# What PrivX's own web UI sends (Go SDK v2 oauth/authcode.go, ``clientID``).
UI_CLIENT_ID = "privx-ui"
UI_REDIRECT_URI = "/privx/oauth-callback"


class DirectLogin:
    """The login route of the emulator's variant; reads ``base_url`` and the hosted-UI settings at each request."""

    def __init__(self, emu: PrivXEmulator) -> None:
        self._emu = emu

    def routes(self) -> list[RouteSpec]:
        if self._emu.variant.login_route == "legacy":
            return [("GET", LEGACY_PATH, None, self._legacy)]
        return [("GET", AUTHORIZE_PATH, None, self._authorize)]

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
        return EmulatorResponse(307, {"Location": self._idp_url(conn)})

    def _legacy(self, call: Call) -> EmulatorResponse:
        directory_id = call.query.get("directory", "")

        def not_found(why: str) -> ApiError:
            return ApiError(404, "OBJECT_NOT_FOUND", f"directory {directory_id!r} {why}")

        conn = self._oidc_connection(directory_id, not_found)
        return EmulatorResponse(302, {"Location": self._idp_url(conn)})

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

    def _idp_url(self, conn: Mapping[str, Any]) -> str:
        emu = self._emu
        issuer = str(conn.get("oidc_issuer", "")).rstrip("/")
        resolved = emu.hosted_ui_resolver(issuer) if emu.hosted_ui_resolver and not emu.hosted_ui_base else None
        base = emu.hosted_ui_base or resolved or issuer
        query = urlencode(
            {
                "response_type": "code",
                "client_id": conn.get("oidc_client_id", ""),
                "redirect_uri": f"{emu.base_url}{CALLBACK_PATH}",
                "scope": " ".join(["openid", *(conn.get("oidc_additional_scopes") or [])]),
                "state": secrets.token_urlsafe(16),
            }
        )
        return f"{base}/oauth2/authorize?{query}"
