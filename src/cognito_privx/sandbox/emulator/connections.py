"""PrivX's live connections (the connection manager) and its terminate routes (choice 21 in :mod:`.core`).

Routes from privx-sdk-go ``api/connectionmanager/client.go`` (``TerminateConnection``,
``TerminateConnectionsByHost``, ``TerminateConnectionsByUser``, each ``Post(nil)``) and privx-sdk-for-python
``privx_api/enums.py`` (``CONNECTION_MANAGER.TERMINATE_*``); the permission ``connections-terminate`` from the
role-store roles schema (v41). Field names from the Go SDK's ``connectionmanager.Connection``. Connections are
opened only through the harness (``POST /_emulator/connections``), as an SSH session through PrivX would.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.wire import (
    Call,
    EmulatorResponse,
    RouteSpec,
    invalid,
    missing,
    not_found,
    now,
)

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

_PATH = "/connection-manager/api/v1/terminate"
PERMISSION = "connections-terminate"


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
