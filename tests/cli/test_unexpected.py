"""The CLI boundary: an exception nobody expected (a bug, an answer of an unknown shape) is one ``error:`` line and
a ``hint:`` naming ``--debug``, exit 1; with ``--debug`` its traceback is shown too. Every command runs inside it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cli as cli_package
from cognito_privx import config as config_package
from cognito_privx.cli import app


def _broken_config(*_: Any, **__: Any) -> Any:
    raise RuntimeError("items[3] \x1b[31mred\nsecond line")


@pytest.mark.parametrize("command", ["plan", "setup", "doctor", "list-users", "access", "teardown"])
def test_an_unexpected_exception_is_one_line_and_a_hint(
    cli: Any, config_file: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(config_package, "load_config", _broken_config)
    run = cli("--config", str(config_file), command)
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr and 'File "' not in run.stderr
    assert run.stderr.splitlines() == [
        "error: unexpected RuntimeError: items[3] \\x1b[31mred",
        "hint: run again with --debug to see the traceback; please report it",
    ]


def test_with_debug_the_traceback_is_shown(cli: Any, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_package, "load_config", _broken_config)
    run = cli("--debug", "--config", str(config_file), "plan")
    assert run.exit_code == 1
    assert "Traceback" in run.stderr and "_broken_config" in run.stderr
    assert run.stderr.rstrip().splitlines()[-1] == "hint: please report it, with the traceback above"


def test_an_interrupt_keeps_its_own_handling(cli: Any, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(config_package, "load_config", interrupted)
    run = cli("--config", str(config_file), "plan")  # not "unexpected": the entry point's own handling
    assert run.exit_code == 130 and "unexpected" not in run.stderr


def test_every_command_runs_its_body_inside_run() -> None:
    """Each command function passes its work to ``run`` (so nothing it does escapes the boundary)."""
    unwrapped = []
    for command in app.registered_commands:
        callback = command.callback
        assert callback is not None
        tree = ast.parse(inspect.getsource(callback).lstrip())
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        if "run" not in calls:
            unwrapped.append(callback.__name__)
    assert unwrapped == [], f"commands whose body is not inside run(): {unwrapped}"
    assert len(app.registered_commands) >= 15 and cli_package is not None
