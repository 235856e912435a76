"""The bar of issue 22: ``setup``, ``plan``, ``doctor``, the user commands and ``teardown`` converge against
cognito-local (an independent Cognito emulator, npm ``cognito-local``), where ``TagResource``, ``UntagResource``,
every ``*UserPoolDomain``, ``ListUserPoolClientSecrets``, ``AdminUserGlobalSignOut`` and STS are missing
(docs/reliability.md#endpoints-that-lack-a-newer-call). PrivX is the in-process emulator behind the CLI's seam.

cognito-local runs as a process on a free loopback port, with its own data directory (its cwd: ``.cognito/``).
Where it comes from: ``COGNITO_LOCAL_BIN`` (the ``node_modules/.bin/cognito-local`` that ``.ci/run`` installs, a
pinned version), else ``npx --no-install cognito-local``; without node or the package the tests skip, saying so.
Run them alone with ``pytest -m cognito_local``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import REGION

pytestmark = pytest.mark.cognito_local

# cognito-local signs its tokens with this issuer (its .cognito/config.json TokenConfig.IssuerDomain, README):
# AWS's, so that the issuer PrivX is given is the one in cognito-local's tokens and discovery document.
ISSUER_DOMAIN = f"https://cognito-idp.{REGION}.amazonaws.com"
LOCK_WARNING = "TagResource unsupported; concurrent runs are not kept apart"


@dataclass(frozen=True)
class CognitoLocal:
    url: str
    data: Path

    def client(self) -> Any:
        return boto3.client("cognito-idp", region_name=REGION, endpoint_url=self.url)


def _command() -> list[str]:
    """How to start cognito-local here; skips (with the reason) when it cannot be."""
    given = os.environ.get("COGNITO_LOCAL_BIN")
    if given:
        if not Path(given).is_file():
            pytest.skip(f"COGNITO_LOCAL_BIN={given} is not a file")
        return [given]
    if shutil.which("node") is None or shutil.which("npx") is None:
        pytest.skip("cognito-local needs node and npx (none on PATH); .ci/run installs it when npm is there")
    probe = subprocess.run(
        ["npx", "--no-install", "cognito-local", "--version"],
        capture_output=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if b"could not determine executable" in probe.stderr or b"npm error" in probe.stderr:
        pytest.skip("the npm package cognito-local is not installed (set COGNITO_LOCAL_BIN, see .ci/run)")
    return ["npx", "--no-install", "cognito-local"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cognito_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CognitoLocal]:
    """cognito-local on a free port with its own data directory; stopped (and its data left in tmp) after."""
    command = _command()
    data = tmp_path_factory.mktemp("cognito-local")
    (data / ".cognito").mkdir()
    (data / ".cognito" / "config.json").write_text(json.dumps({"TokenConfig": {"IssuerDomain": ISSUER_DOMAIN}}))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_", "COGNITO_PRIVX_"))}
    log = (data / "cognito-local.log").open("w")
    proc = subprocess.Popen(
        command, cwd=data, env={**env, "PORT": str(port), "HOST": "127.0.0.1"}, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"cognito-local exited ({proc.returncode}): {(data / 'cognito-local.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("cognito-local did not listen within 60 s")
                time.sleep(0.1)
        yield CognitoLocal(f"http://127.0.0.1:{port}", data)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def on_cognito_local(
    cognito_local: CognitoLocal, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> CognitoLocal:
    """The CLI's AWS calls go to cognito-local (its PrivX calls to the in-process emulator)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", cognito_local.url)
    config_file.write_text(config_file.read_text().replace('domain_prefix = "acme-privx"', 'domain_prefix = ""'))
    return cognito_local


def _pools(aws: Any, name: str = "privx-users") -> list[dict[str, Any]]:
    return [
        dict(aws.describe_user_pool(UserPoolId=p["Id"])["UserPool"])
        for p in aws.list_user_pools(MaxResults=60)["UserPools"]
        if p["Name"] == name
    ]


def _directories(emu: PrivXEmulator) -> list[dict[str, Any]]:
    return [s for s in emu.sources.values() if s.get("name") == "Cognito"]


def _users(cli: Any, config: str) -> dict[str, dict[str, Any]]:
    run = cli("--config", config, "-o", "json", "list-users")
    assert run.exit_code == 0, run.stderr
    return {u["email"]: u for u in json.loads(run.stdout)["users"]}


