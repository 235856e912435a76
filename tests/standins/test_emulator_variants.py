"""The PrivX emulator's variants (what no public source settles) and its LDAP-style rule filters.

Every variant is driven over HTTP-in-process (``httpx.MockTransport(emulator.handle)``), as the client drives it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cognito_privx.sandbox.emulator import EmulatorVariant, FilterError, PrivXEmulator, parse_filter
from cognito_privx.sandbox.emulator.ldapfilter import MAX_DEPTH, matches
from cognito_privx.sandbox.emulator.membership import filter_attributes
from tests.support.constants import PRIVX_URL, REGION
from tests.support.emulator import api_client, build_emulator
from tests.support.oidc import cognito_discovery

BASE = "https://privx.example.com"
RS = "/role-store/api/v1"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
HOSTED_UI = "https://acme-privx.auth.eu-west-1.amazoncognito.com"
AUTHORIZE = "/auth/api/v1/oauth/authorize"
LEGACY = "/auth/api/v1/oidc/login"


def make(**variant: Any) -> PrivXEmulator:
    """An emulator in this variant, whose direct login discovers the pool's hosted UI."""
    return build_emulator(
        variant=EmulatorVariant(**variant), oidc_http=httpx.Client(transport=cognito_discovery(HOSTED_UI))
    )


@pytest.fixture
def emulator_settings() -> dict[str, Any]:
    """The default variant, whose direct login discovers the pool's hosted UI."""
    return {"oidc_http": httpx.Client(transport=cognito_discovery(HOSTED_UI))}


def add_directory(api: httpx.Client, name: str = "Cognito", **conn: Any) -> str:
    connection = {
        "type": "OIDC",
        "oidc_enabled": True,
        "oidc_issuer": ISSUER,
        "oidc_client_id": "app-client-id",
        "oidc_client_secret": "s3cret",
        "oidc_tags_attribute_name": "cognito:groups",
        "oidc_additional_scopes": ["email", "profile"],
        **conn,
    }
    r = api.post(f"{RS}/sources", json={"name": name, "enabled": True, "connection": connection})
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


def evaluate(api: httpx.Client, directory: str, search_string: str) -> httpx.Response:
    rule = {"type": "RULE", "source": directory, "search_string": search_string, "rules": []}
    body = {"name": "preview", "source_rules": {"type": "GROUP", "match": "ANY", "rules": [rule]}}
    return api.post(f"{RS}/roles/evaluate", json=body)


def principals(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return sorted(u["principal"] for u in r.json()["items"])


# -- the filter language ----------------------------------------------------------------------------

ALICE = {
    "principal": ["alice"],
    "email": ["alice@example.com"],
    "tags": ["ops", "dev-team", "Ops Leads"],
    "custom:group": ["ops"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(principal=alice)", True),
        ("(principal=bob)", False),
        ("(PRINCIPAL=ALICE)", True),  # names and values compare case-insensitively
        ("(tags=ops)", True),  # multi-valued: any value
        ("(tags=dev-team)", True),
        ("(tags=qa)", False),
        ("(tags=dev*)", True),
        ("(tags=*team)", True),
        ("(tags=*v-t*)", True),
        ("(tags=o*s)", True),
        ("(tags=o*x)", False),
        ("(email=*@example.com)", True),
        ("(tags=*)", True),  # presence
        ("(unix_account=*)", False),
        ("(tags=ops leads)", True),
        ("(custom:group=ops)", True),
        ("(&(tags=ops)(principal=alice))", True),
        ("(&(tags=ops)(principal=bob))", False),
        ("(|(tags=qa)(principal=alice))", True),
        ("(|(tags=qa)(principal=bob))", False),
        ("(!(tags=qa))", True),
        ("(!(tags=ops))", False),
        ("(!(missing=x))", True),
        ("(&(|(tags=qa)(tags=dev*))(!(principal=bob)))", True),
        ("(tags=\\2a)", False),  # an escaped '*' is a literal star
        ("(principal=al\\69ce)", True),  # any escaped byte
    ],
)
def test_filter_evaluates(text: str, expected: bool) -> None:
    assert matches(text, ALICE) is expected


def test_filter_escapes_parentheses_and_utf8() -> None:
    attrs = {"tags": ["a(b)", "x*y", "ä"]}
    assert matches("(tags=a\\28b\\29)", attrs)
    assert matches("(tags=x\\2ay)", attrs)
    assert not matches("(tags=x\\2az)", attrs)
    assert matches("(tags=\\c3\\a4)", attrs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("ops", "expected '('"),
        ("tags=ops", "expected '('"),
        ("(tags=ops", "expected ')'"),
        ("(tags=ops))", "after the filter's end"),
        ("(tags=ops)(x=y)", "after the filter's end"),
        ("((tags=ops))", "attribute name"),
        ("(=ops)", "attribute name"),
        ("(tags)", "expected '='"),
        ("(tags~=ops)", "'~='"),
        ("(tags>=ops)", "'>='"),
        ("(cn:dn:=x)", "':'"),
        ("(tags=o(ps)", "escape it"),
        ("(tags=o\\zz)", "bad escape"),
        ("(tags=\\ff)", "not UTF-8"),
        ("(&)", "at least one"),
        ("(|)", "at least one"),
        ("(!)", "expected '(' at position 2"),
        ("(!(a=b)(c=d))", "expected ')'"),
        ("(& (a=b))", "needs at least one filter"),
        ("(&(a=b) (c=d))", "expected ')'"),
        ("(!" * 40 + "(a=b)" + ")" * 40, "nests deeper"),
    ],
)
def test_malformed_filters_are_refused(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=re.escape(message)):
        parse_filter(text)


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1
    assert matches("(!" * depth + "(a=b)" + ")" * depth, {"a": ["b"]}) is (depth % 2 == 0)


