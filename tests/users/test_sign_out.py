"""Issue 21, the Cognito side: disable-user, remove-user, a set-group that takes a group away, and import-users rows
that do, sign the user out (AdminUserGlobalSignOut: refresh tokens revoked); --keep-sessions opts out; a sign-out
the caller may not do is exit 1 naming the permission, and a re-run finishes the job. The state asserted is moto's
record of global sign-outs (:func:`cognito_privx.sandbox.moto_fixes.sign_outs.sign_outs`) and, in the walk, the
hosted-UI stand-in's answer to the user's refresh token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.client
import httpx
import pytest
from botocore.exceptions import ClientError
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from cognito_privx.sandbox.hosted_ui import HostedUI
from cognito_privx.sandbox.moto_fixes.sign_outs import sign_outs
from tests.support.constants import REGION
from tests.support.pages import form_of, query_of

pytestmark = pytest.mark.usefixtures("emulator")

PERMISSION = "cognito-idp:AdminUserGlobalSignOut"
PASSWORD = "Correct-Horse-9!"


def _username(aws: Any, pool: str, email: str) -> str:
    return str(aws.admin_get_user(UserPoolId=pool, Username=email)["Username"])


def _signed_out(pool: str, username: str) -> int:
    return sign_outs(cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool], username)


def _add(cli: Any, c: list[str], email: str, group: str = "ops") -> None:
    run = cli(*c, "add-user", email, "--group", group, "--no-invite")
    assert run.exit_code == 0, run.stderr


@pytest.fixture
def deny_sign_out(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The caller's IAM policy without AdminUserGlobalSignOut: AWS answers AccessDeniedException."""
    original = botocore.client.BaseClient._make_api_call

    def denying(self: Any, operation_name: str, api_params: Any) -> Any:
        if operation_name == "AdminUserGlobalSignOut":
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform it"}}
            raise ClientError(error, operation_name)  # type: ignore[arg-type]
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", denying)
    return lambda: monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)


