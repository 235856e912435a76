"""MFA converges in every direction (off → optional → required → off, optional → off, back again).

What AWS accepts in ``SetUserPoolMfaConfig`` (botocore's model names the members, not the rules; the rules are
from answers AWS gave, quoted in public reports):

- ``MfaConfiguration=OFF`` with any factor block (``SoftwareTokenMfaConfiguration``, ``SmsMfaConfiguration``,
  ``EmailMfaConfiguration``) is ``InvalidParameterException`` "Invalid MFA configuration given, can't turn off MFA
  and configure an MFA together." (go-to-k/cdkd#1923, four calls against a real pool;
  lgallard/terraform-aws-cognito-user-pool#74). ``OFF`` with ``WebAuthnConfiguration`` is accepted (passkeys are
  not an MFA factor).
- ``ON`` / ``OPTIONAL`` with no factor enabled is ``InvalidParameterException`` "Invalid MFA configuration given,
  can't disable all MFAs with a required or optional configuration." (aws/aws-sdk-js#4186, anomalyco/sst#5177).

The exact parameters per transition are pinned with ``botocore.stub.Stubber`` on a real client (the Stubber also
checks them against botocore's model); the whole cycle runs on moto, made as strict as those answers
(``sandbox/moto_fixes/mfa.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cognito_privx import cognito
from cognito_privx.desired import MfaSpec
from cognito_privx.plan import Action
from tests.support.constants import BASE_CONFIG, REGION

POOL_ID = "eu-west-1_Xk3rT9aQp"
WEBAUTHN = {"RelyingPartyId": "acme-privx.auth.eu-west-1.amazoncognito.com", "UserVerification": "preferred"}
SMS = {"SmsAuthenticationMessage": "{####}", "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::1:role/sns"}}

# GetUserPoolMfaConfig as AWS answers it in each state (the factor blocks stay described after OFF).
OFF = {"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": False}}
OFF_AFTER_TOTP = {"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": True}}
OPTIONAL = {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}}
REQUIRED = {"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}}


@pytest.fixture
def stub() -> Iterator[tuple[cognito.CognitoGateway, Stubber]]:
    boto = boto3.session.Session(region_name=REGION).client("cognito-idp")
    with Stubber(boto) as stubber:
        yield cognito.CognitoGateway(boto), stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("before", "mode", "sent", "after"),
    [
        # off → optional → required: TOTP on, nothing else
        (
            OFF,
            "optional",
            {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
            OPTIONAL,
        ),
        (
            OPTIONAL,
            "required",
            {"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
            REQUIRED,
        ),
        # required → off, optional → off: OFF alone, no factor block (AWS refuses OFF with one)
        (REQUIRED, "off", {"MfaConfiguration": "OFF"}, OFF_AFTER_TOTP),
        (OPTIONAL, "off", {"MfaConfiguration": "OFF"}, OFF_AFTER_TOTP),
        # off again after TOTP was on: the described TOTP block is not "MFA on"
        (
            OFF_AFTER_TOTP,
            "required",
            {"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
            REQUIRED,
        ),
        # SMS someone set is kept while MFA is on, and dropped (AWS allows no other way) when it goes off
        (
            {**REQUIRED, "SmsMfaConfiguration": SMS},
            "optional",
            {
                "MfaConfiguration": "OPTIONAL",
                "SoftwareTokenMfaConfiguration": {"Enabled": True},
                "SmsMfaConfiguration": SMS,
            },
            {**OPTIONAL, "SmsMfaConfiguration": SMS},
        ),
        ({**REQUIRED, "SmsMfaConfiguration": SMS}, "off", {"MfaConfiguration": "OFF"}, OFF_AFTER_TOTP),
        # passkeys are not an MFA factor: kept, also with OFF
        (
            {**REQUIRED, "WebAuthnConfiguration": WEBAUTHN},
            "off",
            {"MfaConfiguration": "OFF", "WebAuthnConfiguration": WEBAUTHN},
            {**OFF_AFTER_TOTP, "WebAuthnConfiguration": WEBAUTHN},
        ),
    ],
)
def test_each_transition_sends_exactly_what_aws_accepts(
    stub: tuple[cognito.CognitoGateway, Stubber],
    before: dict[str, Any],
    mode: str,
    sent: dict[str, Any],
    after: dict[str, Any],
) -> None:
    gw, stubber = stub
    stubber.add_response("set_user_pool_mfa_config", after, {"UserPoolId": POOL_ID, **sent})
    stubber.add_response("get_user_pool_mfa_config", after, {"UserPoolId": POOL_ID})
    change = cognito.ensure_mfa(gw, MfaSpec(mode), "privx-users", POOL_ID, dry_run=False, current=before)
    assert change is not None and change.action is Action.UPDATE
    assert not any("did not stick" in n for n in change.notes)


def test_off_with_the_totp_block_still_described_is_no_change(stub: tuple[cognito.CognitoGateway, Stubber]) -> None:
    gw, _ = stub  # no call queued: a call would fail the Stubber
    change = cognito.ensure_mfa(gw, MfaSpec("off"), "privx-users", POOL_ID, dry_run=False, current=OFF_AFTER_TOTP)
    assert change is not None and change.action is Action.NOOP


# --- the whole cycle on the stand-in ---------------------------------------------------------------------------


def _config(path: Path, mfa: str) -> Path:
    extra = f'tier = "LITE"\nmfa = "{mfa}"\nmfa_methods = ["totp"]\n'
    path.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', f'domain_prefix = "acme-privx"\n{extra}'))
    return path


def _actions(cli: Any, config: Path, command: str) -> dict[str, str]:
    run = cli("--config", str(config), "-o", "json", command)
    assert run.exit_code == 0, run.stderr
    return {c["resource"]: c["action"] for c in json.loads(run.stdout)["changes"]}


@pytest.mark.usefixtures("emulator", "discovery_in_process")
def test_every_direction_converges_on_the_stand_in(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = tmp_path / "c.toml"
    wanted = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}
    for mode in ("off", "optional", "required", "off", "optional", "off", "required", "optional"):
        _config(config, mode)
        assert _actions(cli, config, "setup").get("cognito mfa") in ("update", "noop")
        pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
        assert aws.get_user_pool_mfa_config(UserPoolId=pool)["MfaConfiguration"] == wanted[mode]
        assert set(_actions(cli, config, "setup").values()) == {"noop"}, mode
        run = cli("--config", str(config), "-o", "json", "doctor")
        checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
        assert checks["cognito-mfa"]["status"] in ("ok", "warn"), checks["cognito-mfa"]


# --- the stand-in refuses what AWS refuses ----------------------------------------------------------------------


def _refusal(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    return str(caught.value.response["Error"]["Message"])


def test_the_stand_in_refuses_off_with_a_factor_and_on_without_one(aws: Any) -> None:
    pool = aws.create_user_pool(PoolName="p")["UserPool"]["Id"]
    aws.set_user_pool_mfa_config(
        UserPoolId=pool, MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    message = _refusal(
        lambda: aws.set_user_pool_mfa_config(
            UserPoolId=pool, MfaConfiguration="OFF", SoftwareTokenMfaConfiguration={"Enabled": True}
        )
    )
    assert "can't turn off MFA and configure an MFA together" in message
    _refusal(
        lambda: aws.set_user_pool_mfa_config(
            UserPoolId=pool, MfaConfiguration="OFF", SoftwareTokenMfaConfiguration={"Enabled": False}
        )
    )
    message = _refusal(
        lambda: aws.set_user_pool_mfa_config(
            UserPoolId=pool, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": False}
        )
    )
    assert "can't disable all MFAs" in message
    assert aws.get_user_pool_mfa_config(UserPoolId=pool)["MfaConfiguration"] == "ON"  # nothing changed
    aws.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OFF")
    described = aws.get_user_pool_mfa_config(UserPoolId=pool)
    assert described["MfaConfiguration"] == "OFF"
