"""Access follows the config, both ways: revocation, ownership proven before any change, no guessed target.

moto (in-process) stands in for Cognito, the PrivX emulator for PrivX; every assertion is on their state or on
what the CLI printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import privx
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG, PRIVX_URL, REGION
from tests.support.emulator import faults_served, privx_client

pytestmark = pytest.mark.usefixtures("aws")


def _directory_id(emu: PrivXEmulator, name: str = "Cognito") -> str:
    return next(s["id"] for s in emu.sources.values() if s["name"] == name)


def _role(emu: PrivXEmulator, name: str) -> dict[str, Any] | None:
    return next((r for r in emu.roles.values() if r["name"] == name), None)


def _grants(emu: PrivXEmulator, directory_id: str) -> set[tuple[str, str]]:
    """Every (role, search_string) pair whose rule leaf points at ``directory_id``, in any role."""
    return {
        (str(role["name"]), str(leaf["search_string"]))
        for role in emu.roles.values()
        for leaf in privx.leaves(role.get("source_rules"))
        if leaf.get("source") == directory_id
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _run_ok(cli: Any, *args: str) -> Any:
    run = cli(*args)
    assert run.exit_code == 0, run.stderr
    return run


def _assert_converged(cli: Any, config: Path) -> None:
    plan = cli("--config", str(config), "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stderr


# -- revocation ------------------------------------------------------------------------------------------------


def test_a_dropped_group_is_revoked(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    assert _grants(emulator, directory) == {("ops-admins", "(tags=ops)"), ("developers", "(tags=dev)")}

    config_file.write_text(BASE_CONFIG.replace('dev = "developers"\n', ""))
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "- revoke privx role developers ← group dev" in plan.stdout
    # ... and the directory's ownership record, which setup then writes without group dev.
    assert "Plan: 0 to create, 1 to update, 1 to delete" in plan.stdout
    # The role cognito-privx created for dev now carries no grant: reported, not deleted by setup.
    assert "unused: created by cognito-privx" in plan.stdout
    as_json = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    (revoke,) = [c for c in as_json["changes"] if c["action"] == "delete"]
    assert revoke["name"] == "developers ← group dev" and revoke["resource"] == "privx role"

    done = _run_ok(cli, "--config", str(config_file), "setup")
    assert "- revoked privx role developers ← group dev" in done.stderr
    assert _grants(emulator, directory) == {("ops-admins", "(tags=ops)")}
    assert _role(emulator, "developers") is not None  # kept until teardown
    _assert_converged(cli, config_file)


def test_a_remapped_group_moves_to_the_new_role_only(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    config_file.write_text(BASE_CONFIG.replace('dev = "developers"', 'dev = "engineers"'))
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "+ create privx role engineers ← group dev" in plan.stdout
    assert "- revoke privx role developers ← group dev" in plan.stdout

    _run_ok(cli, "--config", str(config_file), "setup")
    assert _grants(emulator, _directory_id(emulator)) == {("ops-admins", "(tags=ops)"), ("engineers", "(tags=dev)")}
    _assert_converged(cli, config_file)


def test_a_removed_role_table_is_revoked(cli: Any, tmp_path: Path, emulator: PrivXEmulator) -> None:
    table = '\n[roles.audit]\nrole = "auditors"\npermissions = ["connections-view"]\n'
    config = _write(tmp_path / "c.toml", BASE_CONFIG + table)
    _run_ok(cli, "--config", str(config), "setup")
    directory = _directory_id(emulator)
    assert ("auditors", "(tags=audit)") in _grants(emulator, directory)

    config.write_text(BASE_CONFIG)
    plan = cli("--config", str(config), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3 and "- revoke privx role auditors ← group audit" in plan.stdout
    _run_ok(cli, "--config", str(config), "setup")
    assert ("auditors", "(tags=audit)") not in _grants(emulator, directory)
    _assert_converged(cli, config)


def test_a_rule_whose_form_changed_is_replaced(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    """Rules of ours in another form (here another filter) are revoked and the configured form added."""
    config_file.write_text(
        BASE_CONFIG.replace('button_title = "Cognito"', 'button_title = "Cognito"\nrule_template = "(tag={group})"')
    )
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    assert _grants(emulator, directory) == {("ops-admins", "(tag=ops)"), ("developers", "(tag=dev)")}

    config_file.write_text(BASE_CONFIG)  # back to the default form, (tags={group})
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "- revoke privx role ops-admins ← rule (tag=ops)" in plan.stdout
    _run_ok(cli, "--config", str(config_file), "setup")
    assert _grants(emulator, directory) == {("ops-admins", "(tags=ops)"), ("developers", "(tags=dev)")}
    _assert_converged(cli, config_file)


def test_foreign_rules_and_other_directories_are_never_touched(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    ldap = {"type": "RULE", "source": "ldap-directory", "search_string": "(cn=admins)", "rules": []}
    ops = _role(emulator, "ops-admins")
    assert ops is not None
    ops["source_rules"]["rules"].append(ldap)
    # A role someone else made that a person pointed at our directory by hand: ours, since its source is ours.
    other = privx_client(emulator).create_role(
        {
            "name": "hand-made",
            "source_rules": {
                "type": "GROUP",
                "match": "ANY",
                "rules": [ldap, {"type": "RULE", "source": directory, "search_string": "(tags=ops)", "rules": []}],
            },
        }
    )
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3 and "- revoke privx role hand-made ← group ops" in plan.stdout

    _run_ok(cli, "--config", str(config_file), "setup")
    assert ldap in _role(emulator, "ops-admins")["source_rules"]["rules"]  # type: ignore[index]
    assert emulator.roles[other]["source_rules"]["rules"] == [ldap]  # the role itself stays: not ours
    assert _grants(emulator, directory) == {("ops-admins", "(tags=ops)"), ("developers", "(tags=dev)")}
    _assert_converged(cli, config_file)


def test_a_grant_inside_an_all_group_is_reported_not_rewritten(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    rules = {
        "type": "GROUP",
        "match": "ALL",
        "rules": [
            {"type": "RULE", "source": "ldap", "search_string": "(cn=x)", "rules": []},
            # Our form for a group we grant: ours (a copy of our grant in someone's ALL group), reported.
            {"type": "RULE", "source": directory, "search_string": "(tags=dev)", "rules": []},
        ],
    }
    role_id = privx_client(emulator).create_role({"name": "narrow", "source_rules": rules})
    run = _run_ok(cli, "--config", str(config_file), "setup")
    assert "not revoked: a copy inside an ALL group stays" in run.stderr
    assert emulator.roles[role_id]["source_rules"] == rules


def test_teardown_leaves_no_grant_and_no_role_of_ours_unless_someone_elses_is_in_it(
    cli: Any, tmp_path: Path, emulator: PrivXEmulator
) -> None:
    config = _write(tmp_path / "c.toml", BASE_CONFIG + '\n[roles.audit]\nrole = "auditors"\n')
    _run_ok(cli, "--config", str(config), "setup")
    directory = _directory_id(emulator)
    # Someone added a rule of theirs to one role we created, and a permission to another.
    ldap = {"type": "RULE", "source": "ldap", "search_string": "(cn=ops)", "rules": []}
    _role(emulator, "ops-admins")["source_rules"]["rules"].append(ldap)  # type: ignore[index]
    _role(emulator, "auditors")["permissions"] = ["users-view"]  # type: ignore[index]
    # A role we created earlier for a group that is no longer configured.
    config.write_text(BASE_CONFIG.replace('dev = "developers"\n', "") + '\n[roles.audit]\nrole = "auditors"\n')
    _run_ok(cli, "--config", str(config), "setup")

    run = _run_ok(cli, "--config", str(config), "teardown", "--yes")
    assert _grants(emulator, directory) == set()
    assert _role(emulator, "developers") is None  # ours, nothing else in it
    assert _role(emulator, "ops-admins") is not None and _role(emulator, "auditors") is not None
    assert _role(emulator, "ops-admins")["source_rules"]["rules"] == [ldap]  # type: ignore[index]
    assert "kept: it holds 1 rule(s) of others" in run.stderr
    assert "kept: it holds permissions users-view" in run.stderr
    again = _run_ok(cli, "--config", str(config), "teardown", "--yes")
    assert "Nothing to remove" in again.stderr


# -- ownership ---------------------------------------------------------------------------------------------------


def test_another_configs_teardown_leaves_the_first_deployment_alone(
    cli: Any, config_file: Path, tmp_path: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    grants = _grants(emulator, directory)
    second = _write(
        tmp_path / "second.toml",
        BASE_CONFIG.replace('pool_name = "privx-users"', 'pool_name = "other-users"').replace(
            'domain_prefix = "acme-privx"', 'domain_prefix = "other-privx"'
        ),
    )
    # Same directory name, but its issuer is the first deployment's pool: setup refuses to re-point it ...
    refused = cli("--config", str(second), "setup")
    assert refused.exit_code == 1 and "is not this config's" in refused.stderr
    assert [p["Name"] for p in aws.list_user_pools(MaxResults=60)["UserPools"]] == ["privx-users"]
    # ... and teardown leaves it, with its grants, and says why.
    run = _run_ok(cli, "--config", str(second), "teardown", "--yes")
    assert "left alone: its issuer" in run.stderr
    assert emulator.sources[directory]["name"] == "Cognito"
    assert _grants(emulator, directory) == grants


def test_our_marker_alone_does_not_make_a_directory_ours(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    marked = privx_client(emulator).create_source(
        {
            "name": "Cognito",
            "comment": f"Amazon Cognito user pool, {privx.MANAGED_MARKER}",
            "enabled": True,
            "connection": {
                "type": "OIDC",
                "oidc_enabled": True,
                "oidc_issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Live1",
                "oidc_client_id": "liveclient",
                "oidc_client_secret": "livesecret",
            },
        }
    )
    before = json.loads(json.dumps(emulator.sources[marked]))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1 and "another config's deployment" in run.stderr
    assert emulator.sources[marked] == before
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []  # nothing created: observed before any write


def test_an_adopted_pool_and_its_users_survive_teardown(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool = aws.create_user_pool(
        PoolName="privx-users",
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},  # else --adopt refuses (test_escalation.py)
    )["UserPool"]["Id"]
    _run_ok(cli, "--config", str(config_file), "setup", "--adopt")
    _run_ok(cli, "--config", str(config_file), "add-user", "ann@example.com", "--group", "ops", "--no-invite")

    run = _run_ok(cli, "--config", str(config_file), "teardown", "--yes")
    assert "kept: adopted with --adopt" in run.stderr
    assert [p["Id"] for p in aws.list_user_pools(MaxResults=60)["UserPools"]] == [pool]
    assert len(aws.list_users(UserPoolId=pool)["Users"]) == 1
    assert aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"] == []
    assert "Cognito" not in {s["name"] for s in emulator.sources.values()}

    # Our tags went with the first teardown (issue 20): the pool is no longer ours, not even to delete.
    again = _run_ok(cli, "--config", str(config_file), "teardown", "--yes", "--delete-adopted-pool")
    assert "not created by cognito-privx" in again.stderr, again.stderr
    assert [p["Id"] for p in aws.list_user_pools(MaxResults=60)["UserPools"]] == [pool]


def test_a_pool_whose_users_do_not_sign_in_with_email_cannot_be_adopted(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool = aws.create_user_pool(PoolName="privx-users", UsernameAttributes=["phone_number"])["UserPool"]["Id"]
    run = cli("--config", str(config_file), "setup", "--adopt")
    assert run.exit_code == 1 and f"pool {pool} cannot be adopted" in run.stderr
    assert (
        "UserPoolTags" not in aws.describe_user_pool(UserPoolId=pool)["UserPool"]
        or not (aws.describe_user_pool(UserPoolId=pool)["UserPool"]["UserPoolTags"])
    )


def test_ambiguous_pools_are_listed_and_pool_id_pins_one(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    ours = {"managed-by": "cognito-privx"}
    first = aws.create_user_pool(PoolName="privx-users", UserPoolTags=ours, UsernameAttributes=["email"])
    second = aws.create_user_pool(PoolName="privx-users", UserPoolTags=ours, UsernameAttributes=["email"])
    ids = [first["UserPool"]["Id"], second["UserPool"]["Id"]]
    run = cli("--config", str(config_file), "plan")
    assert run.exit_code == 1
    for pool_id in ids:
        assert pool_id in run.stderr
    assert "created 20" in run.stderr and "0 user(s)" in run.stderr
    assert "pool_id" in run.stderr and "--pool-id" in run.stderr

    pinned = cli("--config", str(config_file), "--pool-id", ids[1], "setup")
    assert pinned.exit_code == 0, pinned.stderr
    directory = next(iter(s for s in emulator.sources.values() if s["name"] == "Cognito"))
    assert directory["connection"]["oidc_issuer"].endswith(ids[1])
    assert f"pool privx-users ({ids[1]})" in pinned.stderr.splitlines()[0]


# -- the target and domain changes --------------------------------------------------------------------------------


def test_plan_setup_and_teardown_start_with_the_target_line(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    for args in (("plan",), ("setup",), ("teardown", "--dry-run")):
        first = cli("--config", str(config_file), *args).stderr.splitlines()[0]
        assert first == (
            f"target: config {config_file} · AWS account 123456789012, {REGION} · pool privx-users · PrivX {PRIVX_URL}"
        ), args
    document = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    assert document["target"]["account"] == "123456789012" and document["target"]["pool"] == "privx-users"


def test_a_changed_domain_prefix_converges(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    config_file.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx2"'))
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "- delete cognito domain acme-privx" in plan.stdout and "+ create cognito domain acme-privx2" in plan.stdout
    _run_ok(cli, "--config", str(config_file), "setup")
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"] == "acme-privx2"
    assert aws.describe_user_pool_domain(Domain="acme-privx")["DomainDescription"] == {}
    _assert_converged(cli, config_file)


def test_native_groups_no_longer_mapped_are_reported_and_removed_by_teardown_when_empty(
    cli: Any, tmp_path: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    native = BASE_CONFIG.replace(
        'domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx"\ngroup_claim = "cognito:groups"'
    )
    config = _write(tmp_path / "groups.toml", native)
    _run_ok(cli, "--config", str(config), "setup")
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    _run_ok(cli, "--config", str(config), "add-user", "ann@example.com", "--group", "ops", "--no-invite")
    aws.create_group(UserPoolId=pool, GroupName="theirs")

    config.write_text(native.replace('dev = "developers"\n', ""))
    plan = _run_ok(cli, "--config", str(config), "plan")
    assert "cognito group dev" in plan.stdout and "unused: created by cognito-privx" in plan.stdout

    _run_ok(cli, "--config", str(config), "teardown", "--keep-pool", "--yes")
    groups = {g["GroupName"] for g in aws.list_groups(UserPoolId=pool)["Groups"]}
    assert groups == {"ops", "theirs"}  # dev was ours and empty; ops still has ann; theirs is not ours


# -- review findings: built-in roles, ALL copies, narrowed grants, other deployments, honest output ---------------


def test_a_grant_to_a_built_in_role_is_revoked_too(cli: Any, tmp_path: Path, emulator: PrivXEmulator) -> None:
    config = _write(tmp_path / "c.toml", BASE_CONFIG + 'admins = "privx-admin"\n')
    _run_ok(cli, "--config", str(config), "setup")
    directory = _directory_id(emulator)
    assert ("privx-admin", "(tags=admins)") in _grants(emulator, directory)
    config.write_text(BASE_CONFIG)
    plan = cli("--config", str(config), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3 and "- revoke privx role privx-admin ← group admins" in plan.stdout
    _run_ok(cli, "--config", str(config), "setup")
    assert ("privx-admin", "(tags=admins)") not in _grants(emulator, directory)
    assert _role(emulator, "privx-admin") is not None  # built-in: never deleted

    config.write_text(BASE_CONFIG + 'admins = "privx-admin"\n')
    _run_ok(cli, "--config", str(config), "setup")
    _run_ok(cli, "--config", str(config), "teardown", "--yes")
    assert _grants(emulator, directory) == set()  # no rule anywhere points at the deleted directory
    assert _role(emulator, "privx-admin") is not None


def test_a_copy_in_an_all_group_does_not_block_revoking_the_plain_grant(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    ops = _role(emulator, "ops-admins")
    assert ops is not None
    narrowed = {
        "type": "GROUP",
        "match": "ALL",
        "rules": [
            {"type": "RULE", "source": directory, "search_string": "(tags=ops)", "rules": []},
            {"type": "RULE", "source": "ldap", "search_string": "(cn=oncall)", "rules": []},
        ],
    }
    ops["source_rules"]["rules"].append(narrowed)
    config_file.write_text(BASE_CONFIG.replace('ops = "ops-admins"\n', ""))
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "- revoke privx role ops-admins ← group ops" in plan.stdout
    assert "a copy inside an ALL group stays" in plan.stdout
    run = _run_ok(cli, "--config", str(config_file), "setup")
    assert "1 deleted or revoked" in run.stderr
    assert _role(emulator, "ops-admins")["source_rules"]["rules"] == [narrowed]  # type: ignore[index]


def test_a_grant_narrowed_by_an_all_group_is_not_in_place(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    directory = _directory_id(emulator)
    dev = _role(emulator, "developers")
    assert dev is not None
    ours = {"type": "RULE", "source": directory, "search_string": "(tags=dev)", "rules": []}
    dev["source_rules"]["rules"] = [
        {"type": "GROUP", "match": "ALL", "rules": [ours, {"type": "RULE", "source": "x", "search_string": "(cn=no)"}]}
    ]
    plan = cli("--config", str(config_file), "plan", "--detailed-exitcode")
    assert plan.exit_code == 3 and "~ update privx role developers ← group dev" in plan.stdout
    _run_ok(cli, "--config", str(config_file), "setup")
    assert privx.has_rule(_role(emulator, "developers"), directory, "(tags=dev)")  # type: ignore[arg-type]
    _assert_converged(cli, config_file)


def test_another_deployments_roles_are_not_unused_here(
    cli: Any, config_file: Path, tmp_path: Path, emulator: PrivXEmulator
) -> None:
    second = _write(
        tmp_path / "second.toml",
        BASE_CONFIG.replace('pool_name = "privx-users"', 'pool_name = "other-users"')
        .replace('domain_prefix = "acme-privx"', 'domain_prefix = "other-privx"')
        .replace('directory_name = "Cognito"', 'directory_name = "Other"')
        .replace('ops = "ops-admins"\ndev = "developers"', 'qa = "testers"'),
    )
    _run_ok(cli, "--config", str(second), "setup")
    run = _run_ok(cli, "--config", str(config_file), "setup")
    assert "testers" not in run.stderr
    _run_ok(cli, "--config", str(config_file), "teardown", "--yes")
    assert _role(emulator, "testers") is not None
    assert _grants(emulator, _directory_id(emulator, "Other")) == {("testers", "(tags=qa)")}


def test_a_setup_that_fails_half_way_has_said_what_it_did(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    from cognito_privx.sandbox.emulator import Fault

    emulator.add_fault(Fault(method="POST", path="/role-store/api/v1/roles", status=400, times=5))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1
    assert faults_served(emulator) == [("POST", "/role-store/api/v1/roles", "status 400")]
    for line in ("+ created cognito user pool privx-users", "+ created privx directory Cognito"):
        assert line in run.stderr
    assert "error: PrivX refused the rules of role" in run.stderr


def test_a_config_without_tier_leaves_the_pools_tier_alone(
    cli: Any, tmp_path: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    """A tier raised in the console (or set by an earlier config) is not silently downgraded to LITE."""
    config = _write(
        tmp_path / "c.toml",
        BASE_CONFIG.replace('app_client_name = "privx"', 'app_client_name = "privx"\ntier = "ESSENTIALS"'),
    )
    _run_ok(cli, "--config", str(config), "setup")
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.describe_user_pool(UserPoolId=pool)["UserPool"].get("UserPoolTier") in ("ESSENTIALS", None)
    config.write_text(BASE_CONFIG)
    plan = cli("--config", str(config), "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert "UserPoolTier" not in plan.stdout


def test_login_url_for_another_configs_directory_hints_adopt_not_setup(
    cli: Any, config_file: Path, tmp_path: Path, emulator: PrivXEmulator
) -> None:
    _run_ok(cli, "--config", str(config_file), "setup")
    second = _write(
        tmp_path / "second.toml",
        BASE_CONFIG.replace('pool_name = "privx-users"', 'pool_name = "other-users"').replace(
            'domain_prefix = "acme-privx"', 'domain_prefix = "other-privx"'
        ),
    )
    run = cli("--config", str(second), "login-url")
    assert run.exit_code == 1 and "is not this config's" in run.stderr
    assert "--adopt" in run.stderr and "directory_name" in run.stderr
