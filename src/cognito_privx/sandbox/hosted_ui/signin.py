"""``/oauth2/authorize``, the classic sign-in page (``/login``), the new-password page and ``/error``.

The authorize request is checked the same way at ``/oauth2/authorize``, ``GET /login`` and every form post
(DG ``login-endpoint``: the login endpoint "supports all the request parameters of the authorize endpoint").
In this order (DG ``authorization-endpoint``, archived copy in ``awsdocs/amazon-cognito-developer-guide``
``doc_source/authorization-endpoint.md``, "Examples of negative responses"; RFC 6749 section 4.1.2.1):

1. ``client_id`` unknown in this pool: the error page, ``invalid_client`` **(unverified code)**;
2. ``redirect_uri`` not **exactly** one of the client's ``CallbackURLs`` (case, port, trailing slash): the error
   page, ``redirect_mismatch``. Never a redirect to an unregistered URI; like Cognito, the browser is sent to
   the domain's own ``/error?error=redirect_mismatch&error_description=...&client_id=...``;
3. the client's ``SupportedIdentityProviders`` lack ``COGNITO`` (no sign-in page to show): the error page,
   ``invalid_request`` **(unverified code)**;
4. then refusals go back to ``redirect_uri`` as ``?error=...&error_description=...&state=...`` (DG "Managed
   login and federation error responses"): ``response_type`` missing (``invalid_request``) or not ``code`` /
   ``token`` (``unsupported_response_type``); ``AllowedOAuthFlowsUserPoolClient`` off or the flow (``code``,
   ``implicit`` for ``token``) not in ``AllowedOAuthFlows`` (``unauthorized_client``); ``code_challenge``
   without ``code_challenge_method`` or a method other than ``S256`` (``invalid_request``: "Amazon Cognito
   authentication server supports only S256"); a scope outside ``AllowedOAuthScopes``, or ``email`` /
   ``phone`` / ``profile`` without ``openid`` (``invalid_scope``). No ``scope``: all the client's scopes.

Sign-in (``POST /login``): the form's ``_csrf`` must equal the ``XSRF-TOKEN`` cookie set with the page (a
classic hosted-UI post carries ``_csrf``, ``username``, ``password``; DG ``login-endpoint``, "User-initiated
sign-in request"), else 403. The user is found as the pool resolves names (:func:`.moto_view.find_user`). A wrong
password or an unknown user: the form again with "Incorrect username or password." (no user enumeration); then
"User is disabled.", "User is not confirmed.", "Password reset required for the user." (the messages of
Cognito's ``NotAuthorizedException``, ``UserNotConfirmedException``, ``PasswordResetRequiredException``).
``FORCE_CHANGE_PASSWORD``: the new-password form, posted to ``/confirm-new-password`` with the same query, held
by a session for the client's ``AuthSessionValidity`` (default three minutes); the pool's password policy is
checked (:mod:`.password_policy`) and the user becomes ``CONFIRMED`` in moto. Success: 302 to
``redirect_uri?code=...&state=...`` (``response_type=token``: the tokens in the fragment, no refresh token). A
second factor due (pool MFA ``ON``, or a user with one enrolled): an ``mfa_required`` page (501) and no code; MFA
pages are not served.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from cognito_privx.sandbox.hosted_ui import moto_view, pages
from cognito_privx.sandbox.hosted_ui.grants import CodeGrant, PendingPassword, SignedIn, Store
from cognito_privx.sandbox.hosted_ui.moto_view import AppClient, MotoPool, MotoUser
from cognito_privx.sandbox.hosted_ui.password_policy import policy_problems
from cognito_privx.sandbox.hosted_ui.token import Issuer

CSRF_COOKIE = "XSRF-TOKEN"
CSRF_FIELD = "_csrf"
BAD_CREDENTIALS = "Incorrect username or password."
_OPENID_ONLY = frozenset({"email", "phone", "profile"})
ERROR_TEXT = {
    "redirect_mismatch": "redirect_uri does not exactly match a callback URL of the app client "
    "(scheme, host, port, path, case and trailing slash all count).",
    "invalid_client": "client_id is not an app client of this user pool.",
    "invalid_request": "The request is missing a parameter or is malformed.",
}


@dataclass(frozen=True)
class Site:
    """Where the request came in: the absolute base URL, the domain (prefix) and the cookie's path."""

    base: str
    prefix: str
    cookie_path: str

    def url(self, path: str, query: str = "") -> str:
        return f"{self.base}/{self.prefix}/{path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class AuthRequest:
    client: AppClient
    redirect_uri: str
    response_type: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None


class Refusal(Exception):
    """An authorize request refused: to the error page (``redirect_uri`` None) or back to the client."""

    def __init__(self, error: str, description: str, *, client_id: str = "", request: AuthRequest | None = None):
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.client_id, self.request = error, description, client_id, request

    def answer(self, site: Site) -> Response:
        if self.request is None:
            query = urlencode({"error": self.error, "error_description": self.description, "client_id": self.client_id})
            return _redirect(site.url("error", query))
        params = {"error": self.error, "error_description": self.description}
        if self.request.state is not None:
            params["state"] = self.request.state
        return _redirect(_add_query(self.request.redirect_uri, params))


