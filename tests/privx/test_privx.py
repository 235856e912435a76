"""The PrivX client and the directory ensure step, against the PrivX emulator: assertions on emulator state,
the returned Change and the user-facing error text, not on lists of calls."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx.config import AppConfig, PrivXCredentials, load_config, load_credentials
from cognito_privx.desired import DesiredState
from cognito_privx.errors import (
    AmbiguousResourceError,
    CognitoPrivxError,
    CredentialsError,
    PrivXAPIError,
    PrivXAuthError,
    PrivXConnectionError,
    PrivXError,
    PrivXNotFoundError,
    PrivXPermissionError,
)
from cognito_privx.plan import SENSITIVE, Action
from cognito_privx.privx import (
    SOURCES_PATH,
    TOKEN_PATH,
    DirectorySpec,
    PrivXClient,
    build_http_client,
    ensure_directory,
    login_url,
)
from cognito_privx.retry import RetryPolicy
from cognito_privx.sandbox.emulator import MASK, PrivXEmulator
from tests.support.clock import FakeClock
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, BASE_CONFIG, OAUTH_CLIENT_SECRET, PRIVX_URL
from tests.support.emulator import MakeEmulator

BEARER_TOKEN = "bearer-Wv5yT2-do-not-print"
COGNITO_SECRET = "cognitosecret-Hj6gF1-do-not-print"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
APP_CLIENT_ID = "3n4b5c6d7e8f9g0h1i2j3k4l5m"
ALL_SECRETS = (API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, BEARER_TOKEN, COGNITO_SECRET)

CREDS_ENV = {
    "PRIVX_API_CLIENT_ID": API_CLIENT_ID,
    "PRIVX_API_CLIENT_SECRET": API_CLIENT_SECRET,
    "PRIVX_API_OAUTH_CLIENT_SECRET": OAUTH_CLIENT_SECRET,
}


# The documented direct-login URL (config.DEFAULT_LOGIN_URL_TEMPLATE), spelled out.
AUTHORIZE = (
    "/auth/api/v1/oauth/authorize?response_type=code&client_id=privx-ui&redirect_uri=%2Fprivx%2Foauth-callback&oidc_id="
)


@pytest.fixture
def emulator_settings(clock: FakeClock) -> dict[str, Any]:
    """The emulator keeps the test's clock, as the client does (``privx``)."""
    return {"clock": clock}


def creds(**overrides: str) -> PrivXCredentials:
    c = load_credentials({**CREDS_ENV, **overrides})
    c.check()
    return c


def client_for(
    handler: Callable[[httpx.Request], httpx.Response],
    credentials: PrivXCredentials | None = None,
    clock: Callable[[], float] | None = None,
) -> PrivXClient:
    http = build_http_client(PRIVX_URL, transport=httpx.MockTransport(handler))
    # Retries keep their logic, not their waiting.
    fast = RetryPolicy(attempts=4, base=0.001)
    return PrivXClient(http, credentials or creds(), clock=clock or FakeClock(), retry=fast)


@pytest.fixture
def privx(emulator: PrivXEmulator, clock: FakeClock) -> PrivXClient:
    return client_for(emulator.handle, clock=clock)


@pytest.fixture
def cfg(tmp_path: Path) -> AppConfig:
    path = tmp_path / "cognito-privx.toml"
    path.write_text(BASE_CONFIG)
    return load_config(path, env={})


@pytest.fixture
def spec(cfg: AppConfig) -> DirectorySpec:
    return DirectorySpec.from_template(
        DesiredState.from_config(cfg).directory, issuer=ISSUER, client_id=APP_CLIENT_ID, client_secret=COGNITO_SECRET
    )


def grants(emulator: PrivXEmulator) -> int:
    return sum(1 for r in emulator.requests if r.path == TOKEN_PATH)


def assert_no_secret(err: BaseException) -> None:
    texts = [str(err), repr(err)]
    if isinstance(err, CognitoPrivxError):
        texts += [err.message, err.hint or ""]
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text, f"secret leaked into {type(err).__name__}: {text}"


def a_bearer_token(emulator: PrivXEmulator) -> str:
    """A real access token from the emulator, as an operator would paste into PRIVX_API_BEARER_TOKEN."""
    with httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=PRIVX_URL) as http:
        response = http.post(
            TOKEN_PATH,
            auth=("privx-external", OAUTH_CLIENT_SECRET),
            data={"grant_type": "password", "username": API_CLIENT_ID, "password": API_CLIENT_SECRET},
        )
    token: str = response.json()["access_token"]
    return token


