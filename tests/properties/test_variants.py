"""The key flows against every plausible PrivX: where no public source settles PrivX's behaviour, the emulator runs
in each variant, and the tool works -- or finds out and says exactly what to set (docs/privx-api.md#open-questions).

Variants cover each value of each unknown at least once: the rule grammar (an LDAP-style filter, or the bare tag),
the login route (the documented authorize endpoint, or the legacy route), the direction of ``attribute_mapping``,
and what ``roles/resolve`` does with an unknown name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx import privx
from cognito_privx.sandbox.emulator import EmulatorVariant, PrivXEmulator
from tests.support.constants import (
    BASE_CONFIG,
    REGION,
)
from tests.support.emulator import api_client, privx_client
from tests.support.oidc import cognito_discovery

pytestmark = pytest.mark.usefixtures("aws", "discovery_in_process")

VARIANTS = [
    EmulatorVariant(),
    EmulatorVariant(
        rule_grammar="bare",
        login_route="legacy",
        attribute_mapping="claim",
        resolve_unknown="partial",
        rotated_refresh_token="ignored",
    ),
    EmulatorVariant(rule_grammar="filter", login_route="legacy", attribute_mapping="target", resolve_unknown="404"),
    EmulatorVariant(rule_grammar="bare", login_route="authorize", attribute_mapping="claim", resolve_unknown="empty"),
]
LEGACY_TEMPLATE = "{base_url}/auth/api/v1/oidc/login?directory={directory_id}"


@pytest.fixture(params=VARIANTS, ids=lambda v: v.describe().replace(" ", ""))
def emulator_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every test here runs once per variant; the emulator's direct login discovers the pool's hosted UI."""
    return {
        "variant": request.param,
        "oidc_http": httpx.Client(transport=cognito_discovery(f"https://acme-privx.auth.{REGION}.amazoncognito.com")),
    }


def _checks(cli: Any, config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor")
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _set(config: Path, line: str) -> None:
    config.write_text(config.read_text().replace('button_title = "Cognito"', f'button_title = "Cognito"\n{line}'))


def test_setup_plan_doctor_teardown_in_every_variant(cli: Any, tmp_path: Path, emulator: PrivXEmulator) -> None:
    variant = emulator.variant
    config = tmp_path / "cognito-privx.toml"
    config.write_text(BASE_CONFIG)
    _set(config, 'account_mapping = { unix_account = "email" }')

    assert cli("--config", str(config), "setup").exit_code == 0
    assert cli("--config", str(config), "plan", "--detailed-exitcode").exit_code == 0
    (directory,) = [s for s in emulator.sources.values() if s["name"] == "Cognito"]
    user = emulator.login_user(directory["id"], {"sub": "s-1", "email": "ann@example.com", "custom:group": "ops"})
    # The mapping reaches PrivX as written; which direction PrivX reads decides whether the account is filled.
    assert directory["connection"]["attribute_mapping"] == {"unix_account": "email"}
    expected_account = "ann@example.com" if variant.attribute_mapping == "target" else None
    assert emulator.users[user].get("unix_account") == expected_account

    # Doctor finds out what this PrivX understands, and says exactly which lines to set.
    code, checks = _checks(cli, config)
    lines_to_set = []
    if variant.rule_grammar == "filter":
        assert checks["role-rule-form"]["status"] == "ok", checks["role-rule-form"]
        assert "(tags=ops) matches ann@example.com" in checks["role-rule-form"]["message"]
    else:
        assert checks["role-rule-form"]["status"] == "fail"
        assert checks["role-rule-form"]["hint"].startswith('set [privx] rule_template = "{group}"')
        lines_to_set.append('rule_template = "{group}"')
    if variant.login_route == "authorize":
        assert checks["direct-login-url"]["status"] == "ok", checks["direct-login-url"]
    else:
        assert checks["direct-login-url"]["status"] == "fail"
        assert checks["direct-login-url"]["hint"] == f'set [privx] login_url_template = "{LEGACY_TEMPLATE}"'
        lines_to_set.append(f'login_url_template = "{LEGACY_TEMPLATE}"')
    # ann's login shows which direction PrivX reads attribute_mapping in (privx/accounts.py).
    if variant.attribute_mapping == "target":
        assert checks["account-mapping"]["status"] == "warn", checks["account-mapping"]
    else:
        assert checks["account-mapping"]["status"] == "fail", checks["account-mapping"]
    assert "keyed by " + ("target account" if expected_account else "claim") in checks["account-mapping"]["message"]
    assert code == (1 if lines_to_set or not expected_account else 0)

    # After the lines are set, setup re-writes our rules in the new form, writes the map the way PrivX reads it
    # (recording the direction), and doctor passes.
    for line in lines_to_set:
        _set(config, line)
    assert cli("--config", str(config), "plan", "--detailed-exitcode").exit_code == 3
    assert cli("--config", str(config), "setup").exit_code == 0
    assert privx.record_of(emulator.sources[directory["id"]]).mapping == variant.attribute_mapping
    emulator.login_user(directory["id"], {"sub": "s-1", "email": "ann@example.com", "custom:group": "ops"})
    assert emulator.users[user].get("unix_account") == "ann@example.com"  # set in either reading now
    code, checks = _checks(cli, config)
    assert code == 0, {n: c for n, c in checks.items() if c["status"] == "fail"}
    assert checks["role-rule-form"]["status"] == "ok"
    assert checks["account-mapping"]["status"] == "ok", checks["account-mapping"]
    ops = next(r for r in emulator.roles.values() if r["name"] == "ops-admins")
    assert user in {str(u["id"]) for u in _members(emulator, ops)}  # the grant really gives ann the role
    assert cli("--config", str(config), "plan", "--detailed-exitcode").exit_code == 0

    assert cli("--config", str(config), "teardown", "--yes").exit_code == 0
    dangling = [
        (r["name"], leaf)
        for r in emulator.roles.values()
        for leaf in privx.leaves(r.get("source_rules"))
        if leaf.get("source") == directory["id"]
    ]
    assert dangling == [] and directory["id"] not in emulator.sources


def _members(emulator: PrivXEmulator, role: dict[str, Any]) -> list[dict[str, Any]]:
    with api_client(emulator) as client:
        response = client.get(f"/role-store/api/v1/roles/{role['id']}/members")
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_setup_adds_its_grant_to_roles_with_a_bare_rule_root_or_null_rules(
    cli: Any, tmp_path: Path, emulator: PrivXEmulator
) -> None:
    local_users = emulator.builtin_source_ids["LOCAL"]
    bare_root = {"type": "RULE", "source": local_users, "search_string": "(principal=admin)", "rules": []}
    px = privx_client(emulator)
    single = px.create_role({"name": "ops-admins", "source_rules": bare_root})
    null_rules = px.create_role({"name": "developers", "source_rules": {"rules": None}})
    config = tmp_path / "cognito-privx.toml"
    config.write_text(BASE_CONFIG)
    if emulator.variant.rule_grammar == "bare":
        _set(config, 'rule_template = "{group}"')
    assert cli("--config", str(config), "setup").exit_code == 0
    (directory,) = [s for s in emulator.sources.values() if s["name"] == "Cognito"]
    ops_rules = privx.leaves(emulator.roles[single]["source_rules"])
    assert bare_root in ops_rules  # the existing rule is kept
    assert any(leaf.get("source") == directory["id"] for leaf in ops_rules)
    assert [leaf["source"] for leaf in privx.leaves(emulator.roles[null_rules]["source_rules"])] == [directory["id"]]
    assert cli("--config", str(config), "plan", "--detailed-exitcode").exit_code == 0