def test_the_whole_story_converges(
    cli: Any, config_file: Path, emulator: PrivXEmulator, on_cognito_local: CognitoLocal
) -> None:
    config, aws = str(config_file), on_cognito_local.client()
    plan = cli("--config", config, "plan")
    assert plan.exit_code == 0, plan.stderr
    assert "+ create cognito user pool privx-users" in plan.stdout
    assert _pools(aws) == []  # plan changed nothing

    first = cli("--config", config, "setup")
    assert first.exit_code == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stderr.count(LOCK_WARNING) == 1, first.stderr
    assert f"AWS account unknown (STS not available at {on_cognito_local.url})" in first.stderr
    (pool,) = _pools(aws)
    (client,) = aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    tags = pool["UserPoolTags"]
    assert tags["managed-by"] == "cognito-privx"
    assert tags["cognito-privx:client"] == client["ClientId"]  # the ownership record, through UpdateUserPool
    assert not [k for k in tags if k.startswith("cognito-privx-lock:")]
    (directory,) = _directories(emulator)
    secret = aws.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"]
    assert directory["connection"]["oidc_client_id"] == client["ClientId"]
    assert directory["connection"]["oidc_client_secret"] == secret["ClientSecret"]
    assert directory["connection"]["oidc_issuer"] == f"{ISSUER_DOMAIN}/{pool['Id']}"

    again = cli("--config", config, "-o", "json", "setup")
    assert again.exit_code == 0, again.stderr
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}
    replan = cli("--config", config, "-o", "json", "plan")
    assert replan.exit_code == 0, replan.stderr
    assert {c["action"] for c in json.loads(replan.stdout)["changes"]} == {"noop"}
    assert len(_pools(aws)) == 1

    doctor = cli("--config", config, "-o", "json", "doctor")
    assert "Traceback" not in doctor.stderr
    checks = {c["name"]: c["status"] for c in json.loads(doctor.stdout)["checks"]}
    assert checks["cognito-pool"] == checks["app-client"] == checks["privx-directory"] == "ok", checks
    assert checks["directory-issuer"] == "ok", checks
    # cognito-local 5.3's discovery document names http://localhost:9229/<pool> whatever its IssuerDomain (its
    # server.js), unlike its tokens: doctor reports the mismatch, as it would for any endpoint that does that.
    discovery = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "oidc-discovery")
    assert discovery["status"] == "fail" and "names the issuer 'http://localhost:9229/" in discovery["message"]
    assert checks["client-secret"] == "warn", checks  # ListUserPoolClientSecrets: unsupported there
    # cognito-local has no user-pool domains, so no hosted UI to log in with: doctor says so, and exits 1.
    assert checks["cognito-domain"] == "fail", checks
    assert doctor.exit_code == 1

    email = "alice@example.com"
    assert cli("--config", config, "add-user", email, "--group", "dev").exit_code == 0
    assert cli("--config", config, "add-user", email, "--group", "dev").stderr.startswith("= unchanged")
    assert _users(cli, config)[email]["group"] == "dev"
    regroup = cli("--config", config, "set-group", email, "--group", "ops")
    assert regroup.exit_code == 0, regroup.stderr
    assert "not signed out of Cognito" in regroup.stderr  # AdminUserGlobalSignOut: unsupported there
    assert _users(cli, config)[email]["group"] == "ops"
    disable = cli("--config", config, "-o", "json", "disable-user", email)
    assert disable.exit_code == 0, disable.stderr
    assert json.loads(disable.stdout)["signed_out"] is False
    user = aws.admin_get_user(UserPoolId=pool["Id"], Username=email)
    assert user["Enabled"] is False
    assert cli("--config", config, "enable-user", email).exit_code == 0
    assert aws.admin_get_user(UserPoolId=pool["Id"], Username=email)["Enabled"] is True
    remove = cli("--config", config, "remove-user", email, "--yes")
    assert remove.exit_code == 0, remove.stderr
    assert email not in _users(cli, config)

    down = cli("--config", config, "teardown", "--yes")
    assert down.exit_code == 0, down.stderr
    assert _pools(aws) == []
    assert _directories(emulator) == []
    assert not [r for r in emulator.roles.values() if r.get("name") in ("developers", "ops-admins")]
    gone = cli("--config", config, "teardown", "--yes")
    assert gone.exit_code == 0, gone.stderr


def test_a_domain_prefix_fails_in_one_line(
    cli: Any, config_file: Path, emulator: PrivXEmulator, on_cognito_local: CognitoLocal
) -> None:
    text = config_file.read_text().replace('domain_prefix = ""', 'domain_prefix = "acme-privx"')
    config_file.write_text(text.replace('pool_name = "privx-users"', 'pool_name = "privx-domain"'))
    for command in ("plan", "setup"):
        run = cli("--config", str(config_file), command)
        assert run.exit_code == 1, run.stderr
        assert "Traceback" not in run.stderr
        assert (
            f"error: the domain prefix 'acme-privx' cannot be managed: {on_cognito_local.url} does not support "
            "cognito-idp:DescribeUserPoolDomain" in run.stderr
        )
    assert _pools(on_cognito_local.client(), "privx-domain") == []
