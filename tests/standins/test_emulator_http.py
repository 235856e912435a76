"""The PrivX emulator served over real HTTP/1.1 on loopback; each test starts and stops its own server.

Timing assertions only ever say "at least": an upper bound would make the suite flaky on a busy machine.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, MASK, Fault, PrivXEmulator
from cognito_privx.sandbox.server import EmulatorServer
from tests.support.clock import FakeClock
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET
from tests.support.oidc import cognito_discovery

RS = "/role-store/api/v1"
SOURCES = f"{RS}/sources"
COGNITO_SECRET = "cognito-app-client-secret"
TIMEOUT = httpx.Timeout(5.0)


@pytest.fixture
def emulator_settings() -> dict[str, Any]:
    return {"version": "44.1.0"}


@pytest.fixture
def server(emulator: PrivXEmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator) as s:
        yield s


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as c:
        yield c


def token(client: httpx.Client) -> str:
    r = client.post(
        "/auth/api/v1/oauth/token",
        auth=("privx-external", OAUTH_CLIENT_SECRET),
        data={"grant_type": "password", "username": API_CLIENT_ID, "password": API_CLIENT_SECRET},
    )
    assert r.status_code == 200, r.text
    access_token: str = r.json()["access_token"]
    return access_token


@pytest.fixture
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as c:
        c.headers["Authorization"] = f"Bearer {token(c)}"
        yield c


def oidc_source(name: str = "Cognito") -> dict[str, Any]:
    return {
        "name": name,
        "enabled": True,
        "connection": {
            "type": "OIDC",
            "oidc_enabled": True,
            "oidc_issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
            "oidc_client_id": "app-client-id",
            "oidc_client_secret": COGNITO_SECRET,
            "oidc_additional_scopes": ["email", "profile"],
        },
    }


def cognito_sources(emulator: PrivXEmulator) -> list[dict[str, Any]]:
    return [s for s in emulator.sources.values() if s["name"] == "Cognito"]


# -- serving ----------------------------------------------------------------------------------------


def test_status_over_http_with_version(server: EmulatorServer) -> None:
    assert server.url == f"http://localhost:{server.port}"
    r = httpx.get(server.url + "/auth/api/v1/status", timeout=TIMEOUT)
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["app_id"]) == ("44.1.0", "auth")
    assert r.headers["Content-Length"] == str(len(r.content))
    assert httpx.get(server.url + f"{RS}/status", timeout=TIMEOUT).json()["app_id"] == "role-store"


def test_listens_on_loopback_only_both_families(server: EmulatorServer) -> None:
    assert "127.0.0.1" in server.addresses
    assert set(server.addresses) <= {"127.0.0.1", "::1"}
    for host in ("127.0.0.1", *(["[::1]"] if "::1" in server.addresses else [])):
        assert httpx.get(f"http://{host}:{server.port}/auth/api/v1/status", timeout=TIMEOUT).status_code == 200


def test_token_create_source_and_get_masked(emulator: PrivXEmulator, api: httpx.Client) -> None:
    r = api.post(SOURCES, json=oidc_source())
    assert r.status_code == 201
    sid = r.json()["id"]
    got = api.get(f"{SOURCES}/{sid}")
    assert got.status_code == 200
    assert got.json()["connection"]["oidc_client_secret"] == MASK
    assert emulator.sources[sid]["connection"]["oidc_client_secret"] == COGNITO_SECRET


def test_every_answer_has_its_length_and_closes_its_connection(server: EmulatorServer, api: httpx.Client) -> None:
    # werkzeug has no keep-alive: the api fixture's token grant and each request below get a connection each.
    for _ in range(5):
        got = api.get(SOURCES)
        assert (got.status_code, got.headers["Connection"]) == (200, "close")
    deleted = api.delete(f"{SOURCES}/nope")
    assert deleted.headers["Content-Length"] == str(len(deleted.content))
    assert server.connections_accepted == 7


def test_every_method_reaches_the_emulator(emulator: PrivXEmulator, api: httpx.Client) -> None:
    patch = api.patch(SOURCES, json={})
    assert patch.status_code == 405
    assert set(patch.headers["Allow"].split(", ")) == {"GET", "POST"}
    head = api.head("/auth/api/v1/status")
    assert (head.status_code, head.content) == (405, b"")
    assert int(head.headers["Content-Length"]) > 0  # the length the body would have had
    assert [r.method for r in emulator.requests[-2:]] == ["PATCH", "HEAD"]


def test_chunked_request_body(emulator: PrivXEmulator, api: httpx.Client) -> None:
    payload = json.dumps(oidc_source()).encode()
    r = api.post(SOURCES, content=iter([payload[:10], payload[10:]]), headers={"Content-Type": "application/json"})
    assert r.request.headers["Transfer-Encoding"] == "chunked"
    assert r.status_code == 201
    assert len(cognito_sources(emulator)) == 1


# -- faults -----------------------------------------------------------------------------------------


def test_third_request_503_then_fourth_normal(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(path=SOURCES, nth=3, status=503))
    statuses = [api.get(SOURCES).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]
    assert [r.fault for r in emulator.requests[-4:]] == [None, None, "status 503", None]
    assert emulator.faults == ()


def test_fault_status_is_not_processed(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(method="POST", path=SOURCES, status=500))
    r = api.post(SOURCES, json=oidc_source())
    assert r.status_code == 500
    assert r.json()["error_code"] == "INTERNAL_SERVER_ERROR"
    assert cognito_sources(emulator) == []


def test_429_carries_retry_after(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(path=f"{RS}/*", status=429, retry_after=7))
    r = api.get(f"{RS}/roles")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.json()["error_code"] == "TOO_MANY_REQUESTS"


def test_latency_delays_the_answer(emulator: PrivXEmulator, api: httpx.Client) -> None:
    latency = 0.3
    emulator.add_fault(Fault(method="GET", path=SOURCES, latency=latency))
    start = time.monotonic()
    r = api.get(SOURCES)
    elapsed = time.monotonic() - start
    assert r.status_code == 200
    assert elapsed >= latency
    assert emulator.requests[-1].fault == "latency 0.3"


def test_drop_processes_then_disconnects(emulator: PrivXEmulator, server: EmulatorServer, api: httpx.Client) -> None:
    emulator.add_fault(Fault(method="POST", path=SOURCES, drop=True))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post(SOURCES, json=oidc_source())
    assert len(cognito_sources(emulator)) == 1  # the write happened
    assert (emulator.requests[-1].status, emulator.requests[-1].fault) == (201, "drop")
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as fresh:
        fresh.headers["Authorization"] = api.headers["Authorization"]
        items = fresh.get(SOURCES).json()["items"]
    assert [s["name"] for s in items].count("Cognito") == 1


def test_faults_over_admin_endpoints(emulator: PrivXEmulator, client: httpx.Client) -> None:
    r = client.post("/_emulator/faults", json={"path": "/auth/api/v1/status", "status": 503, "times": 5})
    assert r.status_code == 201
    assert r.json()["times"] == 5
    assert client.get("/auth/api/v1/status").status_code == 503
    cleared = client.delete("/_emulator/faults")
    assert (cleared.status_code, cleared.json()) == (200, {"cleared": 1})
    assert client.get("/auth/api/v1/status").status_code == 200
    bad = client.post("/_emulator/faults", json={"path": "/x", "status": 503, "drop": True})
    assert bad.status_code == 400
    assert bad.json()["property"] == "fault"


def test_admin_state_and_reset(emulator: PrivXEmulator, client: httpx.Client, api: httpx.Client) -> None:
    sid = api.post(SOURCES, json=oidc_source()).json()["id"]
    state = client.get("/_emulator/state").json()
    source = next(s for s in state["sources"] if s["id"] == sid)
    assert source["connection"]["oidc_client_secret"] == COGNITO_SECRET  # unmasked
    assert {r["name"] for r in state["roles"]} == {"privx-admin", "privx-user"}
    assert state["requests"][-1] == {"method": "POST", "path": SOURCES, "status": 201, "fault": None}
    assert not any(r["path"].startswith("/_emulator/") for r in state["requests"])

    reset = client.post("/_emulator/reset")
    assert (reset.status_code, reset.headers["Content-Length"]) == (200, "0")
    assert sid not in emulator.sources
    assert client.get("/_emulator/state").json()["requests"] == []
    assert api.get(SOURCES).status_code == 401  # tokens dropped


@pytest.mark.parametrize("emulator_settings", [{"version": "44.1.0", "clock": FakeClock()}], ids=["test-clock"])
def test_token_ttl_from_admin_config_expires(client: httpx.Client, emulator_settings: dict[str, Any]) -> None:
    """The TTL set over HTTP is the one a token granted over HTTP lives by: valid until then, then refused as
    expired. The emulator runs on a clock the test moves (its own test: a second of real waiting)."""
    clock: FakeClock = emulator_settings["clock"]
    r = client.post("/_emulator/config", json={"token_ttl": 1})
    assert (r.status_code, r.json()) == (200, {"token_ttl": 1.0, "session_ttl": 43200.0})
    grant = client.post(
        "/auth/api/v1/oauth/token",
        auth=("privx-external", OAUTH_CLIENT_SECRET),
        data={"grant_type": "password", "username": API_CLIENT_ID, "password": API_CLIENT_SECRET},
    )
    assert grant.json()["expires_in"] == 1
    headers = {"Authorization": f"Bearer {grant.json()['access_token']}"}
    clock.advance(0.9)
    assert client.get(SOURCES, headers=headers).status_code == 200
    clock.advance(0.1)
    expired = client.get(SOURCES, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error_message"] == "access token expired"


# -- direct login and users ---------------------------------------------------------------------------


def test_authorize_answers_307_over_http(emulator: PrivXEmulator, server: EmulatorServer, api: httpx.Client) -> None:
    emulator.base_url = server.url
    emulator.oidc_http = httpx.Client(
        transport=cognito_discovery("https://acme-privx.auth.eu-west-1.amazoncognito.com")
    )
    sid = api.post(SOURCES, json=oidc_source()).json()["id"]
    params = {
        "response_type": "code",
        "client_id": "privx-ui",
        "redirect_uri": "/privx/oauth-callback",
        "oidc_id": sid,
        "state": "s",
    }
    with httpx.Client(base_url=server.url, timeout=TIMEOUT, follow_redirects=False) as browser:
        r = browser.get("/auth/api/v1/oauth/authorize", params=params)
        legacy = browser.get("/auth/api/v1/oidc/login", params={"directory": sid})
    assert r.status_code == 307
    location = httpx.URL(r.headers["Location"])
    assert (location.host, location.path) == ("acme-privx.auth.eu-west-1.amazoncognito.com", "/oauth2/authorize")
    assert location.params["client_id"] == "app-client-id"
    assert location.params["redirect_uri"] == f"{server.url}/auth/api/v1/oidc-cb"
    assert location.params["scope"] == "openid email profile"
    assert legacy.status_code == 404  # the default variant serves the documented route only


def test_login_over_admin_route_then_search(client: httpx.Client, api: httpx.Client) -> None:
    sid = api.post(SOURCES, json=oidc_source()).json()["id"]
    login = {"source_id": sid, "claims": {"sub": "alice", "email": "alice@example.com", "groups": ["ops"]}}
    r = client.post("/_emulator/users", json=login)
    assert r.status_code == 201
    found = api.post(f"{RS}/users/search", json={"source": sid}).json()
    assert (found["count"], found["items"][0]["id"], found["items"][0]["principal"]) == (
        1,
        r.json()["id"],
        "alice@example.com",
    )


# -- lifecycle --------------------------------------------------------------------------------------


def test_stop_is_clean_idempotent_and_frees_the_port(emulator: PrivXEmulator) -> None:
    server = EmulatorServer(emulator).start()
    assert server.start() is server  # start while running: no-op
    port = server.port
    idle = httpx.Client(base_url=server.url, timeout=TIMEOUT)  # a client still open at stop() (its pool empty)
    assert idle.get("/auth/api/v1/status").status_code == 200
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/auth/api/v1/status", timeout=TIMEOUT)
    with pytest.raises(RuntimeError):
        server.start()
    idle.close()
    # The port is free again: a plain socket can listen on it, and so can a new server.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as every server does: TIME_WAIT is fine
        probe.bind(("127.0.0.1", port))
        probe.listen()
    with EmulatorServer(emulator, port=port) as again:
        assert httpx.get(again.url + "/auth/api/v1/status", timeout=TIMEOUT).status_code == 200
    assert not [t for t in threading.enumerate() if t.name.endswith(f"-{port}")]


def test_stop_before_start_is_harmless(emulator: PrivXEmulator) -> None:
    server = EmulatorServer(emulator)
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.port


def test_sessions_and_connections_over_http(emulator: PrivXEmulator, api: httpx.Client, client: httpx.Client) -> None:
    """Issue 21: a login opens a session, the harness opens a connection, the SDKs' routes end both; without
    ``connections-terminate`` (taken away through the harness) nothing is ended."""
    source = api.post(SOURCES, json=oidc_source()).json()["id"]
    r = client.post("/_emulator/users", json={"source_id": source, "claims": {"sub": "s-a", "email": "a@x.org"}})
    user = r.json()["id"]
    r = client.post("/_emulator/connections", json={"user_id": user, "host": "web-1"})
    assert r.status_code == 201
    conn = r.json()["id"]
    assert client.post("/_emulator/connections", json={"user_id": "nobody", "host": "h"}).status_code == 404
    assert client.post("/_emulator/connections", json={"user_id": user}).json()["property"] == "host"
    sessions = api.get(f"/auth/api/v1/sessionstorage/sources/{source}/sessions").json()
    assert [s["user_id"] for s in sessions["items"]] == [user]

    r = client.post("/_emulator/permissions", json={"client_id": API_CLIENT_ID, "permissions": ["users-view"]})
    assert r.json() == {"client_id": API_CLIENT_ID, "permissions": ["users-view"]}
    refused = api.post(f"/connection-manager/api/v1/terminate/user/{user}")
    assert (refused.status_code, refused.json()["error_code"]) == (403, "FORBIDDEN")
    assert api.post(f"/auth/api/v1/sessionstorage/users/{user}/sessions/terminate").status_code == 403
    state = client.get("/_emulator/state").json()
    assert [(s["valid"], s["logged_out"]) for s in state["sessions"]] == [(True, False)]
    assert [c["status"] for c in state["connections"]] == ["CONNECTED"]
    assert state["api_clients"] == {API_CLIENT_ID: ["users-view"]}
    bad = client.post("/_emulator/permissions", json={"client_id": API_CLIENT_ID, "permissions": ["root"]})
    assert bad.status_code == 400
    assert client.post("/_emulator/permissions", json={"client_id": "x", "permissions": []}).status_code == 404

    every = sorted(ALL_PERMISSIONS)
    client.post("/_emulator/permissions", json={"client_id": API_CLIENT_ID, "permissions": every})
    assert api.post(f"/connection-manager/api/v1/terminate/user/{user}").status_code == 200
    assert api.post(f"/auth/api/v1/sessionstorage/users/{user}/sessions/terminate").status_code == 200
    state = client.get("/_emulator/state").json()
    assert [(s["valid"], s["logged_out"]) for s in state["sessions"]] == [(False, True)]
    assert [(c["id"], c["status"]) for c in state["connections"]] == [(conn, "DISCONNECTED")]
    assert api.get(f"/auth/api/v1/sessionstorage/users/{user}/sessions").json() == {"count": 0, "items": []}
