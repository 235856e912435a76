"""doctor: every check passes after setup, each broken thing fails exactly its check, and the token probe.

How discovery and JWKS are served here: in-process moto (the ``aws`` fixture) patches botocore and ``requests``
but not httpx, so the in-process tests hand the CLI (``seams.http_transport``) an ``httpx.MockTransport`` that
passes each fetch to ``requests``, which moto answers just as its server would (the AWS issuer, a JWKS with its one
"dummy" key). The probe tests need no such bridge: they run against moto's real server
(``sandbox.runner.MotoServer`` + ``AWS_ENDPOINT_URL``), so doctor fetches discovery and JWKS over HTTP from
``<endpoint>/<pool-id>/.well-known/...`` exactly as it would for a user pointing it at the sandbox.
"""

from __future__ import annotations

import base64
import json
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from cognito_privx.config import DEFAULT_LOGIN_URL_TEMPLATE, AppConfig
from cognito_privx.desired import DesiredState
from cognito_privx.doctor import ProbeError, Status, idtoken, verify_id_token
from cognito_privx.doctor.checks import CHECKS
from cognito_privx.doctor.facts import Facts
from cognito_privx.errors import CognitoError, PrivXConnectionError
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.sandbox.runner import MotoServer
from tests.support.constants import API_CLIENT_SECRET, BASE_CONFIG, OAUTH_CLIENT_SECRET, PRIVX_URL, REGION
from tests.support.oidc import cognito_discovery

HOSTED_UI = f"https://acme-privx.auth.{REGION}.amazoncognito.com"
ALL_CHECKS = [
    "aws-credentials",
    "cognito-pool",
    "cognito-attribute",
    "cognito-mfa",
    "app-client",
    "client-secret",
    "client-oauth-flow",
    "client-scopes",
    "client-callback",
    "client-read-attributes",
    "client-refresh-token",
    "attribute-writers",
    "self-sign-up",
    "cognito-domain",
    "oidc-discovery",
    "privx-status",
    "privx-api",
    "privx-directory",
    "directory-enabled",
    "directory-issuer",
    "directory-client-id",
    "directory-tags-attribute",
    "directory-scopes",
    "role:dev",
    "role:ops",
    "role-rule-form",
    "direct-login-url",
]


@pytest.fixture
def hosted_ui(emulator: PrivXEmulator) -> PrivXEmulator:
    """The emulator's direct-login route redirects to our pool's hosted UI, as PrivX would after discovery."""
    emulator.oidc_http = httpx.Client(transport=cognito_discovery(HOSTED_UI))
    return emulator


def _doctor(cli: Any, config: Path, *args: str) -> tuple[int, dict[str, Any]]:
    run = cli("--config", str(config), "-o", "json", "doctor", *args)
    document = json.loads(run.stdout)
    return run.exit_code, document


def _failing(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in document["checks"] if c["status"] == "fail"}


def _pool_id(aws: Any) -> str:
    return str(aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"])


def _client_id(aws: Any) -> str:
    return str(aws.list_user_pool_clients(UserPoolId=_pool_id(aws), MaxResults=60)["UserPoolClients"][0]["ClientId"])


def _directory(emu: PrivXEmulator) -> dict[str, Any]:
    return next(s for s in emu.sources.values() if s["name"] == "Cognito")


def _role(emu: PrivXEmulator, name: str) -> dict[str, Any]:
    return next(r for r in emu.roles.values() if r["name"] == name)


# -- after setup everything passes ------------------------------------------------------------------------


@pytest.mark.usefixtures("aws", "discovery_in_process")
def test_doctor_passes_after_setup_text_and_json(
    cli: Any, config_file: Path, aws: Any, hosted_ui: PrivXEmulator, gateway_calls: list[str]
) -> None:
    # MFA required: with MFA off, cognito-mfa warns (tests/cognito/test_mfa.py).
    config_file.write_text(config_file.read_text().replace("[privx]", 'mfa = "required"\n\n[privx]', 1))
    assert cli("--config", str(config_file), "setup").exit_code == 0
    # A user of the directory, as a first login leaves one: the rule form can be checked against it.
    _directory(hosted_ui)  # exists
    hosted_ui.login_user(_directory(hosted_ui)["id"], {"sub": "u-1", "email": "ann@example.com", "custom:group": "ops"})
    writes = len(hosted_ui.write_requests())
    gateway_calls.clear()
    operations = gateway_calls

    run = cli("--config", str(config_file), "doctor")
    assert run.exit_code == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith(("✓", "✗", "!", "-"))]
    assert len(lines) == len(ALL_CHECKS), run.stdout
    assert "(tags=ops) matches ann@example.com (tag 'ops')" in run.stdout
    assert all(line.startswith("✓ ") for line in lines), run.stdout
    assert [line.split()[1] for line in lines] == ALL_CHECKS
    assert "PrivX 44.0.0 answers" in run.stdout
    assert "all checks passed: 27 ok, 0 failed" in run.stderr

    code, document = _doctor(cli, config_file)
    assert code == 0 and document["ok"] is True
    assert [c["name"] for c in document["checks"]] == ALL_CHECKS
    for check in document["checks"]:
        assert set(check) == {"name", "status", "message", "hint"}
        assert check["status"] == "ok" and check["hint"] is None

    # Read-only: no write on either side, and no secret in the output.
    assert len(hosted_ui.write_requests()) == writes
    assert not [op for op in operations if not op.startswith(("describe_", "list_", "get_"))]
    secret = aws.describe_user_pool_client(UserPoolId=_pool_id(aws), ClientId=_client_id(aws))["UserPoolClient"][
        "ClientSecret"
    ]
    for text in (run.stdout, run.stderr, json.dumps(document)):
        for value in (secret, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET):
            assert value not in text


