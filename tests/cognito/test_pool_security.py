"""Pool security settings as config: ``[cognito.password_policy]``, the app client's token lifetimes and
``PreventUserExistenceErrors``: shown in plan, converged by setup (sent whole, kept what we do not manage), a second
run changes nothing; bad values exit 2 before any call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws", "emulator")

POLICY = """
[cognito.password_policy]
minimum_length = 14
require_symbols = false
temporary_password_validity_days = 3
"""
LIFETIMES = """id_token_validity_minutes = 60
access_token_validity_minutes = 30
refresh_token_validity_days = 7
"""


def _config(path: Path, *, policy: str = "", lifetimes: str = "") -> Path:
    text = BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', f'domain_prefix = "acme-privx"\n{lifetimes}')
    path.write_text(text.replace("[privx]", f"{policy}\n[privx]", 1))
    return path


def _changes(cli: Any, config: Path, command: str) -> dict[str, dict[str, Any]]:
    run = cli("--config", str(config), "-o", "json", command)
    assert run.exit_code == 0, run.stderr
    return {c["resource"]: c for c in json.loads(run.stdout)["changes"]}


def _pool(aws: Any) -> dict[str, Any]:
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    pool: dict[str, Any] = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return pool


def _client(aws: Any) -> dict[str, Any]:
    pool_id = _pool(aws)["Id"]
    client_id = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    client: dict[str, Any] = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return client


def test_password_policy_on_a_new_pool_and_then_changed(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", policy=POLICY)
    assert _changes(cli, config, "setup")
    policy = _pool(aws)["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 14 and policy["RequireSymbols"] is False
    assert policy["TemporaryPasswordValidityDays"] == 3
    assert {c["action"] for c in _changes(cli, config, "setup").values()} == {"noop"}

    _config(config, policy=POLICY.replace("14", "16"))
    planned = _changes(cli, config, "plan")["cognito user pool"]
    assert planned["action"] == "update" and [f["field"] for f in planned["fields"]] == ["Policies"]
    assert _changes(cli, config, "setup")["cognito user pool"]["action"] == "update"
    assert _pool(aws)["Policies"]["PasswordPolicy"]["MinimumLength"] == 16
    assert {c["action"] for c in _changes(cli, config, "setup").values()} == {"noop"}


def test_token_lifetimes_and_user_existence_errors_converge(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml")
    assert _changes(cli, config, "setup")
    assert _client(aws)["PreventUserExistenceErrors"] == "ENABLED"
    _config(config, lifetimes=LIFETIMES)
    planned = _changes(cli, config, "plan")["cognito app client"]
    assert {f["field"] for f in planned["fields"]} == {
        "IdTokenValidity",
        "AccessTokenValidity",
        "RefreshTokenValidity",
        "TokenValidityUnits",
    }
    assert _changes(cli, config, "setup")["cognito app client"]["action"] == "update"
    client = _client(aws)
    assert (client["IdTokenValidity"], client["AccessTokenValidity"], client["RefreshTokenValidity"]) == (60, 30, 7)
    assert client["TokenValidityUnits"] == {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "days"}
    assert {c["action"] for c in _changes(cli, config, "setup").values()} == {"noop"}


@pytest.mark.parametrize(
    ("policy", "lifetimes", "words"),
    [
        ("[cognito.password_policy]\nminimum_length = 4\n", "", "minimum_length"),
        ("[cognito.password_policy]\ntemporary_password_validity_days = 0\n", "", "temporary_password_validity_days"),
        ("[cognito.password_policy]\nmin_length = 12\n", "", "unknown key"),
        ("", "id_token_validity_minutes = 60\n", "all three"),
        ("", LIFETIMES.replace("= 60", "= 2"), "id_token_validity_minutes"),
        ("", LIFETIMES.replace("= 7", "= 0"), "refresh_token_validity_days"),
    ],
)
def test_bad_settings_exit_2_before_any_call(
    cli: Any, tmp_path: Path, gateway_calls: list[str], policy: str, lifetimes: str, words: str
) -> None:
    config = _config(tmp_path / "c.toml", policy=policy, lifetimes=lifetimes)
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2
    assert words in run.stderr
    assert gateway_calls == []


def test_our_policy_is_laid_over_the_pools_and_the_update_carries_all_of_it() -> None:
    from cognito_privx import cognito
    from cognito_privx.config import AppConfig
    from cognito_privx.desired import DesiredState

    cfg = AppConfig.model_validate(
        {
            "cognito": {"region": "eu-west-1", "password_policy": {"minimum_length": 14}},
            "privx": {"url": "https://privx.example.com"},
        }
    )
    spec = DesiredState.from_config(cfg).pool
    current: dict[str, Any] = {
        "Id": "eu-west-1_abc",
        "Policies": {"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 5}, "SignInPolicy": {"x": 1}},
        "DeletionProtection": "ACTIVE",
        "UserPoolTags": {"managed-by": "cognito-privx"},
        "MfaConfiguration": "ON",
    }
    fields = cognito.pool_managed_fields(spec, current)  # type: ignore[arg-type]
    policy = fields["Policies"]
    assert isinstance(policy, dict)
    assert policy["SignInPolicy"] == {"x": 1}
    assert policy["PasswordPolicy"] == {
        "MinimumLength": 14,
        "PasswordHistorySize": 5,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    params = cognito.pool_update_params(current, {"Policies": policy})
    assert params["MfaConfiguration"] == "ON" and params["Policies"] == policy
