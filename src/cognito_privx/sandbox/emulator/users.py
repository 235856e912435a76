"""``/role-store/api/v1/users``: the users a login leaves behind, and the login that makes them (choice 14 in
:mod:`.core`).

The routes and shapes are those of the Go SDK, SSHcom/privx-sdk-go v2 (``api/rolestore/client.go``
``SearchUsers``, ``GetUser``, ``GetUserRoles``; ``api/rolestore/model.go`` ``User``, ``UserSearch``,
``UserAttribute``). :meth:`Users.login` is what PrivX does with the ID-token claims of a first (or a later) OIDC
login, reached through the callback of a real login (:mod:`.login`), :meth:`PrivXEmulator.login_user` and ``POST
/_emulator/users``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.wire import (
    ApiError,
    Call,
    EmulatorResponse,
    RouteSpec,
    invalid,
    json_object,
    json_response,
    missing,
    not_found,
    now,
    page,
)

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

_PATH = "/role-store/api/v1/users"
SORT_KEYS = frozenset({"principal", "id", "email", "full_name", "created", "updated"})
ACCOUNT_TARGETS = ("unix_account", "windows_account")
_SEARCHED = ("principal", "email", "full_name", "source_user_id", *ACCOUNT_TARGETS)


class Users:
    """The stored users (``by_id``, without the computed ``roles`` and ``permissions``: see
    :meth:`.Membership.user_out`) and their routes."""

    def __init__(self, emu: PrivXEmulator) -> None:
        self._emu = emu
        self.by_id: dict[str, dict[str, Any]] = {}

    def routes(self) -> list[RouteSpec]:
        one = f"{_PATH}/(?P<id>[^/]+)"
        return [
            ("POST", f"{_PATH}/search", "users-view", self._search),
            ("GET", one, "users-view", self._get),
            ("GET", f"{one}/roles", "users-view", self._roles),
        ]

    def seed(self, local_source_id: str, superuser: str) -> None:
        """Back to the one built-in user, in place: the superuser of the "Local users" directory."""
        self.by_id.clear()
        stamp = now()
        uid = str(uuid.uuid4())
        self.by_id[uid] = {
            "id": uid,
            "source": local_source_id,
            "source_type": "LOCAL",
            "source_user_id": uid,
            "principal": superuser,
            "full_name": "PrivX superuser",
            "tags": [],
            "attributes": [],
            "created": stamp,
            "updated": stamp,
        }

    def forget_source(self, source_id: str) -> None:
        """Drop the users of a deleted directory."""
        for uid in [uid for uid, u in self.by_id.items() if u["source"] == source_id]:
            del self.by_id[uid]

    def _find(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.by_id:
            raise not_found("user", user_id)
        return self.by_id[user_id]

    # -- routes -------------------------------------------------------------------------------------

    def _search(self, call: Call) -> EmulatorResponse:
        body = json_object(call.body)
        for key in ("keywords", "source"):
            if key in body and not isinstance(body[key], str | None):
                raise invalid(key, "must be a string")
        ids = body.get("user_id")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(x, str) for x in ids)):
            raise invalid("user_id", "must be a list of user ids")
        words = [w.casefold() for w in (body.get("keywords") or "").split()]
        found = []
        for user in self.by_id.values():
            if body.get("source") and user["source"] != body["source"]:
                continue
            if ids and user["id"] not in ids:
                continue
            text = " ".join([*(str(user.get(k) or "") for k in _SEARCHED), *user.get("tags", [])]).casefold()
            if all(w in text for w in words):
                found.append(self._emu.membership.user_out(user))
        return json_response(200, page(found, call.query, SORT_KEYS, "principal"))

    def _get(self, call: Call) -> EmulatorResponse:
        return json_response(200, self._emu.membership.user_out(self._find(call.params["id"])))

    def _roles(self, call: Call) -> EmulatorResponse:
        roles = self._emu.membership.roles_of(self._find(call.params["id"]))
        items = [self._emu.membership.role_out(r) for r in roles]
        return json_response(200, {"count": len(items), "items": items})

    # -- the login ----------------------------------------------------------------------------------

    def login(self, source_id: Any, claims: Any) -> tuple[str, bool]:
        """Make or update the user an OIDC login with ``claims`` leaves in ``source_id``: (user id, created).

        Refused like PrivX would refuse the login: a directory that is not an enabled OIDC one, a token without
        ``sub``, a user without the directory's ``oidc_allow_login_tag``.
        """
        if not isinstance(source_id, str) or not source_id:
            raise missing("source_id")
        source = self._emu.sources.get(source_id)
        if source is None:
            raise not_found("source", source_id)
        conn = source.get("connection") or {}
        if conn.get("type") != "OIDC":
            raise invalid("source_id", f"is a {conn.get('type')} directory; only OIDC users log in with claims")
        if source.get("enabled") is False or conn.get("oidc_enabled") is not True:
            raise ApiError(400, "GENERAL_ERROR", f"directory {source_id} is disabled: nobody can log in")
        if not isinstance(claims, dict):
            raise invalid("claims", "must be an object of ID-token claims")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise missing("claims.sub")
        tags = _tags(claims.get(str(conn.get("oidc_tags_attribute_name") or "")))
        allow = conn.get("oidc_allow_login_tag")
        if allow and allow not in tags:
            raise ApiError(403, "FORBIDDEN", f"the user has no tag {allow!r} (oidc_allow_login_tag)")
        fields = {
            "source": source_id,
            "source_type": "OIDC",
            "source_user_id": sub,
            "principal": _first(claims, "preferred_username", "email", "sub"),
            "email": _first(claims, "email"),
            "full_name": _first(claims, "name")
            or " ".join(x for x in (_first(claims, "given_name"), _first(claims, "family_name")) if x),
            "tags": tags,
            "attributes": _attributes(claims),
            **self._accounts(conn.get("attribute_mapping"), claims),
        }
        stamp = now()
        for user in self.by_id.values():
            if user["source"] == source_id and user["source_user_id"] == sub:
                uid, created = user["id"], user["created"]
                user.clear()
                user.update({"id": uid, **fields, "created": created, "updated": stamp})
                return uid, False
        uid = str(uuid.uuid4())
        self.by_id[uid] = {"id": uid, **fields, "created": stamp, "updated": stamp}
        return uid, True

    def _accounts(self, mapping: Any, claims: Mapping[str, Any]) -> dict[str, str]:
        """``unix_account`` / ``windows_account`` from ``attribute_mapping``, read in the variant's direction."""
        if not isinstance(mapping, dict):
            return {}
        if self._emu.variant.attribute_mapping == "target":
            pairs = [(target, claim) for target, claim in mapping.items() if target in ACCOUNT_TARGETS]
        else:
            pairs = [(target, claim) for claim, target in mapping.items() if target in ACCOUNT_TARGETS]
        return {target: v for target, claim in pairs if isinstance(v := claims.get(str(claim)), str) and v}


def _first(claims: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _tags(value: Any) -> list[str]:
    """The tags claim's values: a list (``cognito:groups``) or one string (``custom:group``), taken whole."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return []


def _attributes(claims: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every claim as ``{key, value}`` (v44 stores a token user's claims as attributes for rules to match); a
    list claim gives one pair per value, other non-strings their JSON text."""
    out: list[dict[str, str]] = []
    for key, value in claims.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                out.append({"key": str(key), "value": item if isinstance(item, str) else json.dumps(item)})
    return out
