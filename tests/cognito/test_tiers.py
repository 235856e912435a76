"""Feature plans (``UserPoolTier``): what an unset ``tier`` means, and the settings a plan gates refused before any
change.

AWS (botocore's model): ``CreateUserPool``'s ``UserPoolTier`` "Defaults to ESSENTIALS"; ``ManagedLoginVersion`` 2
"requires ... any feature plan other than Lite" (the domain calls list ``FeatureUnavailableInTierException``);
``EmailMfaConfigType``: "Essentials tier or higher". The stand-in refuses the same (``moto_fixes/tiers.py``).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cognito
from tests.support.constants import BASE_CONFIG

WORLD = pytest.mark.usefixtures("aws", "emulator", "discovery_in_process")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _config(path: Path, extra: str) -> Path:
    path.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', f'domain_prefix = "acme-privx"\n{extra}'))
    return path


def _writes(calls: list[str]) -> list[str]:
    """The calls that change something, less the run lock's own tags (taken and given back: reconcile/lock.py)."""
    return [c for c in calls if not c.startswith(("list_", "describe_", "get_", "tag_", "untag_"))]


def test_an_unset_tier_creates_with_the_models_default() -> None:
    assert cognito.default_tier() == "ESSENTIALS"  # read from botocore's model, not written here


@WORLD
def test_managed_login_without_a_tier_builds_a_working_deployment(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", 'hosted_ui = "managed"\n')
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 0, run.stderr
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.describe_user_pool(UserPoolId=pool)["UserPool"]["UserPoolTier"] == "ESSENTIALS"


def test_managed_login_on_lite_is_refused_before_any_call(cli: Any, tmp_path: Path, gateway_calls: list[str]) -> None:
    config = _config(tmp_path / "c.toml", 'hosted_ui = "managed"\ntier = "LITE"\n')
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2
    assert "managed login needs the ESSENTIALS or PLUS tier" in run.stderr
    assert "hint:" in run.stderr
    assert gateway_calls == []


@WORLD
def test_managed_login_on_an_existing_lite_pool_is_refused_before_any_write(
    cli: Any, tmp_path: Path, aws: Any, gateway_calls: list[str]
) -> None:
    config = _config(tmp_path / "c.toml", 'tier = "LITE"\n')
    assert cli("--config", str(config), "setup").exit_code == 0
    _config(config, 'hosted_ui = "managed"\n')  # tier unset: the pool keeps LITE
    gateway_calls.clear()
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2, run.stderr
    assert "managed login needs the ESSENTIALS or PLUS tier" in run.stderr and "LITE" in run.stderr
    assert 'tier = "ESSENTIALS"' in run.stderr
    assert _writes(gateway_calls) == []


@WORLD
def test_adopting_a_paid_pool_without_a_tier_keeps_its_tier(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", 'tier = "PLUS"\n')
    assert cli("--config", str(config), "setup").exit_code == 0
    _config(config, "")
    run = cli("--config", str(config), "-o", "json", "plan")
    assert run.exit_code == 0, run.stderr
    fields = [f["field"] for c in json.loads(run.stdout)["changes"] for f in c.get("fields", [])]
    assert "UserPoolTier" not in fields
    assert cli("--config", str(config), "setup").exit_code == 0
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.describe_user_pool(UserPoolId=pool)["UserPool"]["UserPoolTier"] == "PLUS"


@WORLD
def test_email_mfa_on_an_existing_lite_pool_is_refused_before_any_write(
    cli: Any, tmp_path: Path, gateway_calls: list[str]
) -> None:
    config = _config(tmp_path / "c.toml", 'tier = "LITE"\n')
    assert cli("--config", str(config), "setup").exit_code == 0
    _config(config, 'mfa = "required"\nmfa_methods = ["totp", "email"]\n')
    gateway_calls.clear()
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2, run.stderr
    assert "email MFA needs the ESSENTIALS or PLUS tier" in run.stderr
    assert _writes(gateway_calls) == []


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_the_examples_do_not_pin_a_tier(example: Path) -> None:
    assert "tier" not in tomllib.loads(example.read_text()).get("cognito", {})


def test_the_starter_file_does_not_pin_a_tier() -> None:
    from cognito_privx.config.starter import starter_toml

    text = starter_toml(privx_url="https://privx.example.com", region="eu-west-1")
    assert "tier" not in tomllib.loads(text)["cognito"]


@pytest.mark.usefixtures("aws")
def test_the_stand_in_refuses_managed_login_and_branding_on_lite(aws: Any) -> None:
    lite = aws.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    client = aws.create_user_pool_client(UserPoolId=lite, ClientName="c")["UserPoolClient"]["ClientId"]
    for call in (
        lambda: aws.create_user_pool_domain(UserPoolId=lite, Domain="lite-x", ManagedLoginVersion=2),
        lambda: aws.create_managed_login_branding(UserPoolId=lite, ClientId=client, UseCognitoProvidedValues=True),
    ):
        with pytest.raises(aws.exceptions.FeatureUnavailableInTierException):
            call()
    aws.create_user_pool_domain(UserPoolId=lite, Domain="lite-x", ManagedLoginVersion=1)  # classic is fine
    essentials = aws.create_user_pool(PoolName="default")["UserPool"]
    assert aws.describe_user_pool(UserPoolId=essentials["Id"])["UserPool"]["UserPoolTier"] == "ESSENTIALS"
