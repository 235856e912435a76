"""The command-line contract: start-up cost, help for every command, and PrivX refusing the API client.

Bad input (exit 2, one error and one hint, no call) is table-driven in ``tests/properties/test_bad_input.py``."""

from __future__ import annotations

import re
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


def test_every_command_is_in_help_and_the_command_reference(cli: Any) -> None:
    listed = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    assert set(COMMANDS) <= listed
    reference = (Path(__file__).parents[2] / "docs" / "commands.md").read_text()
    for name in listed:
        assert f"cognito-privx {name}" in reference, f"{name} is not documented in docs/commands.md"
    help_text = cli("--help").stdout
    for name in listed:
        assert name in help_text


def test_every_option_is_in_the_command_reference() -> None:
    """docs/commands.md names every option of every command, and every global option, by its long form."""
    import typer.main

    group: Any = typer.main.get_command(app)
    reference = (Path(__file__).parents[2] / "docs" / "commands.md").read_text()
    commands = {"": group, **group.commands}
    assert set(COMMANDS) <= set(commands)
    missing = [
        f"{name or '(global)'} {opt}"
        for name, command in commands.items()
        for param in command.params
        if param.param_type_name == "option"
        for opt in param.opts
        if opt.startswith("--") and opt != "--help" and not re.search(rf"(?<![\w-]){opt}(?![\w-])", reference)
    ]
    assert missing == []


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
