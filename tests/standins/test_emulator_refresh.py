"""The PrivX emulator's use of the IdP's refresh token (issue 21; choice 22 of the emulator's core), against the
real stand-ins: moto, the hosted-UI stand-in over it, and the emulator as relying party (``world``).

PrivX: "PrivX requires continued access to the OIDC provider for updated group and role information" (docs:
openid-connect-authentication); "for active PrivX users, permission changes take effect when their access token is
refreshed" (docs: granting-user-permissions). When PrivX refreshes is not published: the harness triggers it
(``POST /_emulator/sessions/refresh``, :meth:`PrivXEmulator.refresh_sessions`).

Each user signs in as a browser would: the direct-login URL ``setup`` prints, the hosted UI's sign-in form, back to
PrivX's callback.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.sandbox.server import EmulatorServer
from tests.support.constants import PRIVX_URL
from tests.support.pages import form_of

PASSWORD = "Correct-Horse-9-battery"
REFRESH = "/_emulator/sessions/refresh"


class Deployment:
    """``setup`` done, users added with the CLI, and a browser that reaches PrivX (the emulator) and the hosted UI."""

    def __init__(self, cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, seams: Seams) -> None:
        self.cli, self.config, self.aws, self.emu = cli, config_file, aws, emulator
        run = cli("--config", str(config_file), "setup")
        assert run.exit_code == 0, run.stderr
        self.login_url = run.lines[-1]
        assert self.login_url.startswith(PRIVX_URL), run.stdout
        self.pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
        outside = seams.http_transport
        assert outside is not None

        def route(request: httpx.Request) -> httpx.Response:
            if str(request.url).startswith(PRIVX_URL):
                return emulator.handle(request)
            response = outside.handle_request(request)
            response.read()
            return response

        self.transport = httpx.MockTransport(route)
        # Every refresh token the IdP hands PrivX, read off the wire, so a test can look for it in what PrivX shows.
        self.refresh_tokens_seen: list[str] = []
        idp = emulator.oidc_client()

        def recording(request: httpx.Request) -> httpx.Response:
            response = idp.send(request)
            response.read()
            if request.url.path.endswith("/oauth2/token") and response.status_code == 200:
                self.refresh_tokens_seen += [t for t in [response.json().get("refresh_token")] if t]
            return response

        emulator.oidc_http = httpx.Client(transport=httpx.MockTransport(recording))

    def add_user(self, email: str, group: str) -> None:
        run = self.cli("--config", str(self.config), "add-user", email, "--group", group, "--no-invite")
        assert run.exit_code == 0, run.stderr
        self.aws.admin_set_user_password(UserPoolId=self.pool, Username=email, Password=PASSWORD, Permanent=True)

    def sign_in(self, email: str) -> httpx.Response:
        """The whole walk, as a browser without JavaScript: PrivX's direct login → the hosted UI's form → PrivX."""
        with httpx.Client(transport=self.transport, follow_redirects=True) as browser:
            page = browser.get(self.login_url)
            assert page.status_code == 200 and 'name="password"' in page.text, page.text[:300]
            form = form_of(page.text)
            landed = browser.post(
                str(page.url.join(form["action"])),
                data={**form["fields"], "username": email, "password": PASSWORD},
            )
        assert landed.status_code == 200, landed.text[:500]
        assert str(landed.url).startswith(f"{PRIVX_URL}/auth/api/v1/oidc-cb?")
        return landed

    def session_of(self, email: str) -> dict[str, Any]:
        (session,) = [s for s in self.emu.sessions.values() if self.user(email)["id"] == s["user_id"]]
        return session

    def user(self, email: str) -> dict[str, Any]:
        (user,) = [u for u in self.emu.users.values() if u.get("email") == email]
        return user

    def roles(self, email: str) -> list[str]:
        return [str(r["name"]) for r in self.emu.membership.roles_of(self.user(email))]

    def set_group(self, email: str, group: str) -> None:
        """The group attribute changed in Cognito, behind PrivX's back (an administrator's write)."""
        attrs = [{"Name": "custom:group", "Value": group}]
        self.aws.admin_update_user_attributes(UserPoolId=self.pool, Username=email, UserAttributes=attrs)


@pytest.fixture
def deployment(cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Seams) -> Deployment:
    return Deployment(cli, config_file, aws, world, seams)


def outcomes(summary: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["user_id"], s["outcome"]) for s in summary["sessions"]]


def test_a_refresh_brings_the_new_group_into_privx_and_keeps_the_session(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    assert "ops-admins" in d.sign_in("alice@example.com").text
    alice = d.user("alice@example.com")
    assert (alice["tags"], d.roles("alice@example.com")) == (["ops"], ["ops-admins"])

    d.set_group("alice@example.com", "dev")
    assert d.roles("alice@example.com") == ["ops-admins"]  # PrivX has not asked the IdP yet
    summary = d.emu.refresh_sessions()

    assert (summary["refreshed"], summary["ended"], summary["skipped"]) == (1, 0, 0)
    assert outcomes(summary) == [(alice["id"], "refreshed")]
    assert d.user("alice@example.com")["tags"] == ["dev"]
    assert d.roles("alice@example.com") == ["developers"]
    assert d.user("alice@example.com")["id"] == alice["id"]  # the same PrivX user, updated in place
    assert [s["user_id"] for s in d.emu.valid_sessions()] == [alice["id"]]
    # Cognito does not rotate the refresh token by default: the kept one works again.
    d.set_group("alice@example.com", "ops")
    assert d.emu.refresh_sessions()["refreshed"] == 1
    assert d.roles("alice@example.com") == ["ops-admins"]


def test_a_global_sign_out_in_cognito_ends_the_privx_session_at_the_next_refresh(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    d.add_user("bob@example.com", "dev")
    d.sign_in("alice@example.com")
    d.sign_in("bob@example.com")
    d.aws.admin_user_global_sign_out(UserPoolId=d.pool, Username="alice@example.com")

    summary = d.emu.refresh_sessions()

    alice, bob = d.user("alice@example.com")["id"], d.user("bob@example.com")["id"]
    assert sorted(outcomes(summary)) == sorted([(alice, "ended"), (bob, "refreshed")])
    (ended,) = [s for s in summary["sessions"] if s["outcome"] == "ended"]
    assert "invalid_grant" in ended["error"]
    assert d.session_of("alice@example.com")["logged_out"] is True
    assert [s["user_id"] for s in d.emu.valid_sessions()] == [bob]
    # An ended session is not refreshed again.
    assert outcomes(d.emu.refresh_sessions()) == [(bob, "refreshed")]


def test_a_disabled_user_loses_the_privx_session_at_the_next_refresh(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    d.aws.admin_disable_user(UserPoolId=d.pool, Username="alice@example.com")

    summary = d.emu.refresh_sessions(d.user("alice@example.com")["id"])

    assert (summary["refreshed"], summary["ended"], summary["skipped"]) == (0, 1, 0)
    assert d.session_of("alice@example.com")["logged_out"] is True
    assert d.emu.valid_sessions() == []


def test_a_deleted_user_loses_the_privx_session_at_the_next_refresh(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    d.aws.admin_delete_user(UserPoolId=d.pool, Username="alice@example.com")
    assert d.emu.refresh_sessions()["ended"] == 1
    assert d.emu.valid_sessions() == []


def test_harness_made_sessions_are_skipped_and_a_user_filter_is_honoured(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    directory = d.user("alice@example.com")["source"]
    carol = d.emu.login_user(directory, {"sub": "sub-carol", "email": "carol@example.com", "custom:group": "ops"})

    summary = d.emu.refresh_sessions()
    assert (summary["refreshed"], summary["ended"], summary["skipped"]) == (1, 0, 1)
    assert (carol, "skipped") in outcomes(summary)
    assert outcomes(d.emu.refresh_sessions(carol)) == [(carol, "skipped")]
    with pytest.raises(ValueError, match="no-such-user"):
        d.emu.refresh_sessions("no-such-user")
    assert len(d.emu.valid_sessions()) == 2


def test_the_refresh_token_is_never_shown(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    page = d.sign_in("alice@example.com")
    d.set_group("alice@example.com", "dev")
    tokens = d.refresh_tokens_seen
    assert tokens, "the hosted UI issued no refresh token: nothing to test"
    with httpx.Client(transport=d.transport, base_url=PRIVX_URL) as c:
        answers = [page.text, c.get("/_emulator/state").text, c.post(REFRESH, json={}).text]
        answers.append(c.get("/_emulator/state").text)
    answers.append(json.dumps(d.emu.refresh_sessions()))
    answers.append(repr(d.emu.sessions) + repr(d.emu.logins) + repr(d.emu.valid_sessions()))
    for token in tokens:
        assert all(token not in text for text in answers)


# -- the harness route ---------------------------------------------------------------------------------------


def test_the_route_over_http_answers_the_summary_and_refuses_bad_bodies(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    alice = d.user("alice@example.com")["id"]
    d.set_group("alice@example.com", "dev")
    with EmulatorServer(d.emu) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.post(REFRESH, json={"user_id": "someone-else"}).status_code == 404
        bad = c.post(REFRESH, json={"user": alice})
        assert (bad.status_code, bad.json()["property"]) == (400, "user")
        assert c.post(REFRESH, json={"user_id": 7}).status_code == 400
        assert c.get(REFRESH).status_code == 405
        r = c.post(REFRESH, json={"user_id": alice})
        assert r.status_code == 200, r.text
        assert r.json() == {
            "refreshed": 1,
            "ended": 0,
            "skipped": 0,
            "sessions": [{"id": d.session_of("alice@example.com")["id"], "user_id": alice, "outcome": "refreshed"}],
        }
        assert c.post(REFRESH).json()["refreshed"] == 1  # no body: every session
    assert d.roles("alice@example.com") == ["developers"]
    assert all(r.path != REFRESH for r in d.emu.requests)  # harness routes are never recorded


def test_the_emulator_answers_others_while_a_refresh_waits_on_the_idp(deployment: Deployment) -> None:
    d = deployment
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    inner = d.emu.oidc_client()
    seen: list[int] = []

    def slow_idp(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            status = httpx.Request("GET", f"{PRIVX_URL}/auth/api/v1/status")
            seen.append(d.emu.handle(status).status_code)  # would deadlock if the lock were held
        response = inner.send(request)
        response.read()
        return response

    d.emu.oidc_http = httpx.Client(transport=httpx.MockTransport(slow_idp))
    result: list[httpx.Response] = []
    with httpx.Client(transport=httpx.MockTransport(d.emu.handle), base_url=PRIVX_URL) as c:
        walker = threading.Thread(target=lambda: result.append(c.post(REFRESH)), daemon=True)
        walker.start()
        walker.join(timeout=10)
    assert not walker.is_alive(), "the refresh deadlocked: the emulator's lock was held while the IdP answered"
    assert seen == [200] and result[0].json()["refreshed"] == 1


# -- what the IdP answers, bent: rotation, no ID token, no answer, a bad answer ------------------------------


def bend(d: Deployment, change: Any) -> list[dict[str, str]]:
    """The IdP's answers to PrivX's refresh requests go through ``change(response) -> httpx.Response`` (or raise);
    returns the forms of those requests, as sent."""
    idp = d.emu.oidc_client()
    forms: list[dict[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.read().decode())) if request.method == "POST" else {}
        response = idp.send(request)
        response.read()
        if form.get("grant_type") != "refresh_token":
            return response
        forms.append(form)
        bent: httpx.Response = change(response)
        return bent

    d.emu.oidc_http = httpx.Client(transport=httpx.MockTransport(handle))
    return forms


def signed_in_alice(d: Deployment) -> str:
    d.add_user("alice@example.com", "ops")
    d.sign_in("alice@example.com")
    d.set_group("alice@example.com", "dev")
    return str(d.user("alice@example.com")["id"])


def test_a_rotated_refresh_token_replaces_the_kept_one(deployment: Deployment) -> None:
    d = deployment
    signed_in_alice(d)
    forms = bend(d, lambda r: httpx.Response(200, json={**r.json(), "refresh_token": "rotated-token"}))
    assert d.emu.refresh_sessions()["refreshed"] == 1
    first = forms[0]["refresh_token"]
    assert first in d.refresh_tokens_seen
    # The stand-in does not know the made-up rotated token: the next refresh sends it, and is refused for it.
    summary = d.emu.refresh_sessions()
    assert forms[1]["refresh_token"] == "rotated-token"
    assert summary["ended"] == 1 and "invalid_grant" in summary["sessions"][0]["error"]


def test_an_answer_without_an_id_token_keeps_user_and_session(deployment: Deployment) -> None:
    d = deployment
    signed_in_alice(d)
    bend(d, lambda r: httpx.Response(200, json={k: v for k, v in r.json().items() if k != "id_token"}))
    assert d.emu.refresh_sessions()["refreshed"] == 1
    assert (d.user("alice@example.com")["tags"], d.roles("alice@example.com")) == (["ops"], ["ops-admins"])
    assert len(d.emu.valid_sessions()) == 1


def test_no_answer_from_the_idp_changes_nothing(deployment: Deployment) -> None:
    d = deployment
    signed_in_alice(d)

    def hang_up(response: httpx.Response) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    bend(d, hang_up)
    summary = d.emu.refresh_sessions()
    assert (summary["skipped"], summary["ended"]) == (1, 0)
    assert "token_endpoint_unreachable" in summary["sessions"][0]["error"]
    assert d.roles("alice@example.com") == ["ops-admins"] and len(d.emu.valid_sessions()) == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: httpx.Response(503, text="busy"), "invalid_token_response"),
        (lambda r: httpx.Response(200, json={**r.json(), "id_token": r.json()["id_token"][:-4] + "AAAA"}), "signature"),
        (
            lambda r: httpx.Response(200, json={k: v for k, v in r.json().items() if k != "access_token"}),
            "access_token",
        ),
    ],
    ids=["server-error", "bad-signature", "no-access-token"],
)
def test_an_answer_privx_cannot_use_ends_the_session(deployment: Deployment, change: Any, named: str) -> None:
    d = deployment
    signed_in_alice(d)
    bend(d, change)
    summary = d.emu.refresh_sessions()
    assert summary["ended"] == 1 and named in summary["sessions"][0]["error"]
    assert d.emu.valid_sessions() == []
    assert d.user("alice@example.com")["tags"] == ["ops"]  # nothing taken from an answer PrivX refused


def test_a_directory_that_no_longer_lets_the_user_in_ends_the_session(deployment: Deployment) -> None:
    d = deployment
    signed_in_alice(d)
    directory = d.emu.sources[d.user("alice@example.com")["source"]]
    directory["connection"]["oidc_allow_login_tag"] = "ops"  # alice is in dev now
    summary = d.emu.refresh_sessions()
    assert summary["ended"] == 1 and summary["sessions"][0]["error"].startswith("login_not_allowed")
    assert d.emu.refreshes == summary["sessions"]
