"""The PrivX emulator as OIDC relying party: the direct login's redirect, the callback, the code exchange and the
ID-token checks, against a small fake OIDC provider built here (so these tests do not depend on the sandbox's
Cognito stand-in).

The fake provider (:class:`FakeOIDCProvider`) speaks standard OIDC as Cognito does: discovery with the AWS issuer,
endpoints on a loopback base, a JWKS from a test RSA key, a token endpoint that checks the client by HTTP Basic and
answers RS256 ID tokens with ``kid``, ``nonce`` and ``token_use``. Its "sign-in" is a method: it takes the
authorize URL the emulator redirected to and returns the URL the browser would be sent back to.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cognito_privx.sandbox.emulator import MASK, EmulatorVariant, PrivXEmulator
from cognito_privx.sandbox.server import EmulatorServer
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET
from tests.support.emulator import api_client, build_emulator

BASE = "https://privx.example.com"
RS = "/role-store/api/v1"
AUTHORIZE = "/auth/api/v1/oauth/authorize"
LEGACY = "/auth/api/v1/oidc/login"
CALLBACK = "/auth/api/v1/oidc-cb"
POOL = "eu-west-1_abc"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
HOSTED_UI = "https://acme-privx.auth.eu-west-1.amazoncognito.com"
STAND_IN = "http://127.0.0.1:8765"  # where the fake provider "runs": loopback, as the sandbox's stand-in
CLIENT_ID = "app-client-id"
CLIENT_SECRET = "cognito-app-client-secret"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def locator(issuer: str) -> str:
    """As the sandbox maps an AWS issuer onto its stand-in; any other issuer is fetched as it is."""
    prefix = "https://cognito-idp.eu-west-1.amazonaws.com/"
    return f"{STAND_IN}/{issuer.removeprefix(prefix)}" if issuer.startswith(prefix) else issuer


# -- the fake OIDC provider -------------------------------------------------------------------------------


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    claims: dict[str, Any]
    used: bool = False


@dataclass
class FakeOIDCProvider:
    """A standard OIDC provider for one client, served through ``transport``.

    ``base`` is where its discovery document and JWKS live (``{base}/.well-known/openid-configuration``,
    ``{base}/.well-known/jwks.json``), ``endpoints`` (default: ``base``) where its ``/oauth2/authorize``,
    ``/oauth2/token`` and ``/oauth2/userInfo`` are: real Cognito serves the first at the issuer and the others on
    the pool's hosted-UI domain.
    Tests bend it: ``discovery_issuer`` (the issuer its discovery names), ``token_claims`` (merged into each ID
    token; a None value removes the claim), ``sign_key`` / ``kid`` / ``alg`` (how it signs), ``on_token`` (called
    inside the token endpoint).
    """

    issuer: str = ISSUER
    base: str = f"{STAND_IN}/{POOL}"
    endpoints: str | None = None
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    discovery_issuer: str | None = None
    token_claims: dict[str, Any] = field(default_factory=dict)
    sign_key: Any = KEY
    kid: str = "key-1"
    alg: str = "RS256"
    on_token: Callable[[], None] | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    basic_auth: list[tuple[str, str]] = field(default_factory=list)
    codes: dict[str, _Grant] = field(default_factory=dict)

    @property
    def oauth2(self) -> str:
        return f"{self.endpoints or self.base}/oauth2"

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer if self.discovery_issuer is None else self.discovery_issuer,
            "authorization_endpoint": f"{self.oauth2}/authorize",
            "token_endpoint": f"{self.oauth2}/token",
            "userinfo_endpoint": f"{self.oauth2}/userInfo",
            "jwks_uri": f"{self.base}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "key-1", "alg": "RS256", "use": "sig"}]}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
        if (request.method, url) == ("GET", f"{self.base}/.well-known/openid-configuration"):
            return httpx.Response(200, json=self.discovery())
        if (request.method, url) == ("GET", f"{self.base}/.well-known/jwks.json"):
            return httpx.Response(200, json=self.jwks())
        if (request.method, url) == ("POST", f"{self.oauth2}/token"):
            return self._token(request)
        return httpx.Response(404, text="not found")

    # -- the browser's part: sign in, or be refused ------------------------------------------------------

    def sign_in(self, location: str, claims: dict[str, Any]) -> str:
        """The URL the IdP sends the browser back to after ``claims``' user signs in at ``location``."""
        params = self._authorize_params(location)
        code = secrets.token_urlsafe(16)
        self.codes[code] = _Grant(self.client_id, params["redirect_uri"], params.get("nonce"), claims)
        return f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}"

    def refuse(self, location: str, error: str, description: str) -> str:
        params = self._authorize_params(location)
        query = {"error": error, "error_description": description, "state": params["state"]}
        return f"{params['redirect_uri']}?{urlencode(query)}"

    def _authorize_params(self, location: str) -> dict[str, str]:
        url = httpx.URL(location)
        assert f"{url.scheme}://{url.netloc.decode()}{url.path}" == f"{self.oauth2}/authorize", location
        params = dict(url.params)
        assert params["client_id"] == self.client_id and params["response_type"] == "code"
        assert "openid" in params["scope"].split()
        return params

    # -- the token endpoint ---------------------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.on_token is not None:
            self.on_token()
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        user, _, password = base64.b64decode(encoded).decode().partition(":") if scheme == "Basic" else ("", "", "")
        self.basic_auth.append((unquote_plus(user), unquote_plus(password)))
        if (unquote_plus(user), unquote_plus(password)) != (self.client_id, self.client_secret):
            return httpx.Response(400, json={"error": "invalid_client", "error_description": "bad client"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") != "authorization_code":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        grant = self.codes.get(form.get("code", ""))
        if grant is None or grant.used or grant.redirect_uri != form.get("redirect_uri"):
            return httpx.Response(400, json={"error": "invalid_grant"})
        grant.used = True
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "sub-ann",
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
            **({"nonce": grant.nonce} if grant.nonce else {}),
            **grant.claims,
        }
        for name, value in self.token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.sign_key if self.alg == "RS256" else "an-hmac-secret-of-thirty-two-bytes!"
        id_token = jwt.encode(claims, key, algorithm=self.alg, headers={"kid": self.kid})
        body = {
            "id_token": id_token,
            "access_token": "access-" + secrets.token_urlsafe(8),
            "refresh_token": "refresh-" + secrets.token_urlsafe(8),
            "expires_in": 3600,
            "token_type": "Bearer",
        }
        return httpx.Response(200, json=body)


# -- fixtures and helpers ---------------------------------------------------------------------------------


@pytest.fixture
def idp() -> FakeOIDCProvider:
    return FakeOIDCProvider()


def make(idp: FakeOIDCProvider, **kwargs: Any) -> PrivXEmulator:
    """An emulator whose OIDC client reaches ``idp`` (another one than the test's ``emulator``)."""
    return build_emulator(oidc_http=httpx.Client(transport=idp.transport), issuer_locator=locator, **kwargs)


@pytest.fixture
def emulator_settings(idp: FakeOIDCProvider) -> dict[str, Any]:
    """The emulator's OIDC client reaches the test's ``idp``."""
    return {"oidc_http": httpx.Client(transport=idp.transport), "issuer_locator": locator}


@pytest.fixture
def browser(emulator: PrivXEmulator) -> Iterator[httpx.Client]:
    """No token, no redirects followed: each hop is looked at."""
    with httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as c:
        yield c


def add_directory(api: httpx.Client, name: str = "Cognito", **conn: Any) -> str:
    connection = {
        "type": "OIDC",
        "oidc_enabled": True,
        "oidc_issuer": ISSUER,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_button_title": "Cognito",
        "oidc_tags_attribute_name": "custom:group",
        "oidc_additional_scopes": ["email", "profile"],
        **conn,
    }
    r = api.post(f"{RS}/sources", json={"name": name, "enabled": True, "connection": connection})
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


def add_role(api: httpx.Client, name: str, directory: str, search_string: str) -> str:
    rule = {"type": "RULE", "source": directory, "search_string": search_string, "rules": []}
    body = {"name": name, "permissions": [], "source_rules": {"type": "GROUP", "match": "ANY", "rules": [rule]}}
    r = api.post(f"{RS}/roles", json=body)
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def authorize_params(directory: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "privx-ui",
        "redirect_uri": "/privx/oauth-callback",
        "oidc_id": directory,
        "state": "ui-state",
        **extra,
    }


def start(browser: httpx.Client, directory: str) -> str:
    """The direct login's first hop: the IdP URL PrivX redirects to."""
    r = browser.get(AUTHORIZE, params=authorize_params(directory))
    assert r.status_code == 307, r.text
    location: str = r.headers["Location"]
    return location


def login(browser: httpx.Client, idp: FakeOIDCProvider, directory: str, claims: dict[str, Any]) -> httpx.Response:
    """The whole walk: PrivX → IdP (the user signs in) → PrivX's callback."""
    return browser.get(idp.sign_in(start(browser, directory), claims))


@dataclass
class Page:
    heading: str
    roles: list[str] | None
    error: str | None
    description: str | None
    fields: dict[str, str]


def read_page(r: httpx.Response) -> Page:
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    text = r.text
    heading = re.search(r"<h1>(.*?)</h1>", text)
    roles = re.search(r'<ul id="roles">(.*?)</ul>', text)
    error = re.search(r'<p id="error">(.*?)</p>', text)
    description = re.search(r'<p id="error_description">(.*?)</p>', text)
    return Page(
        heading=heading.group(1) if heading else "",
        roles=re.findall(r"<li>(.*?)</li>", roles.group(1)) if roles else None,
        error=error.group(1) if error else None,
        description=description.group(1) if description else None,
        fields=dict(re.findall(r'<dd id="([a-z-]+)">(.*?)</dd>', text)),
    )


ANN = {"sub": "sub-ann", "email": "ann@example.com", "custom:group": "ops"}


# -- out to the IdP ---------------------------------------------------------------------------------------


def test_authorize_redirects_307_to_the_discovered_endpoint(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api)
    r = browser.get(AUTHORIZE, params=authorize_params(directory))
    assert r.status_code == 307
    location = httpx.URL(r.headers["Location"])
    assert str(location.copy_with(query=None)) == f"{STAND_IN}/{POOL}/oauth2/authorize"
    assert [str(q.url) for q in idp.requests] == [f"{STAND_IN}/{POOL}/.well-known/openid-configuration"]
    params = dict(location.params)
    assert {k: v for k, v in params.items() if k not in ("state", "nonce")} == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{BASE}{CALLBACK}",
        "scope": "openid email profile",
    }
    assert "scope=openid+email+profile" in str(location)
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and params["state"] != "ui-state"
    again = httpx.URL(browser.get(AUTHORIZE, params=authorize_params(directory)).headers["Location"])
    assert (again.params["state"], again.params["nonce"]) != (params["state"], params["nonce"])
    assert emulator.logins == []  # nothing is recorded until the callback


