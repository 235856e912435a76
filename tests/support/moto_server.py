"""moto's server on loopback (``sandbox.runner.MotoServer``), for tests that need real HTTP or real concurrency."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from cognito_privx.sandbox.runner import MotoServer
from tests.support.constants import REGION


def reset_moto(url: str) -> None:
    """moto's reset API (``POST /moto-api/reset``) on the server at ``url`` (plain HTTP on loopback: urllib, which
    builds no TLS context; an httpx call loads the CA bundle, ~30 ms of CPU). Raises on an answer other than 2xx."""
    with urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=30):
        pass


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """moto's server, started from an empty account and left empty; ``AWS_ENDPOINT_URL`` names it, so code that
    builds its own clients (the CLI, doctor) reaches it too."""
    server = MotoServer().start()
    # moto's backends are process-wide: start from (and leave) an empty account.
    reset_moto(server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    yield server
    reset_moto(server.url)
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
