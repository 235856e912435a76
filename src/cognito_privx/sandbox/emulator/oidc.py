"""PrivX's outbound side of an OIDC login: discovery, the code exchange and ID-token verification (choice 19 in
:mod:`.core`), and the refresh-token grant of a session refresh (choice 22, :mod:`.refresh`).

Nothing here holds state or takes the emulator's lock: :mod:`.login` calls these functions with the lock released,
and each failure is a :class:`LoginFailed` carrying the status and the error code the login shows.

The checks are those of the common Go OIDC stack (PrivX is a Go server; which library it uses is not public, so
this follows ``coreos/go-oidc`` and ``golang.org/x/oauth2``, the usual pair):

- discovery is fetched at ``<issuer without a trailing "/">/.well-known/openid-configuration`` (through the
  emulator's ``issuer_locator``) and its ``issuer`` must equal the configured issuer **exactly** (go-oidc
  ``NewProvider``: "issuer did not match the issuer returned by provider");
- the code goes to the ``token_endpoint`` with the client's id and secret by HTTP Basic, each form-encoded first
  (RFC 6749 §2.3.1; x/oauth2 ``AuthStyleInHeader``); an answer without ``access_token`` is refused (x/oauth2:
  "server response missing access_token"), and one without ``id_token`` too (no login without it);
- the ID token must be RS256, signed by a key of the ``jwks_uri`` with its ``kid``, with ``iss`` equal to the
  configured issuer, ``aud`` holding the client id, ``exp`` in the future (no leeway), and, checked by the caller,
  the ``nonce`` it sent; Cognito's ``token_use`` must be ``id`` (an access token is not an ID token).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
import jwt

from cognito_privx.sandbox.emulator.wire import ApiError

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
# The only algorithm accepted: Cognito signs with RS256, and go-oidc accepts RS256 unless told otherwise.
ALGORITHMS = ("RS256",)
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=3.0)

# PrivX-shaped error codes of the authorize route when the provider cannot be used (502).
PROVIDER_ERROR = "OIDC_PROVIDER_ERROR"
ISSUER_MISMATCH = "OIDC_ISSUER_MISMATCH"


class LoginFailed(Exception):
    """A login that ends on an error page: ``status``, an OAuth-style ``code`` and a sentence."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


@dataclass(frozen=True)
class Provider:
    """What a discovery document told: the issuer (as configured) and its endpoints."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    discovery_url: str


def discovery_url(issuer: str, locate: Callable[[str], str] | None) -> str:
    """Where the discovery document of ``issuer`` is fetched: the locator's URL (default: the issuer itself),
    without a trailing "/", plus ``/.well-known/openid-configuration`` (go-oidc ``NewProvider``)."""
    base = locate(issuer) if locate is not None else issuer
    return base.rstrip("/") + DISCOVERY_SUFFIX


def discover(http: httpx.Client, issuer: str, locate: Callable[[str], str] | None, directory_id: str) -> Provider:
    """The provider of ``issuer``, or an :class:`ApiError` 502 (``OIDC_PROVIDER_ERROR``, or
    ``OIDC_ISSUER_MISMATCH`` with ``property: connection.oidc_issuer``) naming the directory and what failed."""
    who = f"the OIDC provider of directory {directory_id}"
    url = discovery_url(issuer, locate)
    try:
        r = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as e:
        raise ApiError(502, PROVIDER_ERROR, f"{who}: cannot fetch {url}: {_describe(e)}") from None
    if r.status_code != 200:
        raise ApiError(502, PROVIDER_ERROR, f"{who}: {url} answered HTTP {r.status_code}")
    doc = _json_object(r)
    if doc is None:
        raise ApiError(502, PROVIDER_ERROR, f"{who}: {url} is not a JSON discovery document")
    if doc.get("issuer") != issuer:
        raise ApiError(
            502,
            ISSUER_MISMATCH,
            f"{who}: the discovery document at {url} names issuer {doc.get('issuer')!r}, "
            f"not the directory's oidc_issuer {issuer!r} (they must be equal, character for character)",
            "connection.oidc_issuer",
        )
    endpoints: dict[str, str] = {}
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = doc.get(key)
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ApiError(502, PROVIDER_ERROR, f"{who}: the discovery document at {url} has no usable {key}")
        endpoints[key] = value
    return Provider(issuer=issuer, discovery_url=url, **endpoints)


def exchange(
    http: httpx.Client, provider: Provider, code: str, redirect_uri: str, client_id: str, client_secret: str
) -> dict[str, Any]:
    """The token response for ``code``; an error answer is a 401 :class:`LoginFailed` with the IdP's own error
    code (``invalid_client``, ``invalid_grant``, …), an unusable answer 502."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    body = _token_request(http, provider.token_endpoint, form, client_id, client_secret, "the code")
    if not isinstance(body.get("id_token"), str) or not body["id_token"]:
        raise LoginFailed(
            502, "invalid_token_response", f"the token response from {provider.token_endpoint} has no id_token"
        )
    return body


