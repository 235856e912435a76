"""The user pool ``setup`` makes, for the tests of the user commands and the import engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator


@pytest.fixture
def pool(cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator) -> str:
    """A pool made by setup (in-process moto, the PrivX emulator); returns its id."""
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    return str(aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"])
