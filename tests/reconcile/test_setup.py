"""setup / plan / login-url through the CLI, on moto and the PrivX emulator: the resulting state, not the calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import PRIVX_URL, REGION
from tests.support.emulator import privx_client

# About setup itself: each test's setup runs, never restored from an earlier one (tests/support/converged.py).
pytestmark = [pytest.mark.usefixtures("aws", "emulator"), pytest.mark.setup_runs]


# The documented direct-login URL (config.DEFAULT_LOGIN_URL_TEMPLATE), spelled out.
AUTHORIZE = (
    "/auth/api/v1/oauth/authorize?response_type=code&client_id=privx-ui&redirect_uri=%2Fprivx%2Foauth-callback&oidc_id="
)


def _our_directories(emu: PrivXEmulator) -> list[dict[str, Any]]:
    return [s for s in emu.sources.values() if s.get("name") == "Cognito"]


def _pools(aws: Any) -> list[dict[str, Any]]:
    return aws.list_user_pools(MaxResults=60)["UserPools"]


def test_first_setup_creates_everything_once(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr

    pools = _pools(aws)
    assert [p["Name"] for p in pools] == ["privx-users"]
    pool = aws.describe_user_pool(UserPoolId=pools[0]["Id"])["UserPool"]
    assert pool["UserPoolTags"]["managed-by"] == "cognito-privx"
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["DeletionProtection"] == "ACTIVE"
    attr = next(a for a in pool["SchemaAttributes"] if a["Name"] == "custom:group")
    assert attr["AttributeDataType"] == "String" and attr["Mutable"] is True

    clients = aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    assert len(clients) == 1
    client = aws.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=clients[0]["ClientId"])["UserPoolClient"]
    assert client["CallbackURLs"] == [f"{PRIVX_URL}/auth/api/v1/oidc-cb"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert "custom:group" in client["ReadAttributes"]
    assert client["ClientSecret"]

    domain = aws.describe_user_pool_domain(Domain="acme-privx")["DomainDescription"]
    assert domain["UserPoolId"] == pool["Id"]

    (directory,) = _our_directories(emulator)
    conn = directory["connection"]
    assert conn["oidc_issuer"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    assert conn["oidc_client_id"] == client["ClientId"]
    assert conn["oidc_client_secret"] == client["ClientSecret"]
    assert conn["oidc_tags_attribute_name"] == "custom:group"
    assert conn["oidc_additional_scopes"] == ["email", "profile"]
    assert conn["oidc_button_title"] == "Cognito" and conn["oidc_enabled"] is True
    assert directory["enabled"] is True

    # stderr: one line per resource; stdout: the direct-login URL last.
    assert "+ created cognito user pool privx-users" in run.stderr
    assert "+ created privx directory Cognito" in run.stderr
    assert run.lines[-1] == f"{PRIVX_URL}{AUTHORIZE}{directory['id']}"


def test_second_setup_changes_nothing_and_writes_nothing(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, gateway_calls: list[str]
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    writes_before = len(emulator.write_requests())
    (pool,) = _pools(aws)
    tags_before = aws.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["UserPoolTags"]
    gateway_calls.clear()

    second = cli("--config", str(config_file), "-o", "json", "setup")
    assert second.exit_code == 0, second.stderr
    doc = json.loads(second.stdout)
    assert {c["action"] for c in doc["changes"]} == {"noop"}
    assert len(emulator.write_requests()) == writes_before
    # Only the run lock's tag is put on the pool and taken off again (reconcile/lock.py): the pool is as it was.
    lock_calls = ("tag_resource", "untag_resource")
    cognito_writes = [op for op in gateway_calls if not op.startswith(("describe_", "list_", "get_", *lock_calls))]
    assert cognito_writes == []
    assert aws.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["UserPoolTags"] == tags_before
    assert gateway_calls, "the second run must still observe Cognito"
    assert len(_pools(aws)) == 1 and len(_our_directories(emulator)) == 1


def test_json_output_is_one_document(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    run = cli("--config", str(config_file), "--output", "json", "setup")
    assert run.exit_code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [c["resource"] for c in doc["changes"]] == [
        "cognito user pool",
        "cognito custom attribute",
        "cognito app client",
        "cognito ownership record",
        "cognito domain",
        "privx directory",
        "privx role",
        "privx role",
        "privx directory",
    ]
    # The ownership records (ARCHITECTURE.md#ownership): written on the pool, completed on the directory.
    assert [c["action"] for c in doc["changes"]] == ["create"] * 3 + ["update"] + ["create"] * 4 + ["update"]
    assert [c["resource"] for c in doc["changes"]].count("cognito ownership record") == 1
    outputs = doc["outputs"]
    pool_id = _pools(aws)[0]["Id"]
    assert outputs["pool_id"] == pool_id
    assert outputs["issuer"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    assert outputs["domain"] == f"https://acme-privx.auth.{REGION}.amazoncognito.com"
    assert outputs["callback_url"] == f"{PRIVX_URL}/auth/api/v1/oidc-cb"
    assert outputs["directory_id"] == _our_directories(emulator)[0]["id"]
    assert outputs["login_url"].endswith(outputs["directory_id"])
    secret_fields = [f for c in doc["changes"] for f in c["fields"] if f["field"].endswith("secret")]
    assert secret_fields and all(f["after"] == "(sensitive)" for f in secret_fields)


def test_plan_before_and_after_setup(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    before = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert before.exit_code == 3, before.stderr
    assert "+ create cognito user pool privx-users" in before.stdout
    assert "Plan: 7 to create" in before.stdout
    assert _pools(aws) == [] and _our_directories(emulator) == []
    assert emulator.write_requests() == []

    assert cli("--config", str(config_file), "setup").exit_code == 0
    after = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert after.exit_code == 0, after.stderr
    assert "No changes" in after.stdout
    assert cli("--config", str(config_file), "plan").exit_code == 0


def test_setup_dry_run_changes_nothing(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    run = cli("--config", str(config_file), "setup", "--dry-run")
    assert run.exit_code == 0, run.stderr
    assert "Dry run, nothing changed" in run.stderr
    assert _pools(aws) == [] and emulator.write_requests() == []


def test_drift_is_shown_and_fixed_field_by_field(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool_id = _pools(aws)[0]["Id"]
    client_id = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    client = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    # By hand: a wrong callback and a lost scope in Cognito, a renamed button in PrivX.
    aws.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=client_id,
        CallbackURLs=["https://wrong.example.com/cb"],
        AllowedOAuthScopes=["openid", "email"],
        AllowedOAuthFlows=client["AllowedOAuthFlows"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=client["SupportedIdentityProviders"],
        ReadAttributes=client["ReadAttributes"],
    )
    (directory,) = _our_directories(emulator)
    directory["connection"]["oidc_button_title"] = "Hand-edited"
    writes_before = len(emulator.write_requests())

    plan = cli("--config", str(config_file), "-o", "json", "plan")
    changed = {
        c["resource"]: [f["field"] for f in c["fields"]]
        for c in json.loads(plan.stdout)["changes"]
        if c["action"] != "noop"
    }
    assert changed == {
        "cognito app client": ["AllowedOAuthScopes", "CallbackURLs"],
        "privx directory": ["connection.oidc_button_title", "connection.oidc_client_secret"],
    }
    assert len(emulator.write_requests()) == writes_before

    fix = cli("--config", str(config_file), "setup")
    assert fix.exit_code == 0, fix.stderr
    assert "~ updated cognito app client privx" in fix.stderr
    assert (
        'CallbackURLs: ["https://wrong.example.com/cb"] → ["https://privx.example.com/auth/api/v1/oidc-cb"]'
        in fix.stderr
    )
    client = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert client["CallbackURLs"] == [f"{PRIVX_URL}/auth/api/v1/oidc-cb"]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    (directory,) = _our_directories(emulator)
    assert directory["connection"]["oidc_button_title"] == "Cognito"
    assert directory["connection"]["oidc_client_secret"] == client["ClientSecret"]
    assert cli("--config", str(config_file), "plan", "--detailed-exitcode").exit_code == 0


def test_login_url_prints_only_the_url(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    run = cli("--config", str(config_file), "login-url")
    assert run.exit_code == 0
    (directory,) = _our_directories(emulator)
    assert run.stdout == f"{PRIVX_URL}{AUTHORIZE}{directory['id']}\n"


def test_login_url_before_setup_says_run_setup(cli: Any, config_file: Path) -> None:
    run = cli("--config", str(config_file), "login-url")
    assert run.exit_code == 1
    assert "this config has no PrivX directory" in run.stderr and "cognito-privx setup" in run.stderr


def test_two_tagged_pools_exit_1_with_both_ids(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    ids = [
        aws.create_user_pool(PoolName="privx-users", UserPoolTags={"managed-by": "cognito-privx"})["UserPool"]["Id"]
        for _ in range(2)
    ]
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1
    assert all(i in run.stderr for i in ids)
    assert len(_pools(aws)) == 2 and emulator.write_requests() == []


def test_domain_of_another_pool_exit_1_naming_it(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    other = aws.create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
    aws.create_user_pool_domain(Domain="acme-privx", UserPoolId=other)
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1
    assert other in run.stderr and "someone-else" in run.stderr
    assert "hint:" in run.stderr
    assert aws.describe_user_pool_domain(Domain="acme-privx")["DomainDescription"]["UserPoolId"] == other


def test_foreign_pool_is_not_adopted_without_flag(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    foreign = aws.create_user_pool(
        PoolName="privx-users",
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1 and "--adopt" in run.stderr
    assert len(_pools(aws)) == 1
    adopted = cli("--config", str(config_file), "setup", "--adopt")
    assert adopted.exit_code == 0, adopted.stderr
    assert [p["Id"] for p in _pools(aws)] == [foreign]
    tags = aws.describe_user_pool(UserPoolId=foreign)["UserPool"]["UserPoolTags"]
    # Recorded as adopted: teardown keeps it and its users.
    assert tags["managed-by"] == "cognito-privx" and tags["cognito-privx-adopted"] == "true"
    assert cli("--config", str(config_file), "plan", "--detailed-exitcode").exit_code == 0


def test_a_foreign_directory_with_the_name_is_not_taken_over(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    """PrivX's own guide has admins create a directory called "Cognito" by hand: never rewrite it silently."""
    px = privx_client(emulator)
    hand_made = {
        "name": "Cognito",
        "comment": "made by hand",
        "enabled": True,
        "connection": {
            "type": "OIDC",
            "oidc_enabled": True,
            "oidc_issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_HANDMADE",
            "oidc_client_id": "handmadeclient",
            "oidc_client_secret": "handmadesecret",
        },
    }
    directory_id = px.create_source(hand_made)
    before = json.loads(json.dumps(emulator.sources[directory_id]))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1 and "is not this config's" in run.stderr and "--adopt" in run.stderr
    assert emulator.sources[directory_id] == before and _pools(aws) == []

    adopted = cli("--config", str(config_file), "setup", "--adopt")
    assert adopted.exit_code == 0, adopted.stderr
    after = emulator.sources[directory_id]
    assert after["connection"]["oidc_issuer"].endswith(_pools(aws)[0]["Id"])
    # Our marker, naming the app-client secret PrivX now holds by its id (tests/test_rotation.py).
    assert after["comment"].startswith("made by hand (managed by cognito-privx; client secret ")
    assert cli("--config", str(config_file), "plan", "--detailed-exitcode").exit_code == 0
