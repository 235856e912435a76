"""teardown: removes what setup made (PrivX first), only what is ours, after a confirmation; re-runs are no-ops."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cognito_privx import reconcile
from cognito_privx.cli import deploy as deploy_cli
from cognito_privx.cognito import CognitoGateway
from cognito_privx.config import AppConfig
from cognito_privx.desired import DesiredState
from cognito_privx.plan import Change
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import PRIVX_URL, REGION
from tests.support.emulator import privx_client

pytestmark = pytest.mark.usefixtures("aws")


def _names(emu: PrivXEmulator, kind: str) -> set[str]:
    return {o["name"] for o in getattr(emu, kind).values()}


@pytest.fixture
def foreign(aws: Any, emulator: PrivXEmulator) -> dict[str, str]:
    """Objects that are not ours: they must survive setup + teardown untouched."""
    px = privx_client(emulator)
    pool = aws.create_user_pool(PoolName="someone-else", UserPoolTags={"team": "x"})["UserPool"]["Id"]
    directory = px.create_source(
        {
            "name": "Other OIDC",
            "enabled": True,
            "connection": {
                "type": "OIDC",
                "oidc_enabled": True,
                "oidc_issuer": "https://issuer.example.com",
                "oidc_client_id": "abc",
            },
        }
    )
    rule = {"type": "RULE", "source": "ldap-dir", "search_string": "cn=ops", "rules": []}
    role = px.create_role(
        {
            "name": "ops-admins",
            "comment": "hand-made",
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": [rule]},
        }
    )
    return {"pool": pool, "directory": directory, "role": role}


def test_setup_then_teardown_leaves_nothing_of_ours_and_everything_else(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, foreign: dict[str, str]
) -> None:
    before_role = json.loads(json.dumps(emulator.roles[foreign["role"]]))
    assert cli("--config", str(config_file), "setup").exit_code == 0
    assert (
        cli("--config", str(config_file), "add-user", "a@example.com", "--group", "ops", "--no-invite").exit_code == 0
    )

    run = cli("--config", str(config_file), "teardown", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "- deleted privx directory Cognito" in run.stderr
    assert "- deleted cognito user pool privx-users" in run.stderr
    assert [p["Id"] for p in aws.list_user_pools(MaxResults=60)["UserPools"]] == [foreign["pool"]]
    assert "UserPoolId" not in aws.describe_user_pool_domain(Domain="acme-privx")["DomainDescription"]
    assert _names(emulator, "sources") >= {"Other OIDC"} and "Cognito" not in _names(emulator, "sources")
    assert "developers" not in _names(emulator, "roles")  # ours, and empty once our rule went
    after_role = emulator.roles[foreign["role"]]
    assert after_role["source_rules"] == before_role["source_rules"]  # our leaf removed, theirs kept
    assert after_role["comment"] == "hand-made"

    writes = len(emulator.write_requests())
    again = cli("--config", str(config_file), "-o", "json", "teardown", "--yes")
    assert again.exit_code == 0
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}
    assert len(emulator.write_requests()) == writes


def test_teardown_lists_everything_and_asks(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    writes = len(emulator.write_requests())
    # Without a terminal and without --yes: exit 2, nothing removed.
    no_terminal = cli("--config", str(config_file), "teardown")
    assert no_terminal.exit_code == 2 and "needs a confirmation" in no_terminal.stderr
    monkeypatch.setattr(deploy_cli, "interactive", lambda: True)
    refused = cli("--config", str(config_file), "teardown", input="n\n")
    assert refused.exit_code == 2 and "nothing was removed" in refused.stderr
    # The list names everything that would go: roles, directory, domain, client, the pool with its user count.
    for line in (
        "- delete privx role ops-admins",
        "- delete privx role developers",
        "- delete privx directory Cognito",
        "- delete cognito domain acme-privx",
        "- delete cognito app client privx",
        "- delete cognito user pool privx-users",
        "0 user(s) go with it",
    ):
        assert line in refused.stderr, line
    assert len(aws.list_user_pools(MaxResults=60)["UserPools"]) == 1 and "Cognito" in _names(emulator, "sources")
    assert len(emulator.write_requests()) == writes
    done = cli("--config", str(config_file), "teardown", input="y\n")
    assert done.exit_code == 0 and aws.list_user_pools(MaxResults=60)["UserPools"] == []


def test_unconfirmed_keep_pool_removes_nothing(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    writes, pool = len(emulator.write_requests()), aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert cli("--config", str(config_file), "teardown", "--keep-pool").exit_code == 2
    monkeypatch.setattr(deploy_cli, "interactive", lambda: True)
    refused = cli("--config", str(config_file), "teardown", "--keep-pool", input="n\n")
    assert refused.exit_code == 2 and "- delete privx directory Cognito" in refused.stderr
    assert len(emulator.write_requests()) == writes
    assert aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    assert aws.describe_user_pool(UserPoolId=pool)["UserPool"].get("Domain") == "acme-privx"


def test_keep_pool_keeps_pool_and_users(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    assert (
        cli("--config", str(config_file), "add-user", "a@example.com", "--group", "ops", "--no-invite").exit_code == 0
    )
    run = cli("--config", str(config_file), "teardown", "--keep-pool", "--yes")
    assert run.exit_code == 0, run.stderr
    (pool,) = aws.list_user_pools(MaxResults=60)["UserPools"]
    assert aws.list_users(UserPoolId=pool["Id"])["Users"]
    assert aws.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"] == []
    assert "Cognito" not in _names(emulator, "sources")


def test_dry_run_removes_nothing(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    writes = len(emulator.write_requests())
    run = cli("--config", str(config_file), "teardown", "--dry-run")
    assert run.exit_code == 0 and "Would remove" in run.stderr
    assert len(aws.list_user_pools(MaxResults=60)["UserPools"]) == 1
    assert len(emulator.write_requests()) == writes


def test_cognito_teardown_order_and_protection_switch_pinned(emulator: PrivXEmulator) -> None:
    """moto deletes a protected pool and a pool with a domain; AWS refuses both. Pin the exact sequence."""
    cfg = AppConfig.model_validate(
        {"cognito": {"region": REGION, "pool_name": "p", "domain_prefix": "acme-privx"}, "privx": {"url": PRIVX_URL}}
    )
    client = boto3.client("cognito-idp", region_name=REGION)
    pool = {
        "Id": "eu-west-1_abc",
        "Name": "p",
        "UserPoolTags": {"managed-by": "cognito-privx"},
        "DeletionProtection": "ACTIVE",
        "Domain": "acme-privx",
        "EstimatedNumberOfUsers": 3,
        "MfaConfiguration": "OFF",
        "Policies": {"PasswordPolicy": {"MinimumLength": 8}},
        "AutoVerifiedAttributes": ["email"],
        "UsernameAttributes": ["email"],
    }
    stub = Stubber(client)
    stub.add_response("list_user_pools", {"UserPools": [{"Id": "eu-west-1_abc", "Name": "p"}]}, {"MaxResults": 60})
    stub.add_response("describe_user_pool", {"UserPool": pool}, {"UserPoolId": "eu-west-1_abc"})
    stub.add_response(
        "list_user_pool_clients",
        {"UserPoolClients": [{"ClientId": "c1", "ClientName": "privx", "UserPoolId": "eu-west-1_abc"}]},
        {"UserPoolId": "eu-west-1_abc", "MaxResults": 60},
    )
    stub.add_response(
        "describe_user_pool_client",
        {
            "UserPoolClient": {
                "ClientId": "c1",
                "ClientName": "privx",
                "UserPoolId": "eu-west-1_abc",
                "ClientSecret": "s" * 30,
            }
        },
        {"UserPoolId": "eu-west-1_abc", "ClientId": "c1"},
    )
    # A running import job would refuse the pool's delete: looked for before the first deletion (issue 23).
    stub.add_response(
        "list_user_import_jobs",
        {"UserImportJobs": [{"JobId": "import-1", "JobName": "old", "Status": "Succeeded"}]},
        {"UserPoolId": "eu-west-1_abc", "MaxResults": 60},
    )
    stub.add_response("delete_user_pool_domain", {}, {"Domain": "acme-privx", "UserPoolId": "eu-west-1_abc"})
    stub.add_response("delete_user_pool_client", {}, {"UserPoolId": "eu-west-1_abc", "ClientId": "c1"})
    stub.add_response(
        "update_user_pool",
        {},
        {
            "UserPoolId": "eu-west-1_abc",
            "DeletionProtection": "INACTIVE",
            "UserPoolTags": {"managed-by": "cognito-privx"},
            "MfaConfiguration": "OFF",
            "Policies": {"PasswordPolicy": {"MinimumLength": 8}},
            "AutoVerifiedAttributes": ["email"],
        },
    )
    stub.add_response("delete_user_pool", {}, {"UserPoolId": "eu-west-1_abc"})
    services = reconcile.Services(CognitoGateway(client), privx_client(emulator), reconcile.CallCounter())
    asked: list[Change] = []
    with stub:
        result = reconcile.teardown(
            DesiredState.from_config(cfg),
            services,
            dry_run=False,
            confirm=lambda c: asked.extend(x for x in c if x.action.value == "delete") or True,
        )
        stub.assert_no_pending_responses()
    assert [(c.resource, c.name) for c in asked] == [
        ("cognito domain", "acme-privx"),
        ("cognito app client", "privx"),
        ("cognito user pool", "p (eu-west-1_abc)"),
    ]
    assert "3 user(s) go with it" in asked[-1].notes
    assert [c.action.value for c in result.plan.changes][-3:] == ["delete", "delete", "delete"]


def test_our_rule_inside_an_all_group_is_left_and_reported(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    """Taking our condition out of an ALL group would widen who gets the role: teardown refuses."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    directory_id = next(s["id"] for s in emulator.sources.values() if s["name"] == "Cognito")
    role = next(r for r in emulator.roles.values() if r["name"] == "ops-admins")
    ours = {"type": "RULE", "source": directory_id, "search_string": "ops", "rules": []}
    vpn = {"type": "RULE", "source": "ldap", "search_string": "cn=vpn-users", "rules": []}
    role["source_rules"] = {"type": "GROUP", "match": "ALL", "rules": [ours, vpn]}
    run = cli("--config", str(config_file), "teardown", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "not revoked: a copy inside an ALL group stays" in run.stderr
    assert role["source_rules"] == {"type": "GROUP", "match": "ALL", "rules": [ours, vpn]}


def test_teardown_ends_the_live_sessions_of_our_directory_first(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cognito_privx.sandbox.emulator import ALL_PERMISSIONS
    from tests.support.constants import API_CLIENT_ID

    c = ["--config", str(config_file)]
    assert cli(*c, "setup").exit_code == 0
    [ours] = [s for s in privx_client(emulator).list_sources() if s.get("name") == "Cognito"]
    alice = emulator.login_user(ours["id"], {"sub": "sub-a", "email": "a@example.com", "custom:group": "ops"})
    emulator.login_user(ours["id"], {"sub": "sub-a", "email": "a@example.com", "custom:group": "ops"})
    bob = emulator.login_user(ours["id"], {"sub": "sub-b", "email": "b@example.com", "custom:group": "dev"})
    emulator.open_connection(alice, "web-1")
    dry = cli(*c, "teardown", "--dry-run")
    assert dry.exit_code == 0 and "ends 3 live PrivX sessions and 1 connection of 2 users" in dry.stderr
    assert len(emulator.valid_sessions(alice)) == 2
    monkeypatch.setattr(deploy_cli, "interactive", lambda: True)
    refused = cli(*c, "teardown", input="n\n")
    assert "ends 3 live PrivX sessions and 1 connection of 2 users" in refused.stderr
    assert len(emulator.valid_sessions(bob)) == 1
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"connections-terminate"})
    denied = cli(*c, "teardown", "--yes")
    assert denied.exit_code == 1 and "connections-terminate" in denied.stderr and "Traceback" not in denied.stderr
    assert "Cognito" in _names(emulator, "sources")  # the directory stays until its access is ended
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS)
    done = cli(*c, "teardown", "--yes")
    assert done.exit_code == 0, done.stderr
    assert emulator.valid_sessions(alice) == emulator.valid_sessions(bob) == []
    assert emulator.live_connections() == [] and "Cognito" not in _names(emulator, "sources")