def test_disable_user_signs_out_and_says_so(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    _add(cli, c, "alice@example.com")
    alice = _username(aws, pool, "alice@example.com")
    run = cli(*c, "disable-user", "alice@example.com")
    assert run.exit_code == 0, run.stderr
    assert "signed out (refresh tokens revoked)" in run.stderr
    assert _signed_out(pool, alice) == 1
    doc = json.loads(cli(*c, "-o", "json", "disable-user", "alice@example.com").stdout)
    assert doc["outcome"] == "unchanged" and doc["signed_out"] is True  # a re-run signs out again (harmless)
    enabled = json.loads(cli(*c, "-o", "json", "enable-user", "alice@example.com").stdout)
    assert enabled["outcome"] == "updated" and "signed_out" not in enabled


def test_remove_user_signs_out_before_deleting(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    _add(cli, c, "bob@example.com")
    bob = _username(aws, pool, "bob@example.com")
    doc = json.loads(cli(*c, "-o", "json", "remove-user", "bob@example.com", "--yes").stdout)
    assert doc["outcome"] == "deleted" and doc["signed_out"] is True
    assert "signed out (refresh tokens revoked)" in doc["detail"]
    assert _signed_out(pool, bob) == 1


def test_set_group_signs_out_only_when_a_group_is_taken_away(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    _add(cli, c, "carol@example.com")
    carol = _username(aws, pool, "carol@example.com")
    same = json.loads(cli(*c, "-o", "json", "set-group", "carol@example.com", "--group", "ops").stdout)
    assert same["outcome"] == "unchanged" and "signed_out" not in same
    assert _signed_out(pool, carol) == 0
    moved = cli(*c, "set-group", "carol@example.com", "--group", "dev")
    assert moved.exit_code == 0, moved.stderr
    assert "group: ops → dev" in moved.stderr and "signed out (refresh tokens revoked)" in moved.stderr
    assert _signed_out(pool, carol) == 1
    dry = cli(*c, "add-user", "carol@example.com", "--group", "ops")  # add-user converges the same way
    assert "signed out" in dry.stderr and _signed_out(pool, carol) == 2


def test_keep_sessions_leaves_the_user_signed_in(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    _add(cli, c, "dave@example.com")
    dave = _username(aws, pool, "dave@example.com")
    moved = json.loads(
        cli(*c, "-o", "json", "set-group", "dave@example.com", "--group", "dev", "--keep-sessions").stdout
    )
    assert moved["signed_out"] is False and "sessions kept (--keep-sessions)" in moved["detail"]
    run = cli(*c, "disable-user", "dave@example.com", "--keep-sessions")
    assert run.exit_code == 0 and "sessions kept" in run.stderr
    assert cli(*c, "remove-user", "dave@example.com", "--yes", "--keep-sessions").exit_code == 0
    assert _signed_out(pool, dave) == 0


def test_a_refused_sign_out_names_the_permission_and_a_re_run_finishes(
    cli: Any, config_file: Path, aws: Any, pool: str, deny_sign_out: Any
) -> None:
    c = ["--config", str(config_file)]
    for email in ("erin@example.com", "frank@example.com", "gina@example.com"):
        _add(cli, c, email)
    erin, frank, gina = (_username(aws, pool, e) for e in ("erin@example.com", "frank@example.com", "gina@example.com"))

    disabled = cli(*c, "disable-user", "erin@example.com")
    assert disabled.exit_code == 1
    assert PERMISSION in disabled.stderr and "erin@example.com is disabled" in disabled.stderr
    assert "Traceback" not in disabled.stderr
    assert aws.admin_get_user(UserPoolId=pool, Username=erin)["Enabled"] is False  # what was done stays done

    moved = cli(*c, "set-group", "frank@example.com", "--group", "dev")
    assert moved.exit_code == 1 and PERMISSION in moved.stderr and "nothing was changed" in moved.stderr
    attrs = {a["Name"]: a["Value"] for a in aws.admin_get_user(UserPoolId=pool, Username=frank)["UserAttributes"]}
    assert attrs["custom:group"] == "ops"

    removed = cli(*c, "remove-user", "gina@example.com", "--yes")
    assert removed.exit_code == 1 and PERMISSION in removed.stderr
    assert _username(aws, pool, "gina@example.com") == gina  # still there

    deny_sign_out()  # the permission added: the same commands finish the job
    assert cli(*c, "disable-user", "erin@example.com").exit_code == 0
    assert cli(*c, "set-group", "frank@example.com", "--group", "dev").exit_code == 0
    assert cli(*c, "remove-user", "gina@example.com", "--yes").exit_code == 0
    assert (_signed_out(pool, erin), _signed_out(pool, frank), _signed_out(pool, gina)) == (1, 1, 1)


def test_import_signs_out_each_demoted_row(cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path) -> None:
    c = ["--config", str(config_file)]
    for email in ("hal@example.com", "ivy@example.com"):
        _add(cli, c, email)
    hal, ivy = _username(aws, pool, "hal@example.com"), _username(aws, pool, "ivy@example.com")
    csv_file = tmp_path / "users.csv"
    csv_file.write_text("email,group\nhal@example.com,dev\nivy@example.com,ops\njoe@example.com,ops\n")
    run = cli(*c, "import-users", str(csv_file), "--workers", "1", "--no-invite", "--engine", "api")
    assert run.exit_code == 0, run.stderr
    assert (_signed_out(pool, hal), _signed_out(pool, ivy)) == (1, 0)
    csv_file.write_text("email,group\nhal@example.com,ops\n")
    kept = cli(*c, "import-users", str(csv_file), "--workers", "1", "--engine", "api", "--keep-sessions")
    assert kept.exit_code == 0, kept.stderr
    csv_file.write_text("email,group\nhal@example.com,dev\n")
    assert cli(*c, "import-users", str(csv_file), "--workers", "1", "--engine", "api", "--keep-sessions").exit_code == 0
    assert _signed_out(pool, hal) == 1


# -- the walk: a refresh token from the hosted UI, then disable-user and enable-user ----------------------------

HOSTED = "https://hosted-ui.test"


def _refresh_token(aws: Any, pool: str, http: httpx.Client, client: dict[str, Any]) -> str:
    domain = aws.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"]
    redirect = client["CallbackURLs"][0]
    query = {"response_type": "code", "client_id": client["ClientId"], "redirect_uri": redirect, "state": "s1"}
    r = http.get(f"{HOSTED}/{domain}/oauth2/authorize", params=query)
    assert r.status_code == 302, r.text
    page = http.get(r.headers["location"])
    form = form_of(page.text)
    r = http.post(form["action"], data={**form["fields"], "username": "kim@example.com", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["location"].startswith(redirect), r.text
    code = query_of(r.headers["location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    tokens = http.post(f"{HOSTED}/{domain}/oauth2/token", data=data, auth=(client["ClientId"], client["ClientSecret"]))
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["refresh_token"])


def test_walk_disable_ends_the_refresh_token_and_enable_does_not_revive_it(
    cli: Any, config_file: Path, aws: Any, pool: str
) -> None:
    c = ["--config", str(config_file)]
    _add(cli, c, "kim@example.com")
    aws.admin_set_user_password(UserPoolId=pool, Username="kim@example.com", Password=PASSWORD, Permanent=True)
    [summary] = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    client = aws.describe_user_pool_client(UserPoolId=pool, ClientId=summary["ClientId"])["UserPoolClient"]
    domain = aws.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"]
    ui = HostedUI(REGION, HOSTED)
    with httpx.Client(transport=httpx.WSGITransport(app=ui.wsgi), base_url=HOSTED) as http:
        token = _refresh_token(aws, pool, http, client)

        def refresh() -> httpx.Response:
            data = {"grant_type": "refresh_token", "refresh_token": token}
            return http.post(
                f"{HOSTED}/{domain}/oauth2/token", data=data, auth=(client["ClientId"], client["ClientSecret"])
            )

        assert refresh().status_code == 200
        assert cli(*c, "disable-user", "kim@example.com").exit_code == 0
        r = refresh()
        assert (r.status_code, r.json()) == (400, {"error": "invalid_grant"})
        assert cli(*c, "enable-user", "kim@example.com").exit_code == 0
        r = refresh()
        assert (r.status_code, r.json()) == (400, {"error": "invalid_grant"})


@pytest.mark.parametrize("command", ["disable-user", "remove-user", "set-group"])
def test_an_endpoint_without_sign_out_warns_and_goes_on(
    command: str, cli: Any, config_file: Path, aws: Any, pool: str, endpoint_lacking: Any
) -> None:
    """cognito-local lacks AdminUserGlobalSignOut: no policy can change that, so the command does its change and the
    PrivX part, says in a warning that nobody was signed out of Cognito, and reports ``signed_out: false``."""
    c = ["--config", str(config_file)]
    email = "lacking@example.com"
    _add(cli, c, email)
    endpoint_lacking("admin_user_global_sign_out")
    extra = {"remove-user": ["--yes"], "set-group": ["--group", "dev"]}.get(command, [])
    run = cli(*c, "-o", "json", command, email, *extra)
    assert run.exit_code == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["signed_out"] is False
    assert (
        "warning: not signed out of Cognito: https://cognito-idp.eu-west-1.amazonaws.com does not support"
        in (result["detail"])
    )
    if command == "disable-user":
        assert aws.admin_get_user(UserPoolId=pool, Username=email)["Enabled"] is False
    elif command == "set-group":
        attrs = aws.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
        assert {"Name": "custom:group", "Value": "dev"} in attrs
    else:
        assert aws.list_users(UserPoolId=pool)["Users"] == []
