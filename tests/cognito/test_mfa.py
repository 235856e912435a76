"""MFA as desired state: ``[cognito] mfa`` / ``mfa_methods`` in plan, converged by setup (a second run changes
nothing), refused before any call where Cognito would refuse, and doctor's warning when MFA is off. On moto
(SetUserPoolMfaConfig / GetUserPoolMfaConfig are implemented there) and the PrivX emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cognito
from cognito_privx.desired import MfaSpec
from cognito_privx.doctor.checks import MFA_OFF
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws", "emulator", "discovery_in_process")


def _config(path: Path, mfa: str | None, methods: str = '["totp"]', tier: str = "LITE") -> Path:
    lines = f'tier = "{tier}"\n'
    if mfa is not None:
        lines += f'mfa = "{mfa}"\nmfa_methods = {methods}\n'
    path.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', f'domain_prefix = "acme-privx"\n{lines}'))
    return path


def _changes(cli: Any, config: Path, command: str) -> list[dict[str, Any]]:
    run = cli("--config", str(config), "-o", "json", command)
    assert run.exit_code == 0, run.stderr
    changes: list[dict[str, Any]] = json.loads(run.stdout)["changes"]
    return changes


def _mfa_change(changes: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((c for c in changes if c["resource"] == "cognito mfa"), None)


def _pool_mfa(aws: Any) -> dict[str, Any]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    response: dict[str, Any] = aws.get_user_pool_mfa_config(UserPoolId=pool)
    return response


def _doctor(cli: Any, config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor")
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def test_mfa_off_optional_required_converges_and_a_second_run_changes_nothing(
    cli: Any, tmp_path: Path, aws: Any
) -> None:
    config = tmp_path / "c.toml"
    for mode, wanted in (("off", "OFF"), ("optional", "OPTIONAL"), ("required", "ON")):
        _config(config, mode)
        planned = _mfa_change(_changes(cli, config, "plan"))
        assert planned is not None
        applied = _mfa_change(_changes(cli, config, "setup"))
        assert applied is not None and applied["action"] == planned["action"]
        assert not any("did not stick" in n for n in applied.get("notes", []))
        live = _pool_mfa(aws)
        assert live["MfaConfiguration"] == wanted
        if mode != "off":
            assert live["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
        # The second run (and a plan) is a no-op everywhere.
        assert {c["action"] for c in _changes(cli, config, "setup")} == {"noop"}
        again = _mfa_change(_changes(cli, config, "plan"))
        assert again is not None and again["action"] == "noop"


def test_plan_shows_the_mfa_fields_before_and_after(cli: Any, tmp_path: Path) -> None:
    config = _config(tmp_path / "c.toml", None)
    assert cli("--config", str(config), "setup").exit_code == 0
    _config(config, "required")
    change = _mfa_change(_changes(cli, config, "plan"))
    assert change is not None and change["action"] == "update"
    fields = {f["field"]: (f["before"], f["after"]) for f in change["fields"]}
    assert fields["MfaConfiguration"] == ("OFF", "ON")
    assert fields["SoftwareTokenMfa"] == (False, True)
    text = cli("--config", str(config), "plan")
    assert "cognito mfa" in text.stdout + text.stderr


def test_mfa_unset_is_not_managed(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", None)
    assert _mfa_change(_changes(cli, config, "setup")) is None
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    aws.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    assert {c["action"] for c in _changes(cli, config, "setup")} == {"noop"}
    assert _pool_mfa(aws)["MfaConfiguration"] == "ON"  # what someone else set is kept


@pytest.mark.parametrize(
    ("mfa", "methods", "tier", "words"),
    [
        ("required", '["email"]', "LITE", "email MFA needs the ESSENTIALS or PLUS tier"),
        ("optional", '["totp", "email"]', "LITE", "email MFA needs the ESSENTIALS or PLUS tier"),
        ("required", '["sms"]', "ESSENTIALS", "SMS MFA needs an SNS role"),
        ("required", "[]", "LITE", "needs at least one of mfa_methods"),
        ("required", '["totp", "totp"]', "LITE", "listed twice"),
        ("sometimes", '["totp"]', "LITE", "mfa"),
    ],
)
def test_bad_mfa_settings_exit_2_before_any_call(
    cli: Any, tmp_path: Path, gateway_calls: list[str], mfa: str, methods: str, tier: str, words: str
) -> None:
    config = _config(tmp_path / "c.toml", mfa, methods, tier)
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2
    assert words in run.stderr
    assert gateway_calls == []


def test_email_mfa_without_ses_sending_is_refused_before_any_write(
    cli: Any, tmp_path: Path, aws: Any, gateway_calls: list[str]
) -> None:
    config = _config(tmp_path / "c.toml", "required", '["totp", "email"]', "ESSENTIALS")
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2, run.stderr
    assert "email MFA needs the pool to send email through Amazon SES" in run.stderr
    assert not [c for c in gateway_calls if not c.startswith(("list_", "describe_", "get_"))]
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []


def test_doctor_warns_when_mfa_is_off_and_passes_when_required(cli: Any, tmp_path: Path) -> None:
    config = _config(tmp_path / "c.toml", None)
    assert cli("--config", str(config), "setup").exit_code == 0
    code, checks = _doctor(cli, config)
    assert code == 0  # a warning, not a failure
    assert checks["cognito-mfa"]["status"] == "warn"
    assert checks["cognito-mfa"]["message"] == MFA_OFF
    assert 'mfa = "required"' in checks["cognito-mfa"]["hint"]

    _config(config, "off")  # saying so does not silence it
    assert cli("--config", str(config), "setup").exit_code == 0
    assert _doctor(cli, config)[1]["cognito-mfa"]["status"] == "warn"

    _config(config, "required")
    assert cli("--config", str(config), "setup").exit_code == 0
    code, checks = _doctor(cli, config)
    assert code == 0
    assert checks["cognito-mfa"] == {**checks["cognito-mfa"], "status": "ok", "message": "MFA required (totp)"}


def test_doctor_fails_when_the_pool_drifts_from_the_configured_mfa(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", "required")
    assert cli("--config", str(config), "setup").exit_code == 0
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    aws.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    code, checks = _doctor(cli, config)
    assert code == 1
    assert checks["cognito-mfa"]["status"] == "fail"
    assert "'OPTIONAL' → 'ON'" in checks["cognito-mfa"]["message"]
    assert cli("--config", str(config), "setup").exit_code == 0
    assert _doctor(cli, config)[1]["cognito-mfa"]["status"] == "ok"


def test_set_params_keep_what_the_pool_has_besides_ours() -> None:
    current = {
        "MfaConfiguration": "OPTIONAL",
        "SmsMfaConfiguration": {"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::1:role/sns"}},
        "SoftwareTokenMfaConfiguration": {"Enabled": False},
        "WebAuthnConfiguration": {"RelyingPartyId": "example.com"},
    }
    params = cognito.mfa_set_params("pool", current, MfaSpec("required", ("totp",)))
    assert params == {
        "UserPoolId": "pool",
        "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "SmsMfaConfiguration": current["SmsMfaConfiguration"],
        "WebAuthnConfiguration": current["WebAuthnConfiguration"],
    }
    off = cognito.mfa_set_params("pool", current, MfaSpec("off"))
    # AWS refuses OFF with any factor block: OFF alone, the passkey settings kept.
    assert off == {
        "UserPoolId": "pool",
        "MfaConfiguration": "OFF",
        "WebAuthnConfiguration": current["WebAuthnConfiguration"],
    }


def test_the_login_rehearsal_says_it_could_not_verify_with_mfa_required(
    cli: Any, tmp_path: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    config = _config(tmp_path / "c.toml", "required")
    assert cli("--config", str(config), "setup").exit_code == 0
    run = cli("--config", str(config), "-o", "json", "doctor", "--login")
    checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
    assert checks["login:dev"]["status"] == "warn"
    assert checks["login:dev"]["message"].startswith("could not verify with MFA required")
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.list_users(UserPoolId=pool)["Users"] == []  # no temporary user was made


def test_the_token_probe_says_it_could_not_verify_with_mfa_required(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path / "c.toml", "required")
    assert cli("--config", str(config), "setup").exit_code == 0
    run = cli("--config", str(config), "-o", "json", "doctor", "--probe")
    checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
    assert checks["token-probe"]["status"] == "warn", checks["token-probe"]
    assert checks["token-probe"]["message"].startswith("could not verify with MFA required")
    assert "MFA_SETUP" in checks["token-probe"]["message"]
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.list_users(UserPoolId=pool)["Users"] == []  # the probe cleaned up