# --- issue 23: an import job blocks DeleteUserPool (UserImportInProgressException, botocore's model) ---------------


def _start_held_job(aws: Any, pool_id: str) -> str:
    """A job of ``pool_id`` started and held ``Pending`` by the stand-in (sandbox/import_jobs): the state in which
    DeleteUserPool and UpdateUserPool answer UserImportInProgressException."""
    import httpx

    from cognito_privx.sandbox import import_jobs as standin

    role = standin.create_logs_role(boto3.client("iam", region_name=REGION))
    job = aws.create_user_import_job(UserPoolId=pool_id, JobName="held", CloudWatchLogsRoleArn=role)["UserImportJob"]
    header = aws.get_csv_header(UserPoolId=pool_id)["CSVHeader"]
    body = ",".join(header) + "\n"
    put = httpx.put(job["PreSignedUrl"], content=body.encode(), headers={"x-amz-server-side-encryption": "aws:kms"})
    assert put.is_success
    aws.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    return str(job["JobId"])


@pytest.fixture
def held() -> Any:
    from cognito_privx.sandbox import import_jobs as standin

    with standin.configured(pending_s=3600.0, rate=None):
        yield
    from moto.cognitoidp.models import cognitoidp_backends

    for moto_pool in list(cognitoidp_backends["123456789012"][REGION].user_pools.values()):
        for job in standin.jobs_of(moto_pool).values():
            job.wake.set()


