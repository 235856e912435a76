"""PrivX's live connections (the connection manager) and its terminate routes (choice 21 in :mod:`.core`).

Routes from privx-sdk-go ``api/connectionmanager/client.go`` (``TerminateConnection``,
``TerminateConnectionsByHost``, ``TerminateConnectionsByUser``, each ``Post(nil)``) and privx-sdk-for-python
``privx_api/enums.py`` (``CONNECTION_MANAGER.TERMINATE_*``); the permission ``connections-terminate`` from the
role-store roles schema (v41). Field names from the Go SDK's ``connectionmanager.Connection``. Connections are
opened only through the harness (``POST /_emulator/connections``), as an SSH session through PrivX would.

Listing: ``POST /connection-manager/api/v1/connections/search`` (privx-sdk-go ``SearchConnections``; body the Go
SDK's ``ConnectionSearch``, of which the emulator filters on ``id``, ``user_id`` and ``status``, each a list of
strings, an empty list or absent meaning any; every other ``ConnectionSearch`` key is accepted and **refused with
400** when non-empty, so a client relying on a filter the emulator does not apply fails loudly instead of
reading too many connections), paged as choice 11 (sort keys ``connected`` (default), ``created``,
``updated``, ``status``, ``id``). Its permission, ``connections-view``, is a guess from the role-store
permission names (unverified).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.wire import (
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

_PATH = "/connection-manager/api/v1/terminate"
_SEARCH = "/connection-manager/api/v1/connections/search"
PERMISSION = "connections-terminate"
VIEW_PERMISSION = "connections-view"  # unverified (see the module docstring)
_SORT_KEYS = ("connected", "created", "updated", "status", "id")
# ConnectionSearch's list filters (privx-sdk-go api/connectionmanager/model.go), the ones the emulator applies.
_FILTERS = {"id": "id", "user_id": "user", "status": "status"}
_OTHER_SEARCH_KEYS = frozenset(
    {
        "proxy_id",
        "type",
        "mode",
        "user_agent",
        "authentication_method",
        "user_display_name",
        "user_roles",
        "target_host_id",
        "target_host_common_name",
        "target_host_address",
        "target_host_account",
        "target_host_roles",
        "remote_address",
        "connected",
        "disconnected",
        "last_activity",
        "force_disconnect",
        "keywords",
        "access_roles",
        "has_access_roles",
    }
)


class Connections:
    """Every connection ever opened, by id; a live one has ``status`` ``CONNECTED``, an ended one
    ``DISCONNECTED`` with ``disconnected`` and ``termination_reason``."""

    def __init__(self, emu: PrivXEmulator) -> None:
        self._emu = emu
        self.by_id: dict[str, dict[str, Any]] = {}

    def routes(self) -> list[RouteSpec]:
        return [
            ("POST", f"{_PATH}/connection/(?P<id>[^/]+)", PERMISSION, self._terminate_one),
            ("POST", f"{_PATH}/host/(?P<id>[^/]+)", PERMISSION, self._terminate_host),
            ("POST", f"{_PATH}/user/(?P<id>[^/]+)", PERMISSION, self._terminate_user),
            ("POST", _SEARCH, VIEW_PERMISSION, self._search),
        ]

    def clear(self) -> None:
        self.by_id.clear()

    def open(self, fields: dict[str, Any]) -> str:
        """A live connection for ``{user_id, host}`` (harness): its id. 404 for an unknown user."""
        for key in fields:
            if key not in ("user_id", "host"):
                raise invalid(key, "is not a connection field; known: ['host', 'user_id']")
        for key in ("user_id", "host"):
            if key not in fields:
                raise missing(key)
            if not isinstance(fields[key], str) or not fields[key]:
                raise invalid(key, "must be a non-empty string")
        user = self._emu.users.get(fields["user_id"])
        if user is None:
            raise not_found("user", fields["user_id"])
        cid = str(uuid.uuid4())
        stamp = now()
        self.by_id[cid] = {
            "id": cid,
            "type": "SSH",
            "user": {"id": user["id"], "display_name": user.get("principal", "")},
            "target_host": {"id": fields["host"]},
            "connected": stamp,
            "created": stamp,
            "updated": stamp,
            "status": "CONNECTED",
        }
        return cid

    def live(self) -> list[dict[str, Any]]:
        return [c for c in self.by_id.values() if c["status"] == "CONNECTED"]

    def forget_users(self, user_ids: set[str]) -> None:
        for cid in [cid for cid, c in self.by_id.items() if c["user"]["id"] in user_ids]:
            del self.by_id[cid]

    def _end(self, conn: dict[str, Any], client_id: str) -> None:
        if conn["status"] == "CONNECTED":
            stamp = now()
            conn.update(
                status="DISCONNECTED",
                disconnected=stamp,
                updated=stamp,
                updated_by=client_id,
                termination_reason="terminated by administrator",
            )

    # -- routes -------------------------------------------------------------------------------------

    def _search(self, call: Call) -> EmulatorResponse:
        body = json_object(call.body)
        wanted: dict[str, list[str]] = {}
        for key, value in body.items():
            if key in _OTHER_SEARCH_KEYS:
                if value not in (None, "", [], {}, False):
                    raise invalid(key, "is a ConnectionSearch filter the emulator does not apply")
                continue
            if key not in _FILTERS:
                raise invalid(key, f"is not a ConnectionSearch field; applied: {sorted(_FILTERS)}")
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise invalid(key, "must be a list of strings")
            if value:
                wanted[key] = value
        found = []
        for conn in self.by_id.values():
            fields = {"id": conn["id"], "user_id": conn["user"]["id"], "status": conn["status"]}
            if all(fields[key] in values for key, values in wanted.items()):
                found.append(conn)
        return json_response(200, page(found, call.query, _SORT_KEYS, "connected"))

    def _terminate_one(self, call: Call) -> EmulatorResponse:
        conn = self.by_id.get(call.params["id"])
        if conn is None:
            raise not_found("connection", call.params["id"])
        self._end(conn, call.client_id)
        return EmulatorResponse(200)

    def _terminate_host(self, call: Call) -> EmulatorResponse:
        for conn in self.live():
            if conn["target_host"]["id"] == call.params["id"]:
                self._end(conn, call.client_id)
        return EmulatorResponse(200)

    def _terminate_user(self, call: Call) -> EmulatorResponse:
        if call.params["id"] not in self._emu.users:
            raise not_found("user", call.params["id"])
        for conn in self.live():
            if conn["user"]["id"] == call.params["id"]:
                self._end(conn, call.client_id)
        return EmulatorResponse(200)
