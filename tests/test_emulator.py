"""The PrivX emulator, driven over httpx as the real client will drive it; assertions are on state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cognito_privx.sandbox.emulator import (
    ALL_PERMISSIONS,
    BUILTIN_SOURCE_IDS,
    MASK,
    PrivXEmulator,
)

BASE = "https://privx.example.com"
RS = "/role-store/api/v1"
CLIENT_ID = "6e1b2d0c-1111-4222-8333-444455556666"
CLIENT_SECRET = "api-client-secret"
COGNITO_SECRET = "cognito-app-client-secret"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> PrivXEmulator:
    e = PrivXEmulator(clock=clock, token_ttl=300.0)
    e.add_api_client(CLIENT_ID, CLIENT_SECRET)
    return e


def http(emu: PrivXEmulator) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=BASE)


def grant(
    emu: PrivXEmulator,
    username: str = CLIENT_ID,
    password: str = CLIENT_SECRET,
    basic: tuple[str, str] | None = ("privx-external", "oauth-secret"),
    grant_type: str = "password",
) -> httpx.Response:
    with http(emu) as c:
        return c.post(
            "/auth/api/v1/oauth/token",
            auth=httpx.BasicAuth(*basic) if basic else httpx.USE_CLIENT_DEFAULT,
            data={"grant_type": grant_type, "username": username, "password": password},
        )


def authed(emu: PrivXEmulator, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> httpx.Client:
    token = grant(emu, client_id, secret).json()["access_token"]
    client = http(emu)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def api(emu: PrivXEmulator) -> Iterator[httpx.Client]:
    with authed(emu) as c:
        yield c


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


def test_token_grant_ok(emu: PrivXEmulator) -> None:
    r = grant(emu)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    assert body["access_token"] and body["refresh_token"]
    assert set(body["scope"].split()) == ALL_PERMISSIONS


@pytest.mark.parametrize("basic", [("privx-external", "wrong"), ("other", "oauth-secret"), None])
def test_token_bad_or_missing_basic_is_invalid_client(
    emu: PrivXEmulator, basic: tuple[str, str] | None
) -> None:
    r = grant(emu, basic=basic)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


@pytest.mark.parametrize(("user", "password"), [(CLIENT_ID, "wrong"), ("no-such-client", CLIENT_SECRET)])
def test_token_bad_api_credentials_is_invalid_grant(emu: PrivXEmulator, user: str, password: str) -> None:
    r = grant(emu, user, password)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_grant"


def test_token_other_grant_type_is_unsupported(emu: PrivXEmulator) -> None:
    r = grant(emu, grant_type="client_credentials")
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


def test_token_expires_by_clock(emu: PrivXEmulator, clock: FakeClock) -> None:
    with authed(emu) as c:
        clock.now += 299
        assert c.get(f"{RS}/sources").status_code == 200
        clock.now += 1
        r = c.get(f"{RS}/sources")
    assert r.status_code == 401
    assert r.json()["error_code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("auth", [None, "Bearer nonsense", "Basic abc"])
def test_missing_or_unknown_bearer_is_401(emu: PrivXEmulator, auth: str | None) -> None:
    with http(emu) as c:
        r = c.get(f"{RS}/sources", headers={"Authorization": auth} if auth else {})
    assert r.status_code == 401
    body = r.json()
    assert body["error_code"] == "UNAUTHORIZED"
    assert body["details"] == []


@pytest.mark.parametrize("path", ["/auth/api/v1/status", f"{RS}/status"])
def test_status_needs_no_auth_and_reports_version(path: str) -> None:
    emu = PrivXEmulator(version="43.2.1")
    with http(emu) as c:
        r = c.get(path)
    assert r.status_code == 200
    body = r.json()
    assert (body["variant"], body["version"], body["api_version"], body["status"]) == (
        "privx",
        "43.2.1",
        "v1",
        "ok",
    )


def test_add_api_client_rejects_unknown_permission(emu: PrivXEmulator) -> None:
    with pytest.raises(ValueError, match="sources-admin"):
        emu.add_api_client("x", "y", {"sources-admin"})


def test_client_lacking_manage_gets_403_but_can_view(emu: PrivXEmulator) -> None:
    emu.add_api_client("viewer", "pw", {"sources-view", "roles-view"})
    with authed(emu, "viewer", "pw") as c:
        assert c.get(f"{RS}/sources").status_code == 200
        assert c.get(f"{RS}/roles").status_code == 200
        assert c.post(f"{RS}/roles/resolve", json=["privx-admin"]).status_code == 200
        r = c.post(f"{RS}/sources", json=oidc_source())
        assert r.status_code == 403
        assert "sources-manage" in r.json()["error_message"]
        assert c.post(f"{RS}/roles", json=role("ops")).status_code == 403
    assert all(s["name"] != "Cognito" for s in emu.sources.values())


def test_client_without_roles_view_gets_403_on_roles(emu: PrivXEmulator) -> None:
    emu.add_api_client("sources-only", "pw", {"sources-view", "sources-manage"})
    with authed(emu, "sources-only", "pw") as c:
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
    assert {s["name"] for s in body["items"]} == {"LOCAL", "LOCALHOST", "API-CLIENT"}


def test_create_source_masks_secret_on_read(emu: PrivXEmulator, api: httpx.Client) -> None:
    r = api.post(f"{RS}/sources", json=oidc_source())
    assert r.status_code == 201
    sid = r.json()["id"]
    got = api.get(f"{RS}/sources/{sid}").json()
    assert got["connection"]["oidc_client_secret"] == MASK
    assert got["connection"]["oidc_issuer"].startswith("https://cognito-idp.")
    assert (got["id"], got["author"], got["status_code"]) == (sid, CLIENT_ID, "OK")
    listed = next(s for s in api.get(f"{RS}/sources").json()["items"] if s["id"] == sid)
    assert listed["connection"]["oidc_client_secret"] == MASK
    assert emu.sources[sid]["connection"]["oidc_client_secret"] == COGNITO_SECRET


def test_put_is_full_replacement(emu: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    created = emu.sources[sid]["created"]
    new = oidc_source(oidc_button_title="Sign in")
    del new["comment"]
    del new["connection"]["oidc_additional_scopes"]
    new["id"] = "ignored"
    new["author"] = "someone-else"
    assert api.put(f"{RS}/sources/{sid}", json=new).status_code == 200
    stored = emu.sources[sid]
    assert "comment" not in stored
    assert "oidc_additional_scopes" not in stored["connection"]
    assert stored["connection"]["oidc_button_title"] == "Sign in"
    assert (stored["id"], stored["author"], stored["created"]) == (sid, CLIENT_ID, created)


def test_put_with_mask_keeps_secret_and_omitting_it_drops_it(emu: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    read_back = api.get(f"{RS}/sources/{sid}").json()
    assert api.put(f"{RS}/sources/{sid}", json=read_back).status_code == 200
    assert emu.sources[sid]["connection"]["oidc_client_secret"] == COGNITO_SECRET
    del read_back["connection"]["oidc_client_secret"]
    assert api.put(f"{RS}/sources/{sid}", json=read_back).status_code == 200
    assert "oidc_client_secret" not in emu.sources[sid]["connection"]


def test_post_with_mask_is_rejected(api: httpx.Client) -> None:
    r = api.post(f"{RS}/sources", json=oidc_source(oidc_client_secret=MASK))
    assert r.status_code == 400
    assert r.json()["property"] == "connection.oidc_client_secret"


def test_duplicate_source_name_is_409(emu: PrivXEmulator, api: httpx.Client) -> None:
    first = api.post(f"{RS}/sources", json=oidc_source("A")).json()["id"]
    api.post(f"{RS}/sources", json=oidc_source("B"))
    r = api.post(f"{RS}/sources", json=oidc_source("A"))
    assert r.status_code == 409
    assert r.json()["property"] == "name"
    assert api.put(f"{RS}/sources/{first}", json=oidc_source("B")).status_code == 409
    assert api.put(f"{RS}/sources/{first}", json=oidc_source("A")).status_code == 200
    assert api.post(f"{RS}/sources", json=oidc_source("LOCAL")).status_code == 409
    assert sorted(s["name"] for s in emu.sources.values() if s["author"] == CLIENT_ID) == ["A", "B"]


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
def test_source_validation(emu: PrivXEmulator, api: httpx.Client, body: dict[str, Any], prop: str) -> None:
    r = api.post(f"{RS}/sources", json=body)
    assert r.status_code == 400
    assert r.json()["property"] == prop
    assert len(emu.sources) == 3


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


def test_delete_source_and_builtins_are_protected(emu: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    assert api.delete(f"{RS}/sources/{sid}").status_code == 200
    assert sid not in emu.sources
    assert api.get(f"{RS}/sources/{sid}").status_code == 404
    assert api.delete(f"{RS}/sources/{BUILTIN_SOURCE_IDS['LOCAL']}").status_code == 400
    assert BUILTIN_SOURCE_IDS["LOCAL"] in emu.sources


def test_refresh(api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    assert api.post(f"{RS}/sources/refresh", json=[sid]).status_code == 200
    assert api.post(f"{RS}/sources/refresh", json=[sid, "nope"]).status_code == 404
    assert api.post(f"{RS}/sources/refresh", json={"ids": [sid]}).status_code == 400


def test_login_url_field_is_opt_in(clock: FakeClock) -> None:
    emu = PrivXEmulator(clock=clock, login_url_field="oidc_login_url", base_url="https://px.test/")
    emu.add_api_client(CLIENT_ID, CLIENT_SECRET)
    with authed(emu) as c:
        sid = c.post(f"{RS}/sources", json={**oidc_source(), "oidc_login_url": "x"}).json()["id"]
        got = c.get(f"{RS}/sources/{sid}").json()
        local = c.get(f"{RS}/sources/{BUILTIN_SOURCE_IDS['LOCAL']}").json()
    assert got["oidc_login_url"] == f"https://px.test/auth/api/v1/oidc/login?directory={sid}"
    assert "oidc_login_url" not in emu.sources[sid]
    assert "oidc_login_url" not in local


def test_no_login_url_field_by_default(api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    assert not any("login" in k for k in api.get(f"{RS}/sources/{sid}").json())


# -- roles ------------------------------------------------------------------------------------------


def test_builtin_system_roles(api: httpx.Client) -> None:
    items = api.get(f"{RS}/roles").json()["items"]
    admin = next(r for r in items if r["name"] == "privx-admin")
    assert admin["system"] is True
    assert api.delete(f"{RS}/roles/{admin['id']}").status_code == 400


def test_roles_paging_sees_every_role_once(emu: PrivXEmulator, api: httpx.Client) -> None:
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
    assert len(seen) == len(set(seen)) == len(emu.roles) == 122
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
    names = [
        r["name"]
        for r in api.get(f"{RS}/roles", params={"sortkey": "name", "sortdir": "desc"}).json()["items"]
    ]
    assert names == sorted(names, reverse=True)


def test_create_get_update_delete_role(emu: PrivXEmulator, api: httpx.Client) -> None:
    rule = {"type": "RULE", "source": "dir-id", "search_string": "ops", "rules": []}
    body = {**role("ops", [rule]), "comment": "c", "member_count": 7, "system": True}
    rid = api.post(f"{RS}/roles", json=body).json()["id"]
    got = api.get(f"{RS}/roles/{rid}").json()
    assert (got["member_count"], got["system"], got["access_group_id"]) == (
        0,
        False,
        emu.roles[rid]["access_group_id"],
    )
    assert got["source_rules"]["rules"] == [rule]
    replacement = role("ops")
    assert api.put(f"{RS}/roles/{rid}", json=replacement).status_code == 200
    assert "comment" not in emu.roles[rid]
    assert emu.roles[rid]["source_rules"]["rules"] == []
    assert api.delete(f"{RS}/roles/{rid}").status_code == 200
    assert rid not in emu.roles
    assert api.get(f"{RS}/roles/{rid}").status_code == 404


def test_duplicate_role_name_is_409(api: httpx.Client) -> None:
    assert api.post(f"{RS}/roles", json=role("ops")).status_code == 201
    assert api.post(f"{RS}/roles", json=role("ops")).status_code == 409
    assert api.post(f"{RS}/roles", json=role("privx-admin")).status_code == 409


@pytest.mark.parametrize(
    ("rules", "prop"),
    [
        (None, "source_rules"),
        ({"type": "RULE", "source": "s", "search_string": "x"}, "source_rules"),
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
def test_role_source_rules_validation(api: httpx.Client, rules: Any, prop: str) -> None:
    body: dict[str, Any] = {"name": "bad"}
    if rules is not None:
        body["source_rules"] = rules
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


def test_evaluate_and_members_are_empty(api: httpx.Client) -> None:
    rid = api.post(f"{RS}/roles", json=role("ops")).json()["id"]
    assert api.post(f"{RS}/roles/evaluate", json=role("ops")).json() == {"count": 0, "items": []}
    assert api.post(f"{RS}/roles/evaluate", json={"source_rules": {"type": "X"}}).status_code == 400
    assert api.get(f"{RS}/roles/{rid}/members").json() == {"count": 0, "items": []}
    assert api.get(f"{RS}/roles/nope/members").status_code == 404


# -- inspection -------------------------------------------------------------------------------------


def test_write_requests_counts_only_mutations(emu: PrivXEmulator, api: httpx.Client) -> None:
    sid = api.post(f"{RS}/sources", json=oidc_source()).json()["id"]
    api.get(f"{RS}/sources/{sid}")
    api.post(f"{RS}/roles/resolve", json=["ops"])
    api.post(f"{RS}/roles/evaluate", json=role("ops"))
    api.put(f"{RS}/sources/{sid}", json=oidc_source())
    api.post(f"{RS}/sources/refresh", json=[sid])
    api.post(f"{RS}/roles", json=role("LOCAL", [{"type": "nope"}]))  # refused, still a write attempt
    writes = emu.write_requests()
    assert [(w.method, w.status) for w in writes] == [
        ("POST", 201),
        ("PUT", 200),
        ("POST", 200),
        ("POST", 400),
    ]
    assert len(emu.requests) == 8  # token grant included


def test_reset_restores_builtins_and_drops_tokens(emu: PrivXEmulator, api: httpx.Client) -> None:
    api.post(f"{RS}/sources", json=oidc_source())
    api.post(f"{RS}/roles", json=role("ops"))
    held = emu.sources
    emu.reset()
    assert held is emu.sources
    assert {s["name"] for s in emu.sources.values()} == {"LOCAL", "LOCALHOST", "API-CLIENT"}
    assert {r["name"] for r in emu.roles.values()} == {"privx-admin", "privx-user"}
    assert emu.requests == []
    assert api.get(f"{RS}/sources").status_code == 401  # token dropped
    with authed(emu) as again:  # api client kept
        assert again.get(f"{RS}/sources").json()["count"] == 3


def test_dispatch_is_thread_safe(emu: PrivXEmulator) -> None:
    token = grant(emu).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    statuses: list[int] = []

    def worker(n: int) -> None:
        for i in range(25):
            body = f'{{"name": "t{n}-{i}", "source_rules": {{"type": "GROUP", "match": "ANY", "rules": []}}}}'
            statuses.append(emu.dispatch("POST", f"{RS}/roles", {}, headers, body.encode()).status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 200
    assert len(emu.roles) == 2 + 200
    assert len(emu.write_requests()) == 200