@pytest.mark.usefixtures("held")
def test_teardown_with_an_import_job_running_removes_nothing_and_names_the_job(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    job_id = _start_held_job(aws, pool_id)
    writes = len(emulator.write_requests())

    dry = cli("--config", str(config_file), "teardown", "--dry-run")
    assert dry.exit_code == 0 and f"blocked: import job {job_id} is running" in dry.stderr
    run = cli("--config", str(config_file), "teardown", "--yes")
    assert run.exit_code == 1, run.stderr
    assert job_id in run.stderr and "aws cognito-idp stop-user-import-job" in run.stderr
    assert "nothing was removed" in run.stderr.lower() and "Traceback" not in run.stderr
    # Nothing of the deployment went: the directory, the domain, the client, the pool.
    assert "Cognito" in _names(emulator, "sources") and len(emulator.write_requests()) == writes
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("Domain") == "acme-privx"
    assert aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    # --keep-pool deletes no pool, and nothing else an import job blocks: it goes ahead.
    kept = cli("--config", str(config_file), "teardown", "--yes", "--keep-pool")
    assert kept.exit_code == 0, kept.stderr
    assert "Cognito" not in _names(emulator, "sources")


def test_teardown_stopped_by_the_pool_delete_says_what_it_removed(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job started between teardown's check and its DeleteUserPool: the refusal, and what had gone before."""
    from moto.cognitoidp import responses
    from moto.core.exceptions import JsonRESTError

    assert cli("--config", str(config_file), "setup").exit_code == 0

    def refuse(self: Any) -> Any:
        raise JsonRESTError("UserImportInProgressException", "A user import job is in progress.")

    monkeypatch.setattr(responses.CognitoIdpResponse, "delete_user_pool", refuse)
    run = cli("--config", str(config_file), "teardown", "--yes")
    assert run.exit_code == 1, run.stderr
    assert "- deleted privx directory Cognito" in run.stderr
    assert "- deleted cognito app client privx" in run.stderr
    assert "✗ delete cognito user pool privx-users" in run.stderr
    assert "Stopped; done before that:" in run.stderr and "Run teardown again" in run.stderr
