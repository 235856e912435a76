"""The PrivX emulator's login sessions and live connections (issue 21; choices 20 and 21 of the emulator's core).

Request shapes as the official SDKs send them: privx-sdk-go ``api/auth/client.go`` (listing with ``offset`` /
``limit`` query parameters, ``SessionSearch`` as a JSON body, terminate with ``Post(nil)``) and
``api/connectionmanager/client.go``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, PrivXEmulator
from tests.support.clock import FakeClock
from tests.support.emulator import api_client

SS = "/auth/api/v1/sessionstorage"
CM = "/connection-manager/api/v1/terminate"
SESSION_FIELDS = {
    "id",
    "user_id",
    "source_id",
    "domain",
    "username",
    "remote_addr",
    "user_agent",
    "type",
    "created",
    "updated",
    "expires",
    "token_expires",
    "logged_out",
}


def directory(api: httpx.Client, name: str = "Cognito") -> str:
    body = {
        "name": name,
        "enabled": True,
        "connection": {
            "type": "OIDC",
            "oidc_enabled": True,
            "oidc_issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
            "oidc_client_id": "app-client-id",
            "oidc_client_secret": "s",
            "oidc_tags_attribute_name": "cognito:groups",
        },
    }
    r = api.post("/role-store/api/v1/sources", json=body)
    assert r.status_code == 201, r.text
    source_id: str = r.json()["id"]
    return source_id


def alice(emulator: PrivXEmulator, source: str, sub: str = "sub-alice") -> str:
    return emulator.login_user(source, {"sub": sub, "email": f"{sub}@example.com", "cognito:groups": ["ops"]})


def ids(body: dict[str, Any]) -> list[str]:
    return [s["id"] for s in body["items"]]


def test_a_login_opens_a_session_listed_by_user_and_by_source(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    by_user = api.get(f"{SS}/users/{user}/sessions")
    by_source = api.get(f"{SS}/sources/{source}/sessions")
    assert by_user.status_code == by_source.status_code == 200
    assert by_user.json() == by_source.json()
    assert by_user.json()["count"] == 1
    session = by_user.json()["items"][0]
    assert set(session) == SESSION_FIELDS
    assert (session["user_id"], session["source_id"], session["username"]) == (user, source, "sub-alice@example.com")
    assert session["logged_out"] is False
    alice(emulator, source)  # a second login: a second session, same user
    assert api.get(f"{SS}/users/{user}/sessions").json()["count"] == 2


def test_listing_pages_with_offset_and_limit_as_the_sdk_sends_them(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    for _ in range(4):
        alice(emulator, source)
    every = api.get(f"{SS}/users/{user}/sessions", params={"offset": 0, "limit": 100}).json()
    assert every["count"] == 5
    page = api.get(f"{SS}/users/{user}/sessions", params={"offset": 3, "limit": 1}).json()
    assert (page["count"], ids(page)) == (5, ids(every)[3:4])
    assert api.get(f"{SS}/users/{user}/sessions", params={"limit": "x"}).status_code == 400


def test_terminate_one_session_ends_only_that_one(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    alice(emulator, source)
    first, second = ids(api.get(f"{SS}/users/{user}/sessions").json())
    r = api.post(f"{SS}/sessions/{first}/terminate")  # Go SDK: Post(nil), no body
    assert r.status_code == 200
    assert ids(api.get(f"{SS}/users/{user}/sessions").json()) == [second]
    assert ids(api.get(f"{SS}/sources/{source}/sessions").json()) == [second]
    assert emulator.sessions[first]["logged_out"] is True
    assert api.post(f"{SS}/sessions/{first}/terminate", content=b"null").status_code == 200  # again: still ended
    assert api.post(f"{SS}/sessions/no-such/terminate").json()["error_code"] == "OBJECT_NOT_FOUND"


def test_terminate_all_of_a_users_sessions_leaves_others(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    alice(emulator, source)
    bob = alice(emulator, source, "sub-bob")
    r = api.post(f"{SS}/users/{user}/sessions/terminate")
    assert r.status_code == 200
    assert api.get(f"{SS}/users/{user}/sessions").json() == {"count": 0, "items": []}
    assert [s["user_id"] for s in api.get(f"{SS}/sources/{source}/sessions").json()["items"]] == [bob]
    assert [s["user_id"] for s in emulator.valid_sessions()] == [bob]
    assert api.post(f"{SS}/users/no-such/sessions/terminate").status_code == 404


def test_search_takes_the_sdks_body_and_shows_ended_sessions_as_logged_out(
    emulator: PrivXEmulator, api: httpx.Client
) -> None:
    source = directory(api)
    user = alice(emulator, source)
    alice(emulator, source, "sub-bob")
    api.post(f"{SS}/users/{user}/sessions/terminate")
    found = api.post(f"{SS}/sessions/search", json={"user_id": user}).json()
    assert found["count"] == 1 and found["items"][0]["logged_out"] is True
    by_word = api.post(f"{SS}/sessions/search", json={"keywords": "BOB"}).json()
    assert [s["username"] for s in by_word["items"]] == ["sub-bob@example.com"]
    assert api.post(f"{SS}/sessions/search", json={}).json()["count"] == 2
    bad = api.post(f"{SS}/sessions/search", json={"user": user})
    assert (bad.status_code, bad.json()["property"]) == (400, "user")
    assert api.post(f"{SS}/sessions/search", json={"user_id": 7}).status_code == 400
    assert api.post(f"{SS}/sessions/search").status_code == 400  # the SDK always sends a body


def test_a_session_expires_after_session_ttl(make_emulator: Any, clock: FakeClock) -> None:
    emulator = make_emulator(clock=clock, session_ttl=60.0)
    with api_client(emulator) as api:
        source = directory(api)
        user = alice(emulator, source)
        clock.advance(59)
        assert api.get(f"{SS}/users/{user}/sessions").json()["count"] == 1
        clock.advance(1)
    assert emulator.valid_sessions(user) == []
    assert emulator.sessions  # still stored, no longer valid


def test_a_connection_is_ended_by_user_by_id_and_by_host(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    bob = alice(emulator, source, "sub-bob")
    one = emulator.open_connection(user, "web-1")
    emulator.open_connection(user, "db-1")
    theirs = emulator.open_connection(bob, "web-1")
    assert api.post(f"{CM}/user/{user}").status_code == 200
    assert emulator.live_connections(user) == []
    assert [c["id"] for c in emulator.live_connections()] == [theirs]
    ended = emulator.connections[one]
    assert (ended["status"], ended["termination_reason"]) == ("DISCONNECTED", "terminated by administrator")
    assert api.post(f"{CM}/host/web-1").status_code == 200
    assert emulator.live_connections() == []
    again = emulator.open_connection(bob, "db-1")
    assert api.post(f"{CM}/connection/{again}", content=b"null").status_code == 200
    assert emulator.live_connections() == []
    assert api.post(f"{CM}/connection/no-such").status_code == 404
    assert api.post(f"{CM}/user/no-such").status_code == 404
    with pytest.raises(ValueError, match="not found"):
        emulator.open_connection("no-such", "web-1")


def test_without_connections_terminate_nothing_is_ended(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    conn = emulator.open_connection(user, "web-1")
    emulator.add_api_client("weak", "pw", ALL_PERMISSIONS - {"connections-terminate"})
    with api_client(emulator, "weak", "pw") as weak:
        for path in (f"{CM}/user/{user}", f"{CM}/connection/{conn}", f"{CM}/host/web-1"):
            r = weak.post(path)
            assert r.status_code == 403
            assert r.json()["error_code"] == "FORBIDDEN" and "connections-terminate" in r.json()["error_message"]
        assert weak.post(f"{SS}/users/{user}/sessions/terminate").status_code == 200  # users-manage it has
    assert [c["id"] for c in emulator.live_connections()] == [conn]


def test_taking_a_permission_away_applies_to_a_token_already_out(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    emulator.open_connection(user, "web-1")
    emulator.add_api_client("ops", "pw")
    with api_client(emulator, "ops", "pw") as ops:
        emulator.set_api_client_permissions("ops", ALL_PERMISSIONS - {"users-manage", "connections-terminate"})
        assert ops.post(f"{SS}/users/{user}/sessions/terminate").status_code == 403
        assert ops.post(f"{CM}/user/{user}").status_code == 403
        assert ops.get(f"{SS}/users/{user}/sessions").json()["count"] == 1  # users-view still held
    assert len(emulator.valid_sessions(user)) == 1 and len(emulator.live_connections(user)) == 1
    with pytest.raises(KeyError):
        emulator.set_api_client_permissions("nobody", [])


def test_deleting_the_directory_and_reset_drop_sessions_and_connections(
    emulator: PrivXEmulator, api: httpx.Client
) -> None:
    source = directory(api)
    emulator.open_connection(alice(emulator, source), "web-1")
    other = directory(api, "Other")
    kept = alice(emulator, other, "sub-carol")
    assert api.delete(f"/role-store/api/v1/sources/{source}").status_code == 200
    assert [s["user_id"] for s in emulator.sessions.values()] == [kept]
    assert emulator.connections == {}
    emulator.reset()
    assert emulator.sessions == {} and emulator.connections == {}


def test_the_terminate_routes_are_writes_and_search_is_not(emulator: PrivXEmulator, api: httpx.Client) -> None:
    source = directory(api)
    user = alice(emulator, source)
    api.post(f"{SS}/sessions/search", json={})
    api.post(f"{SS}/users/{user}/sessions/terminate")
    api.post(f"{CM}/user/{user}")
    assert [r.path for r in emulator.write_requests()][-2:] == [
        f"{SS}/users/{user}/sessions/terminate",
        f"{CM}/user/{user}",
    ]
    assert f"{SS}/sessions/search" not in [r.path for r in emulator.write_requests()]


def test_session_ttl_is_set_through_the_harness_all_or_nothing(emulator: PrivXEmulator, api: httpx.Client) -> None:
    r = api.post("/_emulator/config", json={"session_ttl": 5, "token_ttl": 0})
    assert (r.status_code, r.json()["property"]) == (400, "token_ttl")
    assert emulator.session_ttl == 43200.0
    assert api.post("/_emulator/config", json={"session_ttl": 5}).json()["session_ttl"] == 5.0
    assert emulator.session_ttl == 5.0


CS = "/connection-manager/api/v1/connections/search"


def test_connection_search_filters_by_user_and_status_as_the_sdk_sends_them(
    emulator: PrivXEmulator, api: httpx.Client
) -> None:
    source = directory(api)
    user, bob = alice(emulator, source), alice(emulator, source, "sub-bob")
    live = emulator.open_connection(user, "web-1")
    ended = emulator.open_connection(user, "db-1")
    emulator.open_connection(bob, "web-1")
    api.post(f"/connection-manager/api/v1/terminate/connection/{ended}")
    r = api.post(CS, json={"user_id": [user], "status": ["CONNECTED"]}, params={"offset": 0, "limit": 50})
    assert r.status_code == 200, r.text
    assert (r.json()["count"], [c["id"] for c in r.json()["items"]]) == (1, [live])
    assert api.post(CS, json={"user_id": [user]}).json()["count"] == 2
    assert api.post(CS, json={}).json()["count"] == 3
    # A filter the emulator does not apply is refused rather than silently ignored; an empty one is fine.
    assert api.post(CS, json={"target_host_id": ["web-1"]}).status_code == 400
    assert api.post(CS, json={"target_host_id": [], "keywords": ""}).json()["count"] == 3
    assert api.post(CS, json={"user_id": user}).status_code == 400
    assert api.post(CS, json={"nonsense": []}).status_code == 400
    assert CS not in [r.path for r in emulator.write_requests()]
    emulator.add_api_client("blind", "pw", ALL_PERMISSIONS - {"connections-view"})
    with api_client(emulator, "blind", "pw") as blind:
        assert blind.post(CS, json={}).status_code == 403
