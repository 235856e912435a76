"""A stateful, in-memory stand-in for the parts of the PrivX REST API that cognito-privx uses.

The facts come from ``shared/reference/privx-api.md``. There is one framework-agnostic core,
:meth:`PrivXEmulator.dispatch`, which takes plain values and returns an :class:`EmulatorResponse`.
:meth:`PrivXEmulator.handle` adapts it to ``httpx.MockTransport`` for unit tests, and the sandbox serves
the same core over ``http.server``. One lock serialises every request, so a threaded server can use it.

Inspection for tests (real, unmasked values): ``sources``, ``roles``, ``requests`` and
:meth:`PrivXEmulator.write_requests`.

Choices where the reference is unverified
-----------------------------------------
1. Token endpoint. A wrong or missing Basic header is 401 ``invalid_client`` (with
   ``WWW-Authenticate: Basic``). A wrong API client id or secret is **401** ``invalid_grant`` (RFC 6749
   would say 400). A body that is not form-encoded, or lacks ``username``/``password``, is 400
   ``invalid_request``. Every grant but ``password`` (``refresh_token`` too) is 400
   ``unsupported_grant_type``. ``expires_in`` is ``round(token_ttl)``; ``scope`` is the API client's
   permissions, space-separated. A token is valid while ``clock() < issued_at + token_ttl``.
2. Routing comes before authentication: an unknown path is 404 ``NOT_FOUND`` and a known path with the
   wrong method is 405 ``METHOD_NOT_ALLOWED`` (with ``Allow``), token or not. Paths match exactly (no
   trailing-slash folding).
3. Error codes: ``UNAUTHORIZED`` 401, ``FORBIDDEN`` 403 (names the missing permission and the four needed),
   ``OBJECT_NOT_FOUND`` 404 for an unknown id, ``BAD_REQUEST`` 400 for an empty/non-JSON/wrongly shaped
   body, ``MISSING_PARAMETER`` / ``INVALID_PARAMETER`` 400 with ``property`` (dotted path, e.g.
   ``connection.oidc_issuer`` or ``source_rules.rules[0].source``), ``NAME_ALREADY_EXISTS`` **409** for a
   duplicate name, ``GENERAL_ERROR`` 400 for deleting a built-in. ``details`` is always ``[]``.
4. Names are unique among sources and, separately, among roles; the comparison is exact (case-sensitive).
   A PUT may keep its own name.
5. Secrets. GET shows a non-empty ``connection.oidc_client_secret`` as ``"*****"``. A PUT carrying
   ``"*****"`` keeps the stored secret (or leaves the key out when none is stored). A POST carrying
   ``"*****"`` is 400 ``INVALID_PARAMETER``: there is nothing to keep, and storing the mask would hide a
   client bug. A PUT that omits the secret drops it (full replacement).
6. Read-only fields sent by a client are ignored and replaced. Sources: ``id``, ``author``, ``created``,
   ``updated``, ``status_code`` (``"OK"``), ``status_text`` (``""``) and the login-URL field if enabled.
   Roles: ``id``, ``author``, ``created``, ``updated``, ``member_count`` (always 0), ``system`` (False
   for roles made through the API). ``author`` (the API client id) and ``created`` survive a PUT; ``updated``
   changes. Timestamps are RFC 3339 UTC from the wall clock, not from ``clock``.
7. Roles: an omitted ``access_group_id`` becomes :data:`DEFAULT_ACCESS_GROUP_ID` and omitted
   ``permissions`` become ``[]``, on POST and PUT alike. Built-ins: ``privx-admin`` and ``privx-user``,
   both ``system: true``.
8. ``source_rules`` is checked for shape only: GROUP nodes (``match`` ANY/ALL, ``rules`` list) may nest;
   RULE leaves need a non-empty string ``source`` and a string ``search_string``, and their ``rules`` must
   be ``[]`` when present. A leaf's ``source`` need not exist, and deleting a source leaves roles untouched.
9. Source fields with a checked type: ``enabled`` and ``connection.oidc_enabled`` (bool), ``tags``,
   ``username_pattern`` and ``connection.oidc_additional_scopes`` (string lists). Other keys are stored as
   sent. An OIDC connection with ``oidc_enabled: true`` needs ``oidc_issuer`` and ``oidc_client_id``.
10. Built-in sources (LOCAL, LOCALHOST, API-CLIENT; fixed ids) and system roles cannot be deleted (400).
11. Paging (roles and members): an empty value means the default. ``offset`` >= 0 and ``limit`` >= 1 must be
    integers (else 400); ``limit`` above 1000 is **clamped** to 1000. ``sortkey`` is one of ``name``
    (default), ``id``, ``created``, ``updated``; ``sortdir`` ``ASC`` (default) or ``DESC``, any case; ties
    keep creation order. An offset past the end gives an empty page with the full ``count``.
12. DELETE and ``POST /sources/refresh`` answer 200 with an **empty body**. Refresh needs a JSON list of
    existing source ids (404 otherwise) and changes nothing: an OIDC directory has nothing to pull.
13. ``POST /roles/resolve`` returns exact name matches in request order, each once; unknown names are
    skipped. ``POST /roles/evaluate`` checks ``source_rules`` when present and always returns
    ``{"count": 0, "items": []}``: an OIDC directory has no users until someone logs in, and nobody logs
    into the emulator. ``GET /roles/{id}/members`` is likewise an empty page.
14. ``login_url_field`` (off by default): when set, GET of an OIDC source (one or the list) adds that key
    with ``{base_url}/auth/api/v1/oidc/login?directory=<source id>``.
15. ``write_requests()`` lists every POST/PUT/DELETE except the token grant, resolve and evaluate, whatever
    its status (a refused write is still an attempted write); refresh counts.
16. Status bodies: ``{variant: "privx", version, app_version (= version), api_version: "v1",
    status: "ok", service: "auth" | "role-store", start_time}``.
17. Direct login (the default ``login_url_template`` of cognito-privx; PrivX publishes no format):
    ``GET /auth/api/v1/oidc/login?directory=<id>`` needs no token and answers **302** with ``Location:
    <hosted-UI base>/oauth2/authorize?response_type=code&client_id=<oidc_client_id>&redirect_uri=<base_url>
    /auth/api/v1/oidc-cb&scope=openid+<oidc_additional_scopes>&state=<random>``. Real PrivX takes the
    ``authorization_endpoint`` from the issuer's discovery document; the emulator fetches nothing, so the
    hosted-UI base is the setting ``hosted_ui_base`` (e.g. ``https://<prefix>.auth.<region>.amazoncognito.com``)
    and, when that is ``None`` (the default), the directory's ``oidc_issuer`` itself (a URL Cognito would not
    serve: a client checking the redirect's host sees that the emulator could not know it). An unknown id, a
    missing ``directory`` or a source that is not OIDC is 404 ``OBJECT_NOT_FOUND``; a disabled directory
    (``enabled`` or ``oidc_enabled`` false) is 400 ``GENERAL_ERROR``.

Fault injection
---------------
A :class:`Fault` makes chosen requests fail or slow down, so tests can prove how a client copes. Faults are
given to the constructor (``faults=``), added at run time (:meth:`PrivXEmulator.add_fault`,
:meth:`PrivXEmulator.clear_faults`) or over HTTP (``POST``/``DELETE /_emulator/faults``). A fault matches a
request by ``method`` (``None``: any; case-insensitive) and ``path`` (exact, or a prefix when it ends in
``*``; the query string is not part of the path). Every fault counts the requests it matches from the moment
it was added; matching requests number ``nth`` to ``nth + times - 1`` (1-based) are affected, after which
the fault is spent and removed. Faults apply to every route, including the token grant, the status routes,
unknown paths and refused requests, but never to the admin routes. Matching and counting happen under the
lock, so counts are exact under concurrency. A fault has exactly one effect:

- ``status`` (400-599): answer with that status **without processing** the request, with the PrivX error
  body (``error_code`` is the status name, e.g. ``SERVICE_UNAVAILABLE``, even on the token route). A 429
  also carries ``Retry-After: <retry_after>`` (an integral value is written as an integer, e.g. ``1``; a
  fractional one as is, e.g. ``0.2``, which is non-standard but keeps tests fast).
- ``latency`` (seconds, at most 60): the request **is processed**, then the adapter sleeps before
  answering. The core never sleeps: it returns ``EmulatorResponse.delay`` and the caller sleeps outside the
  lock, so a slow answer does not hold up other requests. State changes are visible before the slow answer
  arrives, as on a real server that is slow to respond.
- ``drop``: the request **is processed** (state changes happen), then the connection is dropped without an
  answer (``EmulatorResponse.drop``). :meth:`PrivXEmulator.handle` raises ``httpx.RemoteProtocolError``, the
  HTTP server shuts the socket down. This is the "did my POST go through?" case a client must survive.

When several faults fire on one request, every one of them counts it; their latencies add up and the first
one added with a ``status`` or ``drop`` decides the outcome (a later one is spent without effect). Each
recorded request notes what was applied in ``RecordedRequest.fault`` (``"status 503"``, ``"latency 0.2"``,
``"drop"``, joined with ``", "``), ``None`` when nothing was. For a drop the recorded status is the one the
client never saw.

Admin routes
------------
Paths under ``/_emulator/`` are the test harness's own. They need no token, are never recorded (so never in
``requests`` or :meth:`PrivXEmulator.write_requests`) and never faulted. Errors use the PrivX error body.

- ``GET /_emulator/state`` → 200 ``{"sources": [...], "roles": [...], "requests": [{method, path, status,
  fault}], "faults": [{...fault fields, "seen"}], "config": {"token_ttl"}}``; sources are **not** masked.
- ``POST /_emulator/reset`` → 200, empty body: same as :meth:`PrivXEmulator.reset` (built-ins only, no
  tokens, no recorded requests, **no faults**; API clients and configuration are kept).
- ``POST /_emulator/faults`` body ``{"path", "method"?, "nth"?, "times"?, "status"?, "retry_after"?,
  "latency"?, "drop"?}`` → 201 with the fault as stored. Unknown keys, wrong types, ``nth``/``times`` < 1, a
  status outside 400-599, a negative or non-finite number, a latency over 60 s, a ``retry_after`` over 3600
  s, a path not starting with ``/`` or with ``*`` anywhere but the end, or not exactly one effect → 400
  ``INVALID_PARAMETER`` / ``MISSING_PARAMETER`` with ``property`` (``fault`` for the effect count).
- ``DELETE /_emulator/faults`` → 200 ``{"cleared": <number of active faults removed>}``.
- ``POST /_emulator/config`` body ``{"token_ttl": <seconds > 0>}`` → 200 with the configuration. A new TTL
  applies to tokens granted afterwards; tokens already out keep their expiry.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

__all__ = [
    "ALL_PERMISSIONS",
    "BUILTIN_SOURCE_IDS",
    "DEFAULT_ACCESS_GROUP_ID",
    "MASK",
    "EmulatorResponse",
    "Fault",
    "PrivXEmulator",
    "RecordedRequest",
]

ALL_PERMISSIONS = frozenset({"sources-view", "sources-manage", "roles-view", "roles-manage"})
MASK = "*****"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
DEFAULT_ACCESS_GROUP_ID = "0b9e5f8a-0000-4000-8000-00000000ac01"
BUILTIN_SOURCE_IDS: Mapping[str, str] = {
    "LOCAL": "0b9e5f8a-0000-4000-8000-000000000001",
    "LOCALHOST": "0b9e5f8a-0000-4000-8000-000000000002",
    "API-CLIENT": "0b9e5f8a-0000-4000-8000-000000000003",
}
_BUILTIN_ROLES: Mapping[str, str] = {
    "privx-admin": "0b9e5f8a-0000-4000-8000-0000000000a1",
    "privx-user": "0b9e5f8a-0000-4000-8000-0000000000a2",
}
_TOKEN_PATH = "/auth/api/v1/oauth/token"
_RS = "/role-store/api/v1"
_READ_ONLY_POSTS = frozenset({_TOKEN_PATH, f"{_RS}/roles/resolve", f"{_RS}/roles/evaluate"})
_SOURCE_READ_ONLY = ("id", "author", "created", "updated", "status_code", "status_text")
_ROLE_READ_ONLY = ("id", "author", "created", "updated", "member_count", "system")
_SORT_KEYS = frozenset({"name", "id", "created", "updated"})
_JSON = {"Content-Type": "application/json"}
_ADMIN_PREFIX = "/_emulator/"
MAX_FAULT_LATENCY = 60.0
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    status: int
    fault: str | None = None  # the injected fault(s) applied, e.g. "status 503"; see "Fault injection"


@dataclass(frozen=True)
class EmulatorResponse:
    """What :meth:`PrivXEmulator.dispatch` answers; the adapter sleeps ``delay`` s, then answers or drops."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False


