"""Calls an endpoint lacks or IAM denies (docs/reliability.md#calls-an-endpoint-lacks-or-iam-denies): a call that
only adds information (the client-secret listing, managed-login branding, STS for the target line) degrades to a
warning naming what was not checked and why; a call that is needed (rotate-secret's listing) fails in one line
naming the IAM action. State is asserted in moto and the PrivX emulator; the stand-in endpoint is
``tests.support.endpoints``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.endpoints import DENIED, UNKNOWN

pytestmark = pytest.mark.usefixtures("aws", "emulator")


def _directory(emu: PrivXEmulator) -> dict[str, Any]:
    (directory,) = [s for s in emu.sources.values() if s.get("name") == "Cognito"]
    return directory


def _client(aws: Any) -> dict[str, Any]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    return dict(aws.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"])


@pytest.mark.parametrize(
    ("code", "why"),
    [(UNKNOWN, "does not support cognito-idp:ListUserPoolClientSecrets"), (DENIED, "IAM denies")],
)
def test_setup_converges_without_the_secret_listing(
    code: str, why: str, cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    endpoint_lacking("list_user_pool_client_secrets", code=code)
    plan = cli("--config", str(config_file), "plan")
    assert plan.exit_code == 0, plan.stderr
    first = cli("--config", str(config_file), "setup")
    assert first.exit_code == 0, first.stderr
    assert "Traceback" not in first.stderr
    # PrivX holds the secret DescribeUserPoolClient answers: logins work.
    assert _directory(emulator)["connection"]["oidc_client_secret"] == _client(aws)["ClientSecret"]
    second = cli("--config", str(config_file), "-o", "json", "setup")
    assert second.exit_code == 0, second.stderr
    doc = json.loads(second.stdout)
    assert {c["action"] for c in doc["changes"]} == {"noop"}
    notes = [n for c in doc["changes"] for n in c["notes"]]
    assert any("secrets (age, rotation) could not be checked" in n and why in n for n in notes), notes


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (UNKNOWN, "this endpoint does not support rotating client secrets"),
        (DENIED, "access denied to cognito-idp:ListUserPoolClientSecrets"),
    ],
)
def test_rotate_secret_needs_the_listing(
    code: str, message: str, cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    before = _client(aws)["ClientSecret"]
    endpoint_lacking("list_user_pool_client_secrets", code=code)
    run = cli("--config", str(config_file), "rotate-secret", "--yes")
    assert run.exit_code == 1
    assert message in run.stderr and "hint:" in run.stderr and "Traceback" not in run.stderr
    assert _client(aws)["ClientSecret"] == before  # nothing changed
    assert _directory(emulator)["connection"]["oidc_client_secret"] == before


def test_doctor_warns_when_the_listing_is_missing(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    endpoint_lacking("list_user_pool_client_secrets")
    run = cli("--config", str(config_file), "-o", "json", "doctor")
    checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
    assert checks["client-secret"]["status"] == "warn", checks["client-secret"]
    assert "ListUserPoolClientSecrets" in checks["client-secret"]["message"]


@pytest.mark.parametrize("code", [UNKNOWN, DENIED])
def test_managed_login_branding_missing_is_a_warning(
    code: str, cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    managed = config_file.read_text().replace(
        'domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx"\nhosted_ui = "managed"'
    )
    config_file.write_text(managed)
    # An endpoint without branding lacks all of it; a policy that denies the read may allow the create.
    lacking = ("describe_managed_login_branding_by_client",)
    endpoint_lacking(*lacking, *(("create_managed_login_branding",) if code == UNKNOWN else ()), code=code)
    run = cli("--config", str(config_file), "-o", "json", "setup")
    assert run.exit_code == 0, run.stderr
    again = cli("--config", str(config_file), "-o", "json", "setup")
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert {c["action"] for c in doc["changes"]} == {"noop"}
    (branding,) = [c for c in doc["changes"] if c["resource"] == "cognito managed-login branding"]
    assert "DescribeManagedLoginBrandingByClient" in " ".join(branding["notes"])


def test_target_line_without_sts(cli: Any, config_file: Path, sts_absent: None) -> None:
    run = cli("--config", str(config_file), "plan")
    assert run.exit_code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "AWS account unknown (STS not available at https://sts." in run.stderr


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (UNKNOWN, "does not support cognito-idp:ListUserImportJobs"),
        (DENIED, "IAM denies cognito-idp:ListUserImportJobs"),
    ],
)
def test_teardown_without_the_import_job_listing_still_removes_everything(
    code: str, why: str, cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    """The running-import-job check before teardown only adds information (cognito-local lacks the call; an older
    IAM policy may deny it): teardown warns that it was not checked and goes on."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    endpoint_lacking("list_user_import_jobs", code=code)
    down = cli("--config", str(config_file), "teardown", "--yes")
    assert down.exit_code == 0, down.stderr
    said = down.stdout + down.stderr
    assert "warning: running user import jobs could not be checked" in said and why in said
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert [s for s in emulator.sources.values() if s.get("name") == "Cognito"] == []
