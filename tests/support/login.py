"""The login world, all in-process: moto, the hosted-UI stand-in over it, and the PrivX emulator as relying party,
wired as the sandbox wires them (``world``), for ``doctor --login``; and ``rig``, the same world where the pool's
discovery document is found at the stand-in, for ``rotate-secret``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.sandbox.hosted_ui import HostedUI
from tests.support.constants import REGION
from tests.support.oidc import via_requests

HOSTED = "https://hosted-ui.test"
AWS_ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/"


def _route(hosted_ui: HostedUI, other: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """Requests to the hosted-UI stand-in go to its WSGI app; the rest to ``other``."""
    to_hosted = httpx.WSGITransport(app=hosted_ui.wsgi)

    def handle(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(HOSTED):
            response = to_hosted.handle_request(request)
            response.read()
            return response
        if request.url.host.endswith(".amazonaws.com"):
            return other(request)  # in-process moto answers through requests
        raise httpx.ConnectError(f"no such host here: {request.url.host}", request=request)  # no network in tests

    return httpx.MockTransport(handle)


@pytest.fixture
def world(aws: Any, emulator: PrivXEmulator, seams: Seams) -> PrivXEmulator:
    """moto + the hosted-UI stand-in over it + the PrivX emulator as relying party, wired as the sandbox wires
    them: PrivX finds the pool's endpoints in the discovery document at the issuer (mapped to the stand-in)."""
    hosted_ui = HostedUI(REGION, HOSTED)
    emulator.oidc_http = httpx.Client(transport=_route(hosted_ui, via_requests))
    emulator.issuer_locator = lambda iss: (
        f"{HOSTED}/{iss.removeprefix(AWS_ISSUER)}" if iss.startswith(AWS_ISSUER) else iss
    )
    seams.http_transport = _route(hosted_ui, via_requests)
    return emulator


@pytest.fixture
def rig(world: PrivXEmulator, seams: Seams) -> PrivXEmulator:
    """The login world, and the pool's discovery document found at the stand-in (as the sandbox serves it at moto's
    endpoint), so the rotation's proof reaches the stand-in's token endpoint."""
    inner = seams.http_transport
    assert inner is not None

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(AWS_ISSUER) and url.endswith("/.well-known/openid-configuration"):
            request = httpx.Request(
                request.method, HOSTED + "/" + url.removeprefix(AWS_ISSUER), headers=request.headers
            )
        response = inner.handle_request(request)
        response.read()
        return response

    seams.http_transport = httpx.MockTransport(handle)
    return world
