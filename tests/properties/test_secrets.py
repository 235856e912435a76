"""No secret reaches stdout, stderr, a log record or an exception text: every command, text and JSON, --debug."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import API_CLIENT_SECRET, OAUTH_CLIENT_SECRET

TEMP_PASSWORD = "Tmp-Pw-9sQ!x7Lk-never-shown"
BEARER = "bearer-token-Hk3LmQ9-never-shown"


def _commands(tmp_path: Path) -> list[list[str]]:
    csv_file = tmp_path / "users.csv"
    csv_file.write_text("email,group\nb@example.com,ops\nc@example.com,dev\n")
    report = tmp_path / "report.json"
    return [
        ["plan"],
        ["setup", "--dry-run"],
        ["setup"],
        ["setup"],
        ["login-url"],
        ["add-user", "a@example.com", "--group", "ops", "--temporary-password", TEMP_PASSWORD],
        ["add-user", "a@example.com", "--group", "dev"],
        ["set-group", "a@example.com", "--group", "ops"],
        ["disable-user", "a@example.com"],
        ["enable-user", "a@example.com"],
        ["list-users"],
        ["import-users", str(csv_file), "--no-invite", "--workers", "1", "--report", str(report)],
        ["remove-user", "c@example.com", "--yes"],
        ["doctor"],
        ["teardown", "--dry-run"],
        ["teardown", "--yes"],
        ["teardown", "--yes"],
    ]


@pytest.mark.usefixtures("emulator")
@pytest.mark.parametrize("output", ["text", "json"])
def test_no_secret_anywhere(
    cli: Any, config_file: Path, aws: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, output: str
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    cognito_secrets: list[str] = []
    for args in _commands(tmp_path):
        run = cli("--config", str(config_file), "--debug", "--output", output, *args)
        # doctor may fail a check here (in-process moto serves no discovery document over httpx): its output
        # is what matters.
        assert run.exit_code == 0 or (args == ["doctor"] and run.exit_code == 1), (args, run.stderr)
        texts += [run.stdout, run.stderr]
        pools = aws.list_user_pools(MaxResults=60)["UserPools"]
        for pool in pools:  # the app-client secret, while it exists
            for c in aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]:
                described = aws.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=c["ClientId"])
                cognito_secrets.append(described["UserPoolClient"]["ClientSecret"])
    texts += [(tmp_path / "report.json").read_text()]
    texts += [r.getMessage() + repr(r.args) + str(r.exc_info) + str(r.exc_text) for r in caplog.records]
    secrets = {API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, TEMP_PASSWORD, *cognito_secrets}
    assert cognito_secrets, "the app client secret was never seen: the test proves nothing"
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert any("(sensitive)" in t for t in texts)
    assert not any("authorization" in r.getMessage().lower() for r in caplog.records)


@pytest.mark.usefixtures("aws")
def test_bearer_token_and_errors_never_show_it(
    cli: Any,
    config_file: Path,
    emulator: PrivXEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("PRIVX_API_CLIENT_ID", "PRIVX_API_CLIENT_SECRET", "PRIVX_API_OAUTH_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PRIVX_API_BEARER_TOKEN", BEARER)
    run = cli("--config", str(config_file), "--debug", "setup")
    assert run.exit_code == 1 and "PrivX refused the credentials" in run.stderr  # the emulator never issued it
    logged = " ".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert BEARER not in run.stdout + run.stderr + logged