def test_legacy_route_redirects_302_the_same_way(idp: FakeOIDCProvider) -> None:
    emulator = make(idp, variant=EmulatorVariant(login_route="legacy"))
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        directory = add_directory(api)
        r = browser.get(LEGACY, params={"directory": directory})
        assert r.status_code == 302
        assert r.headers["Location"].startswith(f"{STAND_IN}/{POOL}/oauth2/authorize?")
        page = read_page(browser.get(idp.sign_in(r.headers["Location"], ANN)))
    assert page.heading == "Signed in as ann@example.com"


def test_the_default_locator_is_the_issuer_itself() -> None:
    """Shaped as real Cognito: discovery and JWKS at the issuer, the OAuth endpoints on the hosted-UI domain."""
    idp = FakeOIDCProvider(base=ISSUER, endpoints=HOSTED_UI)
    emulator = build_emulator(oidc_http=httpx.Client(transport=idp.transport))
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        directory = add_directory(api)
        location = start(browser, directory)
        assert location.startswith(f"{HOSTED_UI}/oauth2/authorize?")
        assert str(idp.requests[0].url) == f"{ISSUER}/.well-known/openid-configuration"
        assert browser.get(idp.sign_in(location, ANN)).status_code == 200
    assert [str(r.url) for r in idp.requests[1:]] == [f"{HOSTED_UI}/oauth2/token", f"{ISSUER}/.well-known/jwks.json"]


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        (_unreachable, "ConnectError"),
        (lambda r: httpx.Response(404), "answered HTTP 404"),
        (lambda r: httpx.Response(200, text="<html>hello</html>"), "not a JSON discovery document"),
        (lambda r: httpx.Response(200, json={"issuer": ISSUER}), "no usable authorization_endpoint"),
        (
            lambda r: httpx.Response(200, json={**FakeOIDCProvider().discovery(), "jwks_uri": "/relative"}),
            "no usable jwks_uri",
        ),
    ],
    ids=["unreachable", "404", "not-json", "no-endpoint", "relative-jwks"],
)
def test_authorize_without_discovery_is_502_and_invents_no_url(
    handler: Callable[[httpx.Request], httpx.Response], says: str
) -> None:
    emulator = build_emulator(oidc_http=httpx.Client(transport=httpx.MockTransport(handler)), issuer_locator=locator)
    with api_client(emulator) as api:
        directory = add_directory(api)
        r = api.get(AUTHORIZE, params=authorize_params(directory))
    assert r.status_code == 502
    assert "Location" not in r.headers
    body = r.json()
    assert body["error_code"] == "OIDC_PROVIDER_ERROR"
    assert (
        directory in body["error_message"]
        and f"{STAND_IN}/{POOL}/.well-known/openid-configuration" in (body["error_message"])
    )
    assert says in body["error_message"]