def test_filter_attributes_of_a_user() -> None:
    user = {
        "principal": "alice",
        "email": "",
        "source_user_id": "sub-1",
        "tags": ["ops"],
        "attributes": [{"key": "Custom:Group", "value": "ops"}, {"key": "custom:group", "value": "dev"}],
        "unix_account": "alice",  # not a filter attribute
    }
    assert filter_attributes(user) == {
        "principal": ["alice"],
        "source_user_id": ["sub-1"],
        "tags": ["ops"],
        "custom:group": ["ops", "dev"],
    }


# -- rule grammar -----------------------------------------------------------------------------------


def test_filter_grammar_matches_filters_and_refuses_a_bare_tag(emulator: PrivXEmulator, api: httpx.Client) -> None:
    directory = add_directory(api)
    emulator.login_user(directory, {"sub": "alice", "email": "alice@example.com", "cognito:groups": ["ops"]})
    emulator.login_user(directory, {"sub": "bob", "cognito:groups": ["dev"], "custom:team": "blue"})
    assert principals(evaluate(api, directory, "(tags=ops)")) == ["alice@example.com"]
    assert principals(evaluate(api, directory, "(cognito:groups=*)")) == ["alice@example.com", "bob"]
    assert principals(evaluate(api, directory, "(custom:team=BLUE)")) == ["bob"]
    assert principals(evaluate(api, directory, "(|(tags=ops)(tags=dev))")) == ["alice@example.com", "bob"]
    r = evaluate(api, directory, "ops")
    assert (r.status_code, r.json()["property"]) == (400, "source_rules.rules[0].search_string")
    rule = {"type": "RULE", "source": directory, "search_string": "ops", "rules": []}
    r = api.post(f"{RS}/roles", json={"name": "ops", "source_rules": rule})
    assert (r.status_code, r.json()["property"]) == (400, "source_rules.search_string")


def test_bare_grammar_matches_tags_exactly() -> None:
    emulator = make(rule_grammar="bare")
    with api_client(emulator) as api:
        directory = add_directory(api)
        emulator.login_user(directory, {"sub": "alice", "cognito:groups": ["ops", "Dev"]})
        emulator.login_user(directory, {"sub": "bob", "cognito:groups": ["ops-admins"]})
        assert principals(evaluate(api, directory, "ops")) == ["alice"]
        assert principals(evaluate(api, directory, "ops-admins")) == ["bob"]
        assert principals(evaluate(api, directory, "dev")) == []  # exact: case-sensitive
        assert principals(evaluate(api, directory, "op*")) == []  # no wildcards
        # A filter is just a string here: accepted, and it matches nobody.
        assert principals(evaluate(api, directory, "(tags=ops)")) == []
        rule = {"type": "RULE", "source": directory, "search_string": "(tags=ops", "rules": []}
        assert api.post(f"{RS}/roles", json={"name": "r", "source_rules": rule}).status_code == 201
        # The built-in directories keep filters: privx-admin still finds the superuser, and a bad filter on
        # "Local users" is refused.
        admin = next(r for r in api.get(f"{RS}/roles").json()["items"] if r["name"] == "privx-admin")
        assert admin["member_count"] == 1
        local = emulator.builtin_source_ids["LOCAL"]
        assert evaluate(api, local, "admin").status_code == 400
        assert principals(evaluate(api, local, "(principal=admin)")) == ["admin"]


# -- login route ------------------------------------------------------------------------------------


def authorize_params(directory: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "privx-ui",
        "redirect_uri": "/privx/oauth-callback",
        "oidc_id": directory,
        **extra,
    }