# -- break one thing at a time ----------------------------------------------------------------------------


def _update_client(**fields: Any) -> Callable[[Any, PrivXEmulator], None]:
    # moto merges a partial update (docs/cognito.md#where-moto-differs-from-aws), which is exactly what breaking
    # one field needs.
    def breaker(aws: Any, emu: PrivXEmulator) -> None:
        aws.update_user_pool_client(UserPoolId=_pool_id(aws), ClientId=_client_id(aws), **fields)

    return breaker


def _set_connection(key: str, value: Any) -> Callable[[Any, PrivXEmulator], None]:
    def breaker(aws: Any, emu: PrivXEmulator) -> None:
        _directory(emu)["connection"][key] = value

    return breaker


def _disable_directory(aws: Any, emu: PrivXEmulator) -> None:
    _directory(emu)["enabled"] = False


def _remove_rule(aws: Any, emu: PrivXEmulator) -> None:
    _role(emu, "ops-admins")["source_rules"]["rules"] = []


def _delete_role(aws: Any, emu: PrivXEmulator) -> None:
    del emu.roles[_role(emu, "developers")["id"]]


BREAKS = [
    pytest.param(
        _update_client(CallbackURLs=[f"{PRIVX_URL}/auth/api/v1/oidc-callback"]),
        {"client-callback": "redirect_mismatch"},
        id="wrong-callback",
    ),
    pytest.param(
        _update_client(AllowedOAuthScopes=["openid", "profile"]),
        {"client-scopes": "email (asked by the config)"},
        id="missing-scope",
    ),
    pytest.param(
        _update_client(ReadAttributes=["email", "email_verified", "name"]),
        {"client-read-attributes": "cannot read custom:group"},
        id="attribute-not-readable",
    ),
    pytest.param(
        _update_client(ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]),
        {"client-refresh-token": "refresh tokens are not allowed"},
        id="no-refresh-token-flow",
    ),
    pytest.param(_disable_directory, {"directory-enabled": "disabled in PrivX"}, id="directory-disabled"),
    pytest.param(
        _set_connection("oidc_issuer", HOSTED_UI),
        {"directory-issuer": "hosted-UI domain, which is not the issuer"},
        id="issuer-is-hosted-ui-domain",
    ),
    pytest.param(
        _set_connection("oidc_tags_attribute_name", "custom:team"),
        {"directory-tags-attribute": "takes tags from 'custom:team'"},
        id="tags-attribute-wrong",
    ),
    pytest.param(
        _set_connection("oidc_additional_scopes", ["email", "profile", "phone"]),
        # The client lacks what the directory asks (invalid_scope at login) and the directory differs from
        # the config: both are true, and one setup fixes both.
        {"client-scopes": "phone (asked by the PrivX directory)", "directory-scopes": "phone"},
        id="directory-asks-scope-client-lacks",
    ),
    pytest.param(_remove_rule, {"role:ops": "has no rule for tag 'ops'"}, id="role-rule-removed"),
    pytest.param(_delete_role, {"role:dev": "no role 'developers'"}, id="role-deleted"),
]


