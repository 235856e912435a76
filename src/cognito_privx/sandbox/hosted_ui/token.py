"""``POST /oauth2/token`` and ``GET /oauth2/userInfo``, and the issuing of tokens for a sign-in.

Token endpoint (DG "The token issuer endpoint", ``token-endpoint``):

- Form-encoded only. Client authentication by HTTP Basic (``client_secret_basic``) or ``client_id`` and
  ``client_secret`` in the body (``client_secret_post``). A client with a secret must authenticate with one of its
  active secrets (two during a rotation, ``AddUserPoolClientSecret``; docs/cognito.md#client-secrets); an
  unknown client, a wrong or missing secret, a secret sent for a client that has none, or a body ``client_id``
  that differs from the Basic one is ``invalid_client``, answered **400** as the developer guide's token-endpoint
  sample shows for every error (``400 Bad Request`` with ``invalid_request | invalid_client | invalid_grant |
  unauthorized_client | unsupported_grant_type``), though RFC 6749 section 5.2 allows 401 for a client that
  authenticated by the header: callers cope with both.
- ``authorization_code``: ``code`` and ``redirect_uri`` required (``invalid_request``). Codes are single-use and
  live five minutes (DG ``authorization-endpoint``: "a one time use code that is valid for five minutes";
  ``code_ttl``); an unknown, used, expired or another client's code is ``invalid_grant``, and a presented code is
  spent even when the exchange then fails (an AWS answer on re:Post: retrying the same code after a failed
  exchange gives ``invalid_grant``). A ``redirect_uri`` other than the one given to authorize is
  ``unauthorized_client``: what Cognito answers (Stack Overflow 50264679, confirmed there for a trailing slash;
  RFC 6749 would say ``invalid_grant``). With a PKCE challenge, ``code_verifier`` must match it by S256
  (RFC 7636), else ``invalid_grant``. A client no longer allowed the code flow: ``unauthorized_client``.
- Answer ``{id_token (with the openid scope), access_token, refresh_token, expires_in, token_type: "Bearer"}``;
  ``expires_in`` is the client's access-token validity (default one hour: 3600).
- ``refresh_token``: new ID and access tokens, no new refresh token with rotation off (the default: API
  ``RefreshTokenRotationType``: "When disabled, token refresh issues only ID and access tokens"). With
  ``RefreshTokenRotation`` ENABLED, also a new refresh token ("The token endpoint ... has a refresh_token grant type
  that issues new ID, access, and optionally (with refresh token rotation) refresh tokens", DG
  amazon-cognito-user-pools-using-the-refresh-token), and the presented one is refused once
  ``RetryGracePeriodSeconds`` have passed ("the original refresh token that you're rotating out can remain valid for
  a period of time of up to 60 seconds ... When RetryGracePeriodSeconds is 0 ... a successful request immediately
  invalidates the submitted refresh token", botocore 1.44), by this stand-in's ``clock``. The new token keeps the
  old one's expiry (the stricter reading: AWS does not say whether rotation extends the session). A rotated-out
  token used again within the grace period answers as the first use did, with another new refresh token.
  A refresh token of another client is ``invalid_grant``. So is one issued before the user was signed out
  (``AdminUserGlobalSignOut``: "Amazon Cognito no longer accepts a signed-out user's refresh tokens in refresh
  requests", botocore 1.44), disabled, or deleted (Cognito's token endpoint answers 400
  ``invalid_grant`` to a refresh token it no longer accepts). A refresh token issued before ``AdminDisableUser``
  stays refused after ``AdminEnableUser``: unverified on AWS, so the stricter reading (recorded by
  :mod:`cognito_privx.sandbox.moto_fixes.sign_outs`).
- Any other ``grant_type`` is ``unsupported_grant_type`` (``client_credentials`` too: not in the sandbox).
  Errors are ``{"error": code}`` in JSON, 400 unless said otherwise (the guide's sample error answer).

Refresh tokens: the DG token-endpoint page notes that users who sign in with a code grant in managed login "can
always refresh their tokens from the token endpoint"; the model (``ExplicitAuthFlows``) says a client without
``ExplicitAuthFlows`` allows ``ALLOW_REFRESH_TOKEN_AUTH``. The sandbox's rule (``strict_refresh=True``, the
default, issue 12) is stricter than that note: a refresh token only when ``ExplicitAuthFlows`` is unset or lists
``ALLOW_REFRESH_TOKEN_AUTH``, or when the client rotates refresh tokens (AWS requires that flow off then, and the
token endpoint issues their refresh tokens, as quoted above). :func:`may_refresh` holds the choice.

userInfo (DG "The user attributes endpoint", ``userinfo-endpoint``): ``Authorization: Bearer <access token>``
from this token endpoint, with the ``openid`` scope; a missing or malformed header is 400 ``invalid_request``; a
token that is not ours, expired, for another pool, without ``openid``, or whose user is gone or disabled is 401
``invalid_token``. Both with ``WWW-Authenticate: error="...", error_description="..."`` as the guide shows, and
the same in a JSON body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from werkzeug.wrappers import Request, Response

from cognito_privx.sandbox.hosted_ui import claims, moto_view
from cognito_privx.sandbox.hosted_ui.grants import CodeGrant, RefreshGrant, SignedIn, Store
from cognito_privx.sandbox.hosted_ui.moto_view import AppClient, MotoPool, MotoUser

_JSON = "application/json;charset=UTF-8"


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, {"Cache-Control": "no-store", **(headers or {})}, content_type=_JSON)


def may_refresh(client: AppClient, *, strict: bool = True) -> bool:
    """Whether a code-grant sign-in gets (and may use) a refresh token; see the module docstring."""
    if not strict or client.rotation:
        return True
    flows = client.explicit_auth_flows
    return flows is None or "ALLOW_REFRESH_TOKEN_AUTH" in flows


class _Refused(Exception):
    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


class Issuer:
    """Signs the ID and access tokens of a sign-in (see :mod:`.claims` for what they carry)."""

    def __init__(self, region: str, signer: claims.Signer, clock: Callable[[], float]) -> None:
        self.region = region
        self.signer = signer
        self.clock = clock

    def tokens(
        self, pool: MotoPool, client: AppClient, user: MotoUser, session: SignedIn, nonce: str | None
    ) -> dict[str, Any]:
        now = int(self.clock())
        values = moto_view.attributes(user)
        iss = moto_view.issuer(self.region, session.pool_id)
        groups = moto_view.groups(user)
        common: dict[str, Any] = {"auth_time": session.auth_time, "now": now, "origin_jti": session.origin_jti}
        access = self.signer.sign(
            claims.access_token_claims(
                iss=iss,
                client_id=client.id,
                username=session.username,
                sub=values.get("sub", ""),
                scopes=session.scopes,
                groups=groups,
                lifetime=client.access_validity,
                event_id=session.event_id,
                **common,
            )
        )
        answer: dict[str, Any] = {"access_token": access, "expires_in": client.access_validity, "token_type": "Bearer"}
        if "openid" in session.scopes:
            answer["id_token"] = self.signer.sign(
                claims.id_token_claims(
                    iss=iss,
                    client_id=client.id,
                    username=session.username,
                    values=values,
                    read_attributes=client.read_attributes,
                    groups=groups,
                    lifetime=client.id_validity,
                    event_id=session.event_id,
                    nonce=nonce,
                    access_token=access,
                    **common,
                )
            )
        return answer


class TokenEndpoint:
    def __init__(
        self, issuer: Issuer, store: Store, clock: Callable[[], float], *, strict_refresh: bool = True
    ) -> None:
        self.issuer = issuer
        self.store = store
        self.clock = clock
        self.strict_refresh = strict_refresh

    # -- /oauth2/token ------------------------------------------------------------------------------------------

    def token(self, pool: MotoPool, request: Request) -> Response:
        try:
            return json_response(self._token(pool, request))
        except _Refused as refused:
            headers = {"WWW-Authenticate": "Basic"} if refused.status == 401 else None
            return json_response({"error": refused.error}, refused.status, headers)

    def _token(self, pool: MotoPool, request: Request) -> dict[str, Any]:
        if request.mimetype != "application/x-www-form-urlencoded":
            raise _Refused("invalid_request")
        form = request.form
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise _Refused("invalid_request")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise _Refused("unsupported_grant_type")
        client = self._authenticate(pool, request)
        if grant_type == "authorization_code":
            return self._redeem_code(pool, client, form.get("code", ""), form.get("redirect_uri"), form)
        return self._refresh(pool, client, form.get("refresh_token", ""))

    @staticmethod
    def _authenticate(pool: MotoPool, request: Request) -> AppClient:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, encoded = header.partition(" ")
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise _Refused("invalid_client") from None
            basic_id, colon, basic_secret = decoded.partition(":")
            if scheme.lower() != "basic" or not colon or (client_id and client_id != basic_id):
                raise _Refused("invalid_client")
            client_id, secret = basic_id, basic_secret
        client = moto_view.AppClient.of(pool, client_id or "")
        if client is None:
            raise _Refused("invalid_client")
        if client.secret is not None:
            # Any active secret authenticates (two during a rotation: AddUserPoolClientSecret).
            given = (secret or "").encode()
            if not secret or not any(
                hmac.compare_digest(given, s.encode()) for s in client.secrets or (client.secret,)
            ):
                raise _Refused("invalid_client")
        elif secret:
            raise _Refused("invalid_client")
        return client

    def _redeem_code(
        self, pool: MotoPool, client: AppClient, code: str, redirect_uri: str | None, form: Any
    ) -> dict[str, Any]:
        if not code or not redirect_uri:
            raise _Refused("invalid_request")
        grant = self.store.codes.get(code)
        if grant is None or grant.session.client_id != client.id or grant.session.pool_id != client.pool_id:
            raise _Refused("invalid_grant")
        del self.store.codes[code]  # spent, whatever happens next
        if grant.expires <= self.clock():
            raise _Refused("invalid_grant")
        if not client.oauth_enabled or "code" not in client.oauth_flows:
            raise _Refused("unauthorized_client")
        if redirect_uri != grant.redirect_uri:
            raise _Refused("unauthorized_client")
        if grant.code_challenge is not None and not _pkce_ok(form.get("code_verifier"), grant):
            raise _Refused("invalid_grant")
        user = self._active_user(pool, grant.session)
        answer = self.issuer.tokens(pool, client, user, grant.session, grant.nonce)
        if may_refresh(client, strict=self.strict_refresh):
            token = secrets.token_urlsafe(96)
            self.store.refresh_tokens[token] = RefreshGrant(
                grant.session,
                self.clock() + client.refresh_validity,
                moto_view.token_generation(pool, user.username),
            )
            answer["refresh_token"] = token
        return answer

    def _refresh(self, pool: MotoPool, client: AppClient, token: str) -> dict[str, Any]:
        if not token:
            raise _Refused("invalid_request")
        grant = self.store.refresh_tokens.get(token)
        now = self.clock()
        if grant is None or grant.expires <= now or grant.session.client_id != client.id:
            raise _Refused("invalid_grant")
        if grant.retired is not None and grant.retired <= now:
            del self.store.refresh_tokens[token]  # rotated out, and its grace period is over
            raise _Refused("invalid_grant")
        if not may_refresh(client, strict=self.strict_refresh):
            raise _Refused("unauthorized_client")
        user = self._active_user(pool, grant.session)
        if moto_view.token_generation(pool, user.username) != grant.generation:
            # Signed out (AdminUserGlobalSignOut), disabled or deleted since the token was issued: refused for
            # good, re-enabled or not (see the module docstring).
            del self.store.refresh_tokens[token]
            raise _Refused("invalid_grant")
        answer = self.issuer.tokens(pool, client, user, grant.session, None)
        if client.rotation:
            rotated = secrets.token_urlsafe(96)
            self.store.refresh_tokens[rotated] = replace(grant, retired=None)
            if grant.retired is None:
                self.store.refresh_tokens[token] = replace(grant, retired=now + client.grace)
            answer["refresh_token"] = rotated
        return answer

    @staticmethod
    def _active_user(pool: MotoPool, session: SignedIn) -> MotoUser:
        user = moto_view.user_by_name(pool, session.username)
        if user is None or not user.enabled:
            raise _Refused("invalid_grant")
        return user

    # -- /oauth2/userInfo ---------------------------------------------------------------------------------------

    def userinfo(self, pool: MotoPool, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _userinfo_error("invalid_request", "Bad OAuth2 request at UserInfo Endpoint", 400)
        payload = self.issuer.signer.verify(token.strip())
        scopes = tuple(str((payload or {}).get("scope", "")).split())
        user = moto_view.user_by_name(pool, str(payload.get("username", ""))) if payload else None
        if (
            payload is None
            or payload.get("token_use") != "access"
            or payload.get("iss") != moto_view.issuer(self.issuer.region, str(pool.id))
            or float(payload.get("exp", 0)) <= self.clock()
            or "openid" not in scopes
            or user is None
            or not user.enabled
        ):
            return _userinfo_error(
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
                401,
            )
        client = moto_view.AppClient.of(pool, str(payload.get("client_id", "")))
        read = client.read_attributes if client is not None else frozenset()
        return json_response(claims.userinfo(moto_view.attributes(user), read, str(user.username), scopes))


def _pkce_ok(verifier: str | None, grant: CodeGrant) -> bool:
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected.encode(), (grant.code_challenge or "").encode())


def _userinfo_error(error: str, description: str, status: int) -> Response:
    challenge = f'error="{error}", error_description="{description}"'
    return json_response({"error": error, "error_description": description}, status, {"WWW-Authenticate": challenge})
