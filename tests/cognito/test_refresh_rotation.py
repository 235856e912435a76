"""``[cognito] refresh_token_rotation`` (issue 23): setup and plan set ``RefreshTokenRotation`` and the auth flows AWS
requires with it ("You can't authenticate with REFRESH_TOKEN_AUTH in app clients with refresh token rotation
enabled", developer guide amazon-cognito-user-pools-using-the-refresh-token): ``ALLOW_REFRESH_TOKEN_AUTH`` off with
rotation on, on without. An adopted client's other flows are kept; plan shows the flow removed; turning rotation off
converges back; a second run changes nothing; bad values exit 2 before any call. Runs on moto made as strict as AWS
(``sandbox/moto_fixes/refresh_rotation.py``: rotation together with the refresh flow is refused)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.desired import ClientSpec
from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws", "emulator")

REFRESH = "ALLOW_REFRESH_TOKEN_AUTH"


def _config(path: Path, extra: str = "") -> Path:
    path.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', f'domain_prefix = "acme-privx"\n{extra}'))
    return path


def _changes(cli: Any, config: Path, command: str) -> dict[str, dict[str, Any]]:
    run = cli("--config", str(config), "-o", "json", command)
    assert run.exit_code == 0, run.stderr
    return {c["resource"]: c for c in json.loads(run.stdout)["changes"]}


def _client(aws: Any) -> dict[str, Any]:
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client_id = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    client: dict[str, Any] = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return client


def test_rotation_on_a_new_client_turns_the_refresh_flow_off_and_warns(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", "refresh_token_rotation = true\nrefresh_token_grace_period_seconds = 10\n")
    plan = cli("--config", str(config), "plan")
    assert plan.exit_code == 0, plan.stderr
    assert "RefreshTokenRotation" in plan.stdout + plan.stderr
    assert "could not verify that PrivX keeps the new refresh token" in plan.stdout + plan.stderr

    run = cli("--config", str(config), "setup")
    assert run.exit_code == 0, run.stderr
    assert "could not verify that PrivX keeps the new refresh token" in run.stderr
    assert "10-second grace period" in run.stderr
    client = _client(aws)
    assert client["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}
    assert REFRESH not in client["ExplicitAuthFlows"] and client["ExplicitAuthFlows"]
    again = _changes(cli, config, "setup")
    assert again["cognito app client"]["action"] == "noop"
    assert {c["action"] for c in again.values()} == {"noop"}


def test_rotation_on_an_existing_client_removes_only_the_refresh_flow_and_plan_shows_it(
    cli: Any, tmp_path: Path, aws: Any
) -> None:
    plain = _config(tmp_path / "plain.toml")
    assert cli("--config", str(plain), "setup").exit_code == 0
    client = _client(aws)
    # Someone else's app also signs in through this client by password: that flow stays.
    aws.update_user_pool_client(
        **{k: client[k] for k in ("UserPoolId", "ClientId", "ClientName", "CallbackURLs", "AllowedOAuthFlows")},
        AllowedOAuthScopes=client["AllowedOAuthScopes"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        ReadAttributes=client["ReadAttributes"],
        WriteAttributes=client["WriteAttributes"],
        PreventUserExistenceErrors="ENABLED",
        ExplicitAuthFlows=[REFRESH, "ALLOW_USER_PASSWORD_AUTH"],
    )
    rotating = _config(tmp_path / "rotating.toml", "refresh_token_rotation = true\n")

    planned = _changes(cli, rotating, "plan")["cognito app client"]
    fields = {f["field"]: f for f in planned["fields"]}
    assert planned["action"] == "update"
    assert fields["ExplicitAuthFlows"]["before"] == [REFRESH, "ALLOW_USER_PASSWORD_AUTH"]
    assert fields["ExplicitAuthFlows"]["after"] == ["ALLOW_USER_PASSWORD_AUTH"]
    assert fields["RefreshTokenRotation"]["after"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}
    assert any("could not verify" in n for n in planned["notes"])
    assert REFRESH in _client(aws)["ExplicitAuthFlows"]  # plan changed nothing

    assert _changes(cli, rotating, "setup")["cognito app client"]["action"] == "update"
    client = _client(aws)
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH"]
    assert client["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}
    assert _changes(cli, rotating, "setup")["cognito app client"]["action"] == "noop"

    # Rotation off again: converges back (refresh flow on, rotation DISABLED), the other app's flow still kept.
    back = _changes(cli, plain, "setup")["cognito app client"]
    assert back["action"] == "update"
    client = _client(aws)
    assert sorted(client["ExplicitAuthFlows"]) == sorted([REFRESH, "ALLOW_USER_PASSWORD_AUTH"])
    assert client.get("RefreshTokenRotation", {"Feature": "DISABLED"})["Feature"] == "DISABLED"
    assert _changes(cli, plain, "setup")["cognito app client"]["action"] == "noop"


def test_rotation_off_leaves_a_client_without_the_field_alone(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml")
    assert cli("--config", str(config), "setup").exit_code == 0
    assert "RefreshTokenRotation" not in _client(aws)
    assert _changes(cli, config, "plan")["cognito app client"]["action"] == "noop"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("refresh_token_rotation = true\nrefresh_token_grace_period_seconds = 61\n", "refresh_token_grace_period"),
        ("refresh_token_rotation = true\nrefresh_token_grace_period_seconds = -1\n", "refresh_token_grace_period"),
        ("refresh_token_grace_period_seconds = 30\n", "refresh_token_rotation"),
        ('refresh_token_rotation = "maybe"\n', "refresh_token_rotation"),
    ],
    ids=["over-60", "negative", "grace-without-rotation", "not-a-bool"],
)
def test_bad_rotation_settings_exit_2_before_any_call(
    cli: Any, tmp_path: Path, aws: Any, extra: str, named: str
) -> None:
    run = cli("--config", str(_config(tmp_path / "c.toml", extra)), "setup")
    assert run.exit_code == 2, run.stderr
    assert named in run.stderr and "hint:" in run.stderr
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (None, ["ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]),  # unset: AWS's default set, less refresh
        ([REFRESH], ["ALLOW_USER_SRP_AUTH"]),  # nothing left: never an empty list
        ([REFRESH, "ALLOW_USER_PASSWORD_AUTH"], ["ALLOW_USER_PASSWORD_AUTH"]),
    ],
)
def test_the_flows_a_rotating_client_keeps(current: list[str] | None, wanted: list[str]) -> None:
    spec = ClientSpec("privx", "https://p/cb", (), "custom:group", refresh_token_rotation=True)
    assert spec.auth_flows(current) == wanted
    # Rotation off: refresh; unset on an existing client is made explicit as AWS's default set (nothing dropped).
    off = ClientSpec("privx", "https://p/cb", (), "custom:group").auth_flows(current)
    assert off == ([REFRESH] if current else ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"])
