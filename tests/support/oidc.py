"""Discovery documents and JWKS served in-process, for code that fetches them over httpx.

- :func:`via_requests`: an httpx handler that makes the request with ``requests``, which in-process moto patches
  (httpx it does not), so moto answers as its server would.
- :func:`cognito_discovery`: the discovery document as Cognito serves it for a pool with a hosted-UI domain.
- ``discovery_in_process``: doctor's fetches of discovery and JWKS answered by in-process moto.
"""

from __future__ import annotations

import re

import httpx
import pytest

from cognito_privx.cli import Seams


def via_requests(request: httpx.Request) -> httpx.Response:
    import requests

    r = requests.request(request.method, str(request.url), timeout=5)
    return httpx.Response(r.status_code, headers={"Content-Type": r.headers.get("Content-Type", "")}, content=r.content)


def cognito_discovery(hosted_ui: str) -> httpx.MockTransport:
    """The discovery document as Cognito serves it for a pool with a hosted-UI domain: at the issuer, naming the
    issuer exactly, with the OAuth endpoints on the domain. For the PrivX emulator's ``oidc_http`` where a test
    needs its direct login to redirect and nothing more (no sign-in, no tokens)."""

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        issuer = url.removesuffix("/.well-known/openid-configuration")
        if issuer == url or not re.fullmatch(r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[\w-]+", issuer):
            return httpx.Response(404)
        document = {
            "issuer": issuer,
            "authorization_endpoint": f"{hosted_ui}/oauth2/authorize",
            "token_endpoint": f"{hosted_ui}/oauth2/token",
            "userinfo_endpoint": f"{hosted_ui}/oauth2/userInfo",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
        }
        return httpx.Response(200, json=document)

    return httpx.MockTransport(handle)


@pytest.fixture
def discovery_in_process(seams: Seams) -> None:
    """The issuer's discovery document and JWKS, fetched through ``requests`` (which in-process moto patches;
    httpx it does not), for doctor."""
    seams.http_transport = httpx.MockTransport(via_requests)
