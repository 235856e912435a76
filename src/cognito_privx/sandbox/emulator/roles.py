"""``/role-store/api/v1/roles``: roles, their ``source_rules``, resolve, evaluate and members (choices 3, 4, 6-8,
10, 11 and 13 in :mod:`.core`).

Shapes from the Go SDK (SSHcom/privx-sdk-go v2): ``api/rolestore/model.go`` ``Role`` and ``SourceRule``;
``api/rolestore/client.go`` ``CreateRole`` (``response.Identifier``), ``ResolveRoles`` (``ResultSet[Role]``),
``EvaluateRole`` and ``GetRoleMembers`` (``ResultSet[User]``). Who a rule tree matches is :mod:`.membership`'s
business.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.users import SORT_KEYS as USER_SORT_KEYS
from cognito_privx.sandbox.emulator.wire import (
    ALL_PERMISSIONS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ApiError,
    Call,
    EmulatorResponse,
    RouteSpec,
    builtin,
    check_types,
    check_unique,
    json_object,
    json_response,
    missing,
    nonempty_str,
    not_found,
    now,
    page,
    string_list,
)

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

__all__ = ["DEFAULT_ACCESS_GROUP_ID", "DEFAULT_LIMIT", "MAX_LIMIT", "Roles"]

DEFAULT_ACCESS_GROUP_ID = "0b9e5f8a-0000-4000-8000-00000000ac01"
_BUILTIN_ROLES: Mapping[str, str] = {
    "privx-admin": "0b9e5f8a-0000-4000-8000-0000000000a1",
    "privx-user": "0b9e5f8a-0000-4000-8000-0000000000a2",
}
_READ_ONLY = ("id", "author", "created", "updated", "member_count", "system")
_SORT_KEYS = frozenset({"name", "id", "created", "updated"})
_PATH = "/role-store/api/v1/roles"


class Roles:
    """The stored roles (``by_id``; ``member_count`` is computed on the way out) and their routes. Reads the
    emulator's variant and membership at each request."""

    def __init__(self, emu: PrivXEmulator) -> None:
        self._emu = emu
        self.by_id: dict[str, dict[str, Any]] = {}

    def routes(self) -> list[RouteSpec]:
        one = f"{_PATH}/(?P<id>[^/]+)"
        return [
            ("GET", _PATH, "roles-view", self._list),
            ("POST", _PATH, "roles-manage", self._create),
            ("POST", f"{_PATH}/resolve", "roles-view", self._resolve),
            ("POST", f"{_PATH}/evaluate", "roles-view", self._evaluate),
            ("GET", one, "roles-view", self._get),
            ("PUT", one, "roles-manage", self._update),
            ("DELETE", one, "roles-manage", self._delete),
            ("GET", f"{one}/members", "roles-view", self._members),
        ]

    def seed(self, local_source_id: str, superuser: str) -> None:
        """Back to the built-ins, in place: references a test holds to ``by_id`` stay live across a reset.
        privx-admin grants itself to the superuser of "Local users" by a ``(principal=…)`` rule."""
        created = now()
        self.by_id.clear()
        admin_rule = {"type": "RULE", "source": local_source_id, "search_string": f"(principal={superuser})"}
        for name, rid in _BUILTIN_ROLES.items():
            rules = [{**admin_rule, "rules": []}] if name == "privx-admin" else []
            self.by_id[rid] = (
                builtin(rid, name, created)
                | {"permissions": sorted(ALL_PERMISSIONS) if name == "privx-admin" else [], "permit_agent": False}
                | {"access_group_id": DEFAULT_ACCESS_GROUP_ID, "system": True}
                | {"source_rules": {"type": "GROUP", "match": "ANY", "rules": rules}}
            )

    def _find(self, role_id: str) -> dict[str, Any]:
        if role_id not in self.by_id:
            raise not_found("role", role_id)
        return self.by_id[role_id]

    def _store(self, call: Call, role_id: str, existing: Mapping[str, Any] | None) -> None:
        body = json_object(call.body)
        nonempty_str(body, "name", "name")
        if "source_rules" not in body:
            raise missing("source_rules")
        self._emu.membership.validate(body["source_rules"])
        check_types(body, "", bools=("permit_agent",), lists=("permissions",))
        check_unique(self.by_id, body["name"], role_id, "role")
        stored = {k: v for k, v in body.items() if k not in _READ_ONLY}
        stored.setdefault("permissions", [])
        stored.setdefault("access_group_id", DEFAULT_ACCESS_GROUP_ID)
        stamp = now()
        stored.update(
            id=role_id,
            author=existing["author"] if existing else call.client_id,
            created=existing["created"] if existing else stamp,
            updated=stamp,
            system=bool(existing and existing.get("system")),
        )
        self.by_id[role_id] = stored

    def _list(self, call: Call) -> EmulatorResponse:
        out = self._emu.membership.role_out
        return json_response(200, page([out(r) for r in self.by_id.values()], call.query, _SORT_KEYS, "name"))

    def _get(self, call: Call) -> EmulatorResponse:
        return json_response(200, self._emu.membership.role_out(self._find(call.params["id"])))

    def _create(self, call: Call) -> EmulatorResponse:
        role_id = str(uuid.uuid4())
        self._store(call, role_id, None)
        return json_response(201, {"id": role_id}, {"Location": f"{_PATH}/{role_id}"})

    def _update(self, call: Call) -> EmulatorResponse:
        existing = self._find(call.params["id"])
        self._store(call, call.params["id"], existing)
        return EmulatorResponse(200)

    def _delete(self, call: Call) -> EmulatorResponse:
        if self._find(call.params["id"]).get("system"):
            raise ApiError(400, "GENERAL_ERROR", f"system role {call.params['id']} cannot be deleted")
        del self.by_id[call.params["id"]]
        return EmulatorResponse(200)

    def _resolve(self, call: Call) -> EmulatorResponse:
        """Exact names in request order, each once; an unknown name as the variant says (choice 13)."""
        by_name = {r["name"]: r for r in self.by_id.values()}
        names = list(dict.fromkeys(string_list(call.body)))  # request order, each once
        unknown = [n for n in names if n not in by_name]
        mode = self._emu.variant.resolve_unknown
        if unknown and mode == "404":
            raise ApiError(404, "OBJECT_NOT_FOUND", f"no role named {', '.join(map(repr, unknown))}")
        items = []
        for name in names:
            if name in by_name:
                items.append(self._emu.membership.role_out(by_name[name]))
            elif mode == "partial":
                items.append({"id": "", "name": name})
        return json_response(200, {"count": len(items), "items": items})

    def _evaluate(self, call: Call) -> EmulatorResponse:
        """The users the posted role's ``source_rules`` match now, as ``ResultSet[User]`` (choice 13)."""
        body = json_object(call.body)
        rules = body.get("source_rules")
        if "source_rules" in body:
            self._emu.membership.validate(rules)
        membership = self._emu.membership
        items = [membership.user_out(u) for u in membership.members(rules)]
        return json_response(200, {"count": len(items), "items": items})

    def _members(self, call: Call) -> EmulatorResponse:
        membership = self._emu.membership
        users = membership.members(self._find(call.params["id"]).get("source_rules"))
        return json_response(
            200, page([membership.user_out(u) for u in users], call.query, USER_SORT_KEYS, "principal")
        )
