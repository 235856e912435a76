"""``doctor --login``: the rehearsed sign-in through Cognito's hosted UI (the stand-in over moto's state) into the
PrivX emulator acting as relying party, all in-process. Each misconfiguration people meet in the field fails the
rehearsal the way it fails in production, is named by ``doctor --login``, and ``setup`` (or the named command)
repairs it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.desired import rehearsal_email
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG, REGION


def _login(cli: Any, config: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor", "--login", *args)
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _pool_and_client(aws: Any) -> tuple[str, str]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    return pool, client


def _set_client(aws: Any, **fields: Any) -> None:
    pool, client = _pool_and_client(aws)
    current = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]
    keep = {
        k: current[k]
        for k in (
            "ClientName",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "CallbackURLs",
            "SupportedIdentityProviders",
            "ReadAttributes",
            "ExplicitAuthFlows",
            "AllowedOAuthFlowsUserPoolClient",
        )
        if k in current
    }
    aws.update_user_pool_client(UserPoolId=pool, ClientId=client, **{**keep, **fields})


def _directory(emu: PrivXEmulator) -> dict[str, Any]:
    return next(s for s in emu.sources.values() if s["name"] == "Cognito")


def test_the_rehearsed_login_gives_exactly_the_groups_roles(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    code, checks = _login(cli, config_file, "--all-groups")
    assert code == 0, {n: c for n, c in checks.items() if c["status"] != "ok"}
    assert "PrivX gives: ops-admins (the roles of group ops)" in checks["login:ops"]["message"]
    assert "PrivX gives: developers (the roles of group dev)" in checks["login:dev"]["message"]
    # The rehearsal's user is what the rule form is calibrated against.
    assert checks["role-rule-form"]["status"] == "ok"
    # PrivX's own record of the sign-ins; the rehearsal identities stay in Cognito, disabled.
    assert [(x["error"], x["roles"]) for x in world.logins] == [(None, ["developers"]), (None, ["ops-admins"])]
    pool, _ = _pool_and_client(aws)
    users = aws.list_users(UserPoolId=pool)["Users"]
    assert {_email(u) for u in users} == {rehearsal_email("dev"), rehearsal_email("ops")}
    assert all(u["Enabled"] is False for u in users)


def _email(user: dict[str, Any]) -> str:
    return next(a["Value"] for a in user["Attributes"] if a["Name"] == "email")


def _secret_values(world: PrivXEmulator, aws: Any) -> list[str]:
    """What must never be printed: the app client's secret and the claims that are one-time or token-derived."""
    pool, client = _pool_and_client(aws)
    values = [aws.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]["ClientSecret"]]
    for user in world.users.values():
        values += [a["value"] for a in user.get("attributes") or [] if a["key"] in ("nonce", "at_hash", "jti")]
    return [v for v in values if v]


