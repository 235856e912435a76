"""The PrivX emulator, driven over httpx as the real client will drive it; assertions are on state."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from cognito_privx.sandbox.emulator import (
    ALL_PERMISSIONS,
    MASK,
    Fault,
    PrivXEmulator,
)
from tests.support.clock import FakeClock
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET
from tests.support.emulator import api_client

BASE = "https://privx.example.com"
RS = "/role-store/api/v1"
COGNITO_SECRET = "cognito-app-client-secret"


@pytest.fixture
def emulator_settings(clock: FakeClock) -> dict[str, Any]:
    """The emulator runs on the test's clock: its tokens expire when the test says."""
    return {"clock": clock}


def http(emulator: PrivXEmulator) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE)


def grant(
    emulator: PrivXEmulator,
    username: str = API_CLIENT_ID,
    password: str = API_CLIENT_SECRET,
    basic: tuple[str, str] | None = ("privx-external", OAUTH_CLIENT_SECRET),
    grant_type: str = "password",
) -> httpx.Response:
    with http(emulator) as c:
        return c.post(
            "/auth/api/v1/oauth/token",
            auth=httpx.BasicAuth(*basic) if basic else httpx.USE_CLIENT_DEFAULT,
            data={"grant_type": grant_type, "username": username, "password": password},
        )


def oidc_source(name: str = "Cognito", **conn: Any) -> dict[str, Any]:
    connection = {
        "type": "OIDC",
        "oidc_enabled": True,
        "oidc_issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
        "oidc_client_id": "app-client-id",
        "oidc_client_secret": COGNITO_SECRET,
        "oidc_button_title": "Cognito",
        "oidc_tags_attribute_name": "custom:group",
        "oidc_additional_scopes": ["email", "profile"],
    }
    connection.update(conn)
    return {"name": name, "enabled": True, "comment": "made by test", "connection": connection}


def role(name: str, rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "permissions": [],
        "source_rules": {"type": "GROUP", "match": "ANY", "rules": rules or []},
    }


# -- authentication ---------------------------------------------------------------------------------


def test_token_grant_ok(emulator: PrivXEmulator) -> None:
    r = grant(emulator)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    assert body["access_token"] and body["refresh_token"]
    assert set(body["scope"].split()) == ALL_PERMISSIONS


@pytest.mark.parametrize("basic", [("privx-external", "wrong"), ("other", OAUTH_CLIENT_SECRET), None])
def test_token_bad_or_missing_basic_is_invalid_client(emulator: PrivXEmulator, basic: tuple[str, str] | None) -> None:
    r = grant(emulator, basic=basic)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


@pytest.mark.parametrize(("user", "password"), [(API_CLIENT_ID, "wrong"), ("no-such-client", API_CLIENT_SECRET)])
def test_token_bad_api_credentials_is_invalid_grant(emulator: PrivXEmulator, user: str, password: str) -> None:
    r = grant(emulator, user, password)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_grant"


def test_token_other_grant_type_is_unsupported(emulator: PrivXEmulator) -> None:
    r = grant(emulator, grant_type="client_credentials")
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


def test_token_expires_by_clock(emulator: PrivXEmulator, clock: FakeClock) -> None:
    with api_client(emulator) as c:
        clock.now += 299
        assert c.get(f"{RS}/sources").status_code == 200
        clock.now += 1
        r = c.get(f"{RS}/sources")
    assert r.status_code == 401
    assert r.json()["error_code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("auth", [None, "Bearer nonsense", "Basic abc"])
def test_missing_or_unknown_bearer_is_401(emulator: PrivXEmulator, auth: str | None) -> None:
    with http(emulator) as c:
        r = c.get(f"{RS}/sources", headers={"Authorization": auth} if auth else {})
    assert r.status_code == 401
    body = r.json()
    assert body["error_code"] == "UNAUTHORIZED"
    assert body["details"] == []


@pytest.mark.parametrize("path", ["/auth/api/v1/status", f"{RS}/status"])
def test_status_needs_no_auth_and_reports_version(path: str) -> None:
    emulator = PrivXEmulator(version="43.2.1")
    with http(emulator) as c:
        r = c.get(path)
    assert r.status_code == 200
    body = r.json()
    assert (body["variant"], body["version"], body["api_version"], body["status"]) == (
        "privx",
        "43.2.1",
        "v1",
        "ok",
    )


def test_add_api_client_rejects_unknown_permission(emulator: PrivXEmulator) -> None:
    with pytest.raises(ValueError, match="sources-admin"):
        emulator.add_api_client("x", "y", {"sources-admin"})


def test_client_lacking_manage_gets_403_but_can_view(emulator: PrivXEmulator) -> None:
    emulator.add_api_client("viewer", "pw", {"sources-view", "roles-view"})
    with api_client(emulator, "viewer", "pw") as c:
        assert c.get(f"{RS}/sources").status_code == 200
        assert c.get(f"{RS}/roles").status_code == 200
        assert c.post(f"{RS}/roles/resolve", json=["privx-admin"]).status_code == 200
        r = c.post(f"{RS}/sources", json=oidc_source())
        assert r.status_code == 403
        assert "sources-manage" in r.json()["error_message"]
        assert c.post(f"{RS}/roles", json=role("ops")).status_code == 403
    assert all(s["name"] != "Cognito" for s in emulator.sources.values())


def test_client_without_roles_view_gets_403_on_roles(emulator: PrivXEmulator) -> None:
    emulator.add_api_client("sources-only", "pw", {"sources-view", "sources-manage"})
    with api_client(emulator, "sources-only", "pw") as c:
        assert c.get(f"{RS}/roles").status_code == 403
        assert c.post(f"{RS}/roles/resolve", json=["x"]).status_code == 403


# -- routing ----------------------------------------------------------------------------------------


def test_unknown_route_is_404_and_wrong_method_405(api: httpx.Client) -> None:
    assert api.get(f"{RS}/nothing-here").status_code == 404
    r = api.patch(f"{RS}/sources")
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) == {"GET", "POST"}


# -- sources ----------------------------------------------------------------------------------------


def test_builtin_sources_are_listed(api: httpx.Client) -> None:
    r = api.get(f"{RS}/sources")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(body["items"]) == 3
    assert {(s["name"], s["connection"]["type"]) for s in body["items"]} == {
        ("Local users", "LOCAL"),
        ("Local hosts", "LOCALHOST"),
        ("API clients", "API-CLIENT"),
    }


