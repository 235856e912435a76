"""Crash safety: a run that dies right after any mutating step (an exception, or a lost response after the
server processed the request) is repaired by the next run, which leaves exactly one of everything and a run
after that changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from cognito_privx import cognito, privx
from cognito_privx.sandbox.emulator import Fault, PrivXEmulator
from tests.support.emulator import faults_served, privx_client

pytestmark = pytest.mark.usefixtures("aws")


class Crash(BaseException):  # a crash is no exception the CLI boundary could catch
    """The simulated crash: the process dies right after a step succeeded."""


def _assert_converged_once(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    pools = aws.list_user_pools(MaxResults=60)["UserPools"]
    assert len(pools) == 1
    pool_id = pools[0]["Id"]
    assert len(aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]) == 1
    assert aws.describe_user_pool_domain(Domain="acme-privx")["DomainDescription"]["UserPoolId"] == pool_id
    directories = [s for s in emulator.sources.values() if s["name"] == "Cognito"]
    assert len(directories) == 1
    for role, group in (("ops-admins", "ops"), ("developers", "dev")):
        (found,) = [r for r in emulator.roles.values() if r["name"] == role]
        assert privx.leaves(found["source_rules"]) == [privx.role_rule(directories[0]["id"], f"(tags={group})")]
    again = cli("--config", str(config_file), "-o", "json", "setup")
    assert again.exit_code == 0, again.stderr
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}


def crash_cognito_after(monkeypatch: pytest.MonkeyPatch, step: str) -> Callable[[], None]:
    """Make the process 'die' right after Cognito operation ``step`` succeeded."""
    original = cognito.CognitoGateway.call

    def crashing(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        result = original(self, operation, **params)
        if operation == step:
            raise Crash(step)
        return result

    monkeypatch.setattr(cognito.CognitoGateway, "call", crashing)
    return lambda: monkeypatch.setattr(cognito.CognitoGateway, "call", original)


def crash_privx_after(monkeypatch: pytest.MonkeyPatch, method: str, path_prefix: str) -> Callable[[], None]:
    """Make the process 'die' right after a PrivX request (``method``, path starting with ``path_prefix``)."""
    original = privx.PrivXClient.request

    def crashing(self: privx.PrivXClient, m: str, p: str, **kwargs: Any) -> Any:
        result = original(self, m, p, **kwargs)
        if m == method and p.startswith(path_prefix):
            raise Crash(f"{m} {p}")
        return result

    monkeypatch.setattr(privx.PrivXClient, "request", crashing)
    return lambda: monkeypatch.setattr(privx.PrivXClient, "request", original)


def crash_then_recover(cli: Any, restore: Callable[[], None], *args: str) -> None:
    """Run until the crash, then run again as the operator would, with nothing patched."""
    with pytest.raises(Crash):
        cli(*args)
    restore()
    recovered = cli(*args)
    assert recovered.exit_code == 0, recovered.stderr


COGNITO_STEPS = ["create_user_pool", "create_user_pool_client", "create_user_pool_domain"]
PRIVX_STEPS = [("POST", "/role-store/api/v1/sources"), ("POST", "/role-store/api/v1/roles")]


@pytest.mark.parametrize("step", COGNITO_STEPS)
def test_crash_after_each_cognito_step_of_setup(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    crash_then_recover(cli, crash_cognito_after(monkeypatch, step), "--config", str(config_file), "setup")
    _assert_converged_once(cli, config_file, aws, emulator)


@pytest.mark.parametrize(("method", "path"), PRIVX_STEPS)
def test_crash_after_each_privx_step_of_setup(
    cli: Any,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
) -> None:
    crash_then_recover(cli, crash_privx_after(monkeypatch, method, path), "--config", str(config_file), "setup")
    _assert_converged_once(cli, config_file, aws, emulator)


@pytest.mark.parametrize(("method", "path"), PRIVX_STEPS)
def test_lost_response_of_a_privx_create_never_makes_two(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, method: str, path: str
) -> None:
    # The emulator processes the POST, then drops the connection before answering.
    emulator.add_fault(Fault(method=method, path=path, drop=True))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert faults_served(emulator) == [(method, path, "drop")]
    _assert_converged_once(cli, config_file, aws, emulator)


@pytest.mark.parametrize("path", ["/role-store/api/v1/sources/*", "/role-store/api/v1/roles/*"])
def test_lost_response_of_a_privx_update_is_repeated_safely(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, path: str
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    directory = next(s for s in emulator.sources.values() if s["name"] == "Cognito")
    directory["connection"]["oidc_button_title"] = "drifted"
    for role in emulator.roles.values():
        if role["name"] == "ops-admins":
            role["source_rules"]["rules"] = []
    emulator.add_fault(Fault(method="PUT", path=path, drop=True))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    ((method, dropped, fault),) = faults_served(emulator)
    assert (method, dropped.startswith(path.removesuffix("*")), fault) == ("PUT", True, "drop")
    _assert_converged_once(cli, config_file, aws, emulator)


@pytest.mark.parametrize("operation", ["CreateUserPool", "CreateUserPoolClient", "CreateUserPoolDomain"])
def test_lost_response_of_a_cognito_create_never_makes_two(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    """moto processes the create; the response is lost (a read timeout after the call). No second pool/client."""
    original = cognito.CognitoGateway.connect
    fired: list[str] = []

    def lose_response(http_response: Any = None, **_: Any) -> None:
        if not fired:
            fired.append(operation)
            raise ReadTimeoutError(endpoint_url="https://cognito-idp.eu-west-1.amazonaws.com/")

    def connect(*args: Any, **kwargs: Any) -> cognito.CognitoGateway:
        gw = original(*args, **kwargs)
        gw.create_client.meta.events.register(f"after-call.cognito-idp.{operation}", lose_response)
        return gw

    monkeypatch.setattr(cognito.CognitoGateway, "connect", connect)
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert fired == [operation]
    _assert_converged_once(cli, config_file, aws, emulator)


TEARDOWN_COGNITO = ["delete_user_pool_domain", "delete_user_pool_client", "update_user_pool", "delete_user_pool"]
TEARDOWN_PRIVX = [
    ("PUT", "/role-store/api/v1/roles/"),
    ("DELETE", "/role-store/api/v1/roles/"),
    ("DELETE", "/role-store/api/v1/sources/"),
]


def _assert_all_gone(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert not [s for s in emulator.sources.values() if s["name"] == "Cognito"]
    assert not [r for r in emulator.roles.values() if r["name"] == "developers"]
    (ops,) = [r for r in emulator.roles.values() if r["name"] == "ops-admins"]
    assert privx.leaves(ops["source_rules"]) == [{"type": "RULE", "source": "ldap", "search_string": "x", "rules": []}]
    again = cli("--config", str(config_file), "-o", "json", "teardown", "--yes")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}


@pytest.fixture
def set_up(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    leaf = {"type": "RULE", "source": "ldap", "search_string": "x", "rules": []}
    privx_client(emulator).create_role(
        {"name": "ops-admins", "source_rules": {"type": "GROUP", "match": "ANY", "rules": [leaf]}}
    )
    assert cli("--config", str(config_file), "setup").exit_code == 0


@pytest.mark.usefixtures("set_up")
@pytest.mark.parametrize("step", TEARDOWN_COGNITO)
def test_crash_after_each_cognito_step_of_teardown(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    crash_then_recover(cli, crash_cognito_after(monkeypatch, step), "--config", str(config_file), "teardown", "--yes")
    _assert_all_gone(cli, config_file, aws, emulator)


@pytest.mark.usefixtures("set_up")
@pytest.mark.parametrize(("method", "prefix"), TEARDOWN_PRIVX)
def test_crash_after_each_privx_step_of_teardown(
    cli: Any,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    prefix: str,
) -> None:
    crash_then_recover(
        cli, crash_privx_after(monkeypatch, method, prefix), "--config", str(config_file), "teardown", "--yes"
    )
    _assert_all_gone(cli, config_file, aws, emulator)


@pytest.mark.usefixtures("set_up")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/role-store/api/v1/roles/*"),
        ("DELETE", "/role-store/api/v1/roles/*"),
        ("DELETE", "/role-store/api/v1/sources/*"),
    ],
)
def test_lost_response_during_teardown(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, method: str, path: str
) -> None:
    emulator.add_fault(Fault(method=method, path=path, drop=True))
    run = cli("--config", str(config_file), "teardown", "--yes")
    assert [(m, f) for m, _, f in faults_served(emulator)] == [(method, "drop")], "the fault never fired once"
    assert run.exit_code == 0, run.stderr
    _assert_all_gone(cli, config_file, aws, emulator)
