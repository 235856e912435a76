"""Managed login: with ``hosted_ui = "managed"``, setup gives our app client a branding style (Cognito's defaults)
when it has none, keeps one that exists, and teardown deletes it. moto lacks the calls: the stand-in layer in
``sandbox/moto_fixes.py`` serves them from moto's own pool objects (over moto's server too:
``tests/standins/test_moto_fixes.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cognito
from tests.support.constants import BASE_CONFIG

WORLD = pytest.mark.usefixtures("aws", "emulator")


def _managed(path: Path) -> Path:
    path.write_text(
        BASE_CONFIG.replace('domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx"\nhosted_ui = "managed"')
    )
    return path


def _ids(aws: Any) -> tuple[str, str]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    return pool, client


def _style(aws: Any) -> dict[str, Any] | None:
    pool, client = _ids(aws)
    try:
        style: dict[str, Any] = aws.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=client)[
            "ManagedLoginBranding"
        ]
    except aws.exceptions.ResourceNotFoundException:
        return None
    return style


def _changes(cli: Any, config: Path, *args: str) -> dict[str, str]:
    run = cli("--config", str(config), "-o", "json", *args)
    assert run.exit_code == 0, run.stderr
    return {c["resource"]: c["action"] for c in json.loads(run.stdout)["changes"]}


BRANDING = "cognito managed-login branding"


@WORLD
def test_setup_creates_the_style_once_and_teardown_removes_it(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _managed(tmp_path / "c.toml")
    assert _changes(cli, config, "plan")[BRANDING] == "create"
    assert _changes(cli, config, "setup")[BRANDING] == "create"
    style = _style(aws)
    assert style is not None and style["UseCognitoProvidedValues"] is True
    assert set(_changes(cli, config, "setup").values()) == {"noop"}  # a second run changes nothing

    done = _changes(cli, config, "teardown", "--yes", "--keep-pool")
    assert done[BRANDING] == "delete"
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    assert aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"] == []


@WORLD
def test_a_style_someone_made_is_kept_and_a_missing_one_restored(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = _managed(tmp_path / "c.toml")
    assert cli("--config", str(config), "setup").exit_code == 0
    first = _style(aws)
    assert first is not None
    pool, _ = _ids(aws)
    aws.delete_managed_login_branding(UserPoolId=pool, ManagedLoginBrandingId=first["ManagedLoginBrandingId"])
    assert _changes(cli, config, "setup")[BRANDING] == "create"
    second = _style(aws)
    assert second is not None and second["ManagedLoginBrandingId"] != first["ManagedLoginBrandingId"]
    assert _changes(cli, config, "setup")[BRANDING] == "noop"


@WORLD
def test_classic_hosted_ui_manages_no_style(cli: Any, config_file: Path, aws: Any, gateway_calls: list[str]) -> None:
    changes = _changes(cli, config_file, "setup")
    assert BRANDING not in changes
    assert not [c for c in gateway_calls if "branding" in c]  # no call, so no new IAM permission needed


@WORLD
def test_a_concurrent_runs_style_is_taken_not_doubled(cli: Any, tmp_path: Path, aws: Any) -> None:
    """ensure_branding after another run made the style between our observation and our create."""
    config = _managed(tmp_path / "c.toml")
    assert cli("--config", str(config), "setup").exit_code == 0
    pool, client = _ids(aws)
    gw = cognito.CognitoGateway(aws)
    change = cognito.ensure_branding(gw, "privx", pool, client, dry_run=False, current=None)
    assert change.action.value == "noop" and change.notes == ("a concurrent run created it first",)
    styles = [s for s in [_style(aws)] if s is not None]
    assert len(styles) == 1