def refresh(
    http: httpx.Client, provider: Provider, refresh_token: str, client_id: str, client_secret: str
) -> dict[str, Any]:
    """The token response to ``grant_type=refresh_token`` (RFC 6749 section 6), the client authenticated as in
    :func:`exchange`. Failures as there: the IdP's error code (401), an unusable answer or a status but 200 (502
    ``invalid_token_response``), no connection (502 ``token_endpoint_unreachable``). The answer need not carry an
    ``id_token`` (OIDC Core 12.2: a refresh response "might not contain an id_token")."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(http, provider.token_endpoint, form, client_id, client_secret, "the refresh token")


def _token_request(
    http: httpx.Client, url: str, form: dict[str, str], client_id: str, client_secret: str, what: str
) -> dict[str, Any]:
    """POST ``form`` to the token endpoint by HTTP Basic; the JSON answer, which has an ``access_token`` (x/oauth2:
    "server response missing access_token")."""
    basic = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()).decode()
    try:
        r = http.post(url, data=form, headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
    except httpx.HTTPError as e:
        raise LoginFailed(502, "token_endpoint_unreachable", f"cannot reach {url}: {_describe(e)}") from None
    body = _json_object(r)
    if body is not None and isinstance(body.get("error"), str) and body["error"]:
        description = body.get("error_description")
        text = f"the token endpoint refused {what}: {body['error']}" + (
            f" ({description})" if isinstance(description, str) and description else ""
        )
        raise LoginFailed(401, body["error"], text)
    if r.status_code != 200 or body is None:
        raise LoginFailed(502, "invalid_token_response", f"{url} answered HTTP {r.status_code} without tokens")
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise LoginFailed(502, "invalid_token_response", f"the token response from {url} has no access_token")
    return body


def verify(http: httpx.Client, provider: Provider, id_token: str, client_id: str, nonce: str | None) -> dict[str, Any]:
    """The claims of ``id_token`` once every check passes; else a 401 :class:`LoginFailed` naming the check
    (``invalid_token``, ``invalid_signature``, ``invalid_issuer``, ``invalid_audience``, ``token_expired``,
    ``invalid_nonce``, ``invalid_token_use``), or 502 ``jwks_unavailable``.

    ``nonce`` None is for an ID token from a **refresh** only (:mod:`.refresh`): no login sent a nonce for it, so
    there is none to compare (OIDC Core 12.2 lists no nonce rule for a refreshed ID token; Cognito's carries none;
    go-oidc leaves the nonce to the caller). A login always passes the nonce it sent."""
    try:
        header = jwt.get_unverified_header(id_token)
        unverified: dict[str, Any] = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as e:
        raise LoginFailed(401, "invalid_token", f"the ID token cannot be read: {e}") from None
    if header.get("alg") not in ALGORITHMS:
        raise LoginFailed(401, "invalid_signature", f"the ID token is signed with {header.get('alg')!r}, not RS256")
    key = _signing_key(http, provider.jwks_uri, header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=list(ALGORITHMS),
            audience=client_id,
            issuer=provider.issuer,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.InvalidSignatureError:
        raise LoginFailed(401, "invalid_signature", "the ID token's signature does not verify") from None
    except jwt.InvalidIssuerError:
        raise LoginFailed(
            401,
            "invalid_issuer",
            f"the ID token's iss {unverified.get('iss')!r} is not the directory's oidc_issuer {provider.issuer!r}",
        ) from None
    except jwt.InvalidAudienceError:
        raise LoginFailed(
            401, "invalid_audience", f"the ID token's aud {unverified.get('aud')!r} is not the client {client_id!r}"
        ) from None
    except jwt.ExpiredSignatureError:
        raise LoginFailed(401, "token_expired", "the ID token has expired") from None
    except jwt.PyJWTError as e:
        raise LoginFailed(401, "invalid_token", f"the ID token is not valid: {e}") from None
    if nonce is not None and (
        not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce)
    ):
        raise LoginFailed(401, "invalid_nonce", "the ID token's nonce is not the one this login sent")
    if claims.get("token_use") != "id":
        raise LoginFailed(401, "invalid_token_use", f"the token's token_use is {claims.get('token_use')!r}, not 'id'")
    return claims


def _signing_key(http: httpx.Client, jwks_uri: str, kid: object) -> jwt.PyJWK:
    try:
        r = http.get(jwks_uri, headers={"Accept": "application/json"})
    except httpx.HTTPError as e:
        raise LoginFailed(502, "jwks_unavailable", f"cannot fetch {jwks_uri}: {_describe(e)}") from None
    doc = _json_object(r) if r.status_code == 200 else None
    if doc is None:
        raise LoginFailed(502, "jwks_unavailable", f"{jwks_uri} answered HTTP {r.status_code} without a JWKS")
    try:
        keys = jwt.PyJWKSet.from_dict(doc).keys
    except jwt.PyJWTError:  # no keys, or none usable
        keys = []
    for key in keys:
        if key.key_id == kid:
            return key
    raise LoginFailed(401, "invalid_signature", f"no key with kid {kid!r} in {jwks_uri}")


def _json_object(r: httpx.Response) -> dict[str, Any] | None:
    try:
        body = r.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _describe(e: httpx.HTTPError) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
