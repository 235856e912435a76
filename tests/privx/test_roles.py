"""Groups become PrivX roles (part of setup), the cognito:groups mode, and target-account mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import Fault, PrivXEmulator
from tests.support.constants import BASE_CONFIG
from tests.support.emulator import faults_served, privx_client

pytestmark = pytest.mark.usefixtures("aws")


def _role(emu: PrivXEmulator, name: str) -> dict[str, Any]:
    (role,) = [r for r in emu.roles.values() if r["name"] == name]
    return role


def _directory_id(emu: PrivXEmulator) -> str:
    return next(s["id"] for s in emu.sources.values() if s["name"] == "Cognito")


def _leaves(node: dict[str, Any]) -> list[tuple[str, str]]:
    out = [(node["source"], node["search_string"])] if node.get("type") == "RULE" else []
    for child in node.get("rules") or []:
        out += _leaves(child)
    return out


def test_setup_creates_roles_with_one_rule_each_then_changes_nothing(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    directory_id = _directory_id(emulator)
    ops = _role(emulator, "ops-admins")
    assert ops["source_rules"]["type"] == "GROUP" and ops["source_rules"]["match"] == "ANY"
    assert _leaves(ops["source_rules"]) == [(directory_id, "(tags=ops)")]
    assert _leaves(_role(emulator, "developers")["source_rules"]) == [(directory_id, "(tags=dev)")]
    assert "+ created privx role ops-admins ← group ops" in run.stderr

    writes = len(emulator.write_requests())
    again = cli("--config", str(config_file), "-o", "json", "setup")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}
    assert len(emulator.write_requests()) == writes
    assert cli("--config", str(config_file), "plan", "--detailed-exitcode").exit_code == 0


def test_existing_role_gets_our_rule_and_keeps_everything_else(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    foreign = {"type": "RULE", "source": "some-ldap-directory", "search_string": "cn=admins", "rules": []}
    role_id = privx_client(emulator).create_role(
        {
            "name": "ops-admins",
            "comment": "hand-made",
            "permissions": ["users-view"],
            "permit_agent": True,
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": [foreign]},
        }
    )
    before = json.loads(json.dumps(emulator.roles[role_id]))
    plan = cli("--config", str(config_file), "-o", "json", "plan")
    change = next(c for c in json.loads(plan.stdout)["changes"] if c["name"].startswith("ops-admins"))
    assert change["action"] == "update" and [f["field"] for f in change["fields"]] == ["source_rules"]
    # No preview yet: the directory id the rule needs is only known after apply.
    assert not any("would match" in n for n in change["notes"])

    assert cli("--config", str(config_file), "setup").exit_code == 0
    after = emulator.roles[role_id]
    assert _leaves(after["source_rules"]) == [
        ("some-ldap-directory", "cn=admins"),
        (_directory_id(emulator), "(tags=ops)"),
    ]
    for key in set(before) - {"source_rules", "updated", "comment"}:
        assert after[key] == before[key], key
    assert after["comment"] == "hand-made"
    assert cli("--config", str(config_file), "plan", "--detailed-exitcode").exit_code == 0

    # Our rule lost by hand: the plan now previews who the repaired role would match (roles/evaluate).
    after["source_rules"]["rules"] = after["source_rules"]["rules"][:1]
    drift = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    change = next(c for c in drift["changes"] if c["name"].startswith("ops-admins"))
    assert any("would match 0 user(s)" in n for n in change["notes"])


def test_an_unavailable_preview_never_stops_setup(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    for role in emulator.roles.values():
        if role["name"] == "ops-admins":
            role["source_rules"]["rules"] = []
    emulator.add_fault(Fault(method="POST", path="/role-store/api/v1/roles/evaluate", status=404, times=10))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    # Asked once by the read-only pass and once under the run lock (a run with a change reads twice: cli/deploy.py).
    assert faults_served(emulator) == [("POST", "/role-store/api/v1/roles/evaluate", "status 404")] * 2
    assert _leaves(_role(emulator, "ops-admins")["source_rules"]) == [(_directory_id(emulator), "(tags=ops)")]


def test_a_400_on_a_role_rule_is_an_error_naming_the_role_and_the_rule(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    for role in emulator.roles.values():
        if role["name"] == "ops-admins":
            role["source_rules"]["rules"] = []
    emulator.add_fault(Fault(method="POST", path="/role-store/api/v1/roles/evaluate", status=400, times=10))
    plan = cli("--config", str(config_file), "plan")
    assert plan.exit_code == 1
    assert faults_served(emulator) == [("POST", "/role-store/api/v1/roles/evaluate", "status 400")]
    assert "PrivX refused the rules of role 'ops-admins' (search_string '(tags=ops)')" in plan.stderr
    assert "rule_template" in plan.stderr
    emulator.clear_faults()
    emulator.add_fault(Fault(method="PUT", path="/role-store/api/v1/roles/*", status=400, times=1))
    emulator.requests.clear()
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1 and "PrivX refused the rules of role 'ops-admins'" in run.stderr
    ((method, path, fault),) = faults_served(emulator)
    assert (method, path.startswith("/role-store/api/v1/roles/"), fault) == ("PUT", True, "status 400")


def test_role_with_an_all_group_is_reported_not_rewritten(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    rules = {
        "type": "GROUP",
        "match": "ALL",
        "rules": [{"type": "RULE", "source": "ldap", "search_string": "cn=x", "rules": []}],
    }
    role_id = privx_client(emulator).create_role({"name": "ops-admins", "source_rules": rules})
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert "not changed: the role's rules are a ALL group" in run.stderr
    assert emulator.roles[role_id]["source_rules"] == rules


def test_table_form_roles_create_with_permissions(cli: Any, tmp_path: Path, emulator: PrivXEmulator) -> None:
    config = tmp_path / "roles.toml"
    text = BASE_CONFIG.replace('ops = "ops-admins"\n', "")
    text += '[roles.ops]\nrole = "ops-admins"\npermissions = ["connections-view"]\ncomment = "Ops"\n'
    config.write_text(text)
    assert cli("--config", str(config), "setup").exit_code == 0
    role = _role(emulator, "ops-admins")
    directory_id = _directory_id(emulator)
    assert role["permissions"] == ["connections-view"]
    assert role["comment"] == f"Ops (managed by cognito-privx for directory {directory_id})"


def test_native_groups_mode(cli: Any, tmp_path: Path, aws: Any, emulator: PrivXEmulator) -> None:
    config = tmp_path / "groups.toml"
    config.write_text(
        BASE_CONFIG.replace(
            'domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx"\ngroup_claim = "cognito:groups"'
        )
    )
    c = ["--config", str(config)]
    run = cli(*c, "setup")
    assert run.exit_code == 0, run.stderr
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert sorted(g["GroupName"] for g in aws.list_groups(UserPoolId=pool)["Groups"]) == ["dev", "ops"]
    directory = next(s for s in emulator.sources.values() if s["name"] == "Cognito")
    assert directory["connection"]["oidc_tags_attribute_name"] == "cognito:groups"
    assert cli(*c, "plan", "--detailed-exitcode").exit_code == 0

    def groups(email: str) -> list[str]:
        return sorted(g["GroupName"] for g in aws.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"])

    assert cli(*c, "add-user", "alice@example.com", "--group", "ops", "--no-invite").exit_code == 0
    assert groups("alice@example.com") == ["ops"]
    aws.create_group(UserPoolId=pool, GroupName="not-a-role")
    aws.admin_add_user_to_group(UserPoolId=pool, Username="alice@example.com", GroupName="not-a-role")
    moved = cli(*c, "set-group", "alice@example.com", "--group", "dev")
    assert moved.exit_code == 0 and "+ group dev, - group ops" in moved.stderr
    assert groups("alice@example.com") == ["dev", "not-a-role"]
    assert "= unchanged" in cli(*c, "set-group", "alice@example.com", "--group", "dev").stderr
    # A user whose membership was lost (say a crash between create and add-to-group) is repaired.
    aws.admin_remove_user_from_group(UserPoolId=pool, Username="alice@example.com", GroupName="dev")
    assert "+ group dev" in cli(*c, "add-user", "alice@example.com", "--group", "dev").stderr
    unknown = cli(*c, "add-user", "bob@example.com", "--group", "sales", "--force")
    assert unknown.exit_code == 2 and "no Cognito group 'sales'" in unknown.stderr


def test_account_mapping_is_written_shown_and_converged(cli: Any, tmp_path: Path, emulator: PrivXEmulator) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(
        BASE_CONFIG.replace(
            'button_title = "Cognito"',
            'button_title = "Cognito"\naccount_mapping = { unix_account = "email", windows_account = "email" }',
        )
    )
    plan = cli("--config", str(config), "plan")
    # Keyed by target: one claim feeds both accounts, as PrivX's OIDC guide maps it.
    mapping = {"unix_account": "email", "windows_account": "email"}
    assert f"connection.attribute_mapping: {json.dumps(mapping, sort_keys=True)}" in plan.stdout
    assert cli("--config", str(config), "setup").exit_code == 0
    directory = next(s for s in emulator.sources.values() if s["name"] == "Cognito")
    assert directory["connection"]["attribute_mapping"] == mapping
    directory["connection"]["attribute_mapping"] = {}
    drift = json.loads(cli("--config", str(config), "-o", "json", "plan").stdout)
    fields = [f["field"] for c in drift["changes"] for f in c["fields"]]
    assert "connection.attribute_mapping" in fields


@pytest.mark.parametrize(
    "written",
    ['{ email = "windows_account", name = "unix_account" }', '{ windows_account = "email", unix_account = "name" }'],
)
def test_account_mapping_is_accepted_in_either_direction(
    cli: Any, tmp_path: Path, emulator: PrivXEmulator, written: str
) -> None:
    """PrivX documents ``oidc_attribute_mapping`` as "attribute:token mappings" (keyed by the source claim), the
    UI as Source=Target pairs; our target-keyed form was an inference (issue 23). Both are accepted: the targets are
    the known two, so the direction of each pair is plain, and both configs mean the same."""
    config = tmp_path / "either.toml"
    config.write_text(
        BASE_CONFIG.replace('button_title = "Cognito"', f'button_title = "Cognito"\naccount_mapping = {written}')
    )
    run = cli("--config", str(config), "-o", "json", "plan")
    assert run.exit_code == 0, run.stderr
    fields = {f["field"]: f["after"] for c in json.loads(run.stdout)["changes"] for f in c["fields"]}
    assert fields["connection.attribute_mapping"] == {"unix_account": "name", "windows_account": "email"}


def test_an_account_mapping_that_names_no_target_is_refused(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        BASE_CONFIG.replace(
            'button_title = "Cognito"', 'button_title = "Cognito"\naccount_mapping = { email = "name" }'
        )
    )
    run = cli("--config", str(config), "plan")
    assert run.exit_code == 2 and "unix_account or windows_account" in run.stderr
