"""The :class:`HostedUI` WSGI app: routes, the discovery document and the JWKS (see the package docstring)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cognito_privx.sandbox.hosted_ui import claims, moto_view
from cognito_privx.sandbox.hosted_ui.grants import Store
from cognito_privx.sandbox.hosted_ui.signin import SignIn, Site
from cognito_privx.sandbox.hosted_ui.token import Issuer, TokenEndpoint, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DEFAULT_CODE_TTL = 300.0  # seconds: "a one time use code that is valid for five minutes" (DG authorize endpoint)


class HostedUI:
    """A Cognito hosted-UI stand-in over moto's in-process state, as a WSGI app (``.wsgi``, or call it).

    ``region``: the pools it serves (those of moto's backends for that region, in any account).
    ``base_url``: where it is served, e.g. ``http://localhost:8123`` (no trailing slash needed); settable after
    the server starts. Empty: each request's own root URL.
    ``clock``: seconds since the epoch, for token times, code and session expiry. ``code_ttl``: how long an
    authorization code lives. ``lock``: taken around each request (after its body is read); pass the lock that
    serialises moto's server when both run in one process, since moto's model is not thread-safe. ``strict_refresh``:
    see :func:`cognito_privx.sandbox.hosted_ui.token.may_refresh`.
    """

    def __init__(
        self,
        region: str,
        base_url: str = "",
        *,
        clock: Callable[[], float] = time.time,
        code_ttl: float = DEFAULT_CODE_TTL,
        lock: contextlib.AbstractContextManager[Any] | None = None,
        strict_refresh: bool = True,
    ) -> None:
        self.region = region
        self.base_url = base_url
        self.clock = clock
        self.code_ttl = code_ttl
        self._lock: contextlib.AbstractContextManager[Any] = lock if lock is not None else threading.Lock()
        self.signer = claims.Signer()
        # More public keys to serve at jwks_uri (the sandbox adds moto's, whose tokens AdminInitiateAuth signs).
        self.extra_keys: list[dict[str, Any]] = []
        self.store = Store()
        issuer = Issuer(region, self.signer, clock)
        self._sign_in = SignIn(issuer, self.store, clock, code_ttl)
        self._tokens = TokenEndpoint(issuer, self.store, clock, strict_refresh=strict_refresh)

    # -- WSGI -----------------------------------------------------------------------------------------------------

    @property
    def wsgi(self) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
        return self.__call__

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        # Read the body before taking the lock: a client that stalls mid-body holds up only its own request.
        request.get_data(parse_form_data=True)
        with self._lock:
            self.store.forget_expired(self.clock())
            response = self._route(request)
        return response(environ, start_response)

    # -- addresses --------------------------------------------------------------------------------------------------

    def issuer(self, pool_id: str) -> str:
        """The AWS issuer of a pool, as the tokens carry it."""
        return moto_view.issuer(self.region, pool_id)

    def discovery_url(self, pool_id: str) -> str:
        return f"{self.base_url.rstrip('/')}/{pool_id}/.well-known/openid-configuration"

    def authorize_url(self, prefix: str) -> str:
        return f"{self.base_url.rstrip('/')}/{prefix}/oauth2/authorize"

    # -- routes -----------------------------------------------------------------------------------------------------

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        base = self.base_url.rstrip("/") or request.url_root.rstrip("/")
        if len(parts) == 3 and parts[1] == ".well-known":
            pool_id, document = parts[0], parts[2]
            if request.method not in ("GET", "HEAD"):
                return _not_allowed("GET, HEAD")
            if document == "openid-configuration":
                return self._discovery(pool_id, base)
            if document == "jwks.json":
                return self._jwks(pool_id)
            return _not_found()
        if len(parts) < 2:
            return _not_found()
        prefix, route = parts[0], "/".join(parts[1:])
        pool = moto_view.pool_for_domain(self.region, prefix)
        if pool is None:
            return _not_found()  # no such domain: on AWS the host name would not even resolve
        site = Site(base, prefix, f"{request.script_root}/{prefix}")
        handlers: dict[tuple[str, str], Callable[[], Response]] = {
            ("oauth2/authorize", "GET"): lambda: self._sign_in.authorize(pool, site, request),
            ("login", "GET"): lambda: self._sign_in.login_page(pool, site, request),
            ("login", "POST"): lambda: self._sign_in.login(pool, site, request),
            ("confirm-new-password", "POST"): lambda: self._sign_in.new_password(pool, site, request),
            ("error", "GET"): lambda: self._sign_in.error_page(request),
            ("oauth2/token", "POST"): lambda: self._tokens.token(pool, request),
            ("oauth2/userInfo", "GET"): lambda: self._tokens.userinfo(pool, request),
            ("oauth2/userInfo", "POST"): lambda: self._tokens.userinfo(pool, request),
        }
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers.get((route, method))
        if handler is not None:
            return handler()
        allowed = sorted(m for r, m in handlers if r == route)
        return _not_allowed(", ".join(allowed)) if allowed else _not_found()

    def _discovery(self, pool_id: str, base: str) -> Response:
        """The pool's discovery document, shaped as Cognito's (DG "User pool endpoints reference"; ``issuer`` the
        AWS one, the OAuth endpoints on the hosted-UI domain, ``jwks_uri`` beside the issuer, and
        ``end_session_endpoint`` (``/logout``) and ``revocation_endpoint`` (``/oauth2/revoke``), which current
        documents carry). 404 for an unknown pool only: AWS serves the document of a pool without a domain too,
        its OAuth endpoints then under the issuer (``<issuer>/authorize``; openiddict/openiddict-core#1586 shows
        such a document), where no sign-in page answers (404 here). Where a domain-less document puts
        ``/logout`` and ``/oauth2/revoke`` is not reported: the same base, by analogy **(unverified)**."""
        pool = moto_view.find_pool(self.region, pool_id)
        if pool is None:
            return _not_found()
        prefix = moto_view.domain_of(self.region, pool)
        domain, oauth = (f"{base}/{prefix}", "/oauth2") if prefix is not None else (f"{base}/{pool_id}", "")
        return json_response(
            {
                "authorization_endpoint": f"{domain}{oauth}/authorize",
                "end_session_endpoint": f"{domain}/logout",
                "id_token_signing_alg_values_supported": ["RS256"],
                "issuer": self.issuer(pool_id),
                "jwks_uri": f"{base}/{pool_id}/.well-known/jwks.json",
                "response_types_supported": ["code", "token"],
                "revocation_endpoint": f"{domain}{oauth}/revoke",
                "scopes_supported": ["openid", "email", "phone", "profile"],
                "subject_types_supported": ["public"],
                "token_endpoint": f"{domain}{oauth}/token",
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "userinfo_endpoint": f"{domain}{oauth}/userInfo",
            }
        )

    def _jwks(self, pool_id: str) -> Response:
        if moto_view.find_pool(self.region, pool_id) is None:
            return _not_found()
        return json_response({"keys": [*self.signer.jwks()["keys"], *self.extra_keys]})


def _not_found() -> Response:
    return Response("Not Found\n", 404, content_type="text/plain; charset=utf-8")


def _not_allowed(allowed: str) -> Response:
    return Response("Method Not Allowed\n", 405, {"Allow": allowed}, content_type="text/plain; charset=utf-8")