def test_authorize_redirects_307_to_the_idp(emulator: PrivXEmulator, api: httpx.Client) -> None:
    directory = add_directory(api)
    with httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser:  # no token
        r = browser.get(AUTHORIZE, params=authorize_params(directory, state="client-state"))
        again = browser.get(AUTHORIZE, params=authorize_params(directory))
    assert r.status_code == 307
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{HOSTED_UI}/oauth2/authorize"
    query = parse_qs(location.query)
    assert {k: v for k, v in query.items() if k not in ("state", "nonce")} == {
        "response_type": ["code"],
        "client_id": ["app-client-id"],
        "redirect_uri": [f"{BASE}/auth/api/v1/oidc-cb"],
        "scope": ["openid email profile"],
    }
    assert "scope=openid+email+profile" in location.query
    assert query["state"][0] and query["state"][0] != "client-state"  # PrivX's own state, towards the IdP
    assert again.status_code == 307  # state is optional
    assert parse_qs(urlsplit(again.headers["Location"]).query)["state"] != query["state"]
    assert api.get(LEGACY, params={"directory": directory}).status_code == 404  # only one route is served


def test_authorize_refusals(emulator: PrivXEmulator, api: httpx.Client) -> None:
    directory = add_directory(api)
    off = add_directory(api, "off", oidc_enabled=False)
    cases = [
        (authorize_params(directory, client_id="privx-external"), "client_id"),
        (authorize_params(directory, redirect_uri="https://evil.example/cb"), "redirect_uri"),
        (authorize_params(directory, response_type="token"), "response_type"),
        (authorize_params("nope"), "oidc_id"),
        (authorize_params(emulator.builtin_source_ids["LOCAL"]), "oidc_id"),
        ({k: v for k, v in authorize_params(directory).items() if k != "oidc_id"}, "oidc_id"),
        ({k: v for k, v in authorize_params(directory).items() if k != "client_id"}, "client_id"),
    ]
    for params, prop in cases:
        r = api.get(AUTHORIZE, params=params)
        assert r.status_code == 400, params
        assert (r.json()["error_code"], r.json()["property"]) == ("INVALID_PARAMETER", prop)
        assert "Location" not in r.headers
    r = api.get(AUTHORIZE, params=authorize_params(off))
    assert (r.status_code, r.json()["error_code"]) == (400, "GENERAL_ERROR")


def test_authorize_fetches_discovery_where_the_locator_says() -> None:
    seen: list[str] = []

    def locator(issuer: str) -> str:
        seen.append(issuer)
        return issuer  # the AWS issuer, served by cognito_discovery

    emulator = build_emulator(oidc_http=httpx.Client(transport=cognito_discovery(HOSTED_UI)), issuer_locator=locator)
    with api_client(emulator) as api:
        directory = add_directory(api)
        r = api.get(AUTHORIZE, params=authorize_params(directory))
    assert r.headers["Location"].startswith(f"{HOSTED_UI}/oauth2/authorize?")
    assert seen == [ISSUER]


def test_legacy_login_route() -> None:
    emulator = make(login_route="legacy")
    with api_client(emulator) as api:
        directory = add_directory(api)
        r = api.get(LEGACY, params={"directory": directory})
        assert r.status_code == 302
        assert r.headers["Location"].startswith(
            f"{HOSTED_UI}/oauth2/authorize?response_type=code&client_id=app-client-id"
        )
        assert api.get(AUTHORIZE, params=authorize_params(directory)).status_code == 404
        assert api.get(LEGACY, params={"directory": "nope"}).status_code == 404
        assert api.get(LEGACY).status_code == 404
        off = add_directory(api, "off", oidc_enabled=False)
        assert api.get(LEGACY, params={"directory": off}).status_code == 400


def test_emulator_legacy_direct_login_route() -> None:
    emulator = PrivXEmulator(
        base_url=PRIVX_URL,
        variant=EmulatorVariant(login_route="legacy"),
        oidc_http=httpx.Client(transport=cognito_discovery(HOSTED_UI)),
    )
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_abc"
    conn = {
        "type": "OIDC",
        "oidc_enabled": True,
        "oidc_issuer": issuer,
        "oidc_client_id": "client-1",
        "oidc_additional_scopes": ["email", "profile"],
    }
    emulator.sources["dir-1"] = {"id": "dir-1", "name": "Cognito", "enabled": True, "connection": conn}
    http = httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=PRIVX_URL)

    r = http.get("/auth/api/v1/oidc/login", params={"directory": "dir-1"})
    assert r.status_code == 302
    location = httpx.URL(r.headers["location"])
    assert str(location).startswith(f"{HOSTED_UI}/oauth2/authorize?")  # as discovered
    assert location.params["client_id"] == "client-1"
    assert location.params["redirect_uri"] == f"{PRIVX_URL}/auth/api/v1/oidc-cb"
    assert location.params["response_type"] == "code"
    assert location.params["scope"] == "openid email profile"
    assert "scope=openid+email+profile" in str(location) and location.params["state"]

    assert http.get("/auth/api/v1/oidc/login", params={"directory": "nope"}).status_code == 404
    assert http.get("/auth/api/v1/oidc/login").status_code == 404
    conn["oidc_enabled"] = False
    assert http.get("/auth/api/v1/oidc/login", params={"directory": "dir-1"}).status_code == 400