def test_create_source_masks_secret_on_read(emulator: PrivXEmulator, api: httpx.Client) -> None:
    r = api.post(f"{RS}/sources", json=oidc_source())
    assert r.status_code == 201
    sid = r.json()["id"]
    got = api.get(f"{RS}/sources/{sid}").json()
    assert got["connection"]["oidc_client_secret"] == MASK
    assert got["connection"]["oidc_issuer"].startswith("https://cognito-idp.")
    assert (got["id"], got["author"], got["status_code"]) == (sid, API_CLIENT_ID, "OK")
    listed = next(s for s in api.get(f"{RS}/sources").json()["items"] if s["id"] == sid)
    assert listed["connection"]["oidc_client_secret"] == MASK
    assert emulator.sources[sid]["connection"]["oidc_client_secret"] == COGNITO_SECRET


def test_put_is_full_replacement(emulator: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    created = emulator.sources[sid]["created"]
    new = oidc_source(oidc_button_title="Sign in")
    del new["comment"]
    del new["connection"]["oidc_additional_scopes"]
    new["id"] = "ignored"
    new["author"] = "someone-else"
    assert api.put(f"{RS}/sources/{sid}", json=new).status_code == 200
    stored = emulator.sources[sid]
    assert "comment" not in stored
    assert "oidc_additional_scopes" not in stored["connection"]
    assert stored["connection"]["oidc_button_title"] == "Sign in"
    assert (stored["id"], stored["author"], stored["created"]) == (sid, API_CLIENT_ID, created)


def test_put_with_mask_keeps_secret_and_omitting_it_drops_it(emulator: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    read_back = api.get(f"{RS}/sources/{sid}").json()
    assert api.put(f"{RS}/sources/{sid}", json=read_back).status_code == 200
    assert emulator.sources[sid]["connection"]["oidc_client_secret"] == COGNITO_SECRET
    del read_back["connection"]["oidc_client_secret"]
    assert api.put(f"{RS}/sources/{sid}", json=read_back).status_code == 200
    assert "oidc_client_secret" not in emulator.sources[sid]["connection"]


def test_post_with_mask_is_rejected(api: httpx.Client) -> None:
    r = api.post(f"{RS}/sources", json=oidc_source(oidc_client_secret=MASK))
    assert r.status_code == 400
    assert r.json()["property"] == "connection.oidc_client_secret"


def test_duplicate_source_name_is_400_naming_name(emulator: PrivXEmulator, api: httpx.Client) -> None:
    first = api.post(f"{RS}/sources", json=oidc_source("A")).json()["id"]
    api.post(f"{RS}/sources", json=oidc_source("B"))
    r = api.post(f"{RS}/sources", json=oidc_source("A"))
    assert r.status_code == 400  # the v41 docs list no 409
    assert (r.json()["error_code"], r.json()["property"]) == ("INVALID_PARAMETER", "name")
    assert api.put(f"{RS}/sources/{first}", json=oidc_source("B")).status_code == 400
    assert api.put(f"{RS}/sources/{first}", json=oidc_source("A")).status_code == 200
    assert api.post(f"{RS}/sources", json=oidc_source("Local users")).status_code == 400
    assert sorted(s["name"] for s in emulator.sources.values() if s["author"] == API_CLIENT_ID) == ["A", "B"]


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({"connection": {"type": "OIDC"}}, "name"),
        ({"name": "x"}, "connection.type"),
        ({"name": "x", "connection": {}}, "connection.type"),
        (oidc_source(oidc_issuer=""), "connection.oidc_issuer"),
        (oidc_source(oidc_client_id=None), "connection.oidc_client_id"),
        (oidc_source(oidc_additional_scopes="email"), "connection.oidc_additional_scopes"),
        ({**oidc_source(), "enabled": "yes"}, "enabled"),
    ],
)
def test_source_validation(emulator: PrivXEmulator, api: httpx.Client, body: dict[str, Any], prop: str) -> None:
    r = api.post(f"{RS}/sources", json=body)
    assert r.status_code == 400
    assert r.json()["property"] == prop
    assert len(emulator.sources) == 3


