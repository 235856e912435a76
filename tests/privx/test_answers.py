"""PrivX's answers checked at the client boundary (privx/answers.py): an answer of another shape is one
``PrivXAPIError`` naming the call and the place; what PrivX legitimately varies in is accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cognito_privx.config import load_credentials
from cognito_privx.errors import PrivXAPIError
from cognito_privx.privx import PrivXClient, build_http_client
from cognito_privx.privx.answers import DEFAULT_TOKEN_LIFETIME_S
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import PRIVX_URL

ROLES = "/role-store/api/v1/roles"


def _client(emulator: PrivXEmulator, rewrite: Callable[[httpx.Request, Any], Any]) -> PrivXClient:
    """Our client on the emulator, each JSON answer passed through ``rewrite(request, body)``."""

    def handle(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        response.read()
        if not response.headers.get("content-type", "").startswith("application/json"):
            return response
        return httpx.Response(response.status_code, json=rewrite(request, response.json()), request=request)

    return PrivXClient(build_http_client(PRIVX_URL, transport=httpx.MockTransport(handle)), load_credentials())


def _on(path: str, change: Callable[[Any], Any]) -> Callable[[httpx.Request, Any], Any]:
    return lambda request, body: change(body) if request.url.path == path else body


def test_a_role_without_an_id_names_the_call_and_the_place(emulator: PrivXEmulator) -> None:
    def drop_id(body: dict[str, Any]) -> dict[str, Any]:
        items = [dict(r) for r in body["items"]]
        del items[1]["id"]
        return {**body, "items": items}

    px = _client(emulator, _on(ROLES, drop_id))
    with pytest.raises(PrivXAPIError) as e:
        px.list_roles()
    assert e.value.message == f"PrivX answered GET {ROLES} with an unexpected shape: items[1].id missing"
    assert e.value.hint and "[privx] url" in e.value.hint


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ([], "the answer is a list, not an object"),
        ({"items": {"id": "x"}}, "items is an object, not a list"),
        ({"count": 1, "items": [{"id": 5, "name": "a"}]}, "items[0].id is a number, not a string"),
        ({"items": [{"id": "", "name": "a"}]}, "items[0].id is empty"),
        (
            {"items": [{"id": "r", "name": "a", "source_rules": {"rules": [{"rules": "x"}]}}]},
            "items[0].source_rules.rules[0].rules is a string, not a list",
        ),
    ],
)
def test_answers_of_another_shape(emulator: PrivXEmulator, answer: Any, problem: str) -> None:
    px = _client(emulator, _on(ROLES, lambda _: answer))
    with pytest.raises(PrivXAPIError, match=r"unexpected shape: (.*)") as e:
        px.list_roles()
    assert e.value.message.endswith(problem)


def test_what_privx_varies_in_is_accepted_and_objects_round_trip(emulator: PrivXEmulator) -> None:
    """Extra fields are kept (a directory is written back whole), ``items: null`` is an empty list, ``null`` in
    an optional field is absent."""
    px = _client(emulator, lambda _r, body: body)
    source_id = px.create_source({"name": "D", "enabled": True, "connection": {"type": "OIDC"}})

    def extra(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "future_field": {"nested": [1, 2]}, "comment": None}

    px = _client(emulator, _on(f"/role-store/api/v1/sources/{source_id}", extra))
    assert px.get_source(source_id)["future_field"] == {"nested": [1, 2]}
    px = _client(emulator, _on(ROLES, lambda body: {**body, "items": None, "count": "0"}))
    assert px.list_roles() == []


@pytest.mark.parametrize("expires_in", ["", None, "abc", -5, [], "120"])
def test_an_unreadable_expires_in_is_the_default_lifetime(emulator: PrivXEmulator, expires_in: Any) -> None:
    token = "/auth/api/v1/oauth/token"
    px = _client(emulator, _on(token, lambda body: {**body, "expires_in": expires_in}))
    px.login()
    expected = 120.0 if expires_in == "120" else DEFAULT_TOKEN_LIFETIME_S
    assert px.auth._expires == pytest.approx(px.auth._clock() + expected - 10, abs=2)