# -- authentication ------------------------------------------------------------------------------------------


def test_login_works(privx: PrivXClient, emulator: PrivXEmulator) -> None:
    privx.login()
    assert grants(emulator) == 1
    assert [r.status for r in emulator.requests] == [200]


def test_token_is_reused_across_calls(privx: PrivXClient, emulator: PrivXEmulator) -> None:
    for _ in range(5):
        assert {s["name"] for s in privx.list_sources()} >= {"Local users", "Local hosts", "API clients"}
    assert grants(emulator) == 1


def test_new_grant_only_after_expiry_minus_margin(
    privx: PrivXClient, emulator: PrivXEmulator, clock: FakeClock
) -> None:
    privx.list_sources()
    clock.advance(289)  # expires_in 300, margin 10: still fresh
    privx.list_sources()
    assert grants(emulator) == 1
    clock.advance(1)  # now at expiry minus margin: log in again before the server would refuse
    privx.list_sources()
    assert grants(emulator) == 2
    assert all(r.status == 200 for r in emulator.requests)  # never sent an expired token


def test_token_revoked_early_by_the_server_means_one_relogin(make_emulator: MakeEmulator) -> None:
    client_clock, server_clock = FakeClock(), FakeClock()
    server = make_emulator(clock=server_clock, token_ttl=300.0)
    privx = client_for(server.handle, clock=client_clock)
    privx.login()
    server_clock.advance(600)  # the server expires the token; our clock says it is still fresh
    names = {s["name"] for s in privx.list_sources()}
    assert "Local users" in names
    assert grants(server) == 2
    assert [r.status for r in server.requests] == [200, 401, 200, 200]


def test_tokens_dropped_by_a_server_restart_mean_one_relogin(privx: PrivXClient, emulator: PrivXEmulator) -> None:
    privx.login()
    emulator.reset()  # drops every token (and the request log)
    assert privx.list_sources()
    assert grants(emulator) == 1
    assert [r.status for r in emulator.requests] == [401, 200, 200]


def test_persistent_401_is_an_auth_error_with_credentials_hint(clock: FakeClock, make_emulator: MakeEmulator) -> None:
    # token_ttl=0: every token the server issues is already expired when used.
    server = make_emulator(clock=clock, token_ttl=0)
    privx = client_for(server.handle, clock=clock)
    with pytest.raises(PrivXAuthError) as info:
        privx.list_sources()
    err = info.value
    assert err.status == 401 and err.exit_code == 1
    assert "GET /role-store/api/v1/sources" in err.message
    assert "API client" in (err.hint or "") and "OAuth client" in (err.hint or "")
    assert grants(server) == 2  # one retry, not a loop
    assert_no_secret(err)


@pytest.mark.parametrize(
    "overrides",
    [
        {"PRIVX_API_OAUTH_CLIENT_SECRET": "wrong-oauth-secret"},
        {"PRIVX_API_OAUTH_CLIENT_ID": "not-privx-external"},
        {"PRIVX_API_CLIENT_SECRET": "wrong-api-secret"},
        {"PRIVX_API_CLIENT_ID": "00000000-0000-4000-8000-000000000000"},
    ],
    ids=["bad-oauth-secret", "bad-oauth-client", "bad-api-secret", "unknown-api-client"],
)
def test_refused_login_is_an_auth_error(emulator: PrivXEmulator, clock: FakeClock, overrides: dict[str, str]) -> None:
    privx = client_for(emulator.handle, creds(**overrides), clock=clock)
    with pytest.raises(PrivXAuthError) as info:
        privx.login()
    err = info.value
    assert err.status == 401
    assert "refused the login" in err.message
    assert "PRIVX_API_OAUTH_CLIENT_SECRET" in (err.hint or "") and "PRIVX_API_CLIENT_SECRET" in (err.hint or "")
    assert "\n" not in err.message
    assert emulator.write_requests() == []
    assert_no_secret(err)
    for value in overrides.values():
        if "secret" in value:
            assert value not in str(err) and value not in (err.hint or "")


