"""An endpoint without the tag calls or the domain calls (cognito-local: ``TagResource``, ``UntagResource`` and
every ``*UserPoolDomain`` are unsupported there, its README's feature table), docs/reliability.md#endpoints-that-
lack-a-newer-call. The run lock cannot be taken → one warning, and the run goes on; IAM denying ``TagResource`` →
the run fails naming the action. Our ownership record is then written through ``UpdateUserPool``'s
``UserPoolTags`` (which such an endpoint keeps). A configured domain on an endpoint without domains → one-line
error, nothing created. State is asserted in moto and the PrivX emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.endpoints import DENIED, UNKNOWN

pytestmark = pytest.mark.usefixtures("aws", "emulator")

LOCK_WARNING = (
    "run lock unavailable at https://cognito-idp.eu-west-1.amazonaws.com: TagResource unsupported; concurrent runs "
    "are not kept apart"
)


def _no_domain(config_file: Path) -> Path:
    config_file.write_text(config_file.read_text().replace('domain_prefix = "acme-privx"', 'domain_prefix = ""'))
    return config_file


def _pools(aws: Any) -> list[dict[str, Any]]:
    return [
        dict(aws.describe_user_pool(UserPoolId=p["Id"])["UserPool"])
        for p in aws.list_user_pools(MaxResults=60)["UserPools"]
    ]


def test_setup_converges_without_tag_calls(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    endpoint_lacking("tag_resource", "untag_resource", code=UNKNOWN)
    config = str(_no_domain(config_file))
    first = cli("--config", config, "setup")
    assert first.exit_code == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stderr.count(LOCK_WARNING) == 1, first.stderr
    (pool,) = _pools(aws)
    tags = pool["UserPoolTags"]
    assert tags["managed-by"] == "cognito-privx"
    assert tags["cognito-privx:record"] == "1"  # the record, through UpdateUserPool
    client = aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"][0]["ClientId"]
    assert tags["cognito-privx:client"] == client
    assert not [k for k in tags if k.startswith("cognito-privx-lock:")]  # no lock left behind
    assert [s for s in emulator.sources.values() if s.get("name") == "Cognito"]

    second = cli("--config", config, "-o", "json", "setup")
    assert second.exit_code == 0, second.stderr
    assert {c["action"] for c in json.loads(second.stdout)["changes"]} == {"noop"}
    assert len(_pools(aws)) == 1

    down = cli("--config", config, "teardown", "--yes")
    assert down.exit_code == 0, down.stderr
    assert _pools(aws) == []
    assert not [s for s in emulator.sources.values() if s.get("name") == "Cognito"]


def test_tag_resource_denied_names_the_action(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    config = str(_no_domain(config_file))
    assert cli("--config", config, "setup").exit_code == 0
    endpoint_lacking("tag_resource", code=DENIED)
    # Nothing to change: setup only reads and takes no lock, so it needs no TagResource (reconcile.converged).
    noop = cli("--config", config, "setup")
    assert noop.exit_code == 0, noop.stderr
    # A change to make: the lock is needed, and the denial is named.
    Path(config).write_text(Path(config).read_text().replace('ops = "ops-admins"', 'ops = "ops-admins"\nqa = "qa"'))
    run = cli("--config", config, "setup")
    assert run.exit_code == 1
    assert "access denied to cognito-idp:TagResource" in run.stderr, run.stderr
    assert "hint: grant the caller's IAM policy cognito-idp:TagResource" in run.stderr
    assert "Traceback" not in run.stderr and LOCK_WARNING not in run.stderr


@pytest.mark.parametrize("command", ["plan", "setup"])
def test_a_domain_on_an_endpoint_without_domains_is_one_line(
    command: str, cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Any
) -> None:
    endpoint_lacking("describe_user_pool_domain", "create_user_pool_domain", "delete_user_pool_domain")
    run = cli("--config", str(config_file), command)
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    error = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert error == [
        "error: the domain prefix 'acme-privx' cannot be managed: https://cognito-idp.eu-west-1.amazonaws.com does "
        "not support cognito-idp:DescribeUserPoolDomain (the hosted-UI domain is where users log in)"
    ], run.stderr
    assert 'domain_prefix = ""' in run.stderr  # the hint
    assert _pools(aws) == []  # nothing created
