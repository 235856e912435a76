"""A refused write is reported as refused, never as done: each kind of write answered 403 by PrivX (a fault) or
AccessDenied by Cognito (moto answering as IAM would), and the state afterwards matches every line printed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, Fault, PrivXEmulator
from tests.support.constants import API_CLIENT_ID
from tests.support.emulator import api_client, faults_served
from tests.support.endpoints import DENIED

pytestmark = pytest.mark.usefixtures("aws")
ROLES = "/role-store/api/v1/roles"
SOURCES = "/role-store/api/v1/sources"


def _refused(run: Any, line: str, reason: str) -> None:
    """Exit 1; the refused line (``✗ <line>: <reason>``) printed, one error and hint last, no traceback."""
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert f"✗ {line}: {reason}" in lines, lines
    assert lines[-2].startswith("error:") and lines[-1].startswith("hint:"), lines


def _done(run: Any) -> list[str]:
    return [ln for ln in run.stderr.splitlines() if ln.startswith(("+ created", "~ updated", "- deleted"))]


def _roles(emulator: PrivXEmulator) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in emulator.roles.values() if not r.get("system")}


def _directories(emulator: PrivXEmulator) -> list[str]:
    return [s["name"] for s in emulator.sources.values() if s["name"] == "Cognito"]


def test_a_role_privx_refuses_to_create_is_reported_refused_not_created(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    """Issue 22: "+ created privx role developers" was printed before PrivX answered 403."""
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"roles-manage"})
    run = cli("--config", str(config_file), "setup")
    _refused(run, "create privx role developers ← group dev", "refused (403: needs roles-manage)")
    assert "privx role" not in " ".join(_done(run)) and _roles(emulator) == {}
    assert "+ created privx directory Cognito" in _done(run) and _directories(emulator) == ["Cognito"]
    assert "+ created cognito user pool privx-users" in _done(run)
    assert "Stopped; done before that:" in run.stderr


def test_a_role_update_privx_refuses_is_not_reported_updated(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    role = _roles(emulator)["developers"]
    with api_client(emulator) as api:  # someone removed our rule: setup puts it back
        body = {k: v for k, v in role.items() if k not in ("member_count", "created", "updated", "author")}
        api.put(f"{ROLES}/{role['id']}", json={**body, "source_rules": {"type": "GROUP", "match": "ANY", "rules": []}})
    emulator.add_fault(Fault(method="PUT", path=f"{ROLES}/*", status=403))
    run = cli("--config", str(config_file), "setup")
    _refused(run, "update privx role developers ← group dev", "refused (403: needs roles-manage)")
    assert faults_served(emulator) == [("PUT", f"{ROLES}/{role['id']}", "status 403")]
    assert not [ln for ln in _done(run) if "privx role" in ln]
    assert _roles(emulator)["developers"]["source_rules"]["rules"] == []


def test_a_directory_privx_refuses_to_create_or_update(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    emulator.add_fault(Fault(method="POST", path=SOURCES, status=403))
    run = cli("--config", str(config_file), "setup")
    _refused(run, "create privx directory Cognito", "refused (403: needs sources-manage)")
    assert not [ln for ln in _done(run) if "privx directory" in ln] and _directories(emulator) == []

    assert cli("--config", str(config_file), "setup").exit_code == 0
    config_file.write_text(config_file.read_text().replace('button_title = "Cognito"', 'button_title = "AWS"'))
    emulator.add_fault(Fault(method="PUT", path=f"{SOURCES}/*", status=403))
    run = cli("--config", str(config_file), "setup")
    _refused(run, "update privx directory Cognito", "refused (403: needs sources-manage)")
    assert not [ln for ln in _done(run) if "privx directory" in ln]
    assert next(s for s in emulator.sources.values() if s["name"] == "Cognito")["connection"]["oidc_button_title"] == (
        "Cognito"
    )


@pytest.mark.parametrize(
    ("path", "line", "permission"),
    [(ROLES + "/*", "delete privx role", "roles-manage"), (SOURCES + "/*", "delete privx directory", "sources-manage")],
)
def test_teardown_reports_a_refused_delete_and_what_it_removed_before(
    cli: Any, config_file: Path, emulator: PrivXEmulator, path: str, line: str, permission: str
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    emulator.add_fault(Fault(method="DELETE", path=path, status=403))
    run = cli("--config", str(config_file), "teardown", "--yes")
    refused = [ln for ln in run.stderr.splitlines() if ln.startswith(f"✗ {line}")]
    assert run.exit_code == 1 and len(refused) == 1, run.stderr
    assert refused[0].endswith(f": refused (403: needs {permission})")
    name = refused[0].removeprefix(f"✗ {line} ").split(":")[0]
    held = _roles(emulator) if "role" in line else {n: {} for n in _directories(emulator)}
    assert name in held  # still there, and not reported deleted
    assert f"- deleted {line.removeprefix('delete ')} {name}" not in _done(run)
    assert "Stopped; done before that:" in run.stderr and "Run teardown again" in run.stderr


def _cognito_state(aws: Any) -> dict[str, Any]:
    pools = aws.list_user_pools(MaxResults=60)["UserPools"]
    if not pools:
        return {}
    pool_id = pools[0]["Id"]
    clients = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    domain = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("Domain")
    return {"pool": pool_id, "clients": [c["ClientName"] for c in clients], "domain": domain}


@pytest.mark.parametrize(
    ("operation", "line", "left"),
    [
        ("create_user_pool", "create cognito user pool privx-users", {}),
        ("create_user_pool_client", "create cognito app client privx", {"clients": [], "domain": None}),
        ("create_user_pool_domain", "create cognito domain acme-privx", {"clients": ["privx"], "domain": None}),
    ],
)
def test_a_cognito_create_iam_denies_is_reported_refused(
    cli: Any,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    endpoint_lacking: Callable[..., None],
    operation: str,
    line: str,
    left: dict[str, Any],
) -> None:
    endpoint_lacking(operation, code=DENIED)
    run = cli("--config", str(config_file), "setup")
    action = "".join(p.title() for p in operation.split("_"))
    _refused(run, line, f"refused (AccessDeniedException: needs cognito-idp:{action})")
    state = _cognito_state(aws)
    assert {k: state.get(k) for k in left} == left
    assert ("+ created cognito user pool privx-users" in _done(run)) == bool(state)
    assert not [ln for ln in _done(run) if line.removeprefix("create ") in ln]
    assert _directories(emulator) == []  # PrivX is not touched after a Cognito refusal


def test_a_cognito_client_update_iam_denies_is_reported_refused(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, endpoint_lacking: Callable[..., None]
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    state = _cognito_state(aws)
    (client,) = aws.list_user_pool_clients(UserPoolId=state["pool"], MaxResults=60)["UserPoolClients"]
    before = aws.describe_user_pool_client(UserPoolId=state["pool"], ClientId=client["ClientId"])["UserPoolClient"]
    drift = {k: before[k] for k in ("ClientName", "AllowedOAuthFlows", "AllowedOAuthScopes") if k in before}
    aws.update_user_pool_client(  # someone changed the callback: setup puts it back
        UserPoolId=state["pool"],
        ClientId=client["ClientId"],
        CallbackURLs=["https://elsewhere.example.com/cb"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        **drift,
    )
    endpoint_lacking("update_user_pool_client", code=DENIED)
    run = cli("--config", str(config_file), "setup")
    _refused(
        run,
        "update cognito app client privx",
        "refused (AccessDeniedException: needs cognito-idp:UpdateUserPoolClient)",
    )
    assert not [ln for ln in _done(run) if "app client" in ln]
    described = aws.describe_user_pool_client(UserPoolId=state["pool"], ClientId=client["ClientId"])
    assert described["UserPoolClient"]["CallbackURLs"] == ["https://elsewhere.example.com/cb"]  # not updated


@pytest.mark.parametrize(
    ("operation", "line"),
    [
        ("delete_user_pool_domain", "delete cognito domain acme-privx"),
        ("delete_user_pool_client", "delete cognito app client privx"),
    ],
)
def test_a_cognito_delete_iam_denies_is_reported_refused(
    cli: Any,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    endpoint_lacking: Callable[..., None],
    operation: str,
    line: str,
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    endpoint_lacking(operation, code=DENIED)
    run = cli("--config", str(config_file), "teardown", "--yes")
    action = "".join(p.title() for p in operation.split("_"))
    _refused(run, line, f"refused (AccessDeniedException: needs cognito-idp:{action})")
    state = _cognito_state(aws)
    assert state["domain"] == "acme-privx" if "domain" in line else state["clients"] == ["privx"]
    assert "- deleted privx directory Cognito" in _done(run) and _directories(emulator) == []
    assert not [ln for ln in _done(run) if line.removeprefix("delete ") in ln]
