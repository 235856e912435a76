"""Shared fixtures: in-process moto for Cognito, the PrivX emulator behind httpx.MockTransport, and a CLI runner.

Every test starts from a clean environment: no AWS_* or PRIVX_* variables from the developer's shell leak in
(``AWS_ENDPOINT_URL`` would also stop moto's in-process mock from intercepting).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from cognito_privx import cognito
from cognito_privx.cli import Seams, app
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.process_caches import process_wide_caches  # noqa: F401  (autouse: botocore models, moto's key)

REGION = "eu-west-1"
PRIVX_URL = "https://privx.example.com"
# Distinctive fake secrets: the secrets test searches every output for them.
API_CLIENT_ID = "6b1f5a3e-0000-4000-8000-00000000c1d0"
API_CLIENT_SECRET = "apisecret-Zq8vX3kP-do-not-print"
OAUTH_CLIENT_SECRET = "oauthsecret-Lm4nB7tR-do-not-print"

BASE_CONFIG = f"""
[cognito]
region = "{REGION}"
pool_name = "privx-users"
app_client_name = "privx"
domain_prefix = "acme-privx"

[privx]
url = "{PRIVX_URL}"
directory_name = "Cognito"
button_title = "Cognito"

[roles]
ops = "ops-admins"
dev = "developers"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("AWS_", "PRIVX_", "COGNITO_PRIVX_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def aws() -> Iterator[Any]:
    """In-process moto (with :mod:`cognito_privx.sandbox.moto_fixes` applied); yields a plain boto3 cognito-idp
    client for arranging and asserting state."""
    from cognito_privx.sandbox import moto_fixes

    moto_fixes.apply()
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


@pytest.fixture
def seams() -> Seams:
    """What the ``cli`` fixture hands the CLI instead of the network; fixtures and tests fill it in. Retries and
    the wait for a concurrent run's loser keep their logic but not their waiting."""
    return Seams(privx_retry_base=0.001, race_settle_s=0.05)


def wire_emulator(emu: PrivXEmulator, seams: Seams, monkeypatch: pytest.MonkeyPatch) -> PrivXEmulator:
    """Give ``emu`` our API client, route the CLI's PrivX traffic to it and put the credentials in the env."""
    emu.add_api_client(API_CLIENT_ID, API_CLIENT_SECRET)
    seams.privx_transport = httpx.MockTransport(emu.handle)
    monkeypatch.setenv("PRIVX_API_CLIENT_ID", API_CLIENT_ID)
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", API_CLIENT_SECRET)
    monkeypatch.setenv("PRIVX_API_OAUTH_CLIENT_SECRET", OAUTH_CLIENT_SECRET)
    return emu


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, seams: Seams) -> PrivXEmulator:
    """The PrivX emulator, wired into the CLI's PrivX client, with credentials in the environment."""
    return wire_emulator(PrivXEmulator(base_url=PRIVX_URL, oauth_client_secret=OAUTH_CLIENT_SECRET), seams, monkeypatch)


@pytest.fixture
def cognito_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Cognito operation the code under test calls, in order (clear it to count one run)."""
    calls: list[str] = []
    original = cognito.CognitoGateway.call

    def counting(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        calls.append(operation)
        return original(self, operation, **params)

    monkeypatch.setattr(cognito.CognitoGateway, "call", counting)
    return calls


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "cognito-privx.toml"
    path.write_text(BASE_CONFIG)
    return path


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


@pytest.fixture
def cli(seams: Seams) -> Any:
    """``cli("setup", "--dry-run")`` runs the CLI in-process and returns exit code, stdout and stderr."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Run:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False, obj=seams)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def _via_requests(request: httpx.Request) -> httpx.Response:
    import requests

    r = requests.request(request.method, str(request.url), timeout=5)
    return httpx.Response(r.status_code, headers={"Content-Type": r.headers.get("Content-Type", "")}, content=r.content)


def cognito_discovery(hosted_ui: str) -> httpx.MockTransport:
    """The discovery document as Cognito serves it for a pool with a hosted-UI domain: at the issuer, naming the
    issuer exactly, with the OAuth endpoints on the domain. For the PrivX emulator's ``oidc_http`` where a test
    needs its direct login to redirect and nothing more (no sign-in, no tokens)."""

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        issuer = url.removesuffix("/.well-known/openid-configuration")
        if issuer == url or not re.fullmatch(r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[\w-]+", issuer):
            return httpx.Response(404)
        document = {
            "issuer": issuer,
            "authorization_endpoint": f"{hosted_ui}/oauth2/authorize",
            "token_endpoint": f"{hosted_ui}/oauth2/token",
            "userinfo_endpoint": f"{hosted_ui}/oauth2/userInfo",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
        }
        return httpx.Response(200, json=document)

    return httpx.MockTransport(handle)


@pytest.fixture
def discovery_in_process(seams: Seams) -> None:
    """The issuer's discovery document and JWKS, fetched through ``requests`` (which in-process moto patches;
    httpx it does not), for doctor."""
    seams.http_transport = httpx.MockTransport(_via_requests)
