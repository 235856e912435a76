"""The command-line contract: start-up cost, help for every command, bad input, and secrets never shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.cli import app
from cognito_privx.sandbox.emulator import PrivXEmulator

COMMANDS = ["setup", "plan", "login-url"]


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["setup", "--help"]])
def test_startup_imports_no_sdk(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from cognito_privx.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('boto3', 'botocore', 'httpx', 'moto') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_python_dash_m_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cognito_privx", "--version"], capture_output=True, text=True, check=True
    )
    from cognito_privx import __version__

    assert out.stdout.strip() == f"cognito-privx {__version__}"


def test_every_command_is_in_help_and_readme(cli: Any) -> None:
    listed = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    assert set(COMMANDS) <= listed
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in listed:
        assert f"cognito-privx {name}" in readme, f"{name} is not documented in README.md"
    help_text = cli("--help").stdout
    for name in listed:
        assert name in help_text


def write_config(path: Path, section: str, key: str, literal: str) -> Path:
    """A valid config with one ``key = literal`` set in ``section`` (replacing the default if present)."""
    sections = {"cognito": {"region": '"eu-west-1"'}, "privx": {"url": '"https://privx.example.com"'}, "roles": {}}
    sections.setdefault(section, {})[key] = literal
    text = "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in body.items()) for name, body in sections.items())
    path.write_text(text)
    return path


@pytest.mark.usefixtures("aws", "emulator")
@pytest.mark.parametrize(
    ("section", "key", "literal", "message"),
    [
        ("cognito", "region", '"mars-1"', "not an AWS region"),
        ("cognito", "domain_prefix", '"my-aws-login"', "reserved word"),
        ("cognito", "group_attribute", '"custom:group"', "bare name"),
        ("cognito", "deletion_protection", '"yes please"', "deletion_protection"),
        ("privx", "url", '"http://privx.example.com"', "plain http"),
        ("privx", "url", '"http://127.0.0.1:8443"', "localhost"),
        ("privx", "additional_scopes", '["email", "groups"]', "not one Cognito supports"),
        ("cognito", "nope", "1", "unknown key"),
        ("roles", '"bad group!"', '"x"', "not a valid group name"),
    ],
)
def test_bad_config_exit_2_one_line_and_no_call(
    cli: Any, tmp_path: Path, emulator: PrivXEmulator, section: str, key: str, literal: str, message: str
) -> None:
    path = write_config(tmp_path / "bad.toml", section, key, literal)
    run = cli("--config", str(path), "setup")
    assert run.exit_code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error:") and lines[1].startswith("hint:")
    assert message in lines[0]
    assert emulator.requests == []


def test_malformed_toml_exit_2(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[cognito\n")
    run = cli("--config", str(path), "plan")
    assert run.exit_code == 2 and "invalid TOML" in run.stderr


@pytest.mark.usefixtures("aws")
def test_missing_privx_credentials_exit_2(cli: Any, config_file: Path) -> None:
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 2
    assert "PRIVX_API_CLIENT_ID" in run.stderr


def test_missing_config_file_exit_2(cli: Any) -> None:
    run = cli("--config", "nowhere.toml", "plan")
    assert run.exit_code == 2 and "does not exist" in run.stderr


@pytest.mark.usefixtures("aws")
def test_wrong_privx_credentials_exit_1_before_cognito_is_touched(
    cli: Any, config_file: Path, emulator: PrivXEmulator, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", "wrong")
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1
    assert "PrivX refused the login" in run.stderr and "PRIVX_API_CLIENT_SECRET" in run.stderr
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []


@pytest.mark.usefixtures("aws")
def test_forbidden_api_client_gets_permission_hint(
    cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.add_api_client("viewer", "viewer-secret", permissions={"sources-view"})
    monkeypatch.setenv("PRIVX_API_CLIENT_ID", "viewer")
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", "viewer-secret")
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1
    assert "sources-manage" in run.stderr
