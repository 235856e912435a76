"""The CLI run in-process: ``cli(...)`` returns exit code, stdout and stderr; ``seams`` is what it gets instead of
the network; ``config_file`` is :data:`~tests.support.constants.BASE_CONFIG` on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cognito_privx.cli import Seams, app
from tests.support import converged
from tests.support.constants import BASE_CONFIG


@pytest.fixture
def seams() -> Seams:
    """What the ``cli`` fixture hands the CLI instead of the network; fixtures and tests fill it in. Retries and
    the wait for a concurrent run's loser keep their logic but not their waiting."""
    return Seams(privx_retry_base=0.001, race_settle_s=0.05)


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
def cli(seams: Seams, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """``cli("setup", "--dry-run")`` runs the CLI in-process and returns exit code, stdout and stderr. A test's first
    run, when it is a ``setup`` from an untouched world, may be restored from the same run earlier in the process
    (:mod:`tests.support.converged`)."""
    runner = CliRunner()
    runs = 0

    def real(*args: str, input: str | None = None) -> Run:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False, obj=seams)
        return Run(result.exit_code, result.stdout, result.stderr)

    def run(*args: str, input: str | None = None) -> Run:
        nonlocal runs
        runs += 1
        if runs == 1:
            return converged.run_setup(real, args, input, request, seams, tmp_path, Run)  # type: ignore[no-any-return]
        return real(*args, input=input)

    return run
