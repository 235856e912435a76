"""Issue 21's "Done when" walk, in-process: Alice signs in to PrivX through the direct-login URL (moto, the
hosted-UI stand-in, the emulator as relying party: the ``world``), holds ``ops-admins`` with a live session and an
open connection; ``set-group --group dev`` ends both, her next login holds ``developers`` only and her old refresh
token is refused at the stand-in's token endpoint; ``disable-user`` / ``remove-user`` end everything;
``--keep-sessions`` leaves it; a missing permission is reported and the re-run completes. The same walk over HTTP
(the CLI in a subprocess against the served sandbox) is ``tests/e2e/test_e2e.py::test_offboarding_walk_over_http``;
its timing is ``benchmarks/offboarding.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from cognito_privx import privx
from cognito_privx.config import load_config
from cognito_privx.desired import DesiredState
from cognito_privx.doctor.login import walk
from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, PrivXEmulator
from cognito_privx.sandbox.hosted_ui import HostedUI
from tests.support.constants import API_CLIENT_ID, PRIVX_URL, REGION
from tests.support.emulator import privx_client
from tests.support.login import HOSTED
from tests.support.pages import form_of, query_of

PASSWORD = "Correct-Horse-9!"
ALICE = "alice@example.com"


def _directory(emulator: PrivXEmulator) -> dict[str, Any]:
    return next(s for s in emulator.sources.values() if s["name"] == "Cognito")


def _sign_in(emulator: PrivXEmulator, seams: Any, config_file: Path, email: str = ALICE) -> str:
    """A browser through the direct-login URL: hosted UI, PrivX's callback. Her PrivX user id."""
    directory = _directory(emulator)
    url = privx.login_url(DesiredState.from_config(load_config(config_file)), directory)
    assert url
    to_privx = {f"all://{urlsplit(PRIVX_URL).netloc}": seams.privx_transport}
    with httpx.Client(transport=seams.http_transport, mounts=to_privx) as browser:
        seen = walk(browser, url, email, PASSWORD)
    assert seen.signed_in and not seen.stuck, seen
    [record] = [u for u in privx_client(emulator).search_users(str(directory["id"])) if u.get("email") == email]
    return str(record["id"])


def _roles(emulator: PrivXEmulator, user: str) -> list[str]:
    return sorted(str(r.get("name")) for r in privx_client(emulator).user_roles(user))


def _refresh_token(aws: Any, pool: str, email: str) -> tuple[str, Any]:
    """A refresh token of the app client from a code flow at the hosted-UI stand-in, and a refresher."""
    [summary] = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    client = aws.describe_user_pool_client(UserPoolId=pool, ClientId=summary["ClientId"])["UserPoolClient"]
    domain = aws.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"]
    redirect = client["CallbackURLs"][0]
    auth = (client["ClientId"], client["ClientSecret"])
    http = httpx.Client(transport=httpx.WSGITransport(app=HostedUI(REGION, HOSTED).wsgi), base_url=HOSTED)
    query = {"response_type": "code", "client_id": client["ClientId"], "redirect_uri": redirect, "state": "s"}
    page = http.get(http.get(f"/{domain}/oauth2/authorize", params=query).headers["location"])
    form = form_of(page.text)
    r = http.post(form["action"], data={**form["fields"], "username": email, "password": PASSWORD})
    code = query_of(r.headers["location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    token = str(http.post(f"/{domain}/oauth2/token", data=data, auth=auth).json()["refresh_token"])

    def refresh() -> httpx.Response:
        return http.post(
            f"/{domain}/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": token}, auth=auth
        )

    return token, refresh


@pytest.fixture
def alice(cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Any) -> str:
    """Setup run; Alice in ops with a password; signed in to PrivX (a session) with an open connection."""
    c = ["--config", str(config_file)]
    assert cli(*c, "setup").exit_code == 0
    assert cli(*c, "add-user", ALICE, "--group", "ops", "--no-invite").exit_code == 0
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    aws.admin_set_user_password(UserPoolId=pool, Username=ALICE, Password=PASSWORD, Permanent=True)
    user = _sign_in(world, seams, config_file)
    world.open_connection(user, "web-1")
    assert _roles(world, user) == ["ops-admins"] and world.valid_sessions(user) and world.live_connections(user)
    return user


def _live(emulator: PrivXEmulator, user: str) -> tuple[int, int]:
    return len(emulator.valid_sessions(user)), len(emulator.live_connections(user))


def test_walk_set_group_ends_her_access_and_the_next_login_holds_the_new_group_only(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Any, alice: str
) -> None:
    c = ["--config", str(config_file)]
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    _, refresh = _refresh_token(aws, pool, ALICE)
    assert refresh().status_code == 200
    run = cli(*c, "set-group", ALICE, "--group", "dev")
    assert run.exit_code == 0, run.stderr
    assert "1 PrivX session ended, 1 connection ended" in run.stderr
    assert _live(world, alice) == (0, 0)
    r = refresh()
    assert (r.status_code, r.json()) == (400, {"error": "invalid_grant"})
    again = _sign_in(world, seams, config_file)
    assert again == alice and _roles(world, again) == ["developers"]


def test_walk_disable_and_remove_end_everything_keep_sessions_leaves_it(
    cli: Any, config_file: Path, world: PrivXEmulator, seams: Any, alice: str
) -> None:
    c = ["--config", str(config_file)]
    kept = cli(*c, "disable-user", ALICE, "--keep-sessions")
    assert kept.exit_code == 0 and _live(world, alice) == (1, 1)
    assert cli(*c, "enable-user", ALICE).exit_code == 0
    world.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"connections-terminate"})
    refused = cli(*c, "disable-user", ALICE)
    assert refused.exit_code == 1 and "connections-terminate" in refused.stderr
    assert _live(world, alice) == (0, 1)
    world.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS)
    finished = cli(*c, "disable-user", ALICE)
    assert finished.exit_code == 0 and _live(world, alice) == (0, 0)
    assert cli(*c, "enable-user", ALICE).exit_code == 0
    again = _sign_in(world, seams, config_file)
    world.open_connection(again, "web-2")
    removed = cli(*c, "remove-user", ALICE, "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert "1 PrivX session ended, 1 connection ended" in removed.stderr
    assert _live(world, again) == (0, 0)
