"""The converged world (``tests/support/converged.py``): a restored first ``setup`` leaves moto and the PrivX
emulator exactly as the real run did, the tool finds nothing to change in it, and any difference in what shapes a
``setup`` (config, environment, the stand-ins' state, a patched call) makes it run for real."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from moto.core.base_backend import BackendDict

from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import Fault, PrivXEmulator
from tests.support import converged
from tests.support.emulator import MakeEmulator, wire_emulator


def _moto(aws: Any) -> dict[str, Any]:
    """Every pool as boto3 reads it: the pool, its clients, domain, groups, IdPs, resource servers, MFA, users."""
    world: dict[str, Any] = {}
    for summary in aws.list_user_pools(MaxResults=60)["UserPools"]:
        pool_id = summary["Id"]
        pool = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        clients = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
        world[pool_id] = {
            "pool": pool,
            "clients": [
                aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=c["ClientId"])["UserPoolClient"]
                for c in clients
            ],
            "domain": aws.describe_user_pool_domain(Domain=pool["Domain"]) if pool.get("Domain") else None,
            "groups": aws.list_groups(UserPoolId=pool_id)["Groups"],
            "idps": aws.list_identity_providers(UserPoolId=pool_id)["Providers"],
            "resource_servers": aws.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"],
            "mfa": aws.get_user_pool_mfa_config(UserPoolId=pool_id),
            "users": aws.list_users(UserPoolId=pool_id)["Users"],
        }
        for part in world[pool_id].values():
            if isinstance(part, dict):
                part.pop("ResponseMetadata", None)
                # moto makes up the domain's AWSAccountId at each read (cognitoidp/models.py: random.uuid4()).
                part.get("DomainDescription", {}).pop("AWSAccountId", None)
    return world


def _emulator(emulator: PrivXEmulator) -> dict[str, Any]:
    """The emulator's whole observable state (real values), and its API clients with their permissions."""
    return {
        "sources": emulator.sources,
        "roles": emulator.roles,
        "users": emulator.users,
        "builtin_source_ids": dict(emulator.builtin_source_ids),
        "requests": [dataclasses.asdict(r) for r in emulator.requests],
        "logins": emulator.logins,
        "sessions": emulator.sessions,
        "connections": emulator.connections,
        "refreshes": emulator.refreshes,
        "faults": emulator.faults,
        "clients": emulator._auth.permissions(),
        "tokens": emulator._auth._tokens,
    }


@pytest.mark.setup_runs
def test_a_restored_world_equals_the_one_setup_left_and_a_second_setup_changes_nothing(
    cli: Any,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    make_emulator: MakeEmulator,
    seams: Seams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = cli("--config", str(config_file), "setup")
    assert first.exit_code == 0, first.stderr
    moto_left, emulator_left = _moto(aws), json.dumps(_emulator(emulator), sort_keys=True, default=repr)
    moto_state, emulator_state = converged._take(emulator)
    kept = converged.Converged(first.exit_code, first.stdout, first.stderr, {}, moto_state, emulator_state)

    BackendDict.reset()  # moto as a new test finds it
    assert _moto(aws) == {}
    other = wire_emulator(make_emulator(), seams, monkeypatch)
    assert other.builtin_source_ids != emulator.builtin_source_ids  # drawn at random per emulator
    converged.restore(kept, other)

    assert _moto(aws) == moto_left
    assert json.dumps(_emulator(other), sort_keys=True, default=repr) == emulator_left
    assert other.sources is other._sources.by_id and other.roles is other._roles.by_id  # views and parts agree

    writes = len(other.write_requests())
    second = cli("--config", str(config_file), "-o", "json", "setup")
    assert second.exit_code == 0, second.stderr
    assert {c["action"] for c in json.loads(second.stdout)["changes"]} == {"noop"}
    assert len(other.write_requests()) == writes
    assert _moto(aws) == moto_left


def _key(request: pytest.FixtureRequest, seams: Seams, tmp_path: Path, *args: str) -> object:
    return converged._key(args, None, request, seams, tmp_path)


def test_only_an_identical_first_setup_from_an_untouched_world_is_restored(
    request: pytest.FixtureRequest,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    seams: Seams,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("--config", str(config_file), "setup")
    key = _key(request, seams, tmp_path, *args)
    assert key is not None and key == _key(request, seams, tmp_path, *args)
    assert _key(request, seams, tmp_path, "--config", str(config_file), "plan") is None  # only setup
    assert _key(request, seams, tmp_path, *args, "--dry-run") not in (None, key)  # the arguments count

    config_file.write_text(config_file.read_text() + "\n# a comment\n")  # any file of the test's directory counts
    assert _key(request, seams, tmp_path, *args) not in (None, key)
    (tmp_path / "other.txt").write_text("x")
    with_file = _key(request, seams, tmp_path, *args)
    monkeypatch.setenv("COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION", "kept")  # so does the environment
    assert _key(request, seams, tmp_path, *args) not in (None, with_file)
    monkeypatch.delenv("COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION")

    seams.race_settle_s = 0.5  # the seams
    assert _key(request, seams, tmp_path, *args) not in (None, with_file)
    seams.race_settle_s = 0.05
    emulator.variant = dataclasses.replace(emulator.variant, login_route="legacy")  # the emulator's settings
    assert _key(request, seams, tmp_path, *args) not in (None, with_file)
    emulator.variant = dataclasses.replace(emulator.variant, login_route="authorize")
    assert _key(request, seams, tmp_path, *args) == with_file

    # A touched world always runs: a fault armed, a role made, a pool in moto, a call patched, a fake clock.
    emulator.add_fault(Fault(method="POST", path="/role-store/api/v1/roles", status=500))
    assert _key(request, seams, tmp_path, *args) is None
    emulator.clear_faults()
    aws.create_user_pool(PoolName="already-there")
    assert _key(request, seams, tmp_path, *args) is None
    BackendDict.reset()
    assert _key(request, seams, tmp_path, *args) == with_file
    monkeypatch.setattr(Seams, "__doc__", "patched")
    assert _key(request, seams, tmp_path, *args) is None


@pytest.mark.parametrize("emulator_settings", [{"clock": lambda: 0.0}])
def test_an_emulator_on_a_fake_clock_always_runs_its_setup(
    request: pytest.FixtureRequest, config_file: Path, aws: Any, emulator: PrivXEmulator, seams: Seams, tmp_path: Path
) -> None:
    assert _key(request, seams, tmp_path, "--config", str(config_file), "setup") is None
