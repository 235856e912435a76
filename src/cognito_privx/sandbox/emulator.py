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
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

__all__ = [
    "ALL_PERMISSIONS",
    "BUILTIN_SOURCE_IDS",
    "DEFAULT_ACCESS_GROUP_ID",
    "MASK",
    "EmulatorResponse",
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


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class EmulatorResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


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
    ) -> None:
        self.version = version
        self.token_ttl = token_ttl
        self.oauth_client_id = oauth_client_id
        self.oauth_client_secret = oauth_client_secret
        self.login_url_field = login_url_field
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._lock = threading.Lock()
        self._api_clients: dict[str, _ApiClient] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (api client id, expiry by clock)
        self._start_time = _now()
        self.sources: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self._routes = self._build_routes()
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
        with self._lock:
            self._tokens.clear()
            self.requests.clear()
            self._seed()

    def dispatch(
        self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        method = method.upper()
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            try:
                response = self._route(method, path, query, lowered, body)
            except _ApiError as e:
                response = e.response()
            except _OAuthError as e:
                extra = {"WWW-Authenticate": 'Basic realm="privx"'} if e.error == "invalid_client" else {}
                response = _json(e.status, {"error": e.error, "error_description": e.description}, extra)
            self.requests.append(RecordedRequest(method, path, response.status))
            return response

    def handle(self, request: httpx.Request) -> httpx.Response:
        """``httpx.MockTransport`` handler over :meth:`dispatch`."""
        query = dict(request.url.params.items())
        r = self.dispatch(request.method, request.url.path, query, request.headers, request.read())
        return httpx.Response(r.status, headers=r.headers, content=r.body)

    # -- plumbing ---------------------------------------------------------------------------------

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
