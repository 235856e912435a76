"""The PrivX emulator as the tests use it: one way to build it, the ``emulator`` the CLI talks to, and what tests
ask of it afterwards.

- :func:`build_emulator` / the ``make_emulator`` fixture: an emulator of the fake world (at ``PRIVX_URL``, with its
  OAuth client secret, holding the API client), any constructor argument changed by keyword.
- ``api`` / :func:`api_client`: the emulator's API driven over httpx with a bearer token, as a client drives it.
- ``emulator``: the one a test's CLI runs talk to (``make_emulator(**emulator_settings)``, wired into ``seams``,
  the API client's credentials in the environment). A test module needing another emulator for all its tests (a
  fake clock, a version, a variant, an IdP to discover) overrides ``emulator_settings``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cognito_privx.cli import Seams
from cognito_privx.config import load_credentials
from cognito_privx.privx import PrivXClient, build_http_client
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, PRIVX_URL

MakeEmulator = Callable[..., PrivXEmulator]


def build_emulator(**settings: Any) -> PrivXEmulator:
    """A PrivX emulator of the fake world: at ``PRIVX_URL``, with ``OAUTH_CLIENT_SECRET``, holding the API client
    (``API_CLIENT_ID`` / ``API_CLIENT_SECRET``, every permission). ``settings`` are the emulator's constructor
    arguments (``clock``, ``version``, ``variant``, ``oidc_http``, ``faults``...) and win over these."""
    emulator = PrivXEmulator(**{"base_url": PRIVX_URL, "oauth_client_secret": OAUTH_CLIENT_SECRET, **settings})
    emulator.add_api_client(API_CLIENT_ID, API_CLIENT_SECRET)
    return emulator


@pytest.fixture
def make_emulator() -> Iterator[MakeEmulator]:
    """``make_emulator(**settings)``: :func:`build_emulator`, for a test that needs an emulator of its own (or
    several); each one is closed after the test."""
    made: list[PrivXEmulator] = []

    def make(**settings: Any) -> PrivXEmulator:
        made.append(build_emulator(**settings))
        return made[-1]

    yield make
    for emulator in made:
        emulator.close()


@pytest.fixture
def emulator_settings() -> dict[str, Any]:
    """Constructor arguments of the ``emulator`` fixture's emulator, beyond the fake world's. A test module whose
    tests all need another emulator overrides this fixture (e.g. ``return {"clock": clock}``)."""
    return {}


def wire_emulator(emulator: PrivXEmulator, seams: Seams, monkeypatch: pytest.MonkeyPatch) -> PrivXEmulator:
    """Route the CLI's PrivX traffic to ``emulator`` and put the API client's credentials in the environment."""
    seams.privx_transport = httpx.MockTransport(emulator.handle)
    monkeypatch.setenv("PRIVX_API_CLIENT_ID", API_CLIENT_ID)
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", API_CLIENT_SECRET)
    monkeypatch.setenv("PRIVX_API_OAUTH_CLIENT_SECRET", OAUTH_CLIENT_SECRET)
    return emulator


@pytest.fixture
def emulator(
    make_emulator: MakeEmulator, emulator_settings: dict[str, Any], seams: Seams, monkeypatch: pytest.MonkeyPatch
) -> PrivXEmulator:
    """The PrivX emulator, wired into the CLI's PrivX client, with the API client's credentials in the
    environment."""
    return wire_emulator(make_emulator(**emulator_settings), seams, monkeypatch)


def api_client(
    emulator: PrivXEmulator, client_id: str = API_CLIENT_ID, client_secret: str = API_CLIENT_SECRET
) -> httpx.Client:
    """An unopened httpx client on ``emulator`` (in-process) holding a bearer token of the API client ``client_id``
    (use it in ``with``): the emulator's API driven as a client drives it, without our PrivX client in between."""
    with httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=PRIVX_URL) as c:
        r = c.post(
            "/auth/api/v1/oauth/token",
            auth=("privx-external", OAUTH_CLIENT_SECRET),
            data={"grant_type": "password", "username": client_id, "password": client_secret},
        )
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return httpx.Client(transport=httpx.MockTransport(emulator.handle), base_url=PRIVX_URL, headers=headers)


@pytest.fixture
def api(emulator: PrivXEmulator) -> Iterator[httpx.Client]:
    """:func:`api_client` on the test's ``emulator``, open."""
    with api_client(emulator) as client:
        yield client


def privx_client(emulator: PrivXEmulator) -> PrivXClient:
    """Our PrivX client on ``emulator``, with the credentials the environment holds (as ``emulator`` set them):
    for arranging what a test needs in PrivX the way the CLI would."""
    return PrivXClient(build_http_client(PRIVX_URL, transport=httpx.MockTransport(emulator.handle)), load_credentials())


def faults_served(emulator: PrivXEmulator) -> list[tuple[str, str, str]]:
    """The requests an injected fault changed, in order: ``(method, path, what was applied)`` (e.g. ``("POST",
    "/role-store/api/v1/roles", "status 400")``), from the emulator's record. A test that injects a fault asserts
    on this, so a fault that never fired cannot pass for one the code coped with."""
    return [(r.method, r.path, r.fault) for r in emulator.requests if r.fault is not None]
