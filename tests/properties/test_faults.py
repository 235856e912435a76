"""Faults from the other side: each gets exit 1 and a message that says what to do, and no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.awsrequest import AWSResponse

from cognito_privx import cognito
from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import Fault, PrivXEmulator
from tests.support.emulator import faults_served

pytestmark = pytest.mark.usefixtures("aws")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def answer_aws(monkeypatch: pytest.MonkeyPatch, status: int, code: str, message: str) -> list[str]:
    """Make every Cognito call answer like AWS with this error (a botocore before-send hook)."""
    seen: list[str] = []
    original = cognito.CognitoGateway.connect

    def respond(request: Any, **_: Any) -> AWSResponse:
        seen.append(request.headers.get("X-Amz-Target", b"").decode())
        body = json.dumps({"__type": code, "message": message}).encode()
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    def connect(*args: Any, **kwargs: Any) -> cognito.CognitoGateway:
        gw = original(*args, **kwargs)
        for client in {id(gw.client): gw.client, id(gw.create_client): gw.create_client}.values():
            client.meta.events.register("before-send.cognito-idp", respond)
        return gw

    monkeypatch.setattr(cognito.CognitoGateway, "connect", connect)
    return seen


def non_json_502(emu: PrivXEmulator) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/role-store/api/v1/sources":
            return httpx.Response(
                502, text="<html><body>Bad Gateway</body></html>", headers={"Content-Type": "text/html"}
            )
        return emu.handle(request)

    return handler


def _check(run: Any, message: str, hint: str, exit_code: int = 1) -> None:
    assert run.exit_code == exit_code, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-2].startswith("error:") and message in lines[-2], lines
    assert lines[-1].startswith("hint:") and hint in lines[-1], lines


def test_privx_401(cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVX_API_OAUTH_CLIENT_SECRET", "wrong")
    _check(cli("--config", str(config_file), "setup"), "PrivX refused the login", "OAuth client")


def test_privx_403(cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator.add_api_client("reader", "reader-secret", permissions={"sources-view", "roles-view"})
    monkeypatch.setenv("PRIVX_API_CLIENT_ID", "reader")
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", "reader-secret")
    _check(cli("--config", str(config_file), "setup"), "PrivX denied POST", "sources-manage")


def test_privx_404_not_privx_at_that_url(cli: Any, config_file: Path, emulator: PrivXEmulator, seams: Seams) -> None:
    def other_server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="Not Found")

    seams.privx_transport = httpx.MockTransport(other_server)
    _check(cli("--config", str(config_file), "setup"), "PrivX has no /auth/api/v1/oauth/token", "PRIVX_API_BASE_URL")


def test_privx_5xx_after_retries(cli: Any, config_file: Path, emulator: PrivXEmulator, aws: Any) -> None:
    emulator.add_fault(Fault(method="GET", path="/role-store/api/v1/sources", status=503, times=50))
    _check(
        cli("--config", str(config_file), "setup"), "PrivX failed on GET /role-store/api/v1/sources", "run again later"
    )
    tries = [r for r in emulator.requests if r.path == "/role-store/api/v1/sources"]
    assert len(tries) == 4  # the default [privx] retries
    assert faults_served(emulator) == [("GET", "/role-store/api/v1/sources", "status 503")] * 4
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []  # observed before any write


def test_privx_non_json_error_body(cli: Any, config_file: Path, emulator: PrivXEmulator, seams: Seams) -> None:
    seams.privx_transport = httpx.MockTransport(non_json_502(emulator))
    run = cli("--config", str(config_file), "setup")
    _check(run, "HTTP 502 (no JSON body)", "run again later")
    assert "<html>" not in run.stderr


def test_privx_unreachable(cli: Any, config_file: Path, emulator: PrivXEmulator, seams: Seams) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    seams.privx_transport = httpx.MockTransport(refuse)
    _check(cli("--config", str(config_file), "setup"), "cannot connect to PrivX", "PRIVX_API_BASE_URL")


def test_aws_access_denied(
    cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = answer_aws(
        monkeypatch, 400, "AccessDeniedException", "User is not authorized to perform: cognito-idp:ListUserPools"
    )
    _check(cli("--config", str(config_file), "setup"), "access denied to cognito-idp:ListUserPools", "IAM policy")
    assert seen == ["AWSCognitoIdentityProviderService.ListUserPools"]


def test_aws_expired_credentials(
    cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = answer_aws(
        monkeypatch, 400, "ExpiredTokenException", "The security token included in the request is expired"
    )
    _check(cli("--config", str(config_file), "plan"), "AWS refused the credentials", "aws sso login")
    assert seen == ["AWSCognitoIdentityProviderService.ListUserPools"]


def test_aws_throttling_storm(
    cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # keep botocore's backoff short in a test
    seen = answer_aws(monkeypatch, 400, "TooManyRequestsException", "Rate exceeded")
    _check(
        cli("--config", str(config_file), "setup"),
        "Cognito throttled ListUserPools after retries",
        "safe to re-run",
    )
    assert len(seen) == 2  # botocore retried once, then we stopped with advice


@pytest.mark.fresh_clients  # the profile's credentials are loaded when the clients open
@pytest.mark.parametrize(
    ("profile", "message", "hint", "exit_code"),
    [
        (
            "[profile p]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
            "sso_account_id = 123456789012\nsso_role_name = Admin\n",
            "Error loading SSO Token",
            "`aws sso login --profile p`",
            2,  # a login is needed first, as with no credentials (issue 22)
        ),
        ("[profile p]\ncredential_process = /bin/false\n", "custom-process", "credential settings", 1),
    ],
    ids=["sso-not-logged-in", "credential-process-fails"],
)
def test_aws_credentials_that_cannot_load(
    cli: Any,
    config_file: Path,
    emulator: PrivXEmulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    profile: str,
    message: str,
    hint: str,
    exit_code: int,
) -> None:
    (tmp_path / "aws-config").write_text(profile)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    for args in (["setup"], ["list-users"]):
        _check(cli("--config", str(config_file), "--profile", "p", *args), message, hint, exit_code)