@pytest.mark.usefixtures("discovery_in_process")
@pytest.mark.parametrize(("breaker", "expected"), BREAKS)
def test_each_broken_thing_fails_exactly_its_check_until_setup(
    cli: Any,
    config_file: Path,
    aws: Any,
    hosted_ui: PrivXEmulator,
    breaker: Callable[[Any, PrivXEmulator], None],
    expected: dict[str, str],
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    breaker(aws, hosted_ui)

    code, document = _doctor(cli, config_file)
    failing = _failing(document)
    assert code == 1 and document["ok"] is False
    assert set(failing) == set(expected), failing
    for name, text in expected.items():
        assert text in failing[name]["message"], failing[name]
        assert "cognito-privx setup" in failing[name]["hint"]

    assert cli("--config", str(config_file), "setup").exit_code == 0
    code, document = _doctor(cli, config_file)
    assert code == 0, _failing(document)


@pytest.mark.usefixtures("discovery_in_process")
def test_missing_pool_fails_with_setup_hint_and_skips_what_depends_on_it(
    cli: Any, config_file: Path, aws: Any, hosted_ui: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool_id = _pool_id(aws)
    aws.delete_user_pool_domain(Domain="acme-privx", UserPoolId=pool_id)
    aws.delete_user_pool(UserPoolId=pool_id)

    code, document = _doctor(cli, config_file)
    checks = {c["name"]: c for c in document["checks"]}
    assert code == 1
    assert checks["aws-credentials"]["status"] == "ok"
    assert checks["cognito-pool"]["status"] == "fail"
    assert "no user pool named 'privx-users'" in checks["cognito-pool"]["message"]
    # The directory still names the deleted pool: plain setup would refuse to re-point it, so the hint says --adopt.
    assert "run `cognito-privx setup --adopt`" in checks["cognito-pool"]["hint"]
    assert pool_id in checks["cognito-pool"]["hint"]
    for name in ("app-client", "client-scopes", "cognito-domain", "oidc-discovery", "direct-login-url"):
        assert checks[name]["status"] == "skip", checks[name]
        assert checks[name]["message"].startswith("skipped: ")
    assert checks["privx-directory"]["status"] == "ok"  # PrivX is still checked

    refused = cli("--config", str(config_file), "setup")
    assert refused.exit_code == 1 and f"its pool {pool_id} does not exist" in refused.stderr
    assert cli("--config", str(config_file), "setup", "--adopt").exit_code == 0
    assert _doctor(cli, config_file)[0] == 0


@pytest.mark.usefixtures("aws", "discovery_in_process")
def test_wrong_privx_credentials_fail_with_the_401_hint(
    cli: Any, config_file: Path, hosted_ui: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", "not-the-secret")

    code, document = _doctor(cli, config_file)
    checks = {c["name"]: c for c in document["checks"]}
    assert code == 1
    assert set(_failing(document)) == {"privx-api"}
    assert "PrivX refused the login" in checks["privx-api"]["message"]
    assert "PRIVX_API_CLIENT_ID / PRIVX_API_CLIENT_SECRET" in checks["privx-api"]["hint"]
    assert checks["privx-status"]["status"] == "ok"
    assert checks["cognito-pool"]["status"] == "ok"
    assert {checks[n]["status"] for n in ("privx-directory", "directory-issuer", "role:ops")} == {"skip"}

    text = cli("--config", str(config_file), "doctor")
    assert "✗ privx-api" in text.stdout and "hint: check PRIVX_API_CLIENT_ID" in text.stdout
    assert "some checks failed" in text.stderr


@pytest.mark.usefixtures("aws", "discovery_in_process")
def test_a_wrong_login_url_template_fails_with_the_template_that_works(
    cli: Any, tmp_path: Path, hosted_ui: PrivXEmulator
) -> None:
    config = tmp_path / "template.toml"
    config.write_text(
        BASE_CONFIG.replace(
            'button_title = "Cognito"',
            'button_title = "Cognito"\nlogin_url_template = "{base_url}/privx/login?directory={directory_id}"',
        )
    )
    assert cli("--config", str(config), "setup").exit_code == 0
    code, document = _doctor(cli, config)
    checks = {c["name"]: c for c in document["checks"]}
    assert code == 1
    check = checks["direct-login-url"]
    assert check["status"] == "fail" and "HTTP 404, not a redirect" in check["message"]
    assert check["hint"] == f'set [privx] login_url_template = "{DEFAULT_LOGIN_URL_TEMPLATE}"'
    # login-url --verify says the same, and exits 1.
    verify = cli("--config", str(config), "login-url", "--verify")
    assert verify.exit_code == 1 and DEFAULT_LOGIN_URL_TEMPLATE in verify.stderr
    assert "✓ " in verify.stderr and "✗ " in verify.stderr


@pytest.mark.usefixtures("aws", "discovery_in_process")
def test_redirect_to_the_wrong_client_fails(cli: Any, config_file: Path, hosted_ui: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    _directory(hosted_ui)["connection"]["oidc_client_id"] = "someone-elses-client"
    code, document = _doctor(cli, config_file)
    failing = _failing(document)
    assert code == 1 and set(failing) == {"directory-client-id", "direct-login-url"}
    assert "client_id is 'someone-elses-client'" in failing["direct-login-url"]["message"]


@pytest.mark.usefixtures("aws", "discovery_in_process")
def test_managed_login_branding_is_checked(cli: Any, tmp_path: Path, aws: Any, hosted_ui: PrivXEmulator) -> None:
    """Setup creates the style (moto's stand-in layer, sandbox/moto_fixes.py); doctor fails without it."""
    config = tmp_path / "managed.toml"
    config.write_text(
        BASE_CONFIG.replace('domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx"\nhosted_ui = "managed"')
    )
    assert cli("--config", str(config), "setup").exit_code == 0
    code, document = _doctor(cli, config)
    check = next(c for c in document["checks"] if c["name"] == "managed-login-branding")
    assert check["status"] == "ok", check
    style = aws.describe_managed_login_branding_by_client(UserPoolId=_pool_id(aws), ClientId=_client_id(aws))
    aws.delete_managed_login_branding(
        UserPoolId=_pool_id(aws), ManagedLoginBrandingId=style["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    )
    code, document = _doctor(cli, config)
    check = next(c for c in document["checks"] if c["name"] == "managed-login-branding")
    assert code == 1 and check["status"] == "fail" and "cognito-privx setup" in check["hint"]


# -- the checks alone: facts in, checks out, no call made ------------------------------------------------


def test_checks_over_facts_with_neither_side_reachable() -> None:
    desired = DesiredState.from_config(AppConfig.model_validate(tomllib.loads(BASE_CONFIG)))
    unreachable = PrivXConnectionError("cannot reach PrivX", "check [privx] url")
    facts = Facts(
        aws=CognitoError("no AWS credentials", "set AWS_PROFILE"), privx_status=unreachable, directory=unreachable
    )

    checks = {c.name: c for c in CHECKS.run(facts, desired)}
    assert list(checks) == ALL_CHECKS
    assert {n for n, c in checks.items() if c.status is Status.FAIL} == {"aws-credentials", "privx-status"}
    assert (checks["aws-credentials"].message, checks["aws-credentials"].hint) == (
        "no AWS credentials",
        "set AWS_PROFILE",
    )
    assert checks["privx-status"].hint == "check [privx] url"
    assert checks["cognito-pool"].message == "skipped: Cognito is not usable (see aws-credentials)"
    assert checks["privx-api"].message == "skipped: PrivX cannot be reached (see privx-status)"
    assert checks["role:ops"].message == "skipped: the PrivX API is not usable (see privx-api)"
    assert checks["directory-issuer"].status is Status.SKIP


# -- ID-token verification --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def signer() -> tuple[Callable[[dict[str, Any]], str], dict[str, Any]]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwks = {
        "keys": [
            {
                "kty": "RSA",
                "kid": "k1",
                "alg": "RS256",
                "e": _b64(numbers.e.to_bytes(3, "big")),
                "n": _b64(numbers.n.to_bytes(256, "big")),
            }
        ]
    }

    def sign(claims: dict[str, Any]) -> str:
        head = _b64(json.dumps({"alg": "RS256", "kid": "k1"}).encode()) + "." + _b64(json.dumps(claims).encode())
        return head + "." + _b64(key.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256()))

    return sign, jwks


def test_verify_id_token(signer: tuple[Callable[[dict[str, Any]], str], dict[str, Any]]) -> None:
    sign, jwks = signer
    good = {
        "iss": "https://issuer",
        "aud": "client",
        "exp": time.time() + 60,
        "token_use": "id",
        "custom:group": "ops",
    }
    assert verify_id_token(sign(good), jwks, issuer="https://issuer", audience="client")["custom:group"] == "ops"

    token = sign(good)
    head, _payload, sig = token.split(".")
    forged = head + "." + _b64(json.dumps({**good, "custom:group": "admins"}).encode()) + "." + sig
    bad_cases = [
        (forged, "signature does not verify"),
        (sign({**good, "iss": "https://other"}), "iss is"),
        (sign({**good, "aud": "other"}), "aud is"),
        (sign({**good, "exp": time.time() - 1}), "expired"),
        (sign({k: v for k, v in good.items() if k != "exp"}), "carries no exp"),
        (sign({**good, "token_use": "access"}), "token_use is 'access', not 'id'"),
        ("not-a-jwt", "not a well-formed JWT"),
    ]
    for bad, message in bad_cases:
        with pytest.raises(ProbeError, match=message):
            verify_id_token(bad, jwks, issuer="https://issuer", audience="client")
    with pytest.raises(ProbeError, match="no RSA key with the token's kid"):
        verify_id_token(token, {"keys": []}, issuer="https://issuer", audience="client")


# -- the token probe, against moto's server ---------------------------------------------------------------


def _leftovers(server: MotoServer) -> tuple[list[str], list[str]]:
    aws = boto3.client("cognito-idp", region_name=REGION, endpoint_url=server.url)
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    users = [u["Username"] for u in aws.list_users(UserPoolId=pool)["Users"]]
    clients = [c["ClientName"] for c in aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]]
    return users, clients


@pytest.mark.parametrize("group_claim", ["custom", "cognito:groups"])
def test_probe_passes_against_moto_server_and_leaves_nothing_behind(
    cli: Any, tmp_path: Path, moto_server: MotoServer, hosted_ui: PrivXEmulator, group_claim: str
) -> None:
    config = tmp_path / "probe.toml"
    config.write_text(
        BASE_CONFIG.replace(
            'domain_prefix = "acme-privx"', f'domain_prefix = "acme-privx"\ngroup_claim = "{group_claim}"'
        )
    )
    assert cli("--config", str(config), "setup").exit_code == 0

    code, document = _doctor(cli, config, "--probe")
    checks = {c["name"]: c for c in document["checks"]}
    assert code == 0, _failing(document)
    # The probe signs into Cognito only; without a PrivX user the rule form cannot be verified yet.
    # MFA is off in this config: cognito-mfa warns (tests/cognito/test_mfa.py).
    assert {c["status"] for c in document["checks"] if c["name"] not in ("role-rule-form", "cognito-mfa")} == {"ok"}
    assert (
        checks["role-rule-form"]["status"] == "warn" and "no user in PrivX yet" in checks["role-rule-form"]["message"]
    )
    assert f"from the endpoint override {moto_server.url}" in checks["oidc-discovery"]["message"]
    claim = "custom:group" if group_claim == "custom" else "cognito:groups"
    assert f"{claim} = dev" in checks["token-probe"]["message"]
    assert _leftovers(moto_server) == ([], ["privx"])


def test_probe_cleans_up_when_the_token_check_fails(
    cli: Any, config_file: Path, moto_server: MotoServer, hosted_ui: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ProbeError("the ID token's custom:group is None, not 'dev'", "run `cognito-privx setup`")

    monkeypatch.setattr(idtoken, "verify_id_token", broken)
    code, document = _doctor(cli, config_file, "--probe")
    assert code == 1
    failing = _failing(document)
    assert set(failing) == {"token-probe"}
    assert "token probe: the ID token's custom:group is None" in failing["token-probe"]["message"]
    assert _leftovers(moto_server) == ([], ["privx"])

    # An unexpected error (a bug, an interrupt) still cleans up on its way out.
    def crash(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(idtoken, "verify_id_token", crash)
    crashed = cli("--config", str(config_file), "doctor", "--probe")
    assert crashed.exit_code == 1 and "error: unexpected RuntimeError: boom" in crashed.stderr  # the CLI boundary
    assert _leftovers(moto_server) == ([], ["privx"])
