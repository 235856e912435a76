"""A ``group_claim`` switch with users in the pool is a migration: ``plan`` lists the users to move, ``setup`` moves
them (paced, throttling retried, resumable), ``doctor --login`` checks existing users' groups are where the claim
reads them, ``list-users`` shows the groups the claim reads, and a real sign-in of a moved user gets its roles.

State is asserted in moto and the PrivX emulator (the login world of tests/support/login.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx.cli import Seams
from cognito_privx.cognito import CognitoGateway
from cognito_privx.doctor.login import walk
from cognito_privx.errors import CognitoError
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG

NATIVE_LINE = 'domain_prefix = "acme-privx"\ngroup_claim = "cognito:groups"'
PASSWORD = "Corr3ct-Horse-Battery!"


def _native(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"', NATIVE_LINE))


def _custom(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG)


def _pool(aws: Any) -> str:
    return str(aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"])


def _username(aws: Any, pool: str, email: str) -> str:
    return str(aws.admin_get_user(UserPoolId=pool, Username=email)["Username"])


def _native_groups(aws: Any, pool: str, email: str) -> list[str]:
    groups = aws.admin_list_groups_for_user(UserPoolId=pool, Username=_username(aws, pool, email))["Groups"]
    return sorted(g["GroupName"] for g in groups)


def _attribute(aws: Any, pool: str, email: str) -> str | None:
    attrs = aws.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
    return next((a["Value"] for a in attrs if a["Name"] == "custom:group"), None)


def _add(cli: Any, config_file: Path, email: str, *groups: str, force: bool = False) -> None:
    args = [a for g in groups for a in ("--group", g)] + (["--force"] if force else [])
    run = cli("--config", str(config_file), "add-user", email, *args, "--no-invite")
    assert run.exit_code == 0, run.stderr


def _custom_pool_with_users(cli: Any, config_file: Path, aws: Any) -> str:
    """Setup with group_claim = "custom" and three users: alice (dev), bob (ops), carol (sales, not a [roles] key)."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    _add(cli, config_file, "alice@example.com", "dev")
    _add(cli, config_file, "bob@example.com", "ops")
    _add(cli, config_file, "carol@example.com", "sales", force=True)
    return _pool(aws)


def _plan(cli: Any, config_file: Path) -> dict[str, Any]:
    run = cli("--config", str(config_file), "-o", "json", "plan")
    assert run.exit_code in (0, 2), run.stderr
    changes = [c for c in json.loads(run.stdout)["changes"] if c["resource"] == "cognito group claim migration"]
    return changes[0] if changes else {}


def _doctor(cli: Any, config_file: Path) -> dict[str, dict[str, Any]]:
    run = cli("--config", str(config_file), "-o", "json", "doctor", "--login")
    return {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _sign_in(cli: Any, config_file: Path, aws: Any, seams: Seams, email: str) -> None:
    """A real user's sign-in through the direct-login URL (as a browser), their password made permanent first."""
    aws.admin_set_user_password(UserPoolId=_pool(aws), Username=email, Password=PASSWORD, Permanent=True)
    url = cli("--config", str(config_file), "login-url").stdout.strip()
    assert seams.privx_transport is not None and seams.http_transport is not None
    host = httpx.URL(url).netloc.decode()
    with httpx.Client(transport=seams.http_transport, mounts={f"all://{host}": seams.privx_transport}) as client:
        seen = walk(client, url, email, PASSWORD)
    assert seen.signed_in, seen


def test_switch_to_native_groups_is_planned_moved_checked_and_signs_in(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Seams
) -> None:
    pool = _custom_pool_with_users(cli, config_file, aws)
    _native(config_file)

    # plan: the users to move, named; carol's group is reported, never invented.
    change = _plan(cli, config_file)
    assert change, "plan must show the migration"
    assert [u["email"] for u in change["users"]] == ["alice@example.com", "bob@example.com"]
    assert [u["groups"] for u in change["users"]] == [["dev"], ["ops"]]
    assert [x["email"] for x in change["not_moved"]] == ["carol@example.com"]
    text = cli("--config", str(config_file), "plan")
    assert "2 user(s)" in text.stdout and "alice@example.com" in text.stdout
    assert _native_groups(aws, pool, "alice@example.com") == []  # plan changed nothing

    # list-users shows the groups the configured claim reads (none yet), and warns.
    listed = cli("--config", str(config_file), "-o", "json", "list-users")
    assert {u["email"]: u["group"] for u in json.loads(listed.stdout)["users"]}["alice@example.com"] is None
    assert "setup" in listed.stderr and "2 user(s)" in listed.stderr

    # doctor --login: the left-behind state is a failed group-claim check naming the migration.
    check = _doctor(cli, config_file)["group-claim"]
    assert check["status"] == "fail", check
    assert "alice@example.com" in check["message"] and "setup" in (check["hint"] or "")

    # setup moves them (exactly their groups), reports each, ends no session.
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert _native_groups(aws, pool, "alice@example.com") == ["dev"]
    assert _native_groups(aws, pool, "bob@example.com") == ["ops"]
    assert _native_groups(aws, pool, "carol@example.com") == []
    assert "alice@example.com" in run.stderr and "moved 2 user(s)" in run.stderr
    assert "not ended" in run.stderr

    # A re-run moves no one; plan shows no change.
    again = cli("--config", str(config_file), "-o", "json", "setup")
    assert again.exit_code == 0, again.stderr
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}
    assert not any(c["resource"] == "cognito user groups" for c in json.loads(again.stdout)["changes"])

    listed = cli("--config", str(config_file), "-o", "json", "list-users")
    assert {u["email"]: u["group"] for u in json.loads(listed.stdout)["users"]}["alice@example.com"] == "dev"
    assert "setup" not in listed.stderr

    check = _doctor(cli, config_file)["group-claim"]
    assert check["status"] == "ok", check
    assert "alice@example.com" in check["message"]

    # A real sign-in of a moved user: PrivX gets the group as a tag and gives the group's roles.
    world.logins.clear()
    _sign_in(cli, config_file, aws, seams, "alice@example.com")
    login = world.logins[-1]
    assert login["error"] is None, login
    assert login["roles"] == ["developers"] and "dev" in login["tags"]