def check_authorize(pool: MotoPool, args: Mapping[str, str]) -> AuthRequest:
    """The authorize request in ``args``, checked (see the module docstring); :class:`Refusal` otherwise."""
    client_id = args.get("client_id", "")
    client = AppClient.of(pool, client_id)
    if client is None:
        raise Refusal("invalid_client", "client_id is not an app client of this user pool", client_id=client_id)
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri or redirect_uri not in client.callback_urls:
        raise Refusal("redirect_mismatch", "redirect_uri is not a callback URL of the client", client_id=client_id)
    if "COGNITO" not in client.identity_providers:
        raise Refusal("invalid_request", "Login option is not available (no COGNITO provider)", client_id=client_id)
    challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
    request = AuthRequest(
        client=client,
        redirect_uri=redirect_uri,
        response_type=args.get("response_type", ""),
        scopes=tuple(dict.fromkeys(args.get("scope", "").split())) or client.oauth_scopes,
        state=args.get("state"),
        nonce=args.get("nonce"),
        code_challenge=challenge,
    )
    if not request.response_type:
        raise Refusal("invalid_request", "response_type is required", request=request)
    if request.response_type not in ("code", "token"):
        raise Refusal("unsupported_response_type", "response_type must be code or token", request=request)
    flow = "code" if request.response_type == "code" else "implicit"
    if not client.oauth_enabled or flow not in client.oauth_flows:
        raise Refusal("unauthorized_client", f"the client does not allow the {flow} flow", request=request)
    if (challenge or method) and (not challenge or method != "S256"):
        raise Refusal("invalid_request", "code_challenge_method must be S256 with a code_challenge", request=request)
    extra = [s for s in request.scopes if s not in client.oauth_scopes]
    if extra:
        raise Refusal("invalid_scope", "not allowed for the app client: " + " ".join(extra), request=request)
    if _OPENID_ONLY & set(request.scopes) and "openid" not in request.scopes:
        raise Refusal("invalid_scope", "email, phone and profile need the openid scope", request=request)
    return request


