"""What every part of the emulator shares: the response and record types, the PrivX error shapes, body parsing.

Nothing here holds state; :mod:`.core` and the route classes (:mod:`.auth`, :mod:`.sources`, :mod:`.roles`,
:mod:`.admin`) build on it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# What the emulator's routes need: the four of a directory-and-roles tool, users-view for the users API and the
# session listings, users-manage to end sessions (choice 20 of :mod:`.core`), connections-terminate to end
# connections (choice 21).
ALL_PERMISSIONS = frozenset(
    {
        "sources-view",
        "sources-manage",
        "roles-view",
        "roles-manage",
        "users-view",
        "users-manage",
        "connections-view",
        "connections-terminate",
    }
)
MASK = "*****"
JSON = {"Content-Type": "application/json"}
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    status: int
    fault: str | None = None  # the injected fault(s) applied, e.g. "status 503"; see emulator.faults


@dataclass(frozen=True)
class EmulatorResponse:
    """What :meth:`PrivXEmulator.dispatch` answers; the adapter sleeps ``delay`` s, then answers or drops.

    A handler that must wait on the network (the OIDC relying party of :mod:`.login`) answers with
    ``outside_lock`` instead: ``dispatch`` releases the emulator's lock and calls it for the real response, so
    no outbound request is ever made with the lock held. The callable takes the lock itself for the state it
    touches."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False
    outside_lock: Callable[[], EmulatorResponse] | None = field(default=None, compare=False, repr=False)


class ApiError(Exception):
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
        return json_response(self.status, body, self.headers)


class OAuthError(Exception):
    """An error of the token endpoint, which uses the OAuth shape instead."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> EmulatorResponse:
        extra = {"WWW-Authenticate": 'Basic realm="privx"'} if self.error == "invalid_client" else {}
        return json_response(self.status, {"error": self.error, "error_description": self.description}, extra)


@dataclass(frozen=True)
class Call:
    """One routed request, as a handler sees it."""

    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    client_id: str  # "" on unauthenticated routes


Handler = Callable[[Call], EmulatorResponse]
# (method, path regex, permission needed or None for no bearer token, handler)
RouteSpec = tuple[str, str, str | None, Handler]


def json_response(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> EmulatorResponse:
    return EmulatorResponse(status, {**JSON, **(headers or {})}, json.dumps(obj).encode())


def deferred(then: Callable[[], EmulatorResponse]) -> EmulatorResponse:
    """A response to be computed by ``then`` once the emulator's lock is released (see :class:`EmulatorResponse`)."""
    return EmulatorResponse(0, outside_lock=then)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def missing(prop: str) -> ApiError:
    return ApiError(400, "MISSING_PARAMETER", f"{prop} is required", prop)


def invalid(prop: str, why: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", f"{prop} {why}", prop)


def not_found(kind: str, obj_id: str) -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", f"{kind} {obj_id} not found")


def method_not_allowed(method: str, path: str, allowed: Iterable[str]) -> ApiError:
    allow = ", ".join(allowed)
    return ApiError(405, "METHOD_NOT_ALLOWED", f"{method} not allowed on {path}", None, {"Allow": allow})


def no_such_endpoint(method: str, path: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"no such endpoint: {method} {path}")


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "BAD_REQUEST", "request body is empty")
    try:
        return json.loads(body)
    except ValueError as e:
        raise ApiError(400, "BAD_REQUEST", f"request body is not valid JSON: {e}") from e


def json_object(body: bytes) -> dict[str, Any]:
    obj = parse_json(body)
    if not isinstance(obj, dict):
        raise ApiError(400, "BAD_REQUEST", "request body must be a JSON object")
    return obj


def string_list(body: bytes) -> list[str]:
    obj = parse_json(body)
    if not isinstance(obj, list) or not all(isinstance(x, str) for x in obj):
        raise ApiError(400, "BAD_REQUEST", "request body must be a JSON list of strings")
    return obj


def nonempty_str(obj: Mapping[str, Any], key: str, prop: str) -> None:
    if not isinstance(obj.get(key), str) or not obj[key]:
        raise missing(prop)


def check_types(obj: Mapping[str, Any], prefix: str, bools: Iterable[str], lists: Iterable[str]) -> None:
    for key in bools:
        if key in obj and not isinstance(obj[key], bool):
            raise invalid(prefix + key, "must be a boolean")
    for key in lists:
        value = obj.get(key)
        if key in obj and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
            raise invalid(prefix + key, "must be a list of strings")


def check_unique(objects: Mapping[str, Mapping[str, Any]], name: str, own_id: str, kind: str) -> None:
    """A taken name is a **400** naming ``name`` (choice 3): the v41 docs list no 409 for the role-store's writes."""
    if any(obj.get("name") == name and obj_id != own_id for obj_id, obj in objects.items()):
        raise invalid("name", f"{name!r} is already in use by another {kind}")


def builtin(obj_id: str, name: str, created: str) -> dict[str, Any]:
    """The metadata every built-in source and role carries."""
    return {
        "id": obj_id,
        "name": name,
        "comment": "built-in",
        "author": "system",
        "created": created,
        "updated": created,
    }


def _int_param(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, "must be an integer") from None
    if value < minimum:
        raise invalid(name, f"must be >= {minimum}")
    return value


def page(
    items: list[dict[str, Any]], query: Mapping[str, str], sort_keys: Iterable[str], default_key: str
) -> dict[str, Any]:
    """Sort and slice like PrivX's list endpoints (choice 11): ``{"count", "items"}``."""
    keys = frozenset(sort_keys)
    offset = _int_param(query, "offset", 0, minimum=0)
    limit = min(_int_param(query, "limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT)
    sortkey = query.get("sortkey") or default_key
    if sortkey not in keys:
        raise invalid("sortkey", f"must be one of {sorted(keys)}")
    sortdir = (query.get("sortdir") or "ASC").upper()
    if sortdir not in ("ASC", "DESC"):
        raise invalid("sortdir", "must be ASC or DESC")
    # sorted() is stable with reverse=True too, so ties keep creation order either way.
    order = sorted(range(len(items)), key=lambda i: str(items[i].get(sortkey, "")), reverse=sortdir == "DESC")
    return {"count": len(items), "items": [items[i] for i in order[offset : offset + limit]]}