def test_403_is_a_permission_error_naming_the_needed_permissions(clock: FakeClock) -> None:
    server = PrivXEmulator(base_url=PRIVX_URL, oauth_client_secret=OAUTH_CLIENT_SECRET, clock=clock)
    server.add_api_client(API_CLIENT_ID, API_CLIENT_SECRET, permissions={"sources-view", "roles-view"})
    privx = client_for(server.handle, clock=clock)
    assert privx.list_sources()  # viewing is allowed
    with pytest.raises(PrivXPermissionError) as info:
        privx.create_source({"name": "x", "connection": {"type": "OIDC"}})
    err = info.value
    assert err.status == 403
    assert "POST /role-store/api/v1/sources" in err.message
    assert "sources-manage" in (err.hint or "") and "roles-manage" in (err.hint or "")
    assert [s["name"] for s in server.sources.values() if s["name"] == "x"] == []
    assert_no_secret(err)


def test_404_is_a_not_found_error(privx: PrivXClient) -> None:
    with pytest.raises(PrivXNotFoundError) as info:
        privx.get_source("no-such-id")
    assert info.value.status == 404
    assert "no-such-id" in info.value.message and info.value.hint


def test_non_json_502_is_an_api_error(emulator: PrivXEmulator, clock: FakeClock) -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return emulator.handle(request)
        return httpx.Response(502, text="<html><body>502 Bad Gateway</body></html>")

    with pytest.raises(PrivXAPIError) as info:
        client_for(gateway, clock=clock).list_sources()
    err = info.value
    assert err.status == 502
    assert "HTTP 502 (no JSON body)" in err.message and "<html>" not in err.message
    assert "\n" not in err.message and err.hint


def test_privx_error_code_and_property_are_shown(privx: PrivXClient, emulator: PrivXEmulator) -> None:
    with pytest.raises(PrivXAPIError) as info:
        privx.create_source({"name": "x", "connection": {"type": "OIDC", "oidc_enabled": True}})
    err = info.value
    assert err.status == 400
    assert "MISSING_PARAMETER" in err.message and "connection.oidc_issuer" in err.message


def test_non_json_success_body_is_an_api_error(emulator: PrivXEmulator, clock: FakeClock) -> None:
    def login_page(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return emulator.handle(request)
        return httpx.Response(200, text="<html>Please log in</html>")

    with pytest.raises(PrivXAPIError) as info:
        client_for(login_page, clock=clock).list_sources()
    assert "not JSON" in info.value.message and "[privx] url" in (info.value.hint or "")


def test_non_json_token_response_is_a_privx_error(clock: FakeClock) -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>corporate proxy login</html>")

    with pytest.raises(PrivXError):
        client_for(proxy, clock=clock).login()


def test_server_error_on_the_token_endpoint_is_not_blamed_on_credentials(clock: FakeClock) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="Service Unavailable")

    with pytest.raises(PrivXError) as info:
        client_for(down, clock=clock).login()
    assert not isinstance(info.value, PrivXAuthError)


def test_connect_error_is_a_connection_error_with_url_hint(clock: FakeClock) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(PrivXConnectionError) as info:
        client_for(refused, clock=clock).list_sources()
    err = info.value
    assert PRIVX_URL in err.message and "Connection refused" in err.message
    assert "PRIVX_API_BASE_URL" in (err.hint or "") and "[privx] url" in (err.hint or "")
    assert_no_secret(err)


