"""Who may read an attribute (issue 23): an app client's ``ReadAttributes`` decides which attributes reach the ID
token. Unset, AWS's sources disagree (botocore's model: the standard attributes; the console: all), so the
stand-in runs in both readings (``read_attributes_unset``) and the tool must work in each: an adopted client keeps
every attribute either reading gave it, and every claim ``[privx] account_mapping`` reads is made readable.

Every assertion is on moto's state, the PrivX emulator's user records, or what the CLI printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.cognitoidp.models import cognitoidp_backends

from cognito_privx.desired import rehearsal_email
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.sandbox.runner import MotoServer
from tests.support.constants import BASE_CONFIG, REGION
from tests.support.oidc import cognito_discovery

ACCOUNT = "123456789012"  # moto's default account
MAPPING = 'account_mapping = { unix_account = "preferred_username", windows_account = "custom:unix_user" }'
# What our client needs to read with MAPPING: the group claim and both mapped claims.
OURS = {"email", "email_verified", "name", "custom:group", "preferred_username", "custom:unix_user"}


def _config(tmp_path: Path, *lines: str) -> Path:
    config = tmp_path / "cognito-privx.toml"
    extra = "".join(f"\n{line}" for line in lines)
    config.write_text(BASE_CONFIG.replace('button_title = "Cognito"', f'button_title = "Cognito"{extra}'))
    return config


def _foreign_pool(aws: Any, *custom: str) -> str:
    """A pool another team made (untagged, admin-only sign-up), with these custom attributes beside ``group``."""
    schema = [{"Name": n, "AttributeDataType": "String", "Mutable": True} for n in ("group", *custom)]
    return str(
        aws.create_user_pool(
            PoolName="privx-users",
            UsernameAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            Schema=schema,
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]["Id"]
    )


def _client(aws: Any, pool_id: str, name: str = "privx") -> dict[str, Any]:
    listed = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next(c["ClientId"] for c in listed if c["ClientName"] == name)
    client: dict[str, Any] = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return client


def _unset_read_attributes(pool_id: str, client_id: str) -> None:
    """As AWS keeps a client made without ``ReadAttributes``: no list at all (moto's update merges, so it cannot
    remove one)."""
    cognitoidp_backends[ACCOUNT][REGION].user_pools[pool_id].clients[client_id].extended_config.pop("ReadAttributes")


def _checks(cli: Any, config: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor", *args)
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _client_change(run: Any) -> dict[str, Any]:
    (change,) = [c for c in json.loads(run.stdout)["changes"] if c["resource"] == "cognito app client"]
    return dict(change)


# The standard attributes every pool has (DG "Working with user attributes", standard attributes; moto lists them
# in SchemaAttributes only for a pool made without custom ones, AWS always), less sub (always in the token).
STANDARD = {
    "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo",
}  # fmt: skip


def _every_attribute(aws: Any, pool_id: str) -> set[str]:
    """What either reading of an unset ReadAttributes makes readable: the standard attributes and the pool's
    custom ones."""
    schema = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]
    return STANDARD | {a["Name"] for a in schema if a["Name"].startswith("custom:")}


@pytest.mark.usefixtures("emulator")
def test_an_adopted_client_with_read_attributes_unset_keeps_what_either_reading_gave(
    cli: Any, tmp_path: Path, aws: Any, read_attributes_unset: str
) -> None:
    config = _config(tmp_path, MAPPING)
    pool_id = _foreign_pool(aws, "dept", "unix_user")
    aws.create_user_pool_client(UserPoolId=pool_id, ClientName="privx", GenerateSecret=True)
    everything = _every_attribute(aws, pool_id)
    assert {"custom:dept", "given_name", "phone_number_verified"} <= everything  # what other apps may read

    plan = cli("--config", str(config), "-o", "json", "plan", "--adopt")
    assert plan.exit_code == 0, plan.stderr
    change = _client_change(plan)
    (field,) = [f for f in change["fields"] if f["field"] == "ReadAttributes"]
    assert field["before"] is None
    assert set(field["after"]) == everything | OURS
    assert any("ReadAttributes was unset" in n for n in change["notes"]), change["notes"]
    text = cli("--config", str(config), "plan", "--adopt")
    assert "ReadAttributes was unset" in text.stdout

    assert cli("--config", str(config), "setup", "--adopt").exit_code == 0
    assert set(_client(aws, pool_id)["ReadAttributes"]) == everything | OURS
    again = cli("--config", str(config), "-o", "json", "plan")
    assert _client_change(again)["action"] == "noop"


@pytest.mark.usefixtures("emulator")
def test_doctor_says_what_it_cannot_know_under_unset_and_setup_makes_it_explicit(
    cli: Any, config_file: Path, aws: Any, read_attributes_unset: str
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    _unset_read_attributes(pool_id, _client(aws, pool_id)["ClientId"])

    _code, checks = _checks(cli, config_file)
    check = checks["client-read-attributes"]
    assert check["status"] == "warn", check
    assert "ReadAttributes unset" in check["message"] and "custom:group" in check["message"]
    assert "only if AWS reads unset as all attributes" in check["message"]
    assert "setup" in check["hint"] and "explicit" in check["hint"]

    assert cli("--config", str(config_file), "setup").exit_code == 0
    assert "custom:group" in _client(aws, pool_id)["ReadAttributes"]
    _code, checks = _checks(cli, config_file)
    assert checks["client-read-attributes"]["status"] == "ok", checks["client-read-attributes"]


def test_the_token_probe_finds_out_which_reading_and_setup_is_its_fix(
    cli: Any, config_file: Path, moto_server: MotoServer, emulator: PrivXEmulator, read_attributes_unset: str
) -> None:
    """``doctor --probe`` signs a test user in through moto's server (in this process, so the variant holds):
    under ``standard`` the group is missing from the ID token and the probe says so; ``setup`` fixes it."""
    emulator.oidc_http = httpx.Client(
        transport=cognito_discovery(f"https://acme-privx.auth.{REGION}.amazoncognito.com")
    )
    assert cli("--config", str(config_file), "setup").exit_code == 0
    aws = boto3.client("cognito-idp", region_name=REGION, endpoint_url=moto_server.url)
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    _unset_read_attributes(pool_id, _client(aws, pool_id)["ClientId"])

    _code, checks = _checks(cli, config_file, "--probe")
    probe = checks["token-probe"]
    if read_attributes_unset == "all":
        assert probe["status"] == "ok", probe
    else:
        assert probe["status"] == "fail" and "PrivX would see no group" in probe["message"], probe
        assert "setup" in probe["hint"]
    assert cli("--config", str(config_file), "setup").exit_code == 0
    _code, checks = _checks(cli, config_file, "--probe")
    assert checks["token-probe"]["status"] == "ok", checks["token-probe"]


@pytest.mark.usefixtures("emulator")
def test_doctor_fails_a_mapped_claim_the_client_cannot_read_and_setup_adds_it(
    cli: Any, config_file: Path, tmp_path: Path, aws: Any
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    config = _config(tmp_path, 'account_mapping = { unix_account = "preferred_username" }')
    _code, checks = _checks(cli, config)
    check = checks["client-read-attributes"]
    assert check["status"] == "fail", check
    assert "preferred_username" in check["message"] and "account_mapping" in check["message"]
    assert "setup" in check["hint"]

    plan = cli("--config", str(config), "-o", "json", "plan")
    (field,) = [f for f in _client_change(plan)["fields"] if f["field"] == "ReadAttributes"]
    assert "preferred_username" in field["after"] and "preferred_username" not in field["before"]
    assert cli("--config", str(config), "setup").exit_code == 0
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert "preferred_username" in _client(aws, pool_id)["ReadAttributes"]
    _code, checks = _checks(cli, config)
    assert checks["client-read-attributes"]["status"] == "ok", checks["client-read-attributes"]


@pytest.mark.usefixtures("emulator")
def test_a_mapped_custom_claim_the_pool_lacks_is_named_and_never_sent(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _config(tmp_path, 'account_mapping = { unix_account = "custom:unix_user" }')
    run = cli("--config", str(config), "-o", "json", "setup")
    assert run.exit_code == 0, run.stderr
    assert any("custom:unix_user" in n and "not an attribute of the pool" in n for n in _client_change(run)["notes"])
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert "custom:unix_user" not in _client(aws, pool_id)["ReadAttributes"]
    _code, checks = _checks(cli, config)
    check = checks["client-read-attributes"]
    assert check["status"] == "fail", check
    assert "custom:unix_user" in check["message"] and "not an attribute of pool" in check["message"]
    assert "add-custom-attributes" in check["hint"] and "account_mapping" in check["hint"]


def test_the_account_privx_sets_comes_from_the_mapped_claims_in_either_reading(
    cli: Any, tmp_path: Path, aws: Any, world: PrivXEmulator, read_attributes_unset: str
) -> None:
    """An adopted client with ReadAttributes unset, a mapping that reads a standard and a custom claim: after
    setup, a login through the hosted UI gives PrivX both accounts, whichever reading AWS takes."""
    config = _config(tmp_path, MAPPING)
    pool_id = _foreign_pool(aws, "unix_user")
    aws.create_user_pool_client(UserPoolId=pool_id, ClientName="privx", GenerateSecret=True)
    assert cli("--config", str(config), "setup", "--adopt").exit_code == 0
    # The rehearsal identity of group dev, made beforehand with the mapped attributes (doctor keeps them).
    aws.admin_create_user(
        UserPoolId=pool_id,
        Username=rehearsal_email("dev"),
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": rehearsal_email("dev")},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "preferred_username", "Value": "ann"},
            {"Name": "custom:unix_user", "Value": "ann_x"},
        ],
    )
    _code, checks = _checks(cli, config, "--login")
    assert checks["login:dev"]["status"] == "ok", checks["login:dev"]
    (record,) = [u for u in world.users.values() if u.get("email") == rehearsal_email("dev")]
    assert (record.get("unix_account"), record.get("windows_account")) == ("ann", "ann_x")


@pytest.mark.usefixtures("emulator")
def test_an_adopted_client_with_write_attributes_and_auth_flows_unset_keeps_what_they_allowed(
    cli: Any, tmp_path: Path, aws: Any, write_attributes_unset: str
) -> None:
    """Unset WriteAttributes lets users write at least the standard attributes (either reading), unset
    ExplicitAuthFlows allows refresh, SRP and custom (botocore's model): adopting such a client makes both lists
    explicit without dropping any of that -- but never lets a user write the group attribute."""
    config = _config(tmp_path)
    pool_id = _foreign_pool(aws)
    client_id = aws.create_user_pool_client(UserPoolId=pool_id, ClientName="privx", GenerateSecret=True)[
        "UserPoolClient"
    ]["ClientId"]
    extended = cognitoidp_backends[ACCOUNT][REGION].user_pools[pool_id].clients[client_id].extended_config
    extended.pop("WriteAttributes", None)
    extended.pop("ExplicitAuthFlows", None)

    assert cli("--config", str(config), "setup", "--adopt").exit_code == 0
    client = _client(aws, pool_id)
    assert {"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"} <= set(client["ExplicitAuthFlows"])
    writes = set(client["WriteAttributes"])
    assert {"given_name", "family_name", "phone_number", "name", "picture"} <= writes
    assert "custom:group" not in writes and not any(a.endswith("_verified") for a in writes)
    run = cli("--config", str(config), "-o", "json", "doctor")
    checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
    assert checks["client-refresh-token"]["status"] == "ok"
    assert checks["attribute-writers"]["status"] == "ok", checks["attribute-writers"]
    again = cli("--config", str(config), "-o", "json", "plan")
    assert _client_change(again)["action"] == "noop"
