"""Refresh-token rotation and PrivX (issue 23), in each plausible PrivX: whether PrivX keeps the new refresh token a
rotating Cognito client returns is not documented, so the emulator runs both ways (``rotated_refresh_token``:
``kept`` / ``ignored``). What the tool can and cannot find out:

- ``doctor`` checks the pair AWS requires (rotation on without ``ALLOW_REFRESH_TOKEN_AUTH``, or off with it), the
  same pair ``setup`` converges to, so its hint never loops.
- Which way PrivX goes is not observable through PrivX's API (its session records show no IdP token, and nothing
  starts PrivX's IdP refresh: privx-sdk-go ``api/auth`` ``Session``), so ``doctor`` (also with ``--login``) says
  "could not verify" in both variants, and with the "ignored" reading users are logged out after the grace period,
  which the emulator shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import EmulatorVariant, PrivXEmulator
from tests.standins.test_emulator_refresh import Deployment

pytestmark = pytest.mark.usefixtures("aws")

ROTATION = "refresh_token_rotation = true\nrefresh_token_grace_period_seconds = 0\n"


def _with(config: Path, extra: str) -> Path:
    text = config.read_text()
    if "refresh_token_rotation" in text:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("refresh_token_")) + "\n"
    config.write_text(text.replace("[privx]", f"{extra}\n[privx]", 1))
    return config


def _checks(cli: Any, config: Path, *args: str) -> dict[str, dict[str, Any]]:
    run = cli("--config", str(config), "-o", "json", "doctor", *args)
    return {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _client(aws: Any) -> tuple[str, dict[str, Any]]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    cid = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    return pool, aws.describe_user_pool_client(UserPoolId=pool, ClientId=cid)["UserPoolClient"]


@pytest.fixture(params=["kept", "ignored"])
def emulator_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"variant": EmulatorVariant(rotated_refresh_token=request.param)}


def test_doctor_checks_the_pair_and_says_it_could_not_verify_privx(
    cli: Any, config_file: Path, world: PrivXEmulator
) -> None:
    config = _with(config_file, ROTATION)
    assert cli("--config", str(config), "setup").exit_code == 0
    checks = _checks(cli, config, "--login")
    check = checks["client-refresh-token"]
    assert check["status"] == "warn", check
    assert "could not verify that PrivX keeps the new refresh token" in check["message"]
    assert "refresh_token_rotation = false" in check["hint"]
    assert checks["login:dev"]["status"] == "ok" or checks.get("login:ops", {}).get("status") == "ok", checks
    assert not [c for c in checks.values() if c["status"] == "fail"], checks


def test_a_rotated_token_privx_ignores_ends_the_session_after_the_grace_period(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Seams
) -> None:
    d = Deployment(cli, _with(config_file, ROTATION), aws, world, seams)
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    assert d.refresh_tokens_seen, "a rotating client must still give PrivX a refresh token"

    first = world.refresh_sessions()
    assert first["refreshed"] == 1  # the login's token, rotated out now (grace period 0)
    second = world.refresh_sessions()
    if world.variant.rotated_refresh_token == "kept":
        assert second["refreshed"] == 1 and len(world.valid_sessions()) == 1
    else:
        assert second["ended"] == 1 and "invalid_grant" in second["sessions"][0]["error"]
        assert world.valid_sessions() == []


def test_doctors_hint_and_setup_agree_both_ways(cli: Any, config_file: Path, aws: Any, world: PrivXEmulator) -> None:
    plain = config_file
    assert cli("--config", str(plain), "setup").exit_code == 0
    assert _checks(cli, plain)["client-refresh-token"]["status"] == "ok"
    # Rotation turned on in the console behind the config's back: doctor fails, setup turns it off, doctor passes.
    pool, client = _client(aws)
    keep = ("ClientName", "CallbackURLs", "AllowedOAuthFlows", "AllowedOAuthScopes", "SupportedIdentityProviders")
    aws.update_user_pool_client(
        UserPoolId=pool,
        ClientId=client["ClientId"],
        **{k: client[k] for k in keep},
        AllowedOAuthFlowsUserPoolClient=True,
        ReadAttributes=client["ReadAttributes"],
        WriteAttributes=client["WriteAttributes"],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 5},
    )
    check = _checks(cli, plain)["client-refresh-token"]
    assert check["status"] == "fail" and "setup" in check["hint"], check
    assert cli("--config", str(plain), "setup").exit_code == 0
    assert _checks(cli, plain)["client-refresh-token"]["status"] == "ok"
    # The config turns rotation on: doctor fails until setup, then only warns (PrivX unverifiable).
    rotating = _with(Path(str(plain)), "refresh_token_rotation = true\n")
    check = _checks(cli, rotating)["client-refresh-token"]
    assert check["status"] == "fail" and "setup" in check["hint"], check
    assert cli("--config", str(rotating), "setup").exit_code == 0
    assert _checks(cli, rotating)["client-refresh-token"]["status"] == "warn"
    assert "ALLOW_REFRESH_TOKEN_AUTH" not in _client(aws)[1]["ExplicitAuthFlows"]
