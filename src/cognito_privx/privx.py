"""PrivX: an API client over an injected ``httpx.Client``, and the ensure step for the OIDC directory.

Authentication (docs/privx-api.md#authentication): the OAuth password grant with the OAuth client in Basic
auth and the API client as user, a token reused until shortly before it expires, and one fresh login after a 401.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import json
import logging
import re
import ssl
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NewType

import httpx

from cognito_privx.config import AppConfig, PrivXCredentials
from cognito_privx.desired import DesiredState, DirectoryTemplate, RoleSpec
from cognito_privx.errors import (
    AmbiguousResourceError,
    ForeignResourceError,
    PrivXAPIError,
    PrivXAuthError,
    PrivXConnectionError,
    PrivXError,
    PrivXNotFoundError,
    PrivXPermissionError,
)
from cognito_privx.plan import KNOWN_AFTER_APPLY, SENSITIVE, Action, Change, FieldChange, change_for, diff_fields
from cognito_privx.retry import RetryPolicy, Verdict, retry_after, status_verdict

log = logging.getLogger(__name__)

DirectoryId = NewType("DirectoryId", str)

TOKEN_PATH = "/auth/api/v1/oauth/token"
STATUS_PATH = "/role-store/api/v1/status"
SOURCES_PATH = "/role-store/api/v1/sources"
ROLES_PATH = "/role-store/api/v1/roles"
# Seconds; the n-th retry waits up to base * 2**n (full jitter, cognito_privx.retry). Tests lower it.
DEFAULT_RETRY_BASE = 0.5
_READ_POSTS = ("/roles/resolve", "/roles/evaluate", "/sources/search", "/users/search")
MASKED = "*****"
# Log in again this long before the token expires (the Python SDK keeps 3 s; clocks and slow calls differ).
TOKEN_MARGIN_S = 10.0
MANAGED_MARKER = "managed by cognito-privx"

_HINT_401 = (
    "check PRIVX_API_CLIENT_ID / PRIVX_API_CLIENT_SECRET (the API client) and "
    "PRIVX_API_OAUTH_CLIENT_ID / PRIVX_API_OAUTH_CLIENT_SECRET (the OAuth client) on PrivX's API-clients page"
)
_HINT_403_USERS = "give the API client's PrivX role the permission users-view (doctor reads the directory's users)"
_HINT_403 = "give the API client's PrivX role the permissions sources-view, sources-manage, roles-view and roles-manage"


def build_http_client(
    base_url: str,
    *,
    ca_pem: str | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The httpx client for PrivX: verification always on, the PrivX CA added when given."""
    verify: ssl.SSLContext | bool = True
    if ca_pem:
        ctx = ssl.create_default_context()
        try:
            ctx.load_verify_locations(cadata=ca_pem)
        except (ssl.SSLError, TypeError, ValueError) as e:
            from cognito_privx.errors import CredentialsError

            reason = getattr(e, "reason", None) or str(e).split(":")[0] or type(e).__name__
            raise CredentialsError(
                f"PRIVX_CA_CERT is not a valid PEM certificate ({reason})", "export the CA again as PEM (ASCII text)"
            ) from None
        verify = ctx
    return httpx.Client(
        base_url=base_url,
        verify=verify,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        transport=transport,
        headers={"User-Agent": "cognito-privx"},
        follow_redirects=False,
    )