def test_disabled_oidc_needs_no_issuer(api: httpx.Client) -> None:
    body = {"name": "off", "connection": {"type": "OIDC", "oidc_enabled": False}}
    assert api.post(f"{RS}/sources", json=body).status_code == 201


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2]"])
def test_bad_json_is_400(api: httpx.Client, content: bytes) -> None:
    r = api.post(f"{RS}/sources", content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error_code"] == "BAD_REQUEST"


def test_unknown_source_is_404(api: httpx.Client) -> None:
    for r in (
        api.get(f"{RS}/sources/nope"),
        api.put(f"{RS}/sources/nope", json=oidc_source()),
        api.delete(f"{RS}/sources/nope"),
    ):
        assert r.status_code == 404
        assert r.json()["error_code"] == "OBJECT_NOT_FOUND"


def test_delete_source_and_builtins_are_protected(emulator: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    assert api.delete(f"{RS}/sources/{sid}").status_code == 200
    assert sid not in emulator.sources
    assert api.get(f"{RS}/sources/{sid}").status_code == 404
    local = emulator.builtin_source_ids["LOCAL"]
    assert api.delete(f"{RS}/sources/{local}").status_code == 400
    assert local in emulator.sources


def test_refresh(api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    assert api.post(f"{RS}/sources/refresh", json=[sid]).status_code == 200
    assert api.post(f"{RS}/sources/refresh", json=[sid, "nope"]).status_code == 404
    assert api.post(f"{RS}/sources/refresh", json={"ids": [sid]}).status_code == 400


def test_no_login_url_field(api: httpx.Client) -> None:
    # The SDK's Source has no login-URL field of any name; the emulator no longer offers one.
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    assert not any("login" in k for k in api.get(f"{RS}/sources/{sid}").json())


# -- roles ------------------------------------------------------------------------------------------


def test_builtin_system_roles(api: httpx.Client) -> None:
    items = api.get(f"{RS}/roles").json()["items"]
    admin = next(r for r in items if r["name"] == "privx-admin")
    assert admin["system"] is True
    assert api.delete(f"{RS}/roles/{admin['id']}").status_code == 400


def test_roles_paging_sees_every_role_once(emulator: PrivXEmulator, api: httpx.Client) -> None:
    for i in range(120):
        assert api.post(f"{RS}/roles", json=role(f"role-{i:03}")).status_code == 201
    seen: list[str] = []
    offset = 0
    while True:
        page = api.get(f"{RS}/roles", params={"offset": offset, "limit": 50}).json()
        assert len(page["items"]) <= 50
        seen += [r["id"] for r in page["items"]]
        offset += len(page["items"])
        if offset >= page["count"] or not page["items"]:
            break
    assert len(seen) == len(set(seen)) == len(emulator.roles) == 122
    assert len(api.get(f"{RS}/roles").json()["items"]) == 50  # default limit


def test_roles_limit_is_clamped_and_bad_params_rejected(api: httpx.Client) -> None:
    for i in range(1001):
        api.post(f"{RS}/roles", json=role(f"r{i}"))
    page = api.get(f"{RS}/roles", params={"limit": 5000}).json()
    assert (page["count"], len(page["items"])) == (1003, 1000)
    for params in ({"limit": "ten"}, {"limit": 0}, {"offset": -1}, {"sortkey": "colour"}, {"sortdir": "up"}):
        assert api.get(f"{RS}/roles", params=params).status_code == 400
    assert api.get(f"{RS}/roles?offset=&limit=&sortkey=&sortdir=").status_code == 200


def test_roles_sorting(api: httpx.Client) -> None:
    for name in ("b", "c", "a"):
        api.post(f"{RS}/roles", json=role(name))
    names = [r["name"] for r in api.get(f"{RS}/roles", params={"sortkey": "name", "sortdir": "desc"}).json()["items"]]
    assert names == sorted(names, reverse=True)


def test_create_get_update_delete_role(emulator: PrivXEmulator, api: httpx.Client) -> None:
    rule = {"type": "RULE", "source": "dir-id", "search_string": "(tags=ops)", "rules": []}
    body = {**role("ops", [rule]), "comment": "c", "member_count": 7, "system": True}
    rid = api.post(f"{RS}/roles", json=body).json()["id"]
    got = api.get(f"{RS}/roles/{rid}").json()
    assert (got["member_count"], got["system"], got["access_group_id"]) == (
        0,
        False,
        emulator.roles[rid]["access_group_id"],
    )
    assert got["source_rules"]["rules"] == [rule]
    replacement = role("ops")
    assert api.put(f"{RS}/roles/{rid}", json=replacement).status_code == 200
    assert "comment" not in emulator.roles[rid]
    assert emulator.roles[rid]["source_rules"]["rules"] == []
    assert api.delete(f"{RS}/roles/{rid}").status_code == 200
    assert rid not in emulator.roles
    assert api.get(f"{RS}/roles/{rid}").status_code == 404


def test_duplicate_role_name_is_400_naming_name(emulator: PrivXEmulator, api: httpx.Client) -> None:
    assert api.post(f"{RS}/roles", json=role("ops")).status_code == 201
    for name in ("ops", "privx-admin"):
        r = api.post(f"{RS}/roles", json=role(name))
        assert r.status_code == 400  # the v41 docs list 201, 400, 401, 403, 404, 500: no 409
        assert (r.json()["error_code"], r.json()["property"]) == ("INVALID_PARAMETER", "name")
    other = api.post(f"{RS}/roles", json=role("dev")).json()["id"]
    assert api.put(f"{RS}/roles/{other}", json=role("ops")).status_code == 400
    assert [r["name"] for r in emulator.roles.values()].count("ops") == 1


@pytest.mark.parametrize(
    ("rules", "prop"),
    [
        (None, "source_rules"),
        ("x", "source_rules"),
        ({"type": "RULE", "source": "LOCAL_ID", "search_string": "x"}, "source_rules.search_string"),
        ({"type": "RULE", "search_string": "(a=b)"}, "source_rules.source"),
        ({"rules": [{"type": "RULE", "source": "s", "search_string": "(a=b)"}]}, "source_rules"),
        ({"type": "GROUP", "match": "SOME", "rules": []}, "source_rules.match"),
        ({"type": "GROUP", "match": "ANY"}, "source_rules.rules"),
        (
            {"type": "GROUP", "match": "ANY", "rules": [{"type": "RULE", "search_string": "x"}]},
            "source_rules.rules[0].source",
        ),
        (
            {"type": "GROUP", "match": "ANY", "rules": [{"type": "RULE", "source": "s"}]},
            "source_rules.rules[0].search_string",
        ),
        ({"type": "GROUP", "match": "ANY", "rules": ["x"]}, "source_rules.rules[0]"),
        (
            {"type": "GROUP", "match": "ALL", "rules": [{"type": "GROUP", "match": "ANY", "rules": [{}]}]},
            "source_rules.rules[0].rules[0]",
        ),
    ],
)
def test_role_source_rules_validation(emulator: PrivXEmulator, api: httpx.Client, rules: Any, prop: str) -> None:
    body: dict[str, Any] = {"name": "bad"}
    if rules is not None:
        body["source_rules"] = json.loads(json.dumps(rules).replace("LOCAL_ID", emulator.builtin_source_ids["LOCAL"]))
    r = api.post(f"{RS}/roles", json=body)
    assert r.status_code == 400
    assert r.json()["property"] == prop


def test_resolve(api: httpx.Client) -> None:
    rid = api.post(f"{RS}/roles", json=role("ops")).json()["id"]
    r = api.post(f"{RS}/roles/resolve", json=["missing", "ops", "privx-admin", "ops"])
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    assert [(x["name"]) for x in body["items"]] == ["ops", "privx-admin"]
    assert body["items"][0]["id"] == rid


def test_evaluate_and_members_without_users_are_empty(api: httpx.Client) -> None:
    rid = api.post(f"{RS}/roles", json=role("ops")).json()["id"]
    assert api.post(f"{RS}/roles/evaluate", json=role("ops")).json() == {"count": 0, "items": []}
    assert api.post(f"{RS}/roles/evaluate", json={"source_rules": {"type": "X"}}).status_code == 400
    assert api.get(f"{RS}/roles/{rid}/members").json() == {"count": 0, "items": []}
    assert api.get(f"{RS}/roles/nope/members").status_code == 404


# -- inspection -------------------------------------------------------------------------------------


def test_write_requests_counts_only_mutations(emulator: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    api.get(f"{RS}/sources/{sid}")
    api.post(f"{RS}/roles/resolve", json=["ops"])
    api.post(f"{RS}/roles/evaluate", json=role("ops"))
    api.put(f"{RS}/sources/{sid}", json=oidc_source())
    api.post(f"{RS}/sources/refresh", json=[sid])
    api.post(f"{RS}/roles", json=role("LOCAL", [{"type": "nope"}]))  # refused, still a write attempt
    writes = emulator.write_requests()
    assert [(w.method, w.status) for w in writes] == [
        ("POST", 201),
        ("PUT", 200),
        ("POST", 200),
        ("POST", 400),
    ]
    assert len(emulator.requests) == 8  # token grant included


def test_reset_restores_builtins_and_drops_tokens(emulator: PrivXEmulator, api: httpx.Client) -> None:
    api.post(f"{RS}/sources", json=oidc_source())
    api.post(f"{RS}/roles", json=role("ops"))
    held = emulator.sources
    emulator.reset()
    assert held is emulator.sources
    assert {s["name"] for s in emulator.sources.values()} == {"Local users", "Local hosts", "API clients"}
    assert {r["name"] for r in emulator.roles.values()} == {"privx-admin", "privx-user"}
    assert emulator.requests == []
    assert api.get(f"{RS}/sources").status_code == 401  # token dropped
    with api_client(emulator) as again:  # api client kept
        assert again.get(f"{RS}/sources").json()["count"] == 3


def test_dispatch_is_thread_safe(emulator: PrivXEmulator) -> None:
    token = grant(emulator).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    statuses: list[int] = []

    def worker(n: int) -> None:
        for i in range(25):
            body = f'{{"name": "t{n}-{i}", "source_rules": {{"type": "GROUP", "match": "ANY", "rules": []}}}}'
            statuses.append(emulator.dispatch("POST", f"{RS}/roles", {}, headers, body.encode()).status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 200
    assert len(emulator.roles) == 2 + 200
    assert len(emulator.write_requests()) == 200


# -- fault injection --------------------------------------------------------------------------------

SOURCES = f"{RS}/sources"


def test_fault_status_answers_without_processing(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(method="post", path=SOURCES, status=503))
    r = api.post(SOURCES, json=oidc_source())
    assert r.status_code == 503
    body = r.json()
    assert (body["error_code"], body["details"]) == ("SERVICE_UNAVAILABLE", [])
    assert "Retry-After" not in r.headers
    assert len(emulator.sources) == 3  # not processed
    assert (emulator.requests[-1].status, emulator.requests[-1].fault) == (503, "status 503")
    assert api.post(SOURCES, json=oidc_source()).status_code == 201  # times=1: spent


def test_fault_429_has_retry_after(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(path=f"{RS}/*", status=429, retry_after=0.25))
    r = api.get(f"{RS}/roles")
    assert (r.status_code, r.headers["Retry-After"]) == (429, "0.25")
    assert r.json()["error_code"] == "TOO_MANY_REQUESTS"


def test_fault_drop_processes_then_raises(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(method="POST", path=SOURCES, drop=True))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(SOURCES, json=oidc_source())
    assert [s["name"] for s in emulator.sources.values()].count("Cognito") == 1  # the write happened
    assert (emulator.requests[-1].status, emulator.requests[-1].fault) == (201, "drop")
    assert api.post(SOURCES, json=oidc_source()).status_code == 400  # a blind retry meets its own write


def test_fault_nth_and_times_count_matching_requests_only(emulator: PrivXEmulator, api: httpx.Client) -> None:
    api.get(SOURCES)  # before the fault was added: not counted
    emulator.add_fault(Fault(method="GET", path=f"{RS}/sources*", nth=2, times=2, status=500))
    statuses = []
    for _ in range(5):
        statuses.append(api.get(SOURCES).status_code)
        api.get(f"{RS}/roles")  # another path: not counted
        api.post(f"{RS}/roles/resolve", json=["x"])  # another method: not counted
    assert statuses == [200, 500, 500, 200, 200]
    assert emulator.faults == ()  # spent faults are removed


def test_fault_prefix_and_exact_paths(emulator: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(SOURCES, json=oidc_source()).json()["id"]
    emulator.add_fault(Fault(path=SOURCES, status=502, times=10))
    assert api.get(f"{SOURCES}/{sid}").status_code == 200  # exact: not a prefix
    assert api.get(SOURCES).status_code == 502
    emulator.clear_faults()
    emulator.add_fault(Fault(path=f"{SOURCES}/*", status=502))
    assert api.get(SOURCES).status_code == 200
    assert api.get(f"{SOURCES}/{sid}").status_code == 502


def test_fault_applies_to_token_and_unknown_routes(emulator: PrivXEmulator) -> None:
    emulator.add_fault(Fault(path="/*", status=503, times=2))
    assert grant(emulator).status_code == 503
    with http(emulator) as c:
        assert c.get("/no/such/path").status_code == 503
    assert grant(emulator).status_code == 200


def test_fault_latency_is_slept_by_the_adapter_not_the_core(
    emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.add_fault(Fault(path="/auth/api/v1/status", latency=0.5, times=2))
    direct = emulator.dispatch("GET", "/auth/api/v1/status", {}, {}, b"")
    assert (direct.status, direct.delay, direct.drop) == (200, 0.5, False)
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    with http(emulator) as c:
        assert c.get("/auth/api/v1/status").status_code == 200
        assert c.get("/auth/api/v1/status").status_code == 200
    assert slept == [0.5]
    assert [r.fault for r in emulator.requests] == ["latency 0.5", "latency 0.5", None]


def test_several_faults_on_one_request(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(path=SOURCES, latency=0.1))
    emulator.add_fault(Fault(path=SOURCES, status=504))
    emulator.add_fault(Fault(path=SOURCES, drop=True))  # fires too, but the 504 added first decides
    r = emulator.dispatch("POST", SOURCES, {}, dict(api.headers), json.dumps(oidc_source()).encode())
    assert (r.status, r.delay, r.drop) == (504, 0.1, False)
    assert emulator.requests[-1].fault == "latency 0.1, status 504"
    assert emulator.faults == ()
    assert len(emulator.sources) == 3


def test_faults_from_constructor_and_clear(clock: FakeClock) -> None:
    emulator = PrivXEmulator(clock=clock, faults=[Fault(path="/auth/api/v1/status", status=500, times=3)])
    with http(emulator) as c:
        assert c.get("/auth/api/v1/status").status_code == 500
        emulator.clear_faults()
        assert c.get("/auth/api/v1/status").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "/x"}, "exactly one effect"),
        ({"path": "/x", "status": 503, "drop": True}, "exactly one effect"),
        ({"path": "/x", "latency": 0.1, "drop": True}, "exactly one effect"),
        ({"path": "x", "status": 503}, "path"),
        ({"path": "/a*b", "status": 503}, "path"),
        ({"path": "/x", "status": 200}, "status"),
        ({"path": "/x", "status": 503, "nth": 0}, "nth"),
        ({"path": "/x", "status": 503, "times": 0}, "times"),
        ({"path": "/x", "latency": -1}, "latency"),
        ({"path": "/x", "latency": 61}, "latency"),
        ({"path": "/x", "status": 429, "retry_after": float("nan")}, "retry_after"),
        ({"path": "/x", "status": 503, "method": "GET /"}, "method"),
    ],
)
def test_fault_rejects_invalid_values(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


# -- admin routes -----------------------------------------------------------------------------------


def test_admin_fault_endpoint(emulator: PrivXEmulator, api: httpx.Client) -> None:
    r = api.post("/_emulator/faults", json={"method": "get", "path": SOURCES, "nth": 2, "status": 503})
    assert r.status_code == 201
    assert r.json() == {
        "method": "GET",
        "path": SOURCES,
        "nth": 2,
        "times": 1,
        "status": 503,
        "retry_after": 1,
        "latency": 0,
        "drop": False,
    }
    assert emulator.faults == (Fault(method="GET", path=SOURCES, nth=2, status=503),)
    assert [api.get(SOURCES).status_code for _ in range(3)] == [200, 503, 200]
    api.post("/_emulator/faults", json={"path": "/x", "drop": True})
    assert api.delete("/_emulator/faults").json() == {"cleared": 1}
    assert len(emulator.faults) == 0


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({"status": 503}, "path"),
        ({"path": "/x"}, "fault"),
        ({"path": "/x", "status": 503, "latency": 1}, "fault"),
        ({"path": "/x", "status": 503, "nth": 0}, "nth"),
        ({"path": "/x", "status": 503, "nth": "3"}, "nth"),
        ({"path": "/x", "status": 503, "times": 1.5}, "times"),
        ({"path": "/x", "status": 99}, "status"),
        ({"path": "/x", "status": True}, "status"),
        ({"path": "/x", "latency": "1"}, "latency"),
        ({"path": "/x", "drop": "yes"}, "drop"),
        ({"path": "/x", "status": 429, "retry_after": -1}, "retry_after"),
        ({"path": "/x", "method": 7, "status": 503}, "method"),
        ({"path": 5, "status": 503}, "path"),
        ({"path": "/x", "status": 503, "count": 2}, "count"),
    ],
)
def test_admin_invalid_fault_is_400(emulator: PrivXEmulator, body: dict[str, Any], prop: str) -> None:
    with http(emulator) as c:
        r = c.post("/_emulator/faults", json=body)
    assert r.status_code == 400
    err = r.json()
    assert err["error_code"] in ("INVALID_PARAMETER", "MISSING_PARAMETER")
    assert (err["property"], err["details"]) == (prop, [])
    assert emulator.faults == ()


@pytest.mark.parametrize("content", [b"", b"[]", b"{nope"])
def test_admin_fault_body_must_be_an_object(emulator: PrivXEmulator, content: bytes) -> None:
    with http(emulator) as c:
        r = c.post("/_emulator/faults", content=content)
    assert (r.status_code, r.json()["error_code"]) == (400, "BAD_REQUEST")


def test_admin_routes_are_not_recorded_or_faulted(emulator: PrivXEmulator, api: httpx.Client) -> None:
    emulator.add_fault(Fault(path="/*", status=503, times=100))
    assert api.get("/_emulator/state").status_code == 200
    assert api.post("/_emulator/faults", json={"path": "/y", "drop": True}).status_code == 201
    assert api.post("/_emulator/config", json={"token_ttl": 60}).status_code == 200
    assert api.delete("/_emulator/faults").status_code == 200
    assert api.post("/_emulator/reset").status_code == 200
    assert emulator.requests == []
    assert emulator.write_requests() == []


def test_admin_state_is_unmasked(emulator: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(SOURCES, json=oidc_source()).json()["id"]
    emulator.add_fault(Fault(path="/z", nth=4, drop=True))
    api.get(SOURCES)
    with http(emulator) as c:
        state = c.get("/_emulator/state").json()
    assert next(s for s in state["sources"] if s["id"] == sid)["connection"]["oidc_client_secret"] == COGNITO_SECRET
    assert [r["name"] for r in state["roles"]] == ["privx-admin", "privx-user"]
    assert state["requests"][-2:] == [
        {"method": "POST", "path": SOURCES, "status": 201, "fault": None},
        {"method": "GET", "path": SOURCES, "status": 200, "fault": None},
    ]
    assert [(f["path"], f["nth"], f["seen"]) for f in state["faults"]] == [("/z", 4, 0)]
    assert state["config"] == {"token_ttl": 300.0, "session_ttl": 43200.0}


def test_admin_reset_clears_state_and_faults(emulator: PrivXEmulator, api: httpx.Client) -> None:
    api.post(SOURCES, json=oidc_source())
    emulator.add_fault(Fault(path="/z", status=500))
    r = api.post("/_emulator/reset")
    assert (r.status_code, r.content) == (200, b"")
    assert len(emulator.sources) == 3
    assert emulator.faults == ()
    assert emulator.requests == []
    assert api.get(SOURCES).status_code == 401


def test_admin_config_token_ttl(emulator: PrivXEmulator, clock: FakeClock) -> None:
    with http(emulator) as c:
        assert c.post("/_emulator/config", json={"token_ttl": 2}).json() == {"token_ttl": 2.0, "session_ttl": 43200.0}
        for bad in ({"token_ttl": 0}, {"token_ttl": "2"}, {"token_ttl": True}, {"ttl": 2}):
            assert c.post("/_emulator/config", json=bad).status_code == 400
    assert grant(emulator).json()["expires_in"] == 2
    with api_client(emulator) as c:
        clock.now += 1.9
        assert c.get(SOURCES).status_code == 200
        clock.now += 0.1
        assert c.get(SOURCES).status_code == 401


def test_admin_unknown_route_and_method(emulator: PrivXEmulator) -> None:
    with http(emulator) as c:
        assert c.get("/_emulator/nothing").status_code == 404
        r = c.get("/_emulator/faults")
        assert r.status_code == 405
        assert set(r.headers["Allow"].split(", ")) == {"POST", "DELETE"}


# -- fidelity: status, built-ins, Location, source_rules roots ---------------------------------------


def test_status_has_the_sdk_service_status_fields(api: httpx.Client) -> None:
    # Go SDK api/response/response.go ServiceStatus (status_details is omitempty and empty).
    for path, app_id in (("/auth/api/v1/status", "auth"), (f"{RS}/status", "role-store")):
        body = api.get(path).json()
        assert set(body) == {
            "variant",
            "version",
            "api_version",
            "status",
            "status_message",
            "app_id",
            "server-mode",
            "start_time",
        }
        assert body["app_id"] == app_id


def test_builtin_source_ids_are_random_per_emulator_and_survive_reset(emulator: PrivXEmulator) -> None:
    other = PrivXEmulator()
    assert set(emulator.builtin_source_ids) == {"LOCAL", "LOCALHOST", "API-CLIENT"}
    assert not set(emulator.builtin_source_ids.values()) & set(other.builtin_source_ids.values())
    before = dict(emulator.builtin_source_ids)
    emulator.reset()
    assert dict(emulator.builtin_source_ids) == before
    assert {emulator.sources[i]["connection"]["type"] for i in before.values()} == set(before)


def test_privx_admin_has_a_principal_rule_matching_the_superuser(emulator: PrivXEmulator, api: httpx.Client) -> None:
    admin = next(r for r in api.get(f"{RS}/roles").json()["items"] if r["name"] == "privx-admin")
    assert admin["source_rules"] == {
        "type": "GROUP",
        "match": "ANY",
        "rules": [
            {
                "type": "RULE",
                "source": emulator.builtin_source_ids["LOCAL"],
                "search_string": "(principal=admin)",
                "rules": [],
            }
        ],
    }
    assert admin["member_count"] == 1
    members = api.get(f"{RS}/roles/{admin['id']}/members").json()
    assert [(u["principal"], u["source_type"]) for u in members["items"]] == [("admin", "LOCAL")]
    user = user_out(api, members["items"][0]["id"])
    assert [r["name"] for r in user["roles"]] == ["privx-admin"]
    assert set(user["permissions"]) == ALL_PERMISSIONS


def test_create_answers_location(api: httpx.Client) -> None:
    r = api.post(f"{RS}/sources", json=oidc_source())
    assert r.headers["Location"] == f"{RS}/sources/{r.json()['id']}"
    r = api.post(f"{RS}/roles", json=role("ops"))
    assert (r.status_code, r.headers["Location"]) == (201, f"{RS}/roles/{r.json()['id']}")
    assert api.get(r.headers["Location"]).json()["name"] == "ops"


@pytest.mark.parametrize(
    "root",
    [
        {"type": "RULE", "source": "dir-id", "search_string": "(tags=ops)", "rules": []},
        {"type": "RULE", "source": "dir-id", "search_string": "(tags=ops)", "rules": None},
        {"rules": None},
        {"rules": []},
        {"type": "GROUP", "match": "ALL", "rules": None},
        {
            "type": "GROUP",
            "match": "ANY",
            "rules": [{"type": "RULE", "source": "d", "search_string": "(a=b)", "rules": None}],
        },
    ],
)
def test_source_rules_roots_are_accepted_and_returned_as_stored(
    emulator: PrivXEmulator, api: httpx.Client, root: dict[str, Any]
) -> None:
    body = {**role("other-tool"), "source_rules": root}
    rid = api.post(f"{RS}/roles", json=body).json()["id"]
    assert api.get(f"{RS}/roles/{rid}").json()["source_rules"] == root
    assert api.put(f"{RS}/roles/{rid}", json=body).status_code == 200
    assert emulator.roles[rid]["source_rules"] == root
    assert api.post(f"{RS}/roles/evaluate", json=body).status_code == 200


# -- users and evaluation ---------------------------------------------------------------------------

USERS = f"{RS}/users"


def user_out(api: httpx.Client, user_id: str) -> dict[str, Any]:
    r = api.get(f"{USERS}/{user_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def leaf(source: str, search: str) -> dict[str, Any]:
    return {"type": "RULE", "source": source, "search_string": search, "rules": []}


@pytest.fixture
def directory(api: httpx.Client) -> str:
    """An OIDC directory whose tags claim is cognito:groups and whose accounts map from email (target-keyed)."""
    body = oidc_source(oidc_tags_attribute_name="cognito:groups")
    body["connection"]["attribute_mapping"] = {"unix_account": "preferred_username", "windows_account": "email"}
    sid: str = api.post(f"{RS}/sources", json=body).json()["id"]
    return sid


def claims(sub: str, groups: list[str] | str, **more: Any) -> dict[str, Any]:
    return {"sub": sub, "preferred_username": sub, "email": f"{sub}@example.com", "cognito:groups": groups, **more}


def test_login_user_makes_a_user_shaped_like_the_sdk(
    emulator: PrivXEmulator, api: httpx.Client, directory: str
) -> None:
    uid = emulator.login_user(directory, claims("alice", ["ops", "dev"], name="Alice A", email_verified=True))
    user = user_out(api, uid)
    assert user == {
        "id": uid,
        "source": directory,
        "source_type": "OIDC",
        "source_user_id": "alice",
        "principal": "alice",
        "email": "alice@example.com",
        "full_name": "Alice A",
        "tags": ["ops", "dev"],
        "roles": [],
        "attributes": [
            {"key": "sub", "value": "alice"},
            {"key": "preferred_username", "value": "alice"},
            {"key": "email", "value": "alice@example.com"},
            {"key": "cognito:groups", "value": "ops"},
            {"key": "cognito:groups", "value": "dev"},
            {"key": "name", "value": "Alice A"},
            {"key": "email_verified", "value": "true"},
        ],
        "unix_account": "alice",
        "windows_account": "alice@example.com",
        "permissions": [],
        "created": user["created"],
        "updated": user["updated"],
    }


def test_login_user_fallbacks_and_a_second_login_updates(
    emulator: PrivXEmulator, api: httpx.Client, directory: str
) -> None:
    uid = emulator.login_user(directory, {"sub": "s-1", "email": "bob@example.com", "cognito:groups": "ops"})
    first = user_out(api, uid)
    assert (first["principal"], first["tags"]) == ("bob@example.com", ["ops"])  # a string claim: one tag
    assert "full_name" not in first and "unix_account" not in first  # omitempty
    again = emulator.login_user(directory, {"sub": "s-1", "given_name": "Bob", "family_name": "B"})
    assert again == uid
    second = user_out(api, uid)
    assert (second["principal"], second["full_name"], second["created"]) == ("s-1", "Bob B", first["created"])
    assert "tags" not in second  # no groups any more
    assert len(emulator.users) == 2  # the superuser and bob


@pytest.mark.parametrize(
    ("source", "login_claims", "message"),
    [
        ("nope", {"sub": "x"}, "not found"),
        ("LOCAL", {"sub": "x"}, "only OIDC"),
        ("dir", {"email": "x@example.com"}, "claims.sub"),
        ("dir", {"sub": ""}, "claims.sub"),
    ],
)
def test_login_user_refusals(
    emulator: PrivXEmulator, directory: str, source: str, login_claims: dict[str, Any], message: str
) -> None:
    source_id = {"LOCAL": emulator.builtin_source_ids["LOCAL"], "dir": directory}.get(source, source)
    with pytest.raises(ValueError, match=message):
        emulator.login_user(source_id, login_claims)
    assert len(emulator.users) == 1


def test_login_refused_on_disabled_directory_and_without_the_allow_tag(
    emulator: PrivXEmulator, api: httpx.Client
) -> None:
    off = api.post(f"{RS}/sources", json={**oidc_source("off"), "enabled": False}).json()["id"]
    with pytest.raises(ValueError, match="disabled"):
        emulator.login_user(off, {"sub": "x"})
    gated = api.post(f"{RS}/sources", json=oidc_source("gated", oidc_allow_login_tag="privx")).json()["id"]
    with pytest.raises(ValueError, match="privx"):
        emulator.login_user(gated, {"sub": "x", "custom:group": "ops"})
    assert emulator.login_user(gated, {"sub": "y", "custom:group": "privx"})


def test_users_search_filters_and_pages(emulator: PrivXEmulator, api: httpx.Client, directory: str) -> None:
    other = api.post(f"{RS}/sources", json=oidc_source("Other")).json()["id"]
    alice = emulator.login_user(directory, claims("alice", ["ops"], name="Alice Smith"))
    bob = emulator.login_user(directory, claims("bob", ["dev"]))
    emulator.login_user(other, {"sub": "carol", "email": "carol@example.com"})

    def search(body: dict[str, Any], **params: Any) -> dict[str, Any]:
        r = api.post(f"{USERS}/search", json=body, params=params)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    assert search({})["count"] == 4  # the superuser too
    mine = search({"source": directory})
    assert (mine["count"], [u["principal"] for u in mine["items"]]) == (2, ["alice", "bob"])
    assert [u["id"] for u in search({"keywords": "SMITH alice"})["items"]] == [alice]
    assert [u["id"] for u in search({"keywords": "dev", "source": directory})["items"]] == [bob]  # tags too
    assert [u["id"] for u in search({"user_id": [bob, "nope"]})["items"]] == [bob]
    assert search({"source": other, "keywords": "alice"})["count"] == 0
    paged = search({"source": directory}, limit=1, offset=1, sortdir="DESC")
    assert (paged["count"], [u["principal"] for u in paged["items"]]) == (2, ["alice"])
    for bad, prop in (({"keywords": 3}, "keywords"), ({"user_id": "x"}, "user_id"), ({"source": ["x"]}, "source")):
        r = api.post(f"{USERS}/search", json=bad)
        assert (r.status_code, r.json()["property"]) == (400, prop)
    assert api.post(f"{USERS}/search", json={}, params={"sortkey": "name"}).status_code == 400
    assert api.post(f"{USERS}/search", content=b"").status_code == 400


def test_users_need_users_view(emulator: PrivXEmulator, directory: str) -> None:
    uid = emulator.login_user(directory, claims("alice", ["ops"]))
    emulator.add_api_client("no-users", "pw", ALL_PERMISSIONS - {"users-view"})
    with api_client(emulator, "no-users", "pw") as c:
        for r in (c.post(f"{USERS}/search", json={}), c.get(f"{USERS}/{uid}"), c.get(f"{USERS}/{uid}/roles")):
            assert r.status_code == 403
            assert "users-view" in r.json()["error_message"]


def test_unknown_user_is_404(api: httpx.Client) -> None:
    for path in (f"{USERS}/nope", f"{USERS}/nope/roles"):
        r = api.get(path)
        assert (r.status_code, r.json()["error_code"]) == (404, "OBJECT_NOT_FOUND")


def test_evaluate_members_and_member_count_really_evaluate(
    emulator: PrivXEmulator, api: httpx.Client, directory: str
) -> None:
    other = api.post(f"{RS}/sources", json=oidc_source("Other", oidc_tags_attribute_name="groups")).json()["id"]
    alice = emulator.login_user(directory, claims("alice", ["ops"]))
    bob = emulator.login_user(directory, claims("bob", ["ops", "dev"]))
    carol = emulator.login_user(directory, claims("carol", ["dev"]))
    emulator.login_user(other, {"sub": "dave", "groups": ["ops"]})  # ops, but in another directory

    def evaluate(rules: dict[str, Any]) -> list[str]:
        r = api.post(f"{RS}/roles/evaluate", json={**role("preview"), "source_rules": rules})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == len(body["items"])
        return sorted(u["principal"] for u in body["items"])

    ops, dev = leaf(directory, "(tags=ops)"), leaf(directory, "(tags=dev)")
    assert evaluate({"type": "GROUP", "match": "ANY", "rules": [ops]}) == ["alice", "bob"]
    assert evaluate(ops) == ["alice", "bob"]  # a single RULE root
    assert evaluate({"type": "GROUP", "match": "ANY", "rules": [ops, dev]}) == ["alice", "bob", "carol"]
    assert evaluate({"type": "GROUP", "match": "ALL", "rules": [ops, dev]}) == ["bob"]
    nested = {"type": "GROUP", "match": "ALL", "rules": [dev, {"type": "GROUP", "match": "ANY", "rules": [ops]}]}
    assert evaluate(nested) == ["bob"]
    assert evaluate({"type": "GROUP", "match": "ALL", "rules": []}) == []  # an empty group matches nobody
    assert evaluate({"rules": None}) == []
    assert evaluate(leaf(other, "(tags=ops)")) == ["dave"]
    assert evaluate(leaf("no-such-directory", "(tags=ops)")) == []
    evaluated = api.post(f"{RS}/roles/evaluate", json=role("preview", [ops])).json()["items"]
    assert {u["id"] for u in evaluated} == {alice, bob}
    assert set(evaluated[0]) >= {"id", "source", "principal", "tags", "roles", "attributes", "permissions"}

    rid = api.post(f"{RS}/roles", json={**role("ops-admins", [ops]), "permissions": ["roles-view"]}).json()["id"]
    assert api.get(f"{RS}/roles/{rid}").json()["member_count"] == 2
    page = api.get(f"{RS}/roles/{rid}/members", params={"limit": 1, "sortkey": "principal", "sortdir": "DESC"}).json()
    assert (page["count"], [u["principal"] for u in page["items"]]) == (2, ["bob"])
    roles_of_bob = api.get(f"{USERS}/{bob}/roles").json()
    assert (roles_of_bob["count"], [r["id"] for r in roles_of_bob["items"]]) == (1, [rid])
    assert roles_of_bob["items"][0]["member_count"] == 2
    bob_user = user_out(api, bob)
    assert [(r["id"], r["implicit"]) for r in bob_user["roles"]] == [(rid, True)]
    assert bob_user["permissions"] == ["roles-view"]
    assert user_out(api, carol)["roles"] == []
    emulator.login_user(directory, claims("carol", ["ops"]))  # carol's groups change at her next login
    assert api.get(f"{RS}/roles/{rid}").json()["member_count"] == 3
    listed = next(r for r in api.get(f"{RS}/roles").json()["items"] if r["id"] == rid)
    assert listed["member_count"] == 3


@pytest.mark.parametrize(
    ("rules", "prop"),
    [
        (
            {"type": "GROUP", "match": "ANY", "rules": [{"type": "RULE", "source": "DIR", "search_string": "ops"}]},
            "source_rules.rules[0].search_string",
        ),
        ({"type": "RULE", "source": "DIR", "search_string": "(tags=ops"}, "source_rules.search_string"),
        (
            {
                "type": "GROUP",
                "match": "ALL",
                "rules": [
                    {
                        "type": "GROUP",
                        "match": "ANY",
                        "rules": [
                            {"type": "RULE", "source": "DIR", "search_string": "(tags=ops)"},
                            {"type": "RULE", "source": "DIR", "search_string": "(&)"},
                        ],
                    }
                ],
            },
            "source_rules.rules[0].rules[1].search_string",
        ),
    ],
)
def test_malformed_filter_is_400_naming_the_leaf(
    emulator: PrivXEmulator, api: httpx.Client, directory: str, rules: dict[str, Any], prop: str
) -> None:
    rules = json.loads(json.dumps(rules).replace("DIR", directory))
    for r in (
        api.post(f"{RS}/roles", json={**role("bad"), "source_rules": rules}),
        api.post(f"{RS}/roles/evaluate", json={**role("bad"), "source_rules": rules}),
    ):
        assert r.status_code == 400
        body = r.json()
        assert (body["error_code"], body["property"]) == ("INVALID_PARAMETER", prop)
        assert "not a valid filter" in body["error_message"]
    assert all(r["name"] != "bad" for r in emulator.roles.values())


def test_leaves_on_unknown_directories_are_stored_unchecked_and_match_nobody(
    emulator: PrivXEmulator, api: httpx.Client, directory: str
) -> None:
    emulator.login_user(directory, claims("alice", ["ops"]))
    foreign = {"type": "RULE", "source": "some-ldap-directory", "search_string": "cn=admins", "rules": []}
    r = api.post(f"{RS}/roles", json=role("foreign", [foreign]))
    assert r.status_code == 201
    assert api.get(r.headers["Location"]).json()["member_count"] == 0
    # Deleting a directory deletes its users; rules on it stay and match nobody.
    rid = api.post(f"{RS}/roles", json=role("ops", [leaf(directory, "(tags=ops)")])).json()["id"]
    assert api.get(f"{RS}/roles/{rid}").json()["member_count"] == 1
    assert api.delete(f"{RS}/sources/{directory}").status_code == 200
    assert [u["principal"] for u in emulator.users.values()] == ["admin"]
    assert api.get(f"{RS}/roles/{rid}").json()["source_rules"]["rules"] == [leaf(directory, "(tags=ops)")]


def test_admin_users_route_logs_in_and_state_shows_users(
    emulator: PrivXEmulator, api: httpx.Client, directory: str
) -> None:
    with http(emulator) as c:
        r = c.post("/_emulator/users", json={"source_id": directory, "claims": claims("alice", ["ops"])})
        assert r.status_code == 201
        uid = r.json()["id"]
        again = c.post("/_emulator/users", json={"source_id": directory, "claims": claims("alice", ["dev"])})
        assert (again.status_code, again.json()) == (200, {"id": uid})
        assert c.post("/_emulator/users", json={"source_id": "nope", "claims": {"sub": "x"}}).status_code == 404
        for bad, prop in (
            ({"source_id": directory}, "claims"),
            ({"claims": {"sub": "x"}}, "source_id"),
            ({"source_id": directory, "claims": []}, "claims"),
            ({"source_id": directory, "claims": {"sub": "x"}, "extra": 1}, "extra"),
        ):
            r = c.post("/_emulator/users", json=bad)
            assert (r.status_code, r.json()["property"]) == (400, prop)
        state = c.get("/_emulator/state").json()
    assert emulator.users[uid]["tags"] == ["dev"]
    assert {u["principal"] for u in state["users"]} == {"admin", "alice"}
    assert state["variant"] == {
        "rule_grammar": "filter",
        "login_route": "authorize",
        "attribute_mapping": "target",
        "resolve_unknown": "empty",
        "rotated_refresh_token": "kept",
    }
    assert not any(r.path.startswith("/_emulator") for r in emulator.requests)
    api.post(f"{USERS}/search", json={})
    assert all(w.path != f"{USERS}/search" for w in emulator.write_requests())
    emulator.reset()
    assert [u["principal"] for u in emulator.users.values()] == ["admin"]