class _ApiError(Exception):
    """A PrivX-shaped error; ``dispatch`` turns it into the response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        prop: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.prop = status, code, message, prop
        self.headers = headers or {}

    def response(self) -> EmulatorResponse:
        body: dict[str, Any] = {"error_code": self.code, "error_message": self.message, "details": []}
        if self.prop is not None:
            body["property"] = self.prop
        return _json(self.status, body, self.headers)


class _InvalidFault(ValueError):
    """A fault that cannot be armed; ``prop`` names the offending field for the admin route's 400."""

    def __init__(self, prop: str, why: str) -> None:
        super().__init__(f"invalid fault: {prop} {why}")
        self.prop, self.why = prop, why


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, kw_only=True)
class Fault:
    """One injected fault; see "Fault injection" in the module docstring. Invalid values raise ValueError.

    ``Fault(path="/role-store/api/v1/sources", nth=3, status=503)``: the third request to that path (any
    method) from now on answers 503. ``path`` may end in ``*`` to match a prefix.
    """

    method: str | None = None
    path: str
    nth: int = 1
    times: int = 1
    status: int | None = None
    retry_after: float = 1
    latency: float = 0
    drop: bool = False

    def __post_init__(self) -> None:
        _check_fault(self)
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def describe(self) -> str:
        if self.status is not None:
            return f"status {self.status}"
        if self.drop:
            return "drop"
        return f"latency {self.latency:g}"


