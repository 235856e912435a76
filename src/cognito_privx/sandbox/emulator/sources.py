"""``/role-store/api/v1/sources``: the directories (choices 3-6, 9, 10 and 12 in :mod:`.core`).

Shapes from the Go SDK (SSHcom/privx-sdk-go v2): ``api/rolestore/model.go`` ``Source`` and ``SourceConnection``
(which has no login-URL field of any name), ``api/rolestore/client.go`` ``CreateSource``
(``response.Identifier``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from cognito_privx.sandbox.emulator.wire import (
    MASK,
    ApiError,
    Call,
    EmulatorResponse,
    RouteSpec,
    builtin,
    check_types,
    check_unique,
    invalid,
    json_object,
    json_response,
    missing,
    nonempty_str,
    not_found,
    now,
    string_list,
)

# The built-in directories: connection type -> name. Their ids are random per install (per emulator).
BUILTIN_SOURCES: Mapping[str, str] = {
    "LOCAL": "Local users",
    "LOCALHOST": "Local hosts",
    "API-CLIENT": "API clients",
}
_READ_ONLY = ("id", "author", "created", "updated", "status_code", "status_text")
_PATH = "/role-store/api/v1/sources"


class Sources:
    """The stored sources (``by_id``, real secrets) and their routes; ``builtin_ids`` maps each built-in's
    connection type to its id, drawn at random once per emulator and kept across resets."""

    def __init__(self, on_delete: Callable[[str], None]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self._on_delete = on_delete  # the users of a deleted directory go with it
        self.builtin_ids: Mapping[str, str] = {kind: str(uuid.uuid4()) for kind in BUILTIN_SOURCES}

    def routes(self) -> list[RouteSpec]:
        one = f"{_PATH}/(?P<id>[^/]+)"
        return [
            ("GET", _PATH, "sources-view", self._list),
            ("POST", _PATH, "sources-manage", self._create),
            ("POST", f"{_PATH}/refresh", "sources-manage", self._refresh),
            ("GET", one, "sources-view", self._get),
            ("PUT", one, "sources-manage", self._update),
            ("DELETE", one, "sources-manage", self._delete),
        ]

    def seed(self) -> None:
        """Back to the built-ins, in place: references a test holds to ``by_id`` stay live across a reset."""
        created = now()
        self.by_id.clear()
        for kind, name in BUILTIN_SOURCES.items():
            sid = self.builtin_ids[kind]
            self.by_id[sid] = (
                builtin(sid, name, created)
                | {"enabled": True, "ttl": 0, "tags": [], "username_pattern": [], "external_user_mapping": []}
                | {"connection": {"type": kind}, "status_code": "OK", "status_text": ""}
            )

    def find(self, source_id: str) -> dict[str, Any]:
        if source_id not in self.by_id:
            raise not_found("source", source_id)
        return self.by_id[source_id]

    def _out(self, source: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(source))
        conn = out.get("connection")
        if isinstance(conn, dict) and conn.get("oidc_client_secret"):
            conn["oidc_client_secret"] = MASK
        return out

    def _store(self, call: Call, source_id: str, existing: Mapping[str, Any] | None) -> None:
        body = json_object(call.body)
        _validate(body)
        check_unique(self.by_id, body["name"], source_id, "source")
        conn: dict[str, Any] = body["connection"]
        if conn.get("oidc_client_secret") == MASK:
            if existing is None:
                raise invalid("connection.oidc_client_secret", f"cannot be the mask {MASK!r} on create")
            old = existing.get("connection", {}).get("oidc_client_secret")
            if old is None:
                del conn["oidc_client_secret"]
            else:
                conn["oidc_client_secret"] = old
        stored = {k: v for k, v in body.items() if k not in _READ_ONLY}
        stamp = now()
        stored.update(
            id=source_id,
            author=existing["author"] if existing else call.client_id,
            created=existing["created"] if existing else stamp,
            updated=stamp,
            status_code="OK",
            status_text="",
        )
        self.by_id[source_id] = stored

    def _list(self, call: Call) -> EmulatorResponse:
        items = [self._out(s) for s in self.by_id.values()]
        return json_response(200, {"count": len(items), "items": items})

    def _get(self, call: Call) -> EmulatorResponse:
        return json_response(200, self._out(self.find(call.params["id"])))

    def _create(self, call: Call) -> EmulatorResponse:
        source_id = str(uuid.uuid4())
        self._store(call, source_id, None)
        return json_response(201, {"id": source_id}, {"Location": f"{_PATH}/{source_id}"})

    def _update(self, call: Call) -> EmulatorResponse:
        existing = self.find(call.params["id"])
        self._store(call, call.params["id"], existing)
        return EmulatorResponse(200)

    def _delete(self, call: Call) -> EmulatorResponse:
        source_id = call.params["id"]
        self.find(source_id)
        if source_id in self.builtin_ids.values():
            raise ApiError(400, "GENERAL_ERROR", f"built-in source {source_id} cannot be deleted")
        del self.by_id[source_id]
        self._on_delete(source_id)
        return EmulatorResponse(200)

    def _refresh(self, call: Call) -> EmulatorResponse:
        for source_id in string_list(call.body):
            self.find(source_id)
        return EmulatorResponse(200)


def _validate(body: Mapping[str, Any]) -> None:
    nonempty_str(body, "name", "name")
    conn = body.get("connection")
    if not isinstance(conn, dict):
        raise missing("connection.type")
    nonempty_str(conn, "type", "connection.type")
    check_types(body, "", bools=("enabled",), lists=("tags", "username_pattern"))
    check_types(conn, "connection.", bools=("oidc_enabled",), lists=("oidc_additional_scopes",))
    if conn["type"] == "OIDC" and conn.get("oidc_enabled") is True:
        for key in ("oidc_issuer", "oidc_client_id"):
            nonempty_str(conn, key, f"connection.{key}")