def test_timeout_is_a_connection_error(clock: FakeClock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(PrivXConnectionError) as info:
        client_for(slow, clock=clock).login()
    assert "did not answer in time" in info.value.message and "timeout" in (info.value.hint or "")


def test_tls_verify_error_hints_at_privx_ca_cert(clock: FakeClock) -> None:
    def untrusted(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate "
            "chain (_ssl.c:1006)",
            request=request,
        )

    with pytest.raises(PrivXConnectionError) as info:
        client_for(untrusted, clock=clock).status()
    err = info.value
    assert "TLS verification" in err.message and PRIVX_URL in err.message
    assert "PRIVX_CA_CERT" in (err.hint or "")


def test_bearer_token_mode_makes_no_token_grant(emulator: PrivXEmulator, clock: FakeClock) -> None:
    token = a_bearer_token(emulator)
    emulator.requests.clear()
    privx = client_for(emulator.handle, load_credentials({"PRIVX_API_BEARER_TOKEN": token}), clock=clock)
    privx.login()
    privx.list_sources()
    privx.list_sources()
    assert grants(emulator) == 0
    assert [r.status for r in emulator.requests] == [200, 200]


def test_refused_bearer_token_is_an_auth_error_without_relogin(emulator: PrivXEmulator, clock: FakeClock) -> None:
    privx = client_for(emulator.handle, load_credentials({"PRIVX_API_BEARER_TOKEN": BEARER_TOKEN}), clock=clock)
    with pytest.raises(PrivXAuthError) as info:
        privx.list_sources()
    assert grants(emulator) == 0
    assert [r.status for r in emulator.requests] == [401]
    assert_no_secret(info.value)


def test_empty_bearer_variable_does_not_disable_the_relogin(emulator: PrivXEmulator, clock: FakeClock) -> None:
    privx = client_for(emulator.handle, creds(PRIVX_API_BEARER_TOKEN=""), clock=clock)
    privx.login()
    emulator.reset()  # the server forgets every token
    assert privx.list_sources()


def test_invalid_ca_certificate_is_a_credentials_error() -> None:
    broken = "-----BEGIN CERTIFICATE-----\nMIIBnotbase64\n-----END CERTIFICATE-----\n"
    with pytest.raises(CredentialsError) as info:
        build_http_client(PRIVX_URL, ca_pem=broken)
    assert info.value.exit_code == 2 and "PRIVX_CA_CERT" in info.value.message and info.value.hint


def test_invalid_ca_certificate_message_has_a_reason() -> None:
    broken = "-----BEGIN CERTIFICATE-----\nMIIBnotbase64\n-----END CERTIFICATE-----\n"
    with pytest.raises(CredentialsError) as info:
        build_http_client(PRIVX_URL, ca_pem=broken)
    assert not info.value.message.endswith("None")


def test_non_ascii_ca_text_is_a_credentials_error() -> None:
    pasted = "-----BEGIN CERTIFICATE-----\nMIIB\u2026\n-----END CERTIFICATE-----\n"
    pem = load_credentials({"PRIVX_CA_CERT": pasted}).ca_pem()
    with pytest.raises(CredentialsError):
        build_http_client(PRIVX_URL, ca_pem=pem)


def test_status_is_unauthenticated_and_returns_the_version(emulator: PrivXEmulator, clock: FakeClock) -> None:
    privx = client_for(emulator.handle, creds(PRIVX_API_CLIENT_SECRET="wrong-api-secret"), clock=clock)
    status = privx.status()
    assert status["version"] == "44.0.0"
    assert grants(emulator) == 0


def test_status_of_something_that_is_not_privx(clock: FakeClock) -> None:
    def web_server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>It works!</html>")

    with pytest.raises(PrivXAPIError) as info:
        client_for(web_server, clock=clock).status()
    assert "does not look like PrivX" in info.value.message


def test_no_secret_appears_in_any_error(emulator: PrivXEmulator, clock: FakeClock, make_emulator: MakeEmulator) -> None:
    """Every failure path the client has, collected; none may carry a secret in its text or hint."""

    def echoing_connect_error(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection reset", request=request)

    def tls(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    expired = make_emulator(clock=clock, token_ttl=0)
    weak = PrivXEmulator(base_url=PRIVX_URL, oauth_client_secret=OAUTH_CLIENT_SECRET, clock=clock)
    weak.add_api_client(API_CLIENT_ID, API_CLIENT_SECRET, permissions=())

    attempts: list[Callable[[], object]] = [
        lambda: client_for(emulator.handle, creds(PRIVX_API_OAUTH_CLIENT_SECRET="x" + OAUTH_CLIENT_SECRET)).login(),
        lambda: client_for(emulator.handle, creds(PRIVX_API_CLIENT_SECRET="x" + API_CLIENT_SECRET)).login(),
        lambda: client_for(emulator.handle, load_credentials({"PRIVX_API_BEARER_TOKEN": BEARER_TOKEN})).list_sources(),
        lambda: client_for(expired.handle, clock=clock).list_sources(),
        lambda: client_for(weak.handle, clock=clock).list_sources(),
        lambda: client_for(emulator.handle, clock=clock).get_source("nope"),
        lambda: client_for(echoing_connect_error).login(),
        lambda: client_for(tls).login(),
        lambda: client_for(gateway).login(),
        lambda: client_for(gateway, load_credentials({"PRIVX_API_BEARER_TOKEN": BEARER_TOKEN})).list_sources(),
    ]
    raised = 0
    for attempt in attempts:
        with pytest.raises(PrivXError) as info:
            attempt()
        assert_no_secret(info.value)
        raised += 1
    assert raised == len(attempts)


# -- ensure_directory -----------------------------------------------------------------------------------------


def our_directory(emulator: PrivXEmulator, name: str = "Cognito") -> dict[str, Any]:
    (directory,) = [s for s in emulator.sources.values() if s.get("name") == name]
    return directory


def test_ensure_creates_the_directory(privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec) -> None:
    state = ensure_directory(privx, spec, dry_run=False)

    assert state.change.action is Action.CREATE
    assert state.change.resource == "privx directory" and state.change.name == "Cognito"
    fields = {f.field: f.after for f in state.change.fields}
    assert fields["connection.oidc_client_secret"] == SENSITIVE
    assert fields["connection.oidc_issuer"] == ISSUER
    assert COGNITO_SECRET not in repr(state.change.to_json())

    stored = our_directory(emulator)
    assert state.directory_id == stored["id"]
    conn = stored["connection"]
    assert conn["type"] == "OIDC" and conn["oidc_enabled"] is True
    assert conn["oidc_client_secret"] == COGNITO_SECRET  # the real secret, not the mask
    assert conn["oidc_issuer"] == ISSUER
    assert conn["oidc_client_id"] == APP_CLIENT_ID
    assert conn["oidc_tags_attribute_name"] == "custom:group"
    assert conn["oidc_additional_scopes"] == ["email", "profile"]
    assert conn["oidc_button_title"] == "Cognito"
    assert stored["enabled"] is True
    # What the client returns is PrivX's read-back: masked.
    assert state.directory is not None and state.directory["connection"]["oidc_client_secret"] == MASK


def test_created_directory_says_it_is_managed(privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec) -> None:
    ensure_directory(privx, spec, dry_run=False)
    assert "cognito-privx" in our_directory(emulator).get("comment", "")


def test_ensure_twice_second_is_noop_without_writes(
    privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec
) -> None:
    first = ensure_directory(privx, spec, dry_run=False)
    before = copy.deepcopy(emulator.sources)
    writes = len(emulator.write_requests())

    second = ensure_directory(privx, spec, dry_run=False)

    assert second.change.action is Action.NOOP and not second.change.changed
    assert second.change.fields == ()
    assert second.directory_id == first.directory_id
    assert len(emulator.write_requests()) == writes
    assert emulator.sources == before


def test_ensure_repairs_drift_and_keeps_foreign_fields(
    privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec
) -> None:
    ensure_directory(privx, spec, dry_run=False)
    stored = our_directory(emulator)
    # By hand in PrivX: the button renamed, a login-tag restriction added, a comment written.
    stored["connection"]["oidc_button_title"] = "Sign in, maybe"
    stored["connection"]["oidc_allow_login_tag"] = "privx-users"
    # (Our marker kept: a directory without it is not ours, tests/properties/test_ownership.py.)
    stored["comment"] = "owned by the identity team (managed by cognito-privx)"
    writes = len(emulator.write_requests())

    state = ensure_directory(privx, spec, dry_run=False)

    assert state.change.action is Action.UPDATE
    changed = {f.field: (f.before, f.after) for f in state.change.fields}
    assert changed == {
        "connection.oidc_button_title": ("Sign in, maybe", "Cognito"),
        "connection.oidc_client_secret": (SENSITIVE, SENSITIVE),
    }
    assert any("secret" in note and "re-sent" in note for note in state.change.notes)
    assert not any("did not keep" in note for note in state.change.notes)
    assert [(r.method, r.status) for r in emulator.write_requests()[writes:]] == [("PUT", 200)]

    after = our_directory(emulator)
    assert after["id"] == stored["id"]
    assert after["connection"]["oidc_button_title"] == "Cognito"
    assert after["connection"]["oidc_client_secret"] == COGNITO_SECRET  # not the "*****" it read back
    assert after["connection"]["oidc_allow_login_tag"] == "privx-users"
    # Kept, with our marker (teardown and the ownership check rely on it).
    assert after["comment"] == "owned by the identity team (managed by cognito-privx)"

    assert ensure_directory(privx, spec, dry_run=False).change.action is Action.NOOP


def test_ensure_rotated_secret_is_not_visible_but_sent_with_any_update(
    privx: PrivXClient, emulator: PrivXEmulator, cfg: AppConfig, spec: DirectorySpec
) -> None:
    ensure_directory(privx, spec, dry_run=False)
    rotated = DirectorySpec.from_template(
        DesiredState.from_config(cfg).directory, issuer=ISSUER, client_id=APP_CLIENT_ID, client_secret="rotated-secret"
    )
    # The secret cannot be read back, so a changed secret alone is invisible (NOOP) ...
    assert ensure_directory(privx, rotated, dry_run=False).change.action is Action.NOOP
    # ... and it reaches PrivX with the next update of any managed field.
    our_directory(emulator)["enabled"] = False
    state = ensure_directory(privx, rotated, dry_run=False)
    assert {f.field for f in state.change.fields} == {"enabled", "connection.oidc_client_secret"}
    after = our_directory(emulator)
    assert after["enabled"] is True and after["connection"]["oidc_client_secret"] == "rotated-secret"


@pytest.mark.parametrize("drift", ["create", "update"])
def test_dry_run_writes_nothing(privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec, drift: str) -> None:
    if drift == "update":
        ensure_directory(privx, spec, dry_run=False)
        our_directory(emulator)["connection"]["oidc_button_title"] = "Old title"
    before = copy.deepcopy(emulator.sources)
    writes = len(emulator.write_requests())

    state = ensure_directory(privx, spec, dry_run=True)

    expected = Action.CREATE if drift == "create" else Action.UPDATE
    assert state.change.action is expected
    assert "connection.oidc_button_title" in {f.field for f in state.change.fields}
    assert len(emulator.write_requests()) == writes
    assert emulator.sources == before
    if drift == "create":
        assert state.directory is None and state.directory_id is None


def test_two_directories_with_the_name_is_ambiguous(
    privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec
) -> None:
    ensure_directory(privx, spec, dry_run=False)
    first = our_directory(emulator)
    # The emulator refuses duplicate names through the API; an older PrivX or a restore may still hold two.
    # Made long ago: a real duplicate, not the trace of a concurrent run (those are minutes apart at most).
    twin = copy.deepcopy(first) | {"id": "0f0f0f0f-0000-4000-8000-00000000beef", "created": "2020-01-01T00:00:00.000Z"}
    emulator.sources[twin["id"]] = twin
    writes = len(emulator.write_requests())

    with pytest.raises(AmbiguousResourceError) as info:
        ensure_directory(privx, spec, dry_run=False)
    err = info.value
    assert first["id"] in err.message and twin["id"] in err.message
    assert "Cognito" in err.message and err.hint
    assert len(emulator.write_requests()) == writes


def test_other_directories_are_left_alone(privx: PrivXClient, emulator: PrivXEmulator, spec: DirectorySpec) -> None:
    builtins = copy.deepcopy(emulator.sources)
    ensure_directory(privx, spec, dry_run=False)
    assert {k: v for k, v in emulator.sources.items() if k in builtins} == builtins


def test_login_url_from_template(privx: PrivXClient, cfg: AppConfig, spec: DirectorySpec) -> None:
    state = ensure_directory(privx, spec, dry_run=False)
    expected = f"{PRIVX_URL}{AUTHORIZE}{state.directory_id}"
    assert login_url(DesiredState.from_config(cfg), state.directory) == expected
    assert login_url(DesiredState.from_config(cfg), None) is None


def test_login_url_from_custom_template(tmp_path: Path, privx: PrivXClient, spec: DirectorySpec) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(
        BASE_CONFIG.replace("[roles]", "login_url_template = '{base_url}/privx/?dir={directory_id}'\n[roles]")
    )
    cfg = load_config(path, env={})
    state = ensure_directory(privx, spec, dry_run=False)
    assert login_url(DesiredState.from_config(cfg), state.directory) == f"{PRIVX_URL}/privx/?dir={state.directory_id}"


def test_sources_path_is_the_role_store(privx: PrivXClient, emulator: PrivXEmulator) -> None:
    privx.list_sources()
    assert emulator.requests[-1].path == SOURCES_PATH
