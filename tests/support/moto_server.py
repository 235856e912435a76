"""moto's server on loopback (``sandbox.runner.MotoServer``), for tests that need real HTTP or real concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from cognito_privx.sandbox.runner import MotoServer
from tests.support.constants import REGION


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


@pytest.fixture(params=["in-process", "server"])
def idp(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A boto3 cognito-idp client on patched moto, once per kind: in-process ``mock_aws`` (the ``aws`` fixture), and
    a MotoServer on loopback, for the stand-in tests that must hold both ways."""
    if request.param == "in-process":
        yield request.getfixturevalue("aws")
        return
    server = MotoServer().start()
    try:
        yield boto3.client("cognito-idp", region_name=REGION, endpoint_url=server.url)
    finally:
        server.stop()