class SignIn:
    """The browser-facing pages of one :class:`~cognito_privx.sandbox.hosted_ui.HostedUI`."""

    def __init__(self, issuer: Issuer, store: Store, clock: Callable[[], float], code_ttl: float) -> None:
        self.issuer = issuer
        self.store = store
        self.clock = clock
        self.code_ttl = code_ttl

    def authorize(self, pool: MotoPool, site: Site, request: Request) -> Response:
        """Checked, then on to the sign-in page with the same query (DG ``authorization-endpoint``)."""
        try:
            check_authorize(pool, request.args)
        except Refusal as refusal:
            return refusal.answer(site)
        return _redirect(site.url("login", _query(request)))

    def login_page(self, pool: MotoPool, site: Site, request: Request) -> Response:
        try:
            check_authorize(pool, request.args)
        except Refusal as refusal:
            return refusal.answer(site)
        return self._sign_in_page(site, request)

    def login(self, pool: MotoPool, site: Site, request: Request) -> Response:
        try:
            auth = check_authorize(pool, request.args)
        except Refusal as refusal:
            return refusal.answer(site)
        if not self.store.csrf_ok(request.cookies.get(CSRF_COOKIE), request.form.get(CSRF_FIELD)):
            return _csrf_refused()
        login = request.form.get("username", "").strip()
        user = moto_view.find_user(pool, login)
        if user is None or not _password_ok(user, request.form.get("password", "")):
            return self._sign_in_page(site, request, BAD_CREDENTIALS, login)
        problem = _sign_in_problem(user)
        if problem:
            return self._sign_in_page(site, request, problem, login)
        if moto_view.status(user) == "FORCE_CHANGE_PASSWORD":
            session = secrets.token_urlsafe(32)
            expires = self.clock() + auth.client.auth_session_validity
            self.store.pending[session] = PendingPassword(str(pool.id), auth.client.id, str(user.username), expires)
            return self._new_password_page(site, request, session)
        return self._mfa_refused(pool, user) or self._signed_in(pool, auth, user)

    def new_password(self, pool: MotoPool, site: Site, request: Request) -> Response:
        try:
            auth = check_authorize(pool, request.args)
        except Refusal as refusal:
            return refusal.answer(site)
        if not self.store.csrf_ok(request.cookies.get(CSRF_COOKIE), request.form.get(CSRF_FIELD)):
            return _csrf_refused()
        session = request.form.get("session", "")
        pending = self.store.pending.get(session)
        user = moto_view.user_by_name(pool, pending.username) if pending is not None else None
        if (
            pending is None
            or pending.expires <= self.clock()
            or (pending.pool_id, pending.client_id) != (str(pool.id), auth.client.id)
            or user is None
        ):
            self.store.pending.pop(session, None)
            return self._sign_in_page(site, request, "Invalid session for the user, session is expired.")
        new, again = request.form.get("new_password", ""), request.form.get("confirm_password", "")
        if new != again:
            return self._new_password_page(site, request, session, "Password does not match the confirm password.")
        problems = policy_problems(new, moto_view.password_policy(pool))
        if problems:
            message = "Password does not conform to policy: it needs " + ", ".join(problems) + "."
            return self._new_password_page(site, request, session, message)
        if not user.enabled:
            del self.store.pending[session]
            return self._sign_in_page(site, request, "User is disabled.")
        moto_view.set_password(user, new)
        del self.store.pending[session]
        return self._mfa_refused(pool, user) or self._signed_in(pool, auth, user)

    def error_page(self, request: Request) -> Response:
        code = request.args.get("error", "invalid_request")
        description = request.args.get("error_description") or ERROR_TEXT.get(code, "")
        return _html(pages.error(code, description), 400)

    # -- internals ----------------------------------------------------------------------------------------------

    @staticmethod
    def _mfa_refused(pool: MotoPool, user: MotoUser) -> Response | None:
        """A second factor is due (pool MFA ``ON``, or a user who enrolled one): this stand-in serves no MFA
        pages, so it says so and issues no code, rather than signing the user in on the password alone."""
        enrolled = bool(getattr(user, "software_token_mfa_enabled", False) or getattr(user, "sms_mfa_enabled", False))
        if getattr(pool, "mfa_config", "OFF") != "ON" and not enrolled:
            return None
        description = (
            "Multi-factor authentication is required for this user; this hosted-UI stand-in does not serve the "
            "MFA pages (docs/cognito.md#mfa)."
        )
        return _html(pages.error("mfa_required", description), 501)

    def _signed_in(self, pool: MotoPool, auth: AuthRequest, user: MotoUser) -> Response:
        now = self.clock()
        session = SignedIn(
            pool_id=str(pool.id),
            client_id=auth.client.id,
            username=str(user.username),
            scopes=auth.scopes,
            auth_time=int(now),
            origin_jti=str(uuid.uuid4()),
            event_id=str(uuid.uuid4()),
        )
        answer: dict[str, str] = {}
        if auth.response_type == "token":
            tokens = self.issuer.tokens(pool, auth.client, user, session, auth.nonce)
            answer = {k: str(v) for k, v in tokens.items()}
        else:
            code = str(uuid.uuid4())
            grant = CodeGrant(session, auth.redirect_uri, auth.nonce, auth.code_challenge, now + self.code_ttl)
            self.store.codes[code] = grant
            answer["code"] = code
        if auth.state is not None:
            answer["state"] = auth.state
        if auth.response_type == "token":
            return _redirect(f"{auth.redirect_uri}#{urlencode(answer)}")
        return _redirect(_add_query(auth.redirect_uri, answer))

    def _sign_in_page(self, site: Site, request: Request, error: str | None = None, username: str = "") -> Response:
        csrf = self.store.new_csrf()
        html = pages.sign_in(site.url("login", _query(request)), csrf, error=error, username=username)
        return _with_csrf(_html(html), site, csrf)

    def _new_password_page(self, site: Site, request: Request, session: str, error: str | None = None) -> Response:
        csrf = self.store.new_csrf()
        html = pages.new_password(site.url("confirm-new-password", _query(request)), csrf, session, error=error)
        return _with_csrf(_html(html), site, csrf)


def _sign_in_problem(user: MotoUser) -> str | None:
    if not user.enabled:
        return "User is disabled."
    state = moto_view.status(user)
    if state == "UNCONFIRMED":
        return "User is not confirmed."
    if state == "RESET_REQUIRED":
        return "Password reset required for the user."
    return None


def _password_ok(user: MotoUser, password: str) -> bool:
    stored = user.password
    return bool(stored) and bool(password) and hmac.compare_digest(str(stored).encode(), password.encode())


def _query(request: Request) -> str:
    return request.query_string.decode("latin-1")


def _add_query(uri: str, params: Mapping[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def _redirect(location: str) -> Response:
    return Response("", 302, {"Location": location, "Cache-Control": "no-store"})


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status, {"Cache-Control": "no-store"}, content_type="text/html; charset=utf-8")


def _with_csrf(response: Response, site: Site, csrf: str) -> Response:
    secure = site.base.startswith("https://")
    response.set_cookie(CSRF_COOKIE, csrf, path=site.cookie_path, httponly=True, samesite="Lax", secure=secure)
    return response


def _csrf_refused() -> Response:
    description = "The form's _csrf does not match the XSRF-TOKEN cookie: reload the sign-in page."
    return _html(pages.error("invalid_request", description), 403)