@pytest.mark.parametrize(
    ("oidc_issuer", "discovery_base"),
    [
        (f"{ISSUER}/", f"{STAND_IN}/{POOL}"),  # a trailing slash: the stand-in names the issuer without it
        (HOSTED_UI, HOSTED_UI),  # the hosted-UI domain is not the issuer, even where it answered discovery
    ],
    ids=["trailing-slash", "hosted-ui-domain"],
)
def test_an_issuer_that_is_not_exactly_the_providers_is_refused(oidc_issuer: str, discovery_base: str) -> None:
    idp = FakeOIDCProvider(base=discovery_base)
    emulator = make(idp)
    with api_client(emulator) as api:
        directory = add_directory(api, oidc_issuer=oidc_issuer)
        r = api.get(AUTHORIZE, params=authorize_params(directory))
    assert str(idp.requests[0].url) == f"{discovery_base}/.well-known/openid-configuration"
    assert r.status_code == 502 and "Location" not in r.headers
    body = r.json()
    assert (body["error_code"], body["property"]) == ("OIDC_ISSUER_MISMATCH", "connection.oidc_issuer")
    assert repr(ISSUER) in body["error_message"] and repr(oidc_issuer) in body["error_message"]


def test_authorize_checks_its_parameters_before_calling_the_idp(
    api: httpx.Client, idp: FakeOIDCProvider, emulator: PrivXEmulator
) -> None:
    directory = add_directory(api)
    r = api.get(AUTHORIZE, params=authorize_params(directory, client_id="privx-external"))
    assert (r.status_code, r.json()["property"]) == (400, "client_id")
    off = add_directory(api, "off", oidc_enabled=False)
    assert api.get(AUTHORIZE, params=authorize_params(off)).status_code == 400
    assert idp.requests == []