def test_switch_back_to_the_attribute_moves_native_groups(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Seams
) -> None:
    _native(config_file)
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool = _pool(aws)
    _add(cli, config_file, "dave@example.com", "ops")
    _add(cli, config_file, "erin@example.com", "dev", "ops")
    # Put in a native group in the console: no attribute at all.
    _add(cli, config_file, "frank@example.com", "dev")
    aws.admin_delete_user_attributes(
        UserPoolId=pool, Username=_username(aws, pool, "frank@example.com"), UserAttributeNames=["custom:group"]
    )
    _custom(config_file)

    change = _plan(cli, config_file)
    assert [u["email"] for u in change["users"]] == ["frank@example.com"]
    assert [x["email"] for x in change["not_moved"]] == ["erin@example.com"]  # two groups: custom holds one
    assert _doctor(cli, config_file)["group-claim"]["status"] == "fail"

    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert _attribute(aws, pool, "frank@example.com") == "dev"
    assert _attribute(aws, pool, "dave@example.com") == "ops"
    assert "erin@example.com" in run.stderr  # reported, not moved
    assert _attribute(aws, pool, "erin@example.com") == "dev,ops"  # untouched: never a guess

    world.logins.clear()
    _sign_in(cli, config_file, aws, seams, "frank@example.com")
    assert world.logins[-1]["roles"] == ["developers"], world.logins[-1]


def _client_error(code: str) -> CognitoError:
    import botocore.exceptions

    cause = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "AdminAddUserToGroup")
    try:
        raise CognitoError(f"AdminAddUserToGroup: {code}", "") from cause
    except CognitoError as e:
        return e


def test_a_throttled_move_is_retried(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = _custom_pool_with_users(cli, config_file, aws)
    _native(config_file)
    real = CognitoGateway.call
    thrown: list[str] = []

    def throttled_once(self: CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        if operation == "admin_add_user_to_group" and not thrown:
            thrown.append(operation)
            raise _client_error("TooManyRequestsException")
        return real(self, operation, **params)

    monkeypatch.setattr(CognitoGateway, "call", throttled_once)
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert thrown
    assert _native_groups(aws, pool, "alice@example.com") == ["dev"]
    assert _native_groups(aws, pool, "bob@example.com") == ["ops"]


def test_a_rerun_after_a_failure_midway_finishes(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = _custom_pool_with_users(cli, config_file, aws)
    _native(config_file)
    real = CognitoGateway.call
    seen: list[str] = []

    def second_fails(self: CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        if operation == "admin_add_user_to_group":
            seen.append(params["GroupName"])
            if len(seen) == 2:
                raise _client_error("InternalErrorException_NotRetried")
        return real(self, operation, **params)

    monkeypatch.setattr(CognitoGateway, "call", second_fails)
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code != 0
    assert "alice@example.com" in run.stderr  # the move made before the failure is reported
    assert _native_groups(aws, pool, "alice@example.com") == ["dev"]
    assert _native_groups(aws, pool, "bob@example.com") == []
    monkeypatch.setattr(CognitoGateway, "call", real)

    change = _plan(cli, config_file)
    assert [u["email"] for u in change["users"]] == ["bob@example.com"]  # only what is left
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert _native_groups(aws, pool, "bob@example.com") == ["ops"]
    assert "moved 1 user(s)" in run.stderr