# -- attribute_mapping direction --------------------------------------------------------------------

CLAIMS = {"sub": "s-1", "email": "alice@example.com", "preferred_username": "alice"}


@pytest.mark.parametrize(
    ("direction", "mapping", "accounts"),
    [
        ("target", {"unix_account": "preferred_username", "windows_account": "email"}, ("alice", "alice@example.com")),
        ("target", {"unix_account": "email", "windows_account": "email"}, ("alice@example.com",) * 2),
        ("target", {"preferred_username": "unix_account", "email": "windows_account"}, (None, None)),
        ("claim", {"preferred_username": "unix_account", "email": "windows_account"}, ("alice", "alice@example.com")),
        ("claim", {"unix_account": "email", "windows_account": "email"}, (None, None)),
        ("target", {"unix_account": "no_such_claim"}, (None, None)),
    ],
)
def test_attribute_mapping_direction(direction: str, mapping: dict[str, str], accounts: tuple[Any, Any]) -> None:
    emulator = make(attribute_mapping=direction)
    with api_client(emulator) as api:
        directory = add_directory(api, attribute_mapping=mapping)
        uid = emulator.login_user(directory, CLAIMS)
        user = api.get(f"{RS}/users/{uid}").json()
    assert (user.get("unix_account"), user.get("windows_account")) == accounts


# -- roles/resolve on an unknown name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status", "names"),
    [
        ("empty", 200, [("ops", True)]),
        ("partial", 200, [("ops", True), ("missing", False)]),
        ("404", 404, None),
    ],
)
def test_resolve_unknown(mode: str, status: int, names: list[tuple[str, bool]] | None) -> None:
    emulator = make(resolve_unknown=mode)
    with api_client(emulator) as api:
        rid = api.post(f"{RS}/roles", json={"name": "ops", "source_rules": {"rules": None}}).json()["id"]
        r = api.post(f"{RS}/roles/resolve", json=["ops", "missing", "ops"])
        assert r.status_code == status
        if names is None:
            assert r.json()["error_code"] == "OBJECT_NOT_FOUND"
            assert "missing" in r.json()["error_message"]
        else:
            body = r.json()
            assert body["count"] == len(body["items"])
            assert [(i["name"], bool(i["id"])) for i in body["items"]] == names
            assert body["items"][0]["id"] == rid
        alone = api.post(f"{RS}/roles/resolve", json=["missing"])
        known = api.post(f"{RS}/roles/resolve", json=["ops"])
    assert known.json()["count"] == 1  # known names resolve alike in every variant
    expected = {"empty": {"count": 0, "items": []}, "partial": {"count": 1, "items": [{"id": "", "name": "missing"}]}}
    if mode == "404":
        assert alone.status_code == 404
    else:
        assert alone.json() == expected[mode]


# -- the variant itself -----------------------------------------------------------------------------


def test_variant_defaults_and_validation() -> None:
    assert EmulatorVariant() == EmulatorVariant("filter", "authorize", "target", "empty", "kept")
    assert PrivXEmulator().variant == EmulatorVariant()
    assert EmulatorVariant.parse(rule_grammar="bare").rule_grammar == "bare"
    assert EmulatorVariant().describe() == (
        "rule_grammar=filter, login_route=authorize, attribute_mapping=target, resolve_unknown=empty, "
        "rotated_refresh_token=kept"
    )
    with pytest.raises(ValueError, match="rule_grammar must be one of filter, bare"):
        EmulatorVariant(rule_grammar="ldap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a variant setting"):
        EmulatorVariant.parse(grammar="bare")


def test_sandbox_passes_the_variant_through() -> None:
    from cognito_privx.sandbox.runner import Sandbox

    box = Sandbox(variant=EmulatorVariant(login_route="legacy"))  # not started: nothing listens
    assert box.emulator.variant.login_route == "legacy"
    assert Sandbox().emulator.variant == EmulatorVariant()


def test_sandbox_command_refuses_an_unknown_variant(cli: Any) -> None:
    run = cli("sandbox", "--rule-grammar", "ldap")
    assert run.exit_code == 2
    assert "rule_grammar must be one of filter, bare" in run.stderr
