"""After ``rotate-secret`` deletes the original secret, ``DescribeUserPoolClient`` may answer no ``ClientSecret``
for good (floci-io/floci PR #345; unverified on AWS): ``plan``, ``setup``, ``doctor`` and ``rotate-secret`` work in
both readings of the stand-in (``secret_after_rotation``: ``empty`` / ``kept``), never read the secret back, say
what they cannot compare, and never propose a fix that breaks logins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.test_rotation import _ids, _login_ok, _marker, _rotate, _secret_ids


def _setup_json(cli: Any, config: Path, command: str = "setup") -> dict[str, Any]:
    run = cli("--config", str(config), "-o", "json", command)
    assert run.exit_code == 0, run.stderr
    assert "delete that app client" not in run.stderr
    document: dict[str, Any] = json.loads(run.stdout)
    return document


def _directory(document: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in document["changes"] if c["resource"] == "privx directory")


def test_plan_setup_doctor_and_rotate_twice_in_each_reading(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator, secret_after_rotation: str
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool, client = _ids(aws)
    for _ in range(2):
        held = _rotate(cli, config_file)["secret_id"]
        shown = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]
        assert ("ClientSecret" in shown) is (secret_after_rotation == "kept")
        assert held.startswith(f"{client}--")  # <client-id>--<epoch>, as botocore's model says
        for command in ("plan", "setup"):
            document = _setup_json(cli, config_file, command)
            assert {c["action"] for c in document["changes"]} == {"noop"}, document["changes"]
            notes = " ".join(_directory(document)["notes"])
            if secret_after_rotation == "empty":
                assert f"PrivX holds client secret {held}; Cognito no longer shows secrets: not compared" in notes
            else:
                assert f"client secret {held}" in notes
        checks = _login_ok(cli, config_file)
        assert checks["client-secret"]["status"] == "ok" and held in checks["client-secret"]["message"]
        assert _marker(rig) == held and _secret_ids(aws) == [held]


def test_a_directory_update_after_a_rotation_keeps_logins_working(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator, secret_after_rotation: str
) -> None:
    """The update must carry a secret: with none shown, setup first issues a fresh one (rotate-secret's steps)."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    held = _rotate(cli, config_file)["secret_id"]
    config_file.write_text(config_file.read_text().replace('button_title = "Cognito"', 'button_title = "Sign in"'))
    plan = _setup_json(cli, config_file, "plan")
    assert _directory(plan)["action"] == "update"
    assert _secret_ids(aws) == [held]  # plan changed nothing
    fresh_noted = "setup first issues a fresh client secret" in " ".join(_directory(plan)["notes"])
    assert fresh_noted is (secret_after_rotation == "empty")
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    (now,) = _secret_ids(aws)
    assert (now != held) is (secret_after_rotation == "empty")
    assert _marker(rig) == now
    directory = next(s for s in rig.sources.values() if s["name"] == "Cognito")
    assert directory["connection"]["oidc_button_title"] == "Sign in"
    _login_ok(cli, config_file)
    assert {c["action"] for c in _setup_json(cli, config_file)["changes"]} == {"noop"}


def test_a_client_without_any_secret_is_left_for_whoever_uses_it(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator
) -> None:
    """A public client (no secret at all) of the configured name: the fix never deletes it."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool, client = _ids(aws)
    aws.delete_user_pool_client(UserPoolId=pool, ClientId=client)
    aws.create_user_pool_client(UserPoolId=pool, ClientName="privx", GenerateSecret=False)
    for command in ("plan", "setup"):
        run = cli("--config", str(config_file), command)
        assert run.exit_code == 1, run.stderr
        assert "has none (a public client)" in run.stderr
        assert "app_client_name" in run.stderr and "delete" not in run.stderr
    assert len(aws.list_user_pool_clients(UserPoolId=pool, MaxResults=10)["UserPoolClients"]) == 1


def test_resend_secret_after_a_rotation_works_in_each_reading(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator, secret_after_rotation: str
) -> None:
    """doctor's fix for invalid_client (`setup --resend-secret`) needs the value: with none shown, a fresh one."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    _rotate(cli, config_file)
    directory = next(s for s in rig.sources.values() if s["name"] == "Cognito")
    directory["connection"]["oidc_client_secret"] = "not-the-secret"
    run = cli("--config", str(config_file), "setup", "--resend-secret")
    assert run.exit_code == 0, run.stderr
    assert _marker(rig) == _secret_ids(aws)[0]
    _login_ok(cli, config_file)