def test_the_rehearsal_reuses_one_identity_per_group_left_disabled_with_no_live_session(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    for _ in range(2):
        code, checks = _login(cli, config_file, "--all-groups")
        assert code == 0, {n: c for n, c in checks.items() if c["status"] != "ok"}
    message = checks["login:ops"]["message"]
    assert f"rehearsal identity {rehearsal_email('ops')} (kept disabled between rehearsals)" in message
    assert "its PrivX session ended" in message
    # One PrivX record and one Cognito user per group, the Cognito users disabled, no live PrivX session.
    source = _directory(world)["id"]
    records = sorted(str(u.get("email")) for u in world.users.values() if u["source"] == source)
    assert records == sorted([rehearsal_email("dev"), rehearsal_email("ops")])
    assert world.valid_sessions() == []
    pool, _ = _pool_and_client(aws)
    users = aws.list_users(UserPoolId=pool)["Users"]
    assert sorted(_email(u) for u in users) == records
    assert all(u["Enabled"] is False for u in users)


def test_the_rehearsal_shows_what_privx_received_and_did_with_it_and_no_secret(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    run = cli("--config", str(config_file), "-o", "json", "doctor", "--login")
    assert run.exit_code == 0, run.stdout
    check = next(c for c in json.loads(run.stdout)["checks"] if c["name"] == "login:dev")
    got = check["received"]
    assert got["claims"]["email"] == rehearsal_email("dev") and got["claims"]["custom:group"] == "dev"
    assert got["claims"]["token_use"] == "id" and "sub" in got["claims"] and "iss" in got["claims"]
    assert "nonce" not in got["claims"] and "at_hash" not in got["claims"]
    assert "nonce" in got["withheld"]
    # Claims that are not strings in the token come back with their JSON types (PrivX keeps them as JSON text).
    assert isinstance(got["claims"]["auth_time"], int) and not isinstance(got["claims"]["auth_time"], bool)
    assert isinstance(got["claims"]["iat"], int)
    assert got["claims"]["email_verified"] in (True, False)
    assert (got["tags_claim"], got["tags"]) == ("custom:group", ["dev"])
    assert got["rule"] == {"search_string": "(tags=dev)", "roles": ["developers"], "matched": True}
    assert got["roles"] == ["developers"]

    text = cli("--config", str(config_file), "doctor", "--login")
    assert text.exit_code == 0, text.stdout
    assert "claims PrivX received:" in text.stdout and f"email = {rehearsal_email('dev')}" in text.stdout
    assert "tags: claim custom:group became dev" in text.stdout
    assert "our rule (tags=dev) (role developers): matched" in text.stdout
    assert "roles: developers" in text.stdout
    secrets = _secret_values(world, aws)
    assert len(secrets) >= 2  # the client secret and at least the nonce
    for output in (run.stdout + run.stderr, text.stdout + text.stderr):
        assert not re.search(r"eyJ[\w-]+\.[\w-]+\.", output)  # no JWT
        for secret in secrets:
            assert secret not in output


# Each row: how the field breaks it, the words doctor --login must use, the command that repairs it.
BREAKS: list[Any] = [
    pytest.param(
        lambda aws, emu: _set_client(aws, ReadAttributes=["email", "email_verified", "name"]),
        "PrivX got no group from the ID token",
        ("setup",),
        id="custom-attribute-not-readable",
    ),
    pytest.param(
        lambda aws, emu: _set_client(aws, CallbackURLs=["https://PRIVX.example.com/auth/api/v1/oidc-cb"]),
        "redirect_mismatch",
        ("setup",),
        id="callback-differs-in-case",
    ),
    pytest.param(
        lambda aws, emu: _set_client(aws, CallbackURLs=["https://privx.example.com:8443/auth/api/v1/oidc-cb"]),
        "redirect_mismatch",
        ("setup",),
        id="callback-differs-in-port",
    ),
    pytest.param(
        lambda aws, emu: _set_client(aws, AllowedOAuthScopes=["openid", "email"]),
        "invalid_scope",
        ("setup",),
        id="scope-not-allowed",
    ),
    pytest.param(
        lambda aws, emu: _directory(emu)["connection"].update(oidc_client_secret="not-the-secret"),
        "invalid_client",
        ("setup", "--resend-secret"),
        id="wrong-secret-in-privx",
    ),
    pytest.param(
        lambda aws, emu: _directory(emu)["connection"].update(
            oidc_issuer=_directory(emu)["connection"]["oidc_issuer"] + "/"
        ),
        "refused the directory's issuer",
        ("setup",),
        id="issuer-with-trailing-slash",
    ),
    pytest.param(
        lambda aws, emu: _directory(emu)["connection"].update(
            oidc_issuer=f"https://acme-privx.auth.{REGION}.amazoncognito.com"
        ),
        "refused the directory's issuer",
        ("setup",),
        id="hosted-ui-domain-as-issuer",
    ),
]


@pytest.mark.parametrize(("breaker", "named", "repair"), BREAKS)
def test_each_field_misconfiguration_fails_the_rehearsal_named_and_repaired(
    cli: Any,
    config_file: Path,
    aws: Any,
    world: PrivXEmulator,
    breaker: Callable[[Any, PrivXEmulator], None],
    named: str,
    repair: tuple[str, ...],
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    breaker(aws, world)

    code, checks = _login(cli, config_file)
    login = checks["login:dev"]
    assert code == 1 and login["status"] == "fail", login
    assert named in login["message"], login
    assert login["hint"] and f"cognito-privx {' '.join(repair)}" in login["hint"], login

    fixed = cli("--config", str(config_file), *repair)
    assert fixed.exit_code == 0, fixed.stderr
    code, checks = _login(cli, config_file)
    assert checks["login:dev"]["status"] == "ok", checks["login:dev"]
    assert code == 0, {n: c for n, c in checks.items() if c["status"] not in ("ok",)}


def test_a_rule_form_privx_does_not_understand_is_named_by_the_rehearsal(
    cli: Any, tmp_path: Path, aws: Any, world: PrivXEmulator
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        BASE_CONFIG.replace('button_title = "Cognito"', 'button_title = "Cognito"\nrule_template = "(tag={group})"')
    )
    assert cli("--config", str(config), "setup").exit_code == 0
    code, checks = _login(cli, config)
    assert code == 1
    assert "does not give developers" in checks["login:dev"]["message"]
    assert checks["role-rule-form"]["hint"].startswith('set [privx] rule_template = "(tags={group})"')
