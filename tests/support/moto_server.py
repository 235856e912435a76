"""moto's server on loopback (``sandbox.runner.MotoServer``), for tests that need real HTTP or real concurrency."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cognito_privx.sandbox.runner import MotoServer


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """moto's server, started from an empty account and left empty; ``AWS_ENDPOINT_URL`` names it, so code that
    builds its own clients (the CLI, doctor) reaches it too."""
    server = MotoServer().start()
    # moto's backends are process-wide: start from (and leave) an empty account.
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    yield server
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    server.stop()