# -- back from the IdP: success ---------------------------------------------------------------------------


def test_login_upserts_the_user_with_tags_and_roles_filter_grammar(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api)
    ops = add_role(api, "ops-admins", directory, "(tags=ops)")
    add_role(api, "developers", directory, "(tags=dev)")

    r = login(browser, idp, directory, ANN)
    assert r.status_code == 200, r.text
    page = read_page(r)
    assert (page.heading, page.roles, page.error) == ("Signed in as ann@example.com", ["ops-admins"], None)
    assert "<h1>Signed in as ann@example.com</h1>" in r.text and '<ul id="roles"><li>ops-admins</li></ul>' in r.text
    assert idp.basic_auth == [(CLIENT_ID, CLIENT_SECRET)]  # the stored secret, not the mask

    (record,) = emulator.logins
    user_id = record["user_id"]
    assert page.fields == {
        "user-id": user_id,
        "principal": "ann@example.com",
        "email": "ann@example.com",
        "directory": directory,
        "tags": "ops",
    }
    assert {k: v for k, v in record.items() if k not in ("user_id", "claims")} == {
        "directory_id": directory,
        "status": 200,
        "error": None,
        "error_description": None,
        "new_user": True,
        "principal": "ann@example.com",
        "email": "ann@example.com",
        "tags": ["ops"],
        "roles": ["ops-admins"],
    }
    assert record["claims"]["iss"] == ISSUER and record["claims"]["custom:group"] == "ops"

    # The users API shows what the login left behind.
    found = api.post(f"{RS}/users/search", json={"source": directory}).json()
    assert [(u["id"], u["principal"], u["tags"], u["source_user_id"]) for u in found["items"]] == [
        (user_id, "ann@example.com", ["ops"], "sub-ann")
    ]
    assert [x["id"] for x in api.get(f"{RS}/users/{user_id}/roles").json()["items"]] == [ops]

    # The same sub logs in again from another group: the same user, updated; roles follow the tags.
    r = login(browser, idp, directory, {**ANN, "custom:group": "dev"})
    assert read_page(r).roles == ["developers"]
    assert emulator.logins[-1]["user_id"] == user_id and emulator.logins[-1]["new_user"] is False
    assert [u["tags"] for u in api.post(f"{RS}/users/search", json={"source": directory}).json()["items"]] == [["dev"]]


