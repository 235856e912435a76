"""No domain, no login: a pool without a hosted-UI domain has a discovery document (AWS serves it; its
``authorization_endpoint`` leads to no sign-in page), so every step that "works" must still say that no one can
sign in, and name the one fix: ``set [cognito] domain_prefix and run setup``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws", "emulator", "discovery_in_process")
FIX = "set [cognito] domain_prefix"


def _no_domain(path: Path) -> Path:
    path.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"', 'domain_prefix = ""'))
    return path


def test_setup_without_a_domain_says_no_one_can_sign_in(cli: Any, tmp_path: Path) -> None:
    run = cli("--config", str(_no_domain(tmp_path / "c.toml")), "setup")
    assert run.exit_code == 0, run.stderr
    assert "no one can sign in" in run.stderr
    assert FIX in run.stderr


def test_doctor_names_the_domain_fix_though_discovery_answers(cli: Any, tmp_path: Path) -> None:
    config = _no_domain(tmp_path / "c.toml")
    assert cli("--config", str(config), "setup").exit_code == 0
    run = cli("--config", str(config), "-o", "json", "doctor")
    checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
    assert run.exit_code == 1
    assert checks["oidc-discovery"]["status"] == "fail", checks["oidc-discovery"]
    assert "no domain" in checks["oidc-discovery"]["message"]
    assert FIX in checks["oidc-discovery"]["hint"]
    assert checks["direct-login-url"]["status"] != "ok", checks["direct-login-url"]
    assert FIX in (checks["direct-login-url"]["hint"] or "")


def test_login_url_verify_names_the_domain_fix(cli: Any, tmp_path: Path) -> None:
    config = _no_domain(tmp_path / "c.toml")
    assert cli("--config", str(config), "setup").exit_code == 0
    run = cli("--config", str(config), "login-url", "--verify")
    assert run.exit_code != 0
    assert FIX in run.stderr, run.stderr
