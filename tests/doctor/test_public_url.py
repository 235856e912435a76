"""PrivX behind a load balancer: the API reached on an internal URL (``[privx] url``), browsers on a public one
(``[privx] public_url``). The PrivX emulator's ``base_url`` is its public URL (it is what it puts in the
``redirect_uri`` of its authorize redirect); its API answers at whatever URL it is reached (the mock transport),
here the internal one.

Without ``public_url`` setup registers the callback from the API URL and every real login fails with
``redirect_mismatch``: doctor names the setting. With it, a real login through the direct-login URL works.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import PRIVX_URL

API_URL = "https://privx-api.internal.example:8443"
CALLBACK = f"{PRIVX_URL}/auth/api/v1/oidc-cb"


def _doctor(cli: Any, config: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor", *args)
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _callbacks(aws: Any) -> list[str]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    return list(aws.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]["CallbackURLs"])


@pytest.fixture
def privx_requests(world: PrivXEmulator, seams: Seams) -> list[tuple[str, str]]:
    """Every request that reaches the emulator, as (host:port, path)."""
    seen: list[tuple[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.netloc.decode(), request.url.path))
        return world.handle(request)

    seams.privx_transport = httpx.MockTransport(handle)
    return seen


@pytest.fixture
def api_url_config(config_file: Path) -> Path:
    """The config with PrivX's internal API URL as ``[privx] url``."""
    config_file.write_text(config_file.read_text().replace(f'url = "{PRIVX_URL}"', f'url = "{API_URL}"'))
    return config_file


def test_without_public_url_doctor_names_the_setting(
    cli: Any, api_url_config: Path, aws: Any, world: PrivXEmulator
) -> None:
    assert cli("--config", str(api_url_config), "setup").exit_code == 0
    assert _callbacks(aws) == [f"{API_URL}/auth/api/v1/oidc-cb"]  # what PrivX's browsers never come back to
    code, checks = _doctor(cli, api_url_config, "--login")
    assert code == 1
    direct = checks["direct-login-url"]
    assert direct["status"] == "fail"
    assert "[privx] public_url" in direct["hint"] and PRIVX_URL in direct["hint"], direct
    login = checks["login:dev"]
    assert login["status"] == "fail"
    assert "redirect_mismatch" in login["message"]
    assert "[privx] public_url" in login["hint"] and "login_url_template" not in login["hint"], login


def test_with_public_url_the_callback_the_login_url_and_a_real_login_use_it(
    cli: Any, api_url_config: Path, aws: Any, world: PrivXEmulator, privx_requests: list[tuple[str, str]]
) -> None:
    text = api_url_config.read_text().replace("[privx]\n", f'[privx]\npublic_url = "{PRIVX_URL}/"\n', 1)
    api_url_config.write_text(text)
    assert cli("--config", str(api_url_config), "setup").exit_code == 0
    assert _callbacks(aws) == [CALLBACK]
    run = cli("--config", str(api_url_config), "login-url")
    assert run.exit_code == 0 and run.stdout.strip().startswith(PRIVX_URL + "/"), run.stdout
    code, checks = _doctor(cli, api_url_config, "--login")
    assert code == 0, {n: c for n, c in checks.items() if c["status"] != "ok"}
    assert "PrivX gives: developers" in checks["login:dev"]["message"]
    assert [x["error"] for x in world.logins] == [None]
    # Every API call went to the API URL; only the browser's way (authorize, callback) to the public one.
    public = {path for host, path in privx_requests if host == "privx.example.com"}
    # (the direct-login URL's candidates doctor probes, the callback)
    assert "/auth/api/v1/oidc-cb" in public
    assert public <= {"/auth/api/v1/oauth/authorize", "/auth/api/v1/oidc-cb", "/auth/api/v1/oidc/login"}, public
    api = {path for host, path in privx_requests if host == "privx-api.internal.example:8443"}
    assert "/role-store/api/v1/sources" in api and not api & public
    assert {host for host, _ in privx_requests} == {"privx.example.com", "privx-api.internal.example:8443"}


@pytest.mark.parametrize("value", ["ftp://privx.example.com", "https://privx.example.com/privx", "not a url"])
def test_a_bad_public_url_is_refused_naming_the_key(cli: Any, config_file: Path, value: str) -> None:
    config_file.write_text(config_file.read_text().replace("[privx]\n", f'[privx]\npublic_url = "{value}"\n', 1))
    run = cli("--config", str(config_file), "plan")
    assert run.exit_code == 2
    assert "public_url" in run.stderr and "hint:" in run.stderr