def test_login_with_a_list_of_groups_bare_grammar(idp: FakeOIDCProvider) -> None:
    emulator = make(idp, variant=EmulatorVariant(rule_grammar="bare"))
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        directory = add_directory(api, oidc_tags_attribute_name="cognito:groups")
        add_role(api, "ops-admins", directory, "ops")
        add_role(api, "developers", directory, "dev")
        add_role(api, "auditors", directory, "audit")
        r = login(
            browser, idp, directory, {"sub": "s-bob", "email": "bob@example.com", "cognito:groups": ["ops", "dev"]}
        )
    page = read_page(r)
    assert (r.status_code, page.roles, page.fields["tags"]) == (200, ["ops-admins", "developers"], "ops, dev")
    assert emulator.logins[-1]["tags"] == ["ops", "dev"]


def test_without_the_tags_claim_the_user_signs_in_with_no_roles(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    """The field failure this rehearses: a custom attribute the app client may not read is not in the token."""
    directory = add_directory(api)
    add_role(api, "ops-admins", directory, "(tags=ops)")
    r = login(browser, idp, directory, {"sub": "sub-ann", "email": "ann@example.com"})
    page = read_page(r)
    assert (r.status_code, page.heading, page.roles) == (200, "Signed in as ann@example.com", [])
    assert '<ul id="roles"></ul>' in r.text
    record = emulator.logins[-1]
    assert (record["tags"], record["roles"], record["error"]) == ([], [], None)
    user = api.get(f"{RS}/users/{record['user_id']}").json()
    assert "tags" not in user and user["roles"] == []


def test_oidc_allow_login_tag_is_honoured(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api, oidc_tags_attribute_name="cognito:groups", oidc_allow_login_tag="privx")
    r = login(browser, idp, directory, {"sub": "s-1", "email": "eve@example.com", "cognito:groups": ["ops"]})
    page = read_page(r)
    assert (r.status_code, page.heading, page.error) == (403, "Sign-in failed", "login_not_allowed")
    assert "privx" in (page.description or "")
    assert emulator.logins[-1]["claims"]["email"] == "eve@example.com" and emulator.logins[-1]["user_id"] is None
    assert api.post(f"{RS}/users/search", json={"source": directory}).json()["count"] == 0
    r = login(browser, idp, directory, {"sub": "s-1", "email": "eve@example.com", "cognito:groups": ["privx", "ops"]})
    assert r.status_code == 200


def test_the_page_escapes_what_the_token_says(api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider) -> None:
    directory = add_directory(api)
    r = login(browser, idp, directory, {"sub": "s-x", "preferred_username": "<b>x</b>", "custom:group": "a&b"})
    assert r.status_code == 200
    assert "<h1>Signed in as &lt;b&gt;x&lt;/b&gt;</h1>" in r.text and "<b>" not in r.text
    assert read_page(r).fields["tags"] == "a&amp;b"


# -- back from the IdP: failures --------------------------------------------------------------------------


def test_the_idps_error_is_shown(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api)
    r = browser.get(idp.refuse(start(browser, directory), "invalid_scope", "scope custom:x is not allowed"))
    page = read_page(r)
    assert (r.status_code, page.heading, page.error) == (401, "Sign-in failed", "invalid_scope")
    assert page.description == "scope custom:x is not allowed"
    assert [q.url.path for q in idp.requests] == [f"/{POOL}/.well-known/openid-configuration"]  # no exchange
    assert emulator.logins[-1] | {"claims": None} == {
        "directory_id": directory,
        "status": 401,
        "error": "invalid_scope",
        "error_description": "scope custom:x is not allowed",
        "user_id": None,
        "new_user": None,
        "principal": None,
        "email": None,
        "tags": [],
        "roles": [],
        "claims": None,
    }


def test_a_wrong_client_secret_in_privx_is_invalid_client(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api, oidc_client_secret="not-the-secret")
    r = login(browser, idp, directory, ANN)
    page = read_page(r)
    assert (r.status_code, page.error) == (401, "invalid_client")
    assert idp.basic_auth == [(CLIENT_ID, "not-the-secret")]
    assert emulator.logins[-1]["error"] == "invalid_client" and emulator.logins[-1]["user_id"] is None
    assert api.post(f"{RS}/users/search", json={"source": directory}).json()["count"] == 0


def test_a_put_with_the_mask_keeps_the_real_secret_for_the_exchange(
    api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api)
    source = api.get(f"{RS}/sources/{directory}").json()
    assert source["connection"]["oidc_client_secret"] == MASK
    assert api.put(f"{RS}/sources/{directory}", json=source).status_code == 200
    assert login(browser, idp, directory, ANN).status_code == 200
    assert idp.basic_auth == [(CLIENT_ID, CLIENT_SECRET)]


def test_a_bad_code_is_invalid_grant(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api)
    back = httpx.URL(idp.sign_in(start(browser, directory), ANN))
    r = browser.get(back.copy_set_param("code", "not-a-code"))
    assert (r.status_code, read_page(r).error) == (401, "invalid_grant")


TAMPERING: list[tuple[str, dict[str, Any], str]] = [
    ("iss-trailing-slash", {"token_claims": {"iss": f"{ISSUER}/"}}, "invalid_issuer"),
    ("iss-hosted-ui", {"token_claims": {"iss": HOSTED_UI}}, "invalid_issuer"),
    ("aud-other-client", {"token_claims": {"aud": "another-client"}}, "invalid_audience"),
    ("expired", {"token_claims": {"exp": int(time.time()) - 5}}, "token_expired"),
    ("iat-in-future", {"token_claims": {"iat": int(time.time()) + 3600}}, "invalid_token"),
    ("no-exp", {"token_claims": {"exp": None}}, "invalid_token"),
    ("wrong-nonce", {"token_claims": {"nonce": "not-the-nonce"}}, "invalid_nonce"),
    ("no-nonce", {"token_claims": {"nonce": None}}, "invalid_nonce"),
    ("access-token", {"token_claims": {"token_use": "access"}}, "invalid_token_use"),
    ("other-key", {"sign_key": OTHER_KEY}, "invalid_signature"),
    ("unknown-kid", {"kid": "key-2"}, "invalid_signature"),
    ("hs256", {"alg": "HS256"}, "invalid_signature"),
]


@pytest.mark.parametrize(("bend", "error"), [(b, e) for _, b, e in TAMPERING], ids=[n for n, _, _ in TAMPERING])
def test_an_id_token_that_fails_a_check_is_refused(bend: dict[str, Any], error: str) -> None:
    idp = FakeOIDCProvider(**bend)
    emulator = make(idp)
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        directory = add_directory(api)
        r = login(browser, idp, directory, ANN)
        assert api.post(f"{RS}/users/search", json={"source": directory}).json()["count"] == 0
    page = read_page(r)
    assert (r.status_code, page.heading, page.error) == (401, "Sign-in failed", error)
    assert emulator.logins[-1]["error"] == error and emulator.logins[-1]["claims"] is None
    if error == "invalid_issuer":
        assert repr(ISSUER) in (page.description or "").replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("token_answer", "status", "error"),
    [
        (httpx.Response(500, text="boom"), 502, "invalid_token_response"),
        (httpx.Response(200, json={"access_token": "a", "token_type": "Bearer"}), 502, "invalid_token_response"),
        (httpx.Response(400, json={"error": "unauthorized_client"}), 401, "unauthorized_client"),
    ],
    ids=["500", "no-id-token", "unauthorized-client"],
)
def test_an_unusable_token_answer(token_answer: httpx.Response, status: int, error: str) -> None:
    idp = FakeOIDCProvider()

    def handler(request: httpx.Request) -> httpx.Response:
        return token_answer if request.url.path.endswith("/oauth2/token") else idp.handle(request)

    emulator = build_emulator(oidc_http=httpx.Client(transport=httpx.MockTransport(handler)), issuer_locator=locator)
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        r = login(browser, idp, add_directory(api), ANN)
    assert (r.status_code, read_page(r).error) == (status, error)


