"""Users between states (issue 23): imported users in an admin-only-recovery pool, --no-invite users, required
standard attributes, a group attribute shorter than a group name, an email changed to an unverified address.

State is asserted in moto (with the sandbox's fixes: ``moto_fixes.user_writes``) and on stdout/stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from tests.support.constants import REGION

pytestmark = pytest.mark.usefixtures("emulator")

ADMIN_ONLY = {"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]}


def _moto_pool(pool: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool]


def _status(aws: Any, pool: str, email: str) -> str:
    return str(aws.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"])


def _imported(aws: Any, pool: str, email: str) -> None:
    """A user as an import job leaves them: RESET_REQUIRED, email verified, in group ops."""
    aws.admin_create_user(
        UserPoolId=pool,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:group", "Value": "ops"},
        ],
    )
    aws.admin_set_user_password(UserPoolId=pool, Username=email, Password="Str0ng!passw0rd", Permanent=True)
    aws.admin_reset_user_password(UserPoolId=pool, Username=email)
    assert _status(aws, pool, email) == "RESET_REQUIRED"


def _admin_only(pool: str) -> None:
    _moto_pool(pool).extended_config["AccountRecoverySetting"] = ADMIN_ONLY


# -- 1. imported users --------------------------------------------------------------------------------------------


def test_imported_user_in_admin_only_pool_gets_a_temporary_password(
    cli: Any, config_file: Path, aws: Any, pool: str
) -> None:
    c = ["--config", str(config_file)]
    _imported(aws, pool, "imp@example.com")
    _admin_only(pool)

    resend = cli(*c, "resend-invite", "imp@example.com")
    assert resend.exit_code != 0
    assert "Forgot your password" not in resend.stderr
    assert "add-user imp@example.com --group ops --temporary-password-prompt" in resend.stderr

    reset = cli(*c, "reset-password", "imp@example.com")
    assert reset.exit_code != 0
    assert "admin-only" in reset.stderr and "--temporary-password-prompt" in reset.stderr
    assert _status(aws, pool, "imp@example.com") == "RESET_REQUIRED"

    run = cli(
        *c, "add-user", "imp@example.com", "--group", "ops", "--temporary-password-stdin", input="T3mp!passw0rd\n"
    )
    assert run.exit_code == 0, run.stderr
    assert "temporary password set" in run.stderr and "signed in already" not in run.stderr
    assert _status(aws, pool, "imp@example.com") == "FORCE_CHANGE_PASSWORD"
    assert "T3mp!passw0rd" not in run.stderr + run.stdout


def test_a_confirmed_user_in_an_admin_only_pool_is_told_what_works(
    cli: Any, config_file: Path, aws: Any, pool: str
) -> None:
    """A user who forgot their password where recovery is admin-only: add-user never replaces a password of their
    own, so the hint must not send the admin there (it looped between reset-password and add-user)."""
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "con@example.com", "--group", "ops", "--no-invite").exit_code == 0
    aws.admin_set_user_password(UserPoolId=pool, Username="con@example.com", Password="Str0ng!passw0rd", Permanent=True)
    _admin_only(pool)
    reset = cli(*c, "reset-password", "con@example.com")
    assert reset.exit_code != 0 and "admin-only" in reset.stderr
    assert "--temporary-password-prompt" not in reset.stderr
    assert f"admin-set-user-password --user-pool-id {pool} --username con@example.com" in reset.stderr
    assert "--no-permanent" in reset.stderr
    assert _status(aws, pool, "con@example.com") == "CONFIRMED"


def test_reset_password_sends_cognitos_code_in_a_self_service_pool(
    cli: Any, config_file: Path, aws: Any, pool: str
) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "sam@example.com", "--group", "ops", "--no-invite").exit_code == 0
    pending = cli(*c, "reset-password", "sam@example.com")
    assert pending.exit_code != 0 and "resend-invite" in pending.stderr  # not signed in yet: the invitation
    assert _status(aws, pool, "sam@example.com") == "FORCE_CHANGE_PASSWORD"

    aws.admin_set_user_password(UserPoolId=pool, Username="sam@example.com", Password="Str0ng!passw0rd", Permanent=True)
    run = cli(*c, "-o", "json", "reset-password", "sam@example.com")
    assert run.exit_code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["outcome"] == "updated" and doc["status"] == "RESET_REQUIRED"
    assert "code" in doc["detail"]
    assert _status(aws, pool, "sam@example.com") == "RESET_REQUIRED"
    again = cli(*c, "resend-invite", "sam@example.com")  # a reset user: what works is named
    assert again.exit_code != 0 and "reset-password" in again.stderr


def test_reset_password_refuses_an_unverified_email_before_any_call(
    cli: Any, config_file: Path, aws: Any, pool: str
) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "uv@example.com", "--group", "ops", "--no-invite").exit_code == 0
    aws.admin_set_user_password(UserPoolId=pool, Username="uv@example.com", Password="Str0ng!passw0rd", Permanent=True)
    aws.admin_update_user_attributes(
        UserPoolId=pool, Username="uv@example.com", UserAttributes=[{"Name": "email_verified", "Value": "false"}]
    )
    run = cli(*c, "reset-password", "uv@example.com")
    assert run.exit_code != 0 and "verified" in run.stderr
    # A confirmed user: add-user would refuse to replace their password, so the hint is the one that works.
    assert "admin-set-user-password" in run.stderr and "--no-permanent" in run.stderr
    assert _status(aws, pool, "uv@example.com") == "CONFIRMED"


# -- 2. statuses said truthfully ----------------------------------------------------------------------------------


def test_no_invite_user_is_not_said_to_have_an_invitation(cli: Any, config_file: Path, pool: str) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, "add-user", "quiet@example.com", "--group", "ops", "--no-invite")
    assert run.exit_code == 0
    assert "no invitation sent" in run.stderr and "invitation pending" not in run.stderr
    doc = json.loads(cli(*c, "-o", "json", "add-user", "loud@example.com", "--group", "ops").stdout)
    assert doc["invitation"] == "sent"
    # Later, Cognito's data alone cannot tell the two apart: said as such, never "invitation pending".
    later = cli(*c, "set-group", "quiet@example.com", "--group", "dev")
    assert "invitation pending" not in later.stderr and "or none sent" in later.stderr


# -- 3. a required standard attribute -----------------------------------------------------------------------------


def test_required_standard_attribute_is_refused_before_any_call_then_given(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    c = ["--config", str(config_file)]
    from moto.cognitoidp.models import CognitoIdpUserPoolAttribute

    # AWS fixes the schema at CreateUserPool: a pool made elsewhere, with family_name required, adopted.
    required = CognitoIdpUserPoolAttribute("family_name", False, {"Name": "family_name", "Required": True})
    _moto_pool(pool).schema_attributes["family_name"] = required
    run = cli(*c, "add-user", "fam@example.com", "--group", "ops", "--no-invite")
    assert run.exit_code == 2 and "family_name" in run.stderr and "--attribute family_name=" in run.stderr
    assert aws.list_users(UserPoolId=pool)["Users"] == []

    rows = tmp_path / "users.csv"
    rows.write_text("email,group\nfam@example.com,ops\n")
    imported = cli(*c, "import-users", str(rows), "--no-invite", "--workers", "1")
    assert imported.exit_code == 2 and "family_name" in imported.stderr
    assert aws.list_users(UserPoolId=pool)["Users"] == []

    given = cli(*c, "add-user", "fam@example.com", "--group", "ops", "--no-invite", "--attribute", "family_name=Smith")
    assert given.exit_code == 0, given.stderr
    attrs = aws.admin_get_user(UserPoolId=pool, Username="fam@example.com")["UserAttributes"]
    assert {"Name": "family_name", "Value": "Smith"} in attrs

    bad = cli(*c, "add-user", "x@example.com", "--group", "ops", "--attribute", "custom:group=dev")
    assert bad.exit_code == 2 and "custom:group" in bad.stderr


# -- 4. a group attribute shorter than a group name ---------------------------------------------------------------


def test_group_attribute_shorter_than_a_group_name(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    c = ["--config", str(config_file)]
    config_file.write_text(config_file.read_text() + 'platform = "platform-admins"\n')
    _moto_pool(pool).schema_attributes["custom:group"].string_constraints = {"MinLength": "0", "MaxLength": "4"}

    for command in (["plan"], ["setup", "--dry-run"], ["setup"]):
        run = cli(*c, *command)
        assert run.exit_code != 0, command
        assert "platform" in run.stderr and "MaxLength 4" in run.stderr, (command, run.stderr)
    doctor = cli(*c, "doctor")
    assert doctor.exit_code != 0 and "platform" in doctor.stdout + doctor.stderr

    rows = tmp_path / "users.csv"
    rows.write_text("email,group\na@example.com,ops\nb@example.com,platform\n")
    for extra in ([], ["--dry-run"]):
        imported = cli(*c, "import-users", str(rows), "--no-invite", "--workers", "1", *extra)
        assert imported.exit_code == 2 and "line 3" in imported.stderr and "MaxLength 4" in imported.stderr
    assert aws.list_users(UserPoolId=pool)["Users"] == []  # the whole file first: row 2 was not created either

    one = cli(*c, "add-user", "b@example.com", "--group", "platform", "--no-invite")
    assert one.exit_code == 2 and "MaxLength 4" in one.stderr


# -- 5. an email changed to an unverified address -----------------------------------------------------------------


def test_email_changed_to_unverified_is_listed_with_its_state(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "dora@example.com", "--group", "ops", "--no-invite").exit_code == 0
    assert cli(*c, "add-user", "ed@example.com", "--group", "ops", "--no-invite").exit_code == 0
    aws.admin_update_user_attributes(
        UserPoolId=pool, Username="dora@example.com", UserAttributes=[{"Name": "email", "Value": "dora2@example.com"}]
    )
    doc = json.loads(cli(*c, "-o", "json", "list-users").stdout)
    by_email = {u["email"]: u for u in doc["users"]}
    assert by_email["dora2@example.com"]["email_verified"] is False
    assert by_email["ed@example.com"]["email_verified"] is True
    table = cli(*c, "list-users")
    assert "dora2@example.com (unverified)" in table.stdout


def test_email_change_pending_verification_keeps_the_original(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    _moto_pool(pool).extended_config["UserAttributeUpdateSettings"] = {
        "AttributesRequireVerificationBeforeUpdate": ["email"]
    }
    assert cli(*c, "add-user", "fay@example.com", "--group", "ops", "--no-invite").exit_code == 0
    aws.admin_update_user_attributes(
        UserPoolId=pool, Username="fay@example.com", UserAttributes=[{"Name": "email", "Value": "fay2@example.com"}]
    )
    doc = json.loads(cli(*c, "-o", "json", "list-users").stdout)
    assert [(u["email"], u["email_verified"]) for u in doc["users"]] == [("fay@example.com", True)]
    missing = cli(*c, "set-group", "fay2@example.com", "--group", "dev")
    assert missing.exit_code != 0 and "AttributesRequireVerificationBeforeUpdate" in missing.stderr