def _check_fault(f: Fault) -> None:
    # Checked at run time too: faults also arrive as JSON and from untyped callers.
    if f.method is not None and not (isinstance(f.method, str) and f.method.isalpha()):
        raise _InvalidFault("method", "must be an HTTP method name or null")
    if not isinstance(f.path, str) or not f.path.startswith("/"):
        raise _InvalidFault("path", "must be a string starting with '/'")
    if "*" in f.path[:-1]:
        raise _InvalidFault("path", "may contain '*' only as its last character (a prefix match)")
    for name in ("nth", "times"):
        value = getattr(f, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _InvalidFault(name, "must be an integer >= 1")
    if f.status is not None and (
        not isinstance(f.status, int) or isinstance(f.status, bool) or not 400 <= f.status <= 599
    ):
        raise _InvalidFault("status", "must be an integer from 400 to 599")
    if not _is_number(f.retry_after) or not 0 <= f.retry_after <= MAX_RETRY_AFTER:
        raise _InvalidFault("retry_after", f"must be a number from 0 to {MAX_RETRY_AFTER:g}")
    if not _is_number(f.latency) or not 0 <= f.latency <= MAX_FAULT_LATENCY:
        raise _InvalidFault("latency", f"must be a number of seconds from 0 to {MAX_FAULT_LATENCY:g}")
    if not isinstance(f.drop, bool):
        raise _InvalidFault("drop", "must be a boolean")
    if (f.status is not None) + (f.latency > 0) + f.drop != 1:
        raise _InvalidFault("fault", "needs exactly one effect: status, latency (> 0) or drop (true)")


@dataclass
class _ArmedFault:
    fault: Fault
    seen: int = 0  # matching requests counted since the fault was added

    def count(self, method: str, path: str) -> bool:
        """Count the request if it matches; True when this one is affected."""
        if not self.fault.matches(method, path):
            return False
        self.seen += 1
        return self.fault.nth <= self.seen < self.fault.nth + self.fault.times

    @property
    def spent(self) -> bool:
        return self.seen >= self.fault.nth + self.fault.times - 1


def _fault_response(status: int, retry_after: float) -> EmulatorResponse:
    try:
        known = HTTPStatus(status)
        code, phrase = known.name, known.phrase
    except ValueError:  # a valid but unnamed code such as 599
        code, phrase = "GENERAL_ERROR", "injected error"
    headers = {"Retry-After": f"{retry_after:g}"} if status == 429 else {}
    body = {"error_code": code, "error_message": f"injected fault: {status} {phrase}", "details": []}
    return _json(status, body, headers)


class _OAuthError(Exception):
    """An error of the token endpoint, which uses the OAuth shape instead."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass(frozen=True)
class _Call:
    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    client_id: str  # "" on unauthenticated routes


_Handler = Callable[[_Call], EmulatorResponse]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    permission: str | None  # None: no bearer token needed
    handler: _Handler


@dataclass(frozen=True)
class _ApiClient:
    secret: str
    permissions: frozenset[str]


def _json(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> EmulatorResponse:
    return EmulatorResponse(status, {**_JSON, **(headers or {})}, json.dumps(obj).encode())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _missing(prop: str) -> _ApiError:
    return _ApiError(400, "MISSING_PARAMETER", f"{prop} is required", prop)


def _invalid(prop: str, why: str) -> _ApiError:
    return _ApiError(400, "INVALID_PARAMETER", f"{prop} {why}", prop)


def _not_found(kind: str, obj_id: str) -> _ApiError:
    return _ApiError(404, "OBJECT_NOT_FOUND", f"{kind} {obj_id} not found")


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        raise _ApiError(400, "BAD_REQUEST", "request body is empty")
    try:
        return json.loads(body)
    except ValueError as e:
        raise _ApiError(400, "BAD_REQUEST", f"request body is not valid JSON: {e}") from e


def _json_object(body: bytes) -> dict[str, Any]:
    obj = _parse_json(body)
    if not isinstance(obj, dict):
        raise _ApiError(400, "BAD_REQUEST", "request body must be a JSON object")
    return obj


def _string_list(body: bytes) -> list[str]:
    obj = _parse_json(body)
    if not isinstance(obj, list) or not all(isinstance(x, str) for x in obj):
        raise _ApiError(400, "BAD_REQUEST", "request body must be a JSON list of strings")
    return obj


def _nonempty_str(obj: Mapping[str, Any], key: str, prop: str) -> None:
    if not isinstance(obj.get(key), str) or not obj[key]:
        raise _missing(prop)


def _check_types(obj: Mapping[str, Any], prefix: str, bools: Iterable[str], lists: Iterable[str]) -> None:
    for key in bools:
        if key in obj and not isinstance(obj[key], bool):
            raise _invalid(prefix + key, "must be a boolean")
    for key in lists:
        value = obj.get(key)
        if key in obj and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
            raise _invalid(prefix + key, "must be a list of strings")


def _validate_source(body: Mapping[str, Any]) -> None:
    _nonempty_str(body, "name", "name")
    conn = body.get("connection")
    if not isinstance(conn, dict):
        raise _missing("connection.type")
    _nonempty_str(conn, "type", "connection.type")
    _check_types(body, "", bools=("enabled",), lists=("tags", "username_pattern"))
    _check_types(conn, "connection.", bools=("oidc_enabled",), lists=("oidc_additional_scopes",))
    if conn["type"] == "OIDC" and conn.get("oidc_enabled") is True:
        for key in ("oidc_issuer", "oidc_client_id"):
            _nonempty_str(conn, key, f"connection.{key}")


def _validate_rules(node: Any, prop: str = "source_rules") -> None:
    """Check the shape of a ``source_rules`` tree (GROUP nodes, RULE leaves); see choice 8."""
    if not isinstance(node, dict) or node.get("type") != "GROUP":
        raise _invalid(prop, "must be a GROUP node {type: GROUP, match: ANY|ALL, rules: [...]}")
    if node.get("match") not in ("ANY", "ALL"):
        raise _invalid(f"{prop}.match", "must be ANY or ALL")
    rules = node.get("rules")
    if not isinstance(rules, list):
        raise _invalid(f"{prop}.rules", "must be a list")
    for i, child in enumerate(rules):
        here = f"{prop}.rules[{i}]"
        kind = child.get("type") if isinstance(child, dict) else None
        if kind == "GROUP":
            _validate_rules(child, here)
        elif kind == "RULE":
            _nonempty_str(child, "source", f"{here}.source")
            if not isinstance(child.get("search_string"), str):
                raise _missing(f"{here}.search_string")
            if child.get("rules", []) != []:
                raise _invalid(f"{here}.rules", "must be empty on a RULE leaf")
        else:
            raise _invalid(here, "must be a GROUP or RULE node")


def _int_param(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(name, "must be an integer") from None
    if value < minimum:
        raise _invalid(name, f"must be >= {minimum}")
    return value


def _page(items: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """Sort and slice like PrivX's list endpoints; see choice 11."""
    offset = _int_param(query, "offset", 0, minimum=0)
    limit = min(_int_param(query, "limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT)
    sortkey = query.get("sortkey") or "name"
    if sortkey not in _SORT_KEYS:
        raise _invalid("sortkey", f"must be one of {sorted(_SORT_KEYS)}")
    sortdir = (query.get("sortdir") or "ASC").upper()
    if sortdir not in ("ASC", "DESC"):
        raise _invalid("sortdir", "must be ASC or DESC")
    # sorted() is stable with reverse=True too, so ties keep creation order either way.
    order = sorted(range(len(items)), key=lambda i: str(items[i].get(sortkey, "")), reverse=sortdir == "DESC")
    return {"count": len(items), "items": [items[i] for i in order[offset : offset + limit]]}


class PrivXEmulator:
    """In-memory PrivX: OAuth token grant, status, sources and roles. See the module docstring."""

    def __init__(
        self,
        *,
        version: str = "44.0.0",
        token_ttl: float = 300.0,
        oauth_client_id: str = "privx-external",
        oauth_client_secret: str = "oauth-secret",
        clock: Callable[[], float] = time.monotonic,
        login_url_field: str | None = None,
        base_url: str = "https://privx.example.com",
        faults: Iterable[Fault] = (),
        hosted_ui_base: str | None = None,
        hosted_ui_resolver: Callable[[str], str | None] | None = None,
    ) -> None:
        self.version = version
        self.token_ttl = token_ttl
        self.oauth_client_id = oauth_client_id
        self.oauth_client_secret = oauth_client_secret
        self.login_url_field = login_url_field
        self.base_url = base_url.rstrip("/")
        # Where the direct-login route sends the browser (choice 17); None: the directory's issuer.
        self.hosted_ui_base = hosted_ui_base.rstrip("/") if hosted_ui_base else None
        # Or, per directory, from its issuer (the sandbox asks its Cognito stand-in for the pool's domain).
        self.hosted_ui_resolver = hosted_ui_resolver
        self._clock = clock
        self._lock = threading.Lock()
        self._api_clients: dict[str, _ApiClient] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (api client id, expiry by clock)
        self._start_time = _now()
        self.sources: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self._faults: list[_ArmedFault] = [_ArmedFault(f) for f in faults]
        self._routes = self._build_routes()
        self._admin_routes = self._build_admin_routes()
        self._seed()

    # -- public API -------------------------------------------------------------------------------

    def add_api_client(self, client_id: str, client_secret: str, permissions: Iterable[str] = ALL_PERMISSIONS) -> None:
        perms = frozenset(permissions)
        if unknown := perms - ALL_PERMISSIONS:
            raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}")
        with self._lock:
            self._api_clients[client_id] = _ApiClient(client_secret, perms)

    def write_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [
                r for r in self.requests if r.method in ("POST", "PUT", "DELETE") and r.path not in _READ_ONLY_POSTS
            ]

    def reset(self) -> None:
        """Back to built-ins only: no tokens, no recorded requests, no faults. API clients stay."""
        with self._lock:
            self._reset_locked()

    def add_fault(self, fault: Fault) -> None:
        """Arm ``fault``; its ``nth`` counts matching requests from now on."""
        with self._lock:
            self._faults.append(_ArmedFault(fault))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults still armed (spent ones are removed), in the order they were added."""
        with self._lock:
            return tuple(a.fault for a in self._faults)

    def dispatch(
        self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        """Answer one request. Never sleeps: ``delay`` and ``drop`` are for the caller to act on."""
        method = method.upper()
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            if path.startswith(_ADMIN_PREFIX):
                try:
                    return self._admin(method, path, body)
                except _ApiError as e:
                    return e.response()
            delay, decider, applied = self._fire_faults(method, path)
            if decider is not None and decider.status is not None:
                response = _fault_response(decider.status, decider.retry_after)
            else:
                response = self._process(method, path, query, lowered, body)
            note = ", ".join(applied) or None
            self.requests.append(RecordedRequest(method, path, response.status, note))
            return replace(response, delay=delay, drop=decider is not None and decider.drop)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """``httpx.MockTransport`` handler over :meth:`dispatch`; sleeps for latency, raises for a drop."""
        query = dict(request.url.params.items())
        r = self.dispatch(request.method, request.url.path, query, request.headers, request.read())
        if r.delay > 0:
            time.sleep(r.delay)
        if r.drop:
            # The exception httpx raises when a server closes the connection without answering.
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(r.status, headers=r.headers, content=r.body)

    # -- plumbing ---------------------------------------------------------------------------------

    def _process(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        try:
            return self._route(method, path, query, headers, body)
        except _ApiError as e:
            return e.response()
        except _OAuthError as e:
            extra = {"WWW-Authenticate": 'Basic realm="privx"'} if e.error == "invalid_client" else {}
            return _json(e.status, {"error": e.error, "error_description": e.description}, extra)

    def _fire_faults(self, method: str, path: str) -> tuple[float, Fault | None, list[str]]:
        """Count the request against every armed fault (lock held); see "Fault injection".

        Returns the summed latency, the fault deciding the outcome (status or drop) if any, and the
        descriptions of what was applied.
        """
        delay, decider, applied = 0.0, None, []
        for armed in self._faults:
            if not armed.count(method, path):
                continue
            fault = armed.fault
            if fault.latency > 0:
                delay += fault.latency
                applied.append(fault.describe())
            elif decider is None:
                decider = fault
                applied.append(fault.describe())
        self._faults = [a for a in self._faults if not a.spent]
        return delay, decider, applied

    def _reset_locked(self) -> None:
        self._tokens.clear()
        self.requests.clear()
        self._faults.clear()
        self._seed()

    def _seed(self) -> None:
        now = _now()

        def meta(obj_id: str, name: str) -> dict[str, Any]:
            return {
                "id": obj_id,
                "name": name,
                "comment": "built-in",
                "author": "system",
                "created": now,
                "updated": now,
            }

        # In place, so references a test holds to ``sources``/``roles`` stay live across reset().
        self.sources.clear()
        self.sources.update(
            {
                sid: meta(sid, name)
                | {"enabled": True, "ttl": 0, "tags": [], "username_pattern": [], "external_user_mapping": []}
                | {"connection": {"type": name}, "status_code": "OK", "status_text": ""}
                for name, sid in BUILTIN_SOURCE_IDS.items()
            }
        )
        self.roles.clear()
        self.roles.update(
            {
                rid: meta(rid, name)
                | {
                    "permissions": sorted(ALL_PERMISSIONS) if name == "privx-admin" else [],
                    "permit_agent": False,
                }
                | {"access_group_id": DEFAULT_ACCESS_GROUP_ID, "member_count": 0, "system": True}
                | {"source_rules": {"type": "GROUP", "match": "ANY", "rules": []}}
                for name, rid in _BUILTIN_ROLES.items()
            }
        )

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, str | None, _Handler]] = [
            ("POST", _TOKEN_PATH, None, self._token),
            ("GET", "/auth/api/v1/status", None, lambda _c: self._status("auth")),
            ("GET", f"{_RS}/status", None, lambda _c: self._status("role-store")),
            ("GET", "/auth/api/v1/oidc/login", None, self._oidc_login),
            ("GET", f"{_RS}/sources", "sources-view", self._list_sources),
            ("POST", f"{_RS}/sources", "sources-manage", self._create_source),
            ("POST", f"{_RS}/sources/refresh", "sources-manage", self._refresh_sources),
            ("GET", f"{_RS}/sources/(?P<id>[^/]+)", "sources-view", self._get_source),
            ("PUT", f"{_RS}/sources/(?P<id>[^/]+)", "sources-manage", self._update_source),
            ("DELETE", f"{_RS}/sources/(?P<id>[^/]+)", "sources-manage", self._delete_source),
            ("GET", f"{_RS}/roles", "roles-view", self._list_roles),
            ("POST", f"{_RS}/roles", "roles-manage", self._create_role),
            ("POST", f"{_RS}/roles/resolve", "roles-view", self._resolve_roles),
            ("POST", f"{_RS}/roles/evaluate", "roles-view", self._evaluate_role),
            ("GET", f"{_RS}/roles/(?P<id>[^/]+)", "roles-view", self._get_role),
            ("PUT", f"{_RS}/roles/(?P<id>[^/]+)", "roles-manage", self._update_role),
            ("DELETE", f"{_RS}/roles/(?P<id>[^/]+)", "roles-manage", self._delete_role),
            ("GET", f"{_RS}/roles/(?P<id>[^/]+)/members", "roles-view", self._role_members),
        ]
        return [_Route(m, re.compile(p), perm, h) for m, p, perm, h in table]

    def _build_admin_routes(self) -> dict[tuple[str, str], Callable[[bytes], EmulatorResponse]]:
        return {
            ("GET", f"{_ADMIN_PREFIX}state"): self._admin_state,
            ("POST", f"{_ADMIN_PREFIX}reset"): self._admin_reset,
            ("POST", f"{_ADMIN_PREFIX}faults"): self._admin_add_fault,
            ("DELETE", f"{_ADMIN_PREFIX}faults"): self._admin_clear_faults,
            ("POST", f"{_ADMIN_PREFIX}config"): self._admin_config,
        }

    def _route(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            client_id = "" if route.permission is None else self._authorize(headers, route.permission)
            return route.handler(_Call(match.groupdict(), query, headers, body, client_id))
        if allowed:
            allow = ", ".join(allowed)
            raise _ApiError(405, "METHOD_NOT_ALLOWED", f"{method} not allowed on {path}", None, {"Allow": allow})
        raise _ApiError(404, "NOT_FOUND", f"no such endpoint: {method} {path}")

    def _authorize(self, headers: Mapping[str, str], permission: str) -> str:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _ApiError(401, "UNAUTHORIZED", "missing bearer token")
        entry = self._tokens.get(token.strip())
        if entry is None:
            raise _ApiError(401, "UNAUTHORIZED", "unknown access token")
        client_id, expires_at = entry
        if self._clock() >= expires_at:
            del self._tokens[token.strip()]
            raise _ApiError(401, "UNAUTHORIZED", "access token expired")
        client = self._api_clients.get(client_id)
        if client is None or permission not in client.permissions:
            raise _ApiError(
                403,
                "FORBIDDEN",
                f"API client lacks permission {permission!r}; its role needs " + ", ".join(sorted(ALL_PERMISSIONS)),
            )
        return client_id

    # -- admin (lock held; never recorded, never faulted) ------------------------------------------

    def _admin(self, method: str, path: str, body: bytes) -> EmulatorResponse:
        handler = self._admin_routes.get((method, path))
        if handler is not None:
            return handler(body)
        if allowed := [m for m, p in self._admin_routes if p == path]:
            raise _ApiError(
                405, "METHOD_NOT_ALLOWED", f"{method} not allowed on {path}", None, {"Allow": ", ".join(allowed)}
            )
        raise _ApiError(404, "NOT_FOUND", f"no such endpoint: {method} {path}")

    def _admin_state(self, _body: bytes) -> EmulatorResponse:
        state = {
            "sources": copy.deepcopy(list(self.sources.values())),
            "roles": copy.deepcopy(list(self.roles.values())),
            "requests": [asdict(r) for r in self.requests],
            "faults": [asdict(a.fault) | {"seen": a.seen} for a in self._faults],
            "config": self._config(),
        }
        return _json(200, state)

    def _admin_reset(self, _body: bytes) -> EmulatorResponse:
        self._reset_locked()
        return EmulatorResponse(200)

    def _admin_add_fault(self, body: bytes) -> EmulatorResponse:
        fields = _json_object(body)
        known = {"method", "path", "nth", "times", "status", "retry_after", "latency", "drop"}
        for key in fields:
            if key not in known:
                raise _invalid(key, f"is not a fault field; known: {sorted(known)}")
        if "path" not in fields:
            raise _missing("path")
        try:
            fault = Fault(**fields)
        except _InvalidFault as e:
            raise _invalid(e.prop, e.why) from None
        self._faults.append(_ArmedFault(fault))
        return _json(201, asdict(fault))

    def _admin_clear_faults(self, _body: bytes) -> EmulatorResponse:
        cleared = len(self._faults)
        self._faults.clear()
        return _json(200, {"cleared": cleared})

    def _admin_config(self, body: bytes) -> EmulatorResponse:
        fields = _json_object(body)
        for key, value in fields.items():
            if key != "token_ttl":
                raise _invalid(key, "is not a setting; known: ['token_ttl']")
            if not _is_number(value) or value <= 0:
                raise _invalid(key, "must be a number of seconds > 0")
            self.token_ttl = float(value)
        return _json(200, self._config())

    def _config(self) -> dict[str, Any]:
        return {"token_ttl": self.token_ttl}

    # -- auth and status --------------------------------------------------------------------------

    def _token(self, call: _Call) -> EmulatorResponse:
        scheme, _, encoded = call.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if scheme.lower() != "basic" or (user, password) != (self.oauth_client_id, self.oauth_client_secret):
            raise _OAuthError(401, "invalid_client", "OAuth client authentication failed")
        if not call.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise _OAuthError(400, "invalid_request", "body must be application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(call.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "password":
            raise _OAuthError(400, "unsupported_grant_type", f"grant_type {form.get('grant_type')!r}")
        if "username" not in form or "password" not in form:
            raise _OAuthError(400, "invalid_request", "username and password are required")
        client = self._api_clients.get(form["username"])
        if client is None or client.secret != form["password"]:
            raise _OAuthError(401, "invalid_grant", "invalid API client credentials")
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (form["username"], self._clock() + self.token_ttl)
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": round(self.token_ttl),
            "refresh_token": secrets.token_urlsafe(32),
            "scope": " ".join(sorted(client.permissions)),
        }
        return _json(200, body, {"Cache-Control": "no-store"})

    def _status(self, service: str) -> EmulatorResponse:
        body = {
            "variant": "privx",
            "version": self.version,
            "app_version": self.version,
            "api_version": "v1",
            "status": "ok",
            "service": service,
            "start_time": self._start_time,
        }
        return _json(200, body)

    def _oidc_login(self, call: _Call) -> EmulatorResponse:
        """The direct-login URL: a redirect to the hosted UI's authorize endpoint (choice 17)."""
        directory_id = call.query.get("directory", "")
        source = self.sources.get(directory_id)
        conn = source.get("connection") if source else None
        if source is None or not isinstance(conn, dict) or conn.get("type") != "OIDC":
            raise _ApiError(404, "OBJECT_NOT_FOUND", f"no OIDC directory {directory_id!r}")
        if source.get("enabled") is False or conn.get("oidc_enabled") is not True:
            raise _ApiError(400, "GENERAL_ERROR", f"directory {directory_id} is disabled")
        issuer = str(conn.get("oidc_issuer", "")).rstrip("/")
        resolved = self.hosted_ui_resolver(issuer) if self.hosted_ui_resolver and not self.hosted_ui_base else None
        base = self.hosted_ui_base or resolved or issuer
        query = urlencode(
            {
                "response_type": "code",
                "client_id": conn.get("oidc_client_id", ""),
                "redirect_uri": f"{self.base_url}/auth/api/v1/oidc-cb",
                "scope": " ".join(["openid", *(conn.get("oidc_additional_scopes") or [])]),
                "state": secrets.token_urlsafe(16),
            }
        )
        return EmulatorResponse(302, {"Location": f"{base}/oauth2/authorize?{query}"})

    # -- sources ----------------------------------------------------------------------------------

    def _source_out(self, source: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(source))
        conn = out.get("connection")
        if isinstance(conn, dict):
            if conn.get("oidc_client_secret"):
                conn["oidc_client_secret"] = MASK
            if self.login_url_field and conn.get("type") == "OIDC":
                out[self.login_url_field] = f"{self.base_url}/auth/api/v1/oidc/login?directory={out['id']}"
        return out

    def _find_source(self, source_id: str) -> dict[str, Any]:
        if source_id not in self.sources:
            raise _not_found("source", source_id)
        return self.sources[source_id]

    def _store_source(self, call: _Call, source_id: str, existing: Mapping[str, Any] | None) -> None:
        body = _json_object(call.body)
        _validate_source(body)
        _check_unique(self.sources, body["name"], source_id, "source")
        conn: dict[str, Any] = body["connection"]
        if conn.get("oidc_client_secret") == MASK:
            if existing is None:
                raise _invalid("connection.oidc_client_secret", f"cannot be the mask {MASK!r} on create")
            old = existing.get("connection", {}).get("oidc_client_secret")
            if old is None:
                del conn["oidc_client_secret"]
            else:
                conn["oidc_client_secret"] = old
        read_only = (*_SOURCE_READ_ONLY, *((self.login_url_field,) if self.login_url_field else ()))
        stored = {k: v for k, v in body.items() if k not in read_only}
        now = _now()
        stored.update(
            id=source_id,
            author=existing["author"] if existing else call.client_id,
            created=existing["created"] if existing else now,
            updated=now,
            status_code="OK",
            status_text="",
        )
        self.sources[source_id] = stored

    def _list_sources(self, call: _Call) -> EmulatorResponse:
        items = [self._source_out(s) for s in self.sources.values()]
        return _json(200, {"count": len(items), "items": items})

    def _get_source(self, call: _Call) -> EmulatorResponse:
        return _json(200, self._source_out(self._find_source(call.params["id"])))

    def _create_source(self, call: _Call) -> EmulatorResponse:
        source_id = str(uuid.uuid4())
        self._store_source(call, source_id, None)
        return _json(201, {"id": source_id})

    def _update_source(self, call: _Call) -> EmulatorResponse:
        existing = self._find_source(call.params["id"])
        self._store_source(call, call.params["id"], existing)
        return EmulatorResponse(200)

    def _delete_source(self, call: _Call) -> EmulatorResponse:
        source_id = call.params["id"]
        self._find_source(source_id)
        if source_id in BUILTIN_SOURCE_IDS.values():
            raise _ApiError(400, "GENERAL_ERROR", f"built-in source {source_id} cannot be deleted")
        del self.sources[source_id]
        return EmulatorResponse(200)

    def _refresh_sources(self, call: _Call) -> EmulatorResponse:
        for source_id in _string_list(call.body):
            self._find_source(source_id)
        return EmulatorResponse(200)

    # -- roles ------------------------------------------------------------------------------------

    def _find_role(self, role_id: str) -> dict[str, Any]:
        if role_id not in self.roles:
            raise _not_found("role", role_id)
        return self.roles[role_id]

    def _store_role(self, call: _Call, role_id: str, existing: Mapping[str, Any] | None) -> None:
        body = _json_object(call.body)
        _nonempty_str(body, "name", "name")
        if "source_rules" not in body:
            raise _missing("source_rules")
        _validate_rules(body["source_rules"])
        _check_types(body, "", bools=("permit_agent",), lists=("permissions",))
        _check_unique(self.roles, body["name"], role_id, "role")
        stored = {k: v for k, v in body.items() if k not in _ROLE_READ_ONLY}
        stored.setdefault("permissions", [])
        stored.setdefault("access_group_id", DEFAULT_ACCESS_GROUP_ID)
        now = _now()
        stored.update(
            id=role_id,
            author=existing["author"] if existing else call.client_id,
            created=existing["created"] if existing else now,
            updated=now,
            member_count=0,
            system=bool(existing and existing.get("system")),
        )
        self.roles[role_id] = stored

    def _list_roles(self, call: _Call) -> EmulatorResponse:
        return _json(200, _page(copy.deepcopy(list(self.roles.values())), call.query))

    def _get_role(self, call: _Call) -> EmulatorResponse:
        return _json(200, copy.deepcopy(self._find_role(call.params["id"])))

    def _create_role(self, call: _Call) -> EmulatorResponse:
        role_id = str(uuid.uuid4())
        self._store_role(call, role_id, None)
        return _json(201, {"id": role_id})

    def _update_role(self, call: _Call) -> EmulatorResponse:
        existing = self._find_role(call.params["id"])
        self._store_role(call, call.params["id"], existing)
        return EmulatorResponse(200)

    def _delete_role(self, call: _Call) -> EmulatorResponse:
        if self._find_role(call.params["id"]).get("system"):
            raise _ApiError(400, "GENERAL_ERROR", f"system role {call.params['id']} cannot be deleted")
        del self.roles[call.params["id"]]
        return EmulatorResponse(200)

    def _resolve_roles(self, call: _Call) -> EmulatorResponse:
        by_name = {r["name"]: r for r in self.roles.values()}
        names = dict.fromkeys(_string_list(call.body))  # request order, each once
        items = [copy.deepcopy(by_name[n]) for n in names if n in by_name]
        return _json(200, {"count": len(items), "items": items})

    def _evaluate_role(self, call: _Call) -> EmulatorResponse:
        body = _json_object(call.body)
        if "source_rules" in body:
            _validate_rules(body["source_rules"])
        return _json(200, {"count": 0, "items": []})

    def _role_members(self, call: _Call) -> EmulatorResponse:
        self._find_role(call.params["id"])
        return _json(200, _page([], call.query))


def _check_unique(objects: Mapping[str, Mapping[str, Any]], name: str, own_id: str, kind: str) -> None:
    if any(obj.get("name") == name and obj_id != own_id for obj_id, obj in objects.items()):
        raise _ApiError(409, "NAME_ALREADY_EXISTS", f"a {kind} named {name!r} already exists", "name")