def test_a_jwks_that_cannot_be_fetched_is_502(idp: FakeOIDCProvider) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503) if request.url.path.endswith("/jwks.json") else idp.handle(request)

    emulator = build_emulator(oidc_http=httpx.Client(transport=httpx.MockTransport(handler)), issuer_locator=locator)
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        r = login(browser, idp, add_directory(api), ANN)
    assert (r.status_code, read_page(r).error) == (502, "jwks_unavailable")


# -- the state ------------------------------------------------------------------------------------------


def test_a_state_is_used_once(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    directory = add_directory(api)
    back = idp.sign_in(start(browser, directory), ANN)
    assert browser.get(back).status_code == 200
    replay = browser.get(back)
    page = read_page(replay)
    assert (replay.status_code, page.error) == (400, "invalid_state")
    assert "unknown or was used already" in (page.description or "")
    assert emulator.logins[-1]["directory_id"] is None
    # A failed callback uses its state up too.
    refused = idp.refuse(start(browser, directory), "access_denied", "no")
    assert browser.get(refused).status_code == 401
    assert read_page(browser.get(refused)).error == "invalid_state"


@pytest.mark.parametrize(
    "query",
    [{}, {"code": "c"}, {"code": "c", "state": "made-up"}, {"error": "access_denied", "state": "made-up"}],
    ids=["nothing", "no-state", "unknown-state", "error-unknown-state"],
)
def test_a_callback_without_a_known_state_is_400(
    emulator: PrivXEmulator, browser: httpx.Client, idp: FakeOIDCProvider, query: dict[str, str]
) -> None:
    r = browser.get(CALLBACK, params=query)
    assert (r.status_code, read_page(r).error) == (400, "invalid_state")
    assert idp.requests == []


def test_an_expired_state_is_400(idp: FakeOIDCProvider) -> None:
    now = [1000.0]
    emulator = make(idp, clock=lambda: now[0])
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        directory = add_directory(api)
        back = idp.sign_in(start(browser, directory), ANN)
        now[0] += 601
        r = browser.get(back)
    page = read_page(r)
    assert (r.status_code, page.error) == (400, "invalid_state")
    assert "has expired" in (page.description or "")
    assert emulator.logins[-1]["directory_id"] == directory


def test_a_callback_with_neither_code_nor_error_is_400(browser: httpx.Client, api: httpx.Client) -> None:
    state = httpx.URL(start(browser, add_directory(api))).params["state"]
    r = browser.get(CALLBACK, params={"state": state})
    assert (r.status_code, read_page(r).error) == (400, "invalid_request")


def test_a_directory_deleted_meanwhile(api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider) -> None:
    directory = add_directory(api)
    back = idp.sign_in(start(browser, directory), ANN)
    assert api.delete(f"{RS}/sources/{directory}").status_code == 200
    r = browser.get(back)
    assert (r.status_code, read_page(r).error) == (400, "directory_unavailable")


def test_reset_forgets_logins_under_way_and_recorded(
    emulator: PrivXEmulator, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    with api_client(emulator) as api:
        done = idp.sign_in(start(browser, add_directory(api)), ANN)
        assert browser.get(done).status_code == 200
        pending = idp.sign_in(start(browser, add_directory(api, "second")), ANN)
    state = browser.get("/_emulator/state").json()
    assert [x["status"] for x in state["logins"]] == [200]
    emulator.reset()
    assert emulator.logins == []
    assert browser.get(pending).status_code == 400


# -- no lock held while waiting on the IdP -----------------------------------------------------------------


def test_the_emulator_answers_others_while_a_login_waits_on_the_idp(idp: FakeOIDCProvider) -> None:
    emulator = make(idp)
    seen: list[int] = []
    idp.on_token = lambda: seen.append(emulator.handle(httpx.Request("GET", f"{BASE}/auth/api/v1/status")).status_code)
    with (
        api_client(emulator) as api,
        httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=BASE) as browser,
    ):
        back = idp.sign_in(start(browser, add_directory(api)), ANN)
        result: list[httpx.Response] = []
        walker = threading.Thread(target=lambda: result.append(browser.get(back)), daemon=True)
        walker.start()
        walker.join(timeout=10)
    assert not walker.is_alive(), "the callback deadlocked: the emulator's lock was held during the exchange"
    assert seen == [200] and result[0].status_code == 200
    assert [r.path for r in emulator.requests][-2:] == ["/auth/api/v1/status", CALLBACK]


# -- over real HTTP ---------------------------------------------------------------------------------------


def test_the_whole_login_over_http(idp: FakeOIDCProvider) -> None:
    emulator = make(idp)
    with EmulatorServer(emulator) as server:
        emulator.base_url = server.url
        with httpx.Client(base_url=server.url, timeout=5) as browser:
            r = browser.post(
                "/auth/api/v1/oauth/token",
                auth=("privx-external", OAUTH_CLIENT_SECRET),
                data={"grant_type": "password", "username": API_CLIENT_ID, "password": API_CLIENT_SECRET},
            )
            api_headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            directory = browser.post(
                f"{RS}/sources",
                headers=api_headers,
                json={
                    "name": "Cognito",
                    "connection": {
                        "type": "OIDC",
                        "oidc_enabled": True,
                        "oidc_issuer": ISSUER,
                        "oidc_client_id": CLIENT_ID,
                        "oidc_client_secret": CLIENT_SECRET,
                        "oidc_tags_attribute_name": "custom:group",
                    },
                },
            ).json()["id"]
            rule = {"type": "RULE", "source": directory, "search_string": "(tags=ops)"}
            role = {"name": "ops-admins", "source_rules": {"type": "GROUP", "match": "ANY", "rules": [rule]}}
            assert browser.post(f"{RS}/roles", headers=api_headers, json=role).status_code == 201
            location = start(browser, directory)
            assert httpx.URL(location).params["redirect_uri"] == f"{server.url}{CALLBACK}"
            back = idp.sign_in(location, ANN)
            assert back.startswith(f"{server.url}{CALLBACK}?")
            page = read_page(browser.get(back))
    assert (page.heading, page.roles) == ("Signed in as ann@example.com", ["ops-admins"])
    emulator.close()


def test_a_real_login_opens_a_session_and_a_refused_one_none(
    emulator: PrivXEmulator, api: httpx.Client, browser: httpx.Client, idp: FakeOIDCProvider
) -> None:
    """Issue 21: each successful login through the IdP opens a PrivX session (choice 20)."""
    directory = add_directory(api, oidc_tags_attribute_name="cognito:groups", oidc_allow_login_tag="privx")
    login(browser, idp, directory, {"sub": "s-1", "email": "eve@example.com", "cognito:groups": ["ops"]})
    assert emulator.sessions == {}
    r = login(browser, idp, directory, {"sub": "s-1", "email": "eve@example.com", "cognito:groups": ["privx"]})
    assert r.status_code == 200
    user_id = emulator.logins[-1]["user_id"]
    listed = api.get(f"/auth/api/v1/sessionstorage/users/{user_id}/sessions").json()
    assert listed["count"] == 1
    assert (listed["items"][0]["source_id"], listed["items"][0]["logged_out"]) == (directory, False)