def _error_text(response: httpx.Response) -> str:
    """PrivX's error message, from either error body shape, or a short note when there is none."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"HTTP {response.status_code} (no JSON body)"
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("error") or ""
        msg = body.get("error_message") or body.get("error_description") or ""
        prop = body.get("property")
        text = ": ".join(str(p) for p in (code, msg) if p)
        if prop:
            text += f" (property {prop})"
        return text or f"HTTP {response.status_code}"
    return f"HTTP {response.status_code}"


class PrivXAuth(httpx.Auth):
    """PrivX's log-in as an httpx auth flow (docs/privx-api.md#authentication).

    Adds the bearer token; logs in first (the OAuth password grant: the OAuth client in Basic auth, the API client
    as user) when there is no token or it expires within ``TOKEN_MARGIN_S``; after a 401 logs in once more and
    repeats the request once. A ready token (``PRIVX_API_BEARER_TOKEN``) is sent as it is and never renewed.

    A refused log-in (400/401/403) raises :class:`PrivXAuthError`. Any other failed grant (429, 5xx, 404) ends the
    flow with the token endpoint's answer: the caller's retry policy and error mapping decide what it means.
    """

    requires_response_body = True

    def __init__(
        self,
        credentials: PrivXCredentials,
        build_request: Callable[..., httpx.Request],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._creds = credentials
        self._build_request = build_request  # the client's: its base URL, headers and timeouts apply
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def fixed_token(self) -> str | None:
        """A ready bearer token (``PRIVX_API_BEARER_TOKEN``), if one is set and not empty."""
        token = self._creds.bearer_token
        return token.get_secret_value() if token is not None and token.get_secret_value() else None

    def needs_login(self) -> bool:
        return self.fixed_token() is None and (self._token is None or self._clock() >= self._expires)

    def grant(self) -> dict[str, Any]:
        """The token request's headers and form (docs/privx-api.md#authentication)."""
        creds = self._creds
        assert creds.api_client_id and creds.api_client_secret and creds.oauth_client_secret  # checked earlier
        basic = base64.b64encode(
            f"{creds.oauth_client_id}:{creds.oauth_client_secret.get_secret_value()}".encode()
        ).decode()
        return {
            "headers": {"Authorization": f"Basic {basic}"},
            "data": {
                "grant_type": "password",
                "username": creds.api_client_id,
                "password": creds.api_client_secret.get_secret_value(),
            },
        }

    def accept(self, response: httpx.Response) -> bool:
        """Take the token from the token endpoint's answer; ``False`` when it failed other than by refusal."""
        if response.status_code in (400, 401, 403):
            raise PrivXAuthError(
                f"PrivX refused the login: {_error_text(response)}", _HINT_401, status=response.status_code
            )
        if response.status_code != 200:
            return False
        try:
            body = response.json()
            token = body["access_token"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
            raise PrivXAPIError(
                "PrivX's token endpoint answered without an access token",
                "check that [privx] url points at PrivX itself, not a proxy or login page",
                status=response.status_code,
            ) from e
        self._token = str(token)
        expires_in = float(body.get("expires_in", 300))
        self._expires = self._clock() + max(expires_in - TOKEN_MARGIN_S, expires_in / 2)
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        fixed = self.fixed_token()
        if fixed is not None:
            request.headers["Authorization"] = f"Bearer {fixed}"
            yield request
            return
        if self.needs_login() and not self.accept((yield self._build_request("POST", TOKEN_PATH, **self.grant()))):
            return
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:  # expired or revoked early (a server restart): log in once more
            self._token = None
            if self.accept((yield self._build_request("POST", TOKEN_PATH, **self.grant()))):
                request.headers["Authorization"] = f"Bearer {self._token}"
                yield request


def _harmless(request: httpx.Request) -> bool:
    """Whether repeating ``request`` is harmless: idempotent, or a POST that only reads or logs in."""
    return request.method in ("GET", "HEAD", "PUT", "DELETE") or request.url.path.endswith((TOKEN_PATH, *_READ_POSTS))


def _repeat_response(response: httpx.Response) -> bool:
    verdict = status_verdict(response.status_code)
    return verdict is Verdict.RETRY or (verdict is Verdict.UNKNOWN and _harmless(response.request))


def _repeat_error(error: BaseException) -> bool:
    """A connection failure is repeated unless it is TLS, or the request that met it may have been processed and
    repeating it is not harmless (a creating POST is left to ``_create``, which looks the object up first)."""
    if not isinstance(error, PrivXConnectionError) or error.tls:
        return False
    cause = error.__cause__
    return not error.unknown_outcome or (isinstance(cause, httpx.RequestError) and _harmless(cause.request))


def _create_verdict(error: Exception) -> Verdict:
    # PrivX documents no 409 for a taken name (v41 lists 201, 400, 401, 403, 404, 500; docs/privx-api.md#roles):
    # a 400 about the name may be one, so it is looked up too, like a 409 from servers that do send it.
    if isinstance(error, PrivXError) and (
        error.status == 409 or (error.status == 400 and "(property name)" in error.message)
    ):
        return Verdict.TAKEN
    return Verdict.UNKNOWN if isinstance(error, PrivXError) and error.unknown_outcome else Verdict.FAIL


class PrivXClient:
    """The PrivX calls cognito-privx makes. ``observer`` sees ``(method, path)`` of every request sent.

    ``retry`` is the policy for every request (default: ``max_attempts`` attempts from ``DEFAULT_RETRY_BASE``).
    """

    def __init__(
        self,
        http: httpx.Client,
        credentials: PrivXCredentials,
        *,
        clock: Callable[[], float] = time.monotonic,
        observer: Callable[[str, str], None] | None = None,
        max_attempts: int = 4,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = http
        self.auth = PrivXAuth(credentials, http.build_request, clock=clock)
        self.retry = retry if retry is not None else RetryPolicy(attempts=max_attempts, base=DEFAULT_RETRY_BASE)
        self._observer = observer
        # Every request, the log-ins and repeats included, passes the client's request hooks.
        http.event_hooks = {**http.event_hooks, "request": [*http.event_hooks["request"], self._observe]}

    # -- transport ------------------------------------------------------------------------------------------

    def _observe(self, request: httpx.Request) -> None:
        log.debug("privx %s %s", request.method, request.url.path)
        if self._observer is not None:
            self._observer(request.method, request.url.path)

    def _send(self, method: str, path: str, *, auth: httpx.Auth | None = None, **kwargs: Any) -> httpx.Response:
        """One exchange (with its log-in, if any) under the retry policy (:mod:`cognito_privx.retry`)."""

        def attempt() -> httpx.Response:
            try:
                return self.http.request(method, path, auth=auth, **kwargs)
            except httpx.TransportError as e:
                raise self._connection_error(e) from e

        return self.retry.call(
            attempt,
            retry_error=_repeat_error,
            retry_result=_repeat_response,
            wait_hint=lambda response: retry_after(response.status_code, response.headers),
        )

    def _connection_error(self, e: httpx.TransportError) -> PrivXConnectionError:
        if isinstance(e, httpx.ConnectError):
            if isinstance(e.__context__, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(e):
                error = PrivXConnectionError(
                    f"TLS verification of {self.http.base_url} failed: {e}",
                    "set PRIVX_CA_CERT to PrivX's CA certificate (PEM text or a path), "
                    "shown on PrivX's API-clients page",
                )
                error.tls = True
                return error
            # Nothing was sent: repeating is always safe.
            return PrivXConnectionError(
                f"cannot connect to PrivX at {self.http.base_url}: {e}",
                "check [privx] url / PRIVX_API_BASE_URL and that PrivX is reachable from here",
            )
        if isinstance(e, httpx.ConnectTimeout):
            return PrivXConnectionError(
                f"PrivX at {self.http.base_url} did not accept a connection in time",
                "check the network and [privx] url",
            )
        if isinstance(e, httpx.TimeoutException):
            return PrivXConnectionError(
                f"PrivX at {self.http.base_url} did not answer in time ({type(e).__name__})",
                "check the network, or raise [privx] timeout",
                unknown_outcome=True,
            )
        return PrivXConnectionError(
            f"the connection to PrivX failed: {type(e).__name__}: {e}",
            "run again; it is safe to re-run",
            unknown_outcome=True,
        )

    def login(self) -> None:
        """Authenticate now, so bad credentials fail before anything is changed anywhere."""
        if self.auth.needs_login():
            response = self._send("POST", TOKEN_PATH, **self.auth.grant())
            if not self.auth.accept(response):
                raise self._error("POST", TOKEN_PATH, response)

    def request(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """An authenticated call; the decoded JSON body (``None`` when empty). Raises :class:`PrivXError`."""
        response = self._send(method, path, auth=self.auth, json=json_body, params=params)
        if not response.is_success:
            raise self._error(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except json.JSONDecodeError as e:
            raise PrivXAPIError(
                f"PrivX answered {method} {path} with a body that is not JSON",
                "check that [privx] url points at PrivX itself, not a proxy or login page",
                status=response.status_code,
            ) from e

    @staticmethod
    def _error(method: str, path: str, response: httpx.Response) -> PrivXError:
        if response.request.url.path.endswith(TOKEN_PATH):  # the log-in before the call failed, not the call
            method, path = "POST", TOKEN_PATH
        status = response.status_code
        text = _error_text(response)
        where = f"{method} {path}"
        if status == 401:
            return PrivXAuthError(f"PrivX refused the credentials on {where}: {text}", _HINT_401, status=status)
        if status == 403:
            hint = _HINT_403_USERS if "/users" in path else _HINT_403
            return PrivXPermissionError(f"PrivX denied {where}: {text}", hint, status=status)
        if status == 404:
            hint = (
                "the object was removed meanwhile; run again"
                if path.startswith(SOURCES_PATH + "/")
                else "check [privx] url / PRIVX_API_BASE_URL (the PrivX base URL, without /privx)"
            )
            return PrivXNotFoundError(f"PrivX has no {path}: {text}", hint, status=status)
        if status >= 500:
            return PrivXAPIError(
                f"PrivX failed on {where}: {text}", "PrivX had a server error; run again later", status=status
            )
        return PrivXAPIError(f"PrivX rejected {where}: {text}", "see PrivX's message above", status=status)

    # -- API ------------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The unauthenticated status document (version etc.)."""
        response = self._send("GET", STATUS_PATH)
        if not response.is_success:
            raise self._error("GET", STATUS_PATH, response)
        try:
            body: dict[str, Any] = response.json()
        except json.JSONDecodeError as e:
            raise PrivXAPIError(
                f"{self.http.base_url} does not look like PrivX (its status is not JSON)",
                "check [privx] url / PRIVX_API_BASE_URL",
            ) from e
        return body

    def list_sources(self) -> list[dict[str, Any]]:
        body = self.request("GET", SOURCES_PATH)
        items: list[dict[str, Any]] = body.get("items", [])
        return items

    def get_source(self, source_id: str) -> dict[str, Any]:
        source: dict[str, Any] = self.request("GET", f"{SOURCES_PATH}/{source_id}")
        return source

    def _create(self, path: str, body: Mapping[str, Any], lookup: Callable[[], str | None]) -> str:
        """POST a new object, never two: when its outcome is unknown (a lost response, a gateway error) or the name
        is taken meanwhile, the object is looked up by name first, and only when absent is it created again."""
        return self.retry.create_once(
            lambda: str(self.request("POST", path, json_body=body)["id"]), lookup, _create_verdict
        )

    def create_source(self, body: Mapping[str, Any]) -> DirectoryId:
        def lookup() -> str | None:
            found = [s for s in self.list_sources() if s.get("name") == body.get("name")]
            return str(found[0]["id"]) if found else None

        return DirectoryId(self._create(SOURCES_PATH, body, lookup))

    def _delete(self, path: str) -> None:
        # A DELETE repeated after a lost response finds the object gone: that is the result we wanted.
        with contextlib.suppress(PrivXNotFoundError):
            self.request("DELETE", path)

    def delete_source(self, source_id: str) -> None:
        self._delete(f"{SOURCES_PATH}/{source_id}")

    def delete_role(self, role_id: str) -> None:
        self._delete(f"{ROLES_PATH}/{role_id}")

    def update_source(self, source_id: str, body: Mapping[str, Any]) -> None:
        self.request("PUT", f"{SOURCES_PATH}/{source_id}", json_body=body)

    def resolve_roles(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Existing roles by name (``roles/resolve``); names that do not exist are absent."""
        if not names:
            return {}
        # Unknown names may be skipped, answered with a stub without an id, or refused (404): all mean absent
        # (docs/privx-api.md#open-questions).
        try:
            body = self.request("POST", ROLES_PATH + "/resolve", json_body=names) or {}
        except PrivXNotFoundError:
            return {r["name"]: r for r in self._resolve_one_by_one(names)}
        return {str(r["name"]): r for r in body.get("items") or [] if r.get("name") in names and r.get("id")}

    def _resolve_one_by_one(self, names: list[str]) -> list[dict[str, Any]]:
        """After a 404 for the batch (a server that refuses it when one name is unknown), each name alone."""
        found = []
        for name in names:
            try:
                body = self.request("POST", ROLES_PATH + "/resolve", json_body=[name]) or {}
            except PrivXNotFoundError:
                continue
            found += [r for r in body.get("items") or [] if r.get("name") == name and r.get("id")]
        return found

    def get_role(self, role_id: str) -> dict[str, Any]:
        role: dict[str, Any] = self.request("GET", f"{ROLES_PATH}/{role_id}")
        return role

    def create_role(self, body: Mapping[str, Any]) -> str:
        def lookup() -> str | None:
            found = self.resolve_roles([str(body.get("name"))]).get(str(body.get("name")))
            return str(found["id"]) if found else None

        return self._create(ROLES_PATH, body, lookup)

    def update_role(self, role_id: str, body: Mapping[str, Any]) -> None:
        self.request("PUT", f"{ROLES_PATH}/{role_id}", json_body=body)

    def evaluate_role(self, body: Mapping[str, Any]) -> int | None:
        """How many users a role definition would match today (a preview for the plan); ``None`` when PrivX
        cannot tell (not offered, or failing). A 400 is raised, as :meth:`evaluate` explains."""
        result = self.evaluate(body)
        return None if result is None else len(result)

    def evaluate(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The users a role definition would match today (``roles/evaluate``); ``None`` when PrivX does not offer
        it (404) or failed (5xx). A 400 is raised: it is PrivX saying the rules are wrong, never to be swallowed
        (docs/privx-api.md#role-rules)."""
        role = {k: v for k, v in body.items() if k not in ROLE_READ_ONLY and k != "id"}
        try:
            result = self.request("POST", ROLES_PATH + "/evaluate", json_body=role) or {}
        except PrivXNotFoundError as e:
            log.debug("privx: roles/evaluate not offered: %s", e.message)
            return None
        except PrivXAPIError as e:
            if e.status == 400:
                raise
            log.debug("privx: roles/evaluate failed: %s", e.message)
            return None
        items: list[dict[str, Any]] = result.get("items") or []
        return items

    def user_roles(self, user_id: str) -> list[dict[str, Any]]:
        """The roles PrivX gives a user now (``GET /users/{id}/roles``, privx-sdk-go ``GetUserRoles``)."""
        body = self.request("GET", f"/role-store/api/v1/users/{user_id}/roles") or {}
        items: list[dict[str, Any]] = body.get("items") or []
        return items

    def search_users(self, source_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Users of one directory (``POST /users/search`` with ``source``; the first ``limit``). An OIDC user
        exists in PrivX only after a first login (docs/privx-api.md#users)."""
        body = self.request(
            "POST", "/role-store/api/v1/users/search", json_body={"source": source_id}, params={"limit": limit}
        )
        items: list[dict[str, Any]] = (body or {}).get("items") or []
        return items

    def find_directory(self, name: str) -> dict[str, Any] | None:
        """The directory named ``name`` (full object), ``None`` when absent; raises when two share the name."""
        found = [s for s in self.list_sources() if s.get("name") == name]
        if len(found) > 1:
            ids = ", ".join(sorted(str(s.get("id")) for s in found))
            raise AmbiguousResourceError(
                f"{len(found)} PrivX directories are named {name!r}: {ids}",
                "delete or rename the extra directory in PrivX, then run again",
            )
        # The list may abbreviate objects; the full one is what a PUT must start from.
        return self.get_source(str(found[0]["id"])) if found else None

    def list_roles(self) -> list[dict[str, Any]]:
        """Every role, paged (``offset``/``limit``; stop at ``count`` or a short page, docs/privx-api.md#paging)."""
        roles: list[dict[str, Any]] = []
        while True:
            body = self.request("GET", ROLES_PATH, params={"offset": len(roles), "limit": ROLE_PAGE}) or {}
            page: list[dict[str, Any]] = body.get("items") or []
            roles.extend(page)
            if len(page) < ROLE_PAGE or len(roles) >= int(body.get("count") or 0):
                return roles


# The largest page PrivX serves (docs/privx-api.md#roles: limit max 1000).
ROLE_PAGE = 1000


# -- the OIDC directory ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectorySpec:
    """What the PrivX directory must say; ``client_secret`` is the real Cognito app-client secret."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    button_title: str
    tags_claim: str
    additional_scopes: tuple[str, ...]
    account_mapping: tuple[tuple[str, str], ...] = ()
    secret_id: str | None = None  # the Cognito id of ``client_secret``, recorded in our marker (not a secret)

    @classmethod
    def from_template(
        cls,
        template: DirectoryTemplate,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        secret_id: str | None = None,
    ) -> DirectorySpec:
        return cls(
            secret_id=secret_id,
            name=template.name,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            button_title=template.button_title,
            tags_claim=template.tags_claim,
            additional_scopes=template.additional_scopes,
            account_mapping=template.account_mapping,
        )

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"DirectorySpec(name={self.name!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"

    def managed(self) -> dict[str, Any]:
        """The fields we compare, flattened as ``connection.<key>`` (the secret cannot be read back)."""
        return {
            "name": self.name,
            "enabled": True,
            "connection.type": "OIDC",
            "connection.oidc_enabled": True,
            "connection.oidc_issuer": self.issuer,
            "connection.oidc_client_id": self.client_id,
            "connection.oidc_button_title": self.button_title,
            "connection.oidc_tags_attribute_name": self.tags_claim,
            "connection.oidc_additional_scopes": list(self.additional_scopes),
            **(
                {"connection.attribute_mapping": attribute_mapping(dict(self.account_mapping))}
                if self.account_mapping
                else {}
            ),
        }

    def overlay(self, current: Mapping[str, Any] | None) -> dict[str, Any]:
        """The whole object to send: ``current`` (if any) with every managed field and the real secret over it."""
        body: dict[str, Any] = (
            copy.deepcopy(dict(current))
            if current
            else {"name": self.name, "comment": f"Amazon Cognito user pool, {MANAGED_MARKER}"}
        )
        connection = body.setdefault("connection", {})
        for key, value in self.managed().items():
            if key.startswith("connection."):
                connection[key.removeprefix("connection.")] = value
            else:
                body[key] = value
        connection["oidc_client_secret"] = self.client_secret
        if MANAGED_MARKER not in str(body.get("comment") or ""):  # an adopted directory: mark it as ours
            body["comment"] = f"{body.get('comment') or ''} ({MANAGED_MARKER})".strip()
        if self.secret_id:
            body["comment"] = with_secret_id(str(body.get("comment") or ""), self.secret_id)
        return body


# Which Cognito client secret PrivX holds, by its id (an id is not a secret), in the directory's comment.
# AWS documents no format for a ClientSecretId: anything up to a space, ")" or ";".
_SECRET_ID = re.compile(r"; client secret ([^\s);]+)")


def secret_id_of(directory: Mapping[str, Any] | None) -> str | None:
    """The id of the app-client secret our marker says PrivX holds; ``None`` when the marker names none."""
    found = _SECRET_ID.search(str((directory or {}).get("comment") or ""))
    return found.group(1) if found else None


def with_secret_id(comment: str, secret_id: str) -> str:
    """``comment`` with our marker naming ``secret_id`` (replacing the one it named)."""
    if _SECRET_ID.search(comment):
        return _SECRET_ID.sub(f"; client secret {secret_id}", comment, count=1)
    if MANAGED_MARKER in comment:
        return comment.replace(MANAGED_MARKER, f"{MANAGED_MARKER}; client secret {secret_id}", 1)
    return f"{comment} ({MANAGED_MARKER}; client secret {secret_id})".strip()


def attribute_mapping(account_mapping: Mapping[str, str]) -> dict[str, str]:
    """The directory's ``attribute_mapping`` for ``[privx] account_mapping`` (target account attribute -> claim).

    PrivX's UI takes "Source=Target" pairs, and its OIDC guide maps one claim (``preferred_username``) to both
    targets, which a claim-keyed JSON map could not hold: so the stored JSON is keyed by target
    (``{"unix_account": "email", "windows_account": "email"}``). An inference, not documented
    (docs/privx-api.md#account-mapping): decided here and only here.
    """
    return dict(sorted(account_mapping.items()))


def issuer_of(directory: Mapping[str, Any]) -> str | None:
    issuer = (directory.get("connection") or {}).get("oidc_issuer")
    return str(issuer) if issuer else None


@dataclass(frozen=True)
class PoolIdentity:
    """How a directory can name our pool: its issuer, and the hosted-UI base URLs of its domains.

    A directory is ours when its ``oidc_issuer`` is the issuer, also in the two forms people get wrong and setup
    repairs (a trailing slash; the hosted-UI domain instead of the issuer,
    docs/cognito.md#issuer-and-hosted-ui-domain).
    """

    issuer: str
    hosted_ui: tuple[str, ...] = ()

    def named_by(self, directory: Mapping[str, Any]) -> bool:
        issuer = (issuer_of(directory) or "").rstrip("/")
        return bool(issuer) and (issuer == self.issuer or issuer in self.hosted_ui)


def _age(directory: Mapping[str, Any]) -> tuple[str, str]:
    # RFC 3339 UTC timestamps of one server sort as strings; the id breaks ties the same way in every run.
    return str(directory.get("created") or "9999"), str(directory.get("id"))


def _is_race(directories: list[dict[str, Any]]) -> bool:
    """Whether directories of ours were created within two minutes of each other (concurrent runs, whose losers
    delete their own), rather than a real duplicate that needs a person."""
    from datetime import datetime, timedelta

    try:
        times = sorted(datetime.fromisoformat(str(d.get("created")).replace("Z", "+00:00")) for d in directories)
    except ValueError:
        return False
    return times[-1] - times[0] <= timedelta(minutes=2)


@dataclass(frozen=True)
class DirectoryMatch:
    """The directories that matter to us.

    ``ours``: the directory whose issuer is our pool (the oldest, when a race left two); ``foreign``: a directory
    with the configured name that is not ours (its issuer is another pool, whatever its comment says).
    """

    ours: dict[str, Any] | None
    foreign: dict[str, Any] | None

    def foreign_reason(self) -> str:
        """Why ``foreign`` is not ours, in one clause."""
        d = self.foreign or {}
        marked = MANAGED_MARKER in str(d.get("comment") or "")
        return f"its issuer {issuer_of(d)} is not our pool's" + (
            " (it carries cognito-privx's marker: another config's deployment, or a pool deleted since)"
            if marked
            else ""
        )


def find_directories(privx: PrivXClient, name: str, pool: PoolIdentity | None) -> DirectoryMatch:
    """Ours (its issuer names our pool; the marker alone never makes a directory ours) and a same-named foreign one.

    ``pool`` is ``None`` when our pool does not exist yet: then nothing is ours. Raises
    :class:`AmbiguousResourceError` when several same-named directories are not ours.
    """
    sources = privx.list_sources()
    ours = [s for s in sources if pool is not None and pool.named_by(s)]
    named_foreign = [s for s in sources if s.get("name") == name and s not in ours]
    if len(named_foreign) > 1:
        ids = ", ".join(sorted(str(s.get("id")) for s in named_foreign))
        raise AmbiguousResourceError(
            f"{len(named_foreign)} PrivX directories are named {name!r}: {ids}",
            "delete or rename the extra directory in PrivX, then run again",
        )
    chosen = None
    if len(ours) > 1 and not _is_race(ours):
        ids = ", ".join(str(s.get("id")) for s in sorted(ours, key=_age))
        raise AmbiguousResourceError(
            f"{len(ours)} PrivX directories point at this config's pool ({name!r} among them): {ids}",
            "delete the extra directory in PrivX, then run again",
        )
    if ours:
        named = [s for s in ours if s.get("name") == name]
        chosen = min(named or ours, key=_age)
        # The list may abbreviate objects; the full one is what a PUT must start from.
        chosen = privx.get_source(str(chosen["id"]))
    foreign = privx.get_source(str(named_foreign[0]["id"])) if named_foreign else None
    return DirectoryMatch(chosen, foreign)


@dataclass(frozen=True)
class DirectoryState:
    change: Change
    directory: dict[str, Any] | None

    @property
    def directory_id(self) -> DirectoryId | None:
        return DirectoryId(str(self.directory["id"])) if self.directory else None


def flatten(source: Mapping[str, Any]) -> dict[str, Any]:
    """A directory as ``{"enabled": .., "connection.<key>": ..}`` for comparison with :meth:`DirectorySpec.managed`."""
    flat = {k: v for k, v in source.items() if k != "connection"}
    for key, value in (source.get("connection") or {}).items():
        flat[f"connection.{key}"] = value
    return flat


_SECRET_FIELD = "connection.oidc_client_secret"
SECRET_ID_FIELD = "comment (client secret id)"
_READ_ONLY = frozenset({"author", "created", "updated", "status_code", "status_text"})


def _settle_directory_race(privx: PrivXClient, spec: DirectorySpec, created_id: str) -> tuple[str, str]:
    """Look again after creating the directory: when a concurrent run made one for our pool too (a PrivX that
    allows duplicate names), the older wins and ours is deleted. Returns the id to carry on with and a note."""
    ours = [s for s in privx.list_sources() if (issuer_of(s) or "").rstrip("/") == spec.issuer]
    if len(ours) < 2:
        return created_id, ""
    winner = str(min(ours, key=_age)["id"])
    if winner == created_id:
        return created_id, ""
    privx.delete_source(created_id)
    return winner, f"a concurrent run created directory {winner} first; this run's was deleted"


_UNSET: Any = object()


def ensure_directory(
    privx: PrivXClient,
    spec: DirectorySpec,
    *,
    dry_run: bool,
    current: dict[str, Any] | None = _UNSET,
    resend_secret: bool = False,
) -> DirectoryState:
    """Create or converge the OIDC directory. ``current`` is ours (or one being adopted), observed by the caller;
    when left out, it is looked up (and a same-named directory that is not ours raises
    :class:`ForeignResourceError`)."""
    if current is _UNSET:
        found = find_directories(privx, spec.name, PoolIdentity(spec.issuer))
        if found.ours is None and found.foreign is not None:
            raise ForeignResourceError(
                f"the PrivX directory {spec.name!r} ({found.foreign.get('id')}) is not ours: {found.foreign_reason()}",
                "choose another [privx] directory_name",
            )
        current = found.ours
    desired = spec.managed()
    if current is None:
        change = change_for("privx directory", spec.name, None, {**desired, _SECRET_FIELD: SENSITIVE})
        if dry_run:
            return DirectoryState(change, None)
        new_id, note = _settle_directory_race(privx, spec, privx.create_source(spec.overlay(None)))
        created = privx.get_source(new_id)
        if note or diff_fields(flatten(created), desired):
            # Created meanwhile by a concurrent run (or found by name after a lost answer): converge it too.
            state = ensure_directory(privx, spec, dry_run=False, current=created)
            return DirectoryState(
                Change(
                    change.resource,
                    change.name,
                    state.change.action,
                    state.change.fields,
                    (*state.change.notes, note) if note else state.change.notes,
                ),
                state.directory,
            )
        return DirectoryState(change, created)
    fields = diff_fields(flatten(current), desired)
    if spec.secret_id and secret_id_of(current) != spec.secret_id:
        fields = (*fields, FieldChange(SECRET_ID_FIELD, secret_id_of(current), spec.secret_id))
    if not fields and not resend_secret:
        return DirectoryState(Change("privx directory", spec.name, Action.NOOP), current)
    # The secret reads back masked, so drift cannot be seen: it is re-sent with every update, and said so.
    fields = (*fields, FieldChange(_SECRET_FIELD, SENSITIVE, SENSITIVE))
    notes: tuple[str, ...] = (
        "the client secret is re-sent (--resend-secret)"
        if resend_secret and not fields
        else "the client secret is re-sent with every update (PrivX never returns it)",
    )
    if MANAGED_MARKER not in str(current.get("comment") or ""):
        notes = (f"adopting directory {current.get('id')}: it gets our marker in its comment", *notes)
    change = Change("privx directory", spec.name, Action.UPDATE, fields, notes)
    if dry_run:
        return DirectoryState(change, current)
    body = {k: v for k, v in spec.overlay(current).items() if k not in _READ_ONLY}
    privx.update_source(str(current["id"]), body)
    after = privx.get_source(str(current["id"]))
    missed = diff_fields(flatten(after), desired)
    if missed:
        names = ", ".join(f.field for f in missed)
        change = Change(
            change.resource,
            change.name,
            change.action,
            change.fields,
            (*change.notes, f"PrivX did not keep: {names} (an older PrivX may ignore these keys)"),
        )
    return DirectoryState(change, after)


def login_url(cfg: AppConfig, directory: Mapping[str, Any] | None) -> str | None:
    """The direct-login URL of ``directory`` from ``[privx] login_url_template`` (``None`` without a directory).

    No PrivX model has a login-URL field (privx-sdk-go's Source has none): the template is the only source, and
    :mod:`cognito_privx.directlogin` checks it against the real server.
    """
    if directory is None:
        return None
    return cfg.privx.login_url_template.format(base_url=cfg.privx_url, directory_id=directory["id"])


# -- grants: a Cognito group gets a PrivX role -------------------------------------------------------------

ROLE_READ_ONLY = frozenset({"member_count", "created", "updated", "author"})
_EMPTY_RULES: dict[str, Any] = {"type": "GROUP", "match": "ANY", "rules": []}
_MARKER_DIRECTORY = re.compile(re.escape(MANAGED_MARKER) + r" for directory ([0-9A-Za-z-]+)")


def role_rule(directory_id: str, search_string: str) -> dict[str, Any]:
    """The rule leaf that gives a role to the users of ``directory_id`` that ``search_string`` matches.

    The ``search_string``'s form for an OIDC directory has no public example (docs/privx-api.md#role-rules): it
    comes from ``[privx] rule_template`` (:meth:`DesiredState.search_string`), and ``doctor`` calibrates it.
    """
    return {"type": "RULE", "source": directory_id, "search_string": search_string, "rules": []}


def role_marker(directory_id: str) -> str:
    """The comment marker of a role cognito-privx created for one directory (so another deployment sharing the
    PrivX never calls it unused, and teardown deletes only its own)."""
    return f"{MANAGED_MARKER} for directory {directory_id}"


def made_by_us(role: Mapping[str, Any], directory_id: str) -> bool:
    """Whether we created the role for ``directory_id``. A marker without a directory (older versions) counts
    only while the role still holds a rule of that directory."""
    comment = str(role.get("comment") or "")
    if MANAGED_MARKER not in comment:
        return False
    found = _MARKER_DIRECTORY.search(comment)
    return found.group(1) == directory_id if found else bool(our_leaves(role, directory_id))


def _leaves(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if node.get("type") == "RULE":
        yield node
    for child in node.get("rules") or []:
        yield from _leaves(child)


def _granting(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The leaves that grant the role on their own: reached from the root through ANY groups (or an ALL group of
    one). A leaf inside a wider ALL group only narrows who gets the role."""
    if node.get("type") == "RULE":
        yield node
        return
    children = node.get("rules") or []
    if node.get("match", "ANY") == "ANY" or len(children) == 1:
        for child in children:
            yield from _granting(child)


def leaves(node: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Every RULE leaf of a ``source_rules`` tree (any of its three root shapes, or ``None``)."""
    return list(_leaves(node or {}))


def our_leaves(role: Mapping[str, Any], directory_id: str) -> list[Mapping[str, Any]]:
    """The role's rule leaves whose ``source`` is our directory: ours, whoever made the role."""
    return [leaf for leaf in leaves(role.get("source_rules")) if leaf.get("source") == directory_id]


def has_rule(role: Mapping[str, Any], directory_id: str, search_string: str) -> bool:
    """Whether the role grants itself to the users ``search_string`` matches in our directory: our leaf, not
    narrowed by an ALL group."""
    want = search_string
    return any(
        leaf.get("source") == directory_id and leaf.get("search_string") == want
        for leaf in _granting(role.get("source_rules") or {})
    )


def remove_leaves(
    role: Mapping[str, Any], directory_id: str, search_strings: set[str]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The role without our leaves for ``search_strings``, and how many copies of each had to stay.

    A leaf is removed where it sits in an ``ANY`` group (or is the bare root): taking a condition out of an
    ``ALL`` group would widen who gets the role (the others' conditions alone would then grant it), so such a
    copy stays and the caller reports it. Every other rule is kept as it is.
    """
    blocked: dict[str, int] = {}

    def doomed(node: Mapping[str, Any]) -> bool:
        return bool(
            node.get("type") == "RULE"
            and node.get("source") == directory_id
            and node.get("search_string") in search_strings
        )

    def prune(node: Mapping[str, Any]) -> dict[str, Any]:
        kept = []
        for child in node.get("rules") or []:
            if doomed(child):
                if node.get("match", "ANY") == "ANY":
                    continue
                search = str(child.get("search_string"))
                blocked[search] = blocked.get(search, 0) + 1
            kept.append(prune(child))
        return {**node, "rules": kept}

    body = copy.deepcopy(dict(role))
    root = role.get("source_rules") or _EMPTY_RULES
    body["source_rules"] = copy.deepcopy(_EMPTY_RULES) if doomed(root) else prune(root)
    return body, blocked


def add_leaves(role: Mapping[str, Any], new: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The role with ``new`` leaves in its top ``ANY`` group; ``None`` when the top node is an ``ALL`` group with
    rules of its own (adding ours would change what the others mean: reported, not rewritten).

    A bare RULE root, or a root ``{"rules": null}`` (as roles made by other tools read back), is kept: the root is
    wrapped in an ``ANY`` group next to our leaves.
    """
    root = role.get("source_rules") or _EMPTY_RULES
    body = copy.deepcopy(dict(role))
    if root.get("type") == "RULE":
        body["source_rules"] = {"type": "GROUP", "match": "ANY", "rules": [copy.deepcopy(dict(root)), *new]}
    elif root.get("match", "ANY") == "ANY" or not root.get("rules"):
        body["source_rules"] = {**copy.deepcopy(dict(root)), "type": "GROUP", "match": root.get("match") or "ANY"}
        body["source_rules"]["rules"] = [*(root.get("rules") or []), *new]
    else:
        return None
    return body


@dataclass(frozen=True)
class RoleStep:
    """One role's part of a plan: what it changes, and how to carry it out (``None``: nothing to do)."""

    changes: tuple[Change, ...]
    apply: Callable[[], None] | None = None


def _write_role(privx: PrivXClient, role_id: str, transform: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """GET the role, apply ``transform``, PUT it whole if it changed; True when the read-back shows the change.

    Starting from a fresh GET keeps whatever someone changed since the plan was made.
    """
    fresh = privx.get_role(role_id)
    body = transform(fresh)
    if body == fresh:
        return True
    privx.update_role(role_id, {k: v for k, v in body.items() if k not in ROLE_READ_ONLY})
    after = privx.get_role(role_id)
    return bool(after.get("source_rules") == body.get("source_rules") or transform(after) == after)


def plan_grants(
    privx: PrivXClient,
    desired: DesiredState,
    directory_id: str,
    roles_now: list[dict[str, Any]],
    *,
    owned_permissions: Mapping[str, tuple[str, ...]] | None = None,
    delete_unused: bool = False,
    evaluate: bool = True,
) -> list[RoleStep]:
    """Converge every role towards ``desired.grants``, in both directions.

    - A configured role that is missing is created with one leaf per group it is granted to.
    - In every role (``roles_now``: all of them, listed; built-in ones included), each leaf whose ``source`` is
      ``directory_id`` is ours: kept when a desired grant asks for it, else revoked (from ``ANY`` groups; a copy
      in an ``ALL`` group is reported). Rules of other directories and of others are never touched.
    - A configured role gets the leaves it lacks (a leaf of ours narrowed by an ``ALL`` group does not count as
      granting) and the permissions it lacks (never removed).
    - A role we created for this directory that carries no desired grant is "unused": reported, or with
      ``delete_unused`` (teardown) deleted when nothing else is in it — no other rules, and no permissions beyond
      ``owned_permissions[name]`` (the ones the config gives it). Built-in roles are never deleted.

    ``directory_id`` is :data:`KNOWN_AFTER_APPLY` in a dry run that would create the directory. Nothing is
    written here: each step's ``apply`` does that.
    """
    owned = owned_permissions or {}
    steps: list[RoleStep] = []
    by_name = {str(r.get("name")): r for r in roles_now}
    configured = {r.name for r in desired.roles}
    for spec in desired.roles:
        grants = desired.grants_of(spec.name)
        label = f"{spec.name} ← group {', '.join(g.group for g in grants)}"
        groups = tuple(g.group for g in grants)
        data = (("role", spec.name), ("group", groups[0] if len(groups) == 1 else None), ("groups", groups))
        wanted = [role_rule(directory_id, g.search_string) for g in grants]
        if spec.name not in by_name:
            steps.append(_create_role_step(privx, spec, label, wanted, directory_id, data=data))
            continue
        steps.extend(
            _role_steps(
                privx,
                by_name[spec.name],
                spec,
                label,
                wanted,
                directory_id,
                evaluate=evaluate,
                group_of=desired.group_of,
                data=data,
            )
        )
    for role in roles_now:
        name = str(role.get("name"))
        if name in configured:
            continue
        mine = made_by_us(role, directory_id) and not role.get("system")
        if our_leaves(role, directory_id):
            steps.extend(
                _role_steps(privx, role, None, name, [], directory_id, evaluate=False, group_of=desired.group_of)
            )
        if mine:
            steps.append(_unused_role_step(privx, role, directory_id, owned.get(name, ()), delete=delete_unused))
    return steps


def _create_role_step(
    privx: PrivXClient,
    spec: RoleSpec,
    label: str,
    wanted: list[dict[str, Any]],
    directory_id: str,
    *,
    data: tuple[tuple[str, Any], ...] = (),
) -> RoleStep:
    marker = role_marker(directory_id)
    body = {
        "name": spec.name,
        # The marker tells teardown that we made this role (it deletes it only when nothing else is in it).
        "comment": f"{spec.comment} ({marker})" if spec.comment else marker,
        "permissions": list(spec.permissions),
        "source_rules": {"type": "GROUP", "match": "ANY", "rules": wanted},
    }
    change = change_for("privx role", label, None, {"permissions": list(spec.permissions), "source_rules": wanted})
    change = dataclasses.replace(change, data=data)

    def apply() -> None:
        with _named_refusal(spec.name, wanted):
            role_id = privx.create_role(body)
        # Found by name after a lost answer (a concurrent run made it): make sure our leaves are in it.
        _write_role(privx, role_id, lambda r: _with_grants(r, directory_id, wanted, spec.permissions) or r)

    return RoleStep((change,), apply)


@contextlib.contextmanager
def _named_refusal(role: str, leaves: list[dict[str, Any]]) -> Iterator[None]:
    """Turn PrivX's 400 on a role's rules into an error that names the role and the rule (never swallowed: it
    is evidence that ``[privx] rule_template`` does not fit this PrivX)."""
    try:
        yield
    except PrivXAPIError as e:
        if e.status != 400:
            raise
        rules = ", ".join(repr(leaf["search_string"]) for leaf in leaves) or "(its existing rules)"
        raise PrivXAPIError(
            f"PrivX refused the rules of role {role!r} (search_string {rules}): {e.message}",
            "the rule form may not fit this PrivX: run `cognito-privx doctor`, which checks the forms against a "
            "user of the directory, and set [privx] rule_template",
            status=400,
        ) from e


def _with_grants(
    role: Mapping[str, Any], directory_id: str, wanted: list[dict[str, Any]], permissions: tuple[str, ...]
) -> dict[str, Any] | None:
    """The role with the leaves of ``wanted`` it does not grant yet, and the permissions it lacks."""
    new = [leaf for leaf in wanted if not has_rule(role, directory_id, leaf["search_string"])]
    body: dict[str, Any] | None = add_leaves(role, new) if new else copy.deepcopy(dict(role))
    if body is None:
        return None
    missing = [p for p in permissions if p not in (role.get("permissions") or [])]
    if missing:
        body["permissions"] = [*(role.get("permissions") or []), *missing]
    return body


def _revocation_changes(
    name: str,
    revoke: list[str],
    blocked: Mapping[str, int],
    removed: Mapping[str, int],
    group_of: Callable[[str], str | None],
) -> list[Change]:
    changes = []
    for search in revoke:
        group = group_of(search)
        what = f"{name} ← group {group}" if group is not None else f"{name} ← rule {search}"
        data: tuple[tuple[str, Any], ...] = (
            ("role", name),
            ("group", group),
            ("groups", (group,) if group is not None else ()),
        )
        if group is None:
            data += (("rule", search),)
        stays = (
            "a copy inside an ALL group stays: removing it would widen who gets the role. Remove it by hand"
            if blocked.get(search)
            else ""
        )
        if removed.get(search):
            notes = (stays,) if stays else ()
            changes.append(Change("privx role", what, Action.DELETE, notes=notes, verb="revoke", data=data))
        else:
            changes.append(Change("privx role", what, Action.NOOP, notes=(f"not revoked: {stays}",), data=data))
    return changes


def _role_steps(
    privx: PrivXClient,
    role: Mapping[str, Any],
    spec: RoleSpec | None,
    label: str,
    wanted: list[dict[str, Any]],
    directory_id: str,
    *,
    evaluate: bool,
    group_of: Callable[[str], str | None],
    data: tuple[tuple[str, Any], ...] = (),
) -> list[RoleStep]:
    """Grant and revoke in one existing role (one PUT for both)."""
    name = str(role.get("name"))
    wanted_strings = {leaf["search_string"] for leaf in wanted}
    ours = [str(leaf.get("search_string")) for leaf in our_leaves(role, directory_id)]
    revoke = sorted(set(ours) - wanted_strings)
    new = [leaf for leaf in wanted if not has_rule(role, directory_id, leaf["search_string"])]
    permissions = spec.permissions if spec else ()
    missing_permissions = [p for p in permissions if p not in (role.get("permissions") or [])]

    body, blocked = remove_leaves(role, directory_id, set(revoke))
    removed = {s: ours.count(s) - blocked.get(s, 0) for s in revoke}
    changes = _revocation_changes(name, revoke, blocked, removed, group_of)
    fields: list[FieldChange] = []
    notes: list[str] = []
    if new:
        added = add_leaves(body, new)
        if added is None:
            root = role.get("source_rules") or {}
            notes.append(
                f"not changed: the role's rules are a {root.get('match', '?')} group; adding our rule would change "
                f"what the others mean. Add a rule for tag(s) {', '.join(n['search_string'] for n in new)} of "
                f"directory {directory_id} by hand"
            )
        else:
            count = len(leaves(role.get("source_rules")))
            fields.append(FieldChange("source_rules", f"{count} rule(s)", {"added": new}))
            body = added
    if missing_permissions:
        body["permissions"] = [*(role.get("permissions") or []), *missing_permissions]
        fields.append(FieldChange("permissions", role.get("permissions") or [], body["permissions"]))
    if evaluate and fields and directory_id != KNOWN_AFTER_APPLY:
        with _named_refusal(name, new):
            matched = privx.evaluate_role(body)
        if matched is not None:
            notes.append(f"would match {matched} user(s) today")
    if spec is not None:
        action = Action.UPDATE if fields else Action.NOOP
        changes.insert(0, Change("privx role", label, action, tuple(fields), tuple(notes), data=data))
    writes = bool(fields) or any(c.action is Action.DELETE for c in changes)
    if not writes:
        return [RoleStep(tuple(changes))]
    revoked = {s for s, n in removed.items() if n}

    def transform(fresh: dict[str, Any]) -> dict[str, Any]:
        out, _ = remove_leaves(fresh, directory_id, revoked)
        return _with_grants(out, directory_id, new, permissions) or out

    def apply() -> None:
        with _named_refusal(name, new):
            kept = _write_role(privx, str(role["id"]), transform)
        if not kept:
            raise PrivXAPIError(
                f"PrivX did not keep the new rules of role {name}",
                "check the role in PrivX; run setup again",
            )

    return [RoleStep(tuple(changes), apply)]


def _unused_role_step(
    privx: PrivXClient, role: Mapping[str, Any], directory_id: str, owned: tuple[str, ...], *, delete: bool
) -> RoleStep:
    """A role we created that no desired grant uses any more: reported, or deleted (teardown) when empty."""
    name = str(role.get("name"))
    remaining = [leaf for leaf in leaves(role.get("source_rules")) if leaf.get("source") != directory_id]
    extra_permissions = sorted(set(role.get("permissions") or []) - set(owned))
    if not delete:
        note = (
            "unused: created by cognito-privx, no grant of this config uses it; "
            "teardown deletes it if nothing else is in it"
        )
        return RoleStep((Change("privx role", name, Action.NOOP, notes=(note,)),))
    if remaining or extra_permissions:
        why = []
        if remaining:
            why.append(f"{len(remaining)} rule(s) of others")
        if extra_permissions:
            why.append(f"permissions {', '.join(extra_permissions)} (not in this config)")
        return RoleStep((Change("privx role", name, Action.NOOP, notes=(f"kept: it holds {' and '.join(why)}",)),))

    def apply() -> None:
        fresh = privx.get_role(str(role["id"]))
        others = [leaf for leaf in leaves(fresh.get("source_rules")) if leaf.get("source") != directory_id]
        if not others and not set(fresh.get("permissions") or []) - set(owned):
            privx.delete_role(str(role["id"]))

    change = Change("privx role", name, Action.DELETE, notes=("created by cognito-privx; nothing else in it",))
    return RoleStep((change,), apply)
