"""End to end: the installed ``cognito-privx`` run as a subprocess against ``cognito-privx sandbox``, over real HTTP.

Slower than the rest (each command is a fresh process); run them alone with ``make test-e2e`` / ``pytest -m e2e``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

CLI = str(Path(sys.executable).with_name("cognito-privx"))
CONFIG = """
[cognito]
pool_name = "privx-e2e"
domain_prefix = "e2e-privx"
[roles]
ops = "ops-admins"
dev = "developers"
"""


def _read_env(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    return env


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`cognito-privx sandbox --env-file F` in a subprocess; yields its environment; stops it with SIGTERM."""
    tmp = tmp_path_factory.mktemp("sandbox")
    env_file = tmp / "sandbox.env"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_", "COGNITO_PRIVX_"))}
    proc = subprocess.Popen(
        [CLI, "sandbox", "--env-file", str(env_file), "--token-ttl", "2"],
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not env_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"sandbox did not start: {proc.communicate()[1]}")
        time.sleep(0.05)
    env = _read_env(env_file)
    yield {**clean, **env, "AWS_CONFIG_FILE": str(tmp / "none"), "NO_COLOR": "1"}
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Sandbox stopped." in err
    assert out.splitlines()[0].startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")


@pytest.fixture
def run(sandbox: dict[str, str], tmp_path: Path) -> Any:
    config = tmp_path / "cognito-privx.toml"
    config.write_text(CONFIG)
    httpx.post(sandbox["PRIVX_API_BASE_URL"] + "/_emulator/reset").raise_for_status()
    httpx.post(sandbox["AWS_ENDPOINT_URL"] + "/moto-api/reset").raise_for_status()

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, "--config", str(config), *args], env=sandbox, capture_output=True, text=True, timeout=120
        )

    return invoke


def _cognito(sandbox: dict[str, str]) -> Any:
    """A boto3 cognito-idp client on the sandbox's moto server, for arranging and asserting state."""
    import boto3

    return boto3.client(
        "cognito-idp",
        endpoint_url=sandbox["AWS_ENDPOINT_URL"],
        region_name=sandbox["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _state(sandbox: dict[str, str]) -> dict[str, Any]:
    response = httpx.get(sandbox["PRIVX_API_BASE_URL"] + "/_emulator/state")
    response.raise_for_status()
    return dict(response.json())


def test_setup_then_second_run_is_a_no_op(run: Any, sandbox: dict[str, str]) -> None:
    plan = run("plan", "--detailed-exitcode")
    assert plan.returncode == 3, plan.stderr

    first = run("setup")
    assert first.returncode == 0, first.stderr
    (directory,) = [s for s in _state(sandbox)["sources"] if s["name"] == "Cognito"]
    assert first.stdout.splitlines()[-1].endswith(directory["id"])
    assert first.stdout.splitlines()[-1].startswith(sandbox["PRIVX_API_BASE_URL"])

    writes_before = [r for r in _state(sandbox)["requests"] if r["method"] in ("PUT", "DELETE")]
    second = run("-o", "json", "setup")
    assert second.returncode == 0, second.stderr
    assert {c["action"] for c in json.loads(second.stdout)["changes"]} == {"noop"}
    state = _state(sandbox)
    writes_after = [r for r in state["requests"] if r["method"] in ("PUT", "DELETE")]
    assert writes_after == writes_before
    assert [r["method"] for r in state["requests"] if r["path"] == "/role-store/api/v1/sources"].count("POST") == 1

    conn = directory["connection"]
    assert conn["oidc_issuer"].startswith("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_")
    assert conn["oidc_tags_attribute_name"] == "custom:group"
    assert conn["oidc_client_secret"] not in (first.stdout + first.stderr + second.stdout + second.stderr)

    assert run("plan", "--detailed-exitcode").returncode == 0
    url = run("login-url")
    assert url.returncode == 0 and url.stdout.strip() == first.stdout.splitlines()[-1]


def test_a_run_that_outlives_its_token_logs_in_again(run: Any, sandbox: dict[str, str]) -> None:
    """The sandbox's tokens last 2 s (``--token-ttl 2``), and the CLI renews one 1 s after the grant. One PrivX
    answer held back 1.5 s carries a single `setup` past that point: the same process logs in again, and goes on."""
    slow = {"method": "GET", "path": "/role-store/api/v1/sources", "latency": 1.5, "times": 1}
    httpx.post(sandbox["PRIVX_API_BASE_URL"] + "/_emulator/faults", json=slow).raise_for_status()
    done = run("setup")
    assert done.returncode == 0, done.stderr
    requests = _state(sandbox)["requests"]
    (slowed,) = [i for i, r in enumerate(requests) if (r["fault"] or "").startswith("latency")]
    grants = [i for i, r in enumerate(requests) if r["path"] == "/auth/api/v1/oauth/token"]
    # (A loaded machine may stretch the run past a second renewal: a third grant is fine.)
    assert len(grants) >= 2 and grants[0] < slowed < grants[1], requests
    assert any(r["method"] == "POST" for r in requests[grants[1] :]), "nothing was written with a renewed token"


def test_users_over_http(run: Any) -> None:
    assert run("setup").returncode == 0
    added = run("add-user", "alice@example.com", "--group", "ops", "--no-invite")
    assert added.returncode == 0 and "+ created alice@example.com" in added.stderr
    listed = json.loads(run("-o", "json", "list-users", "--group", "ops").stdout)
    assert [u["email"] for u in listed["users"]] == ["alice@example.com"]


def test_list_users_into_a_pipe_closed_early_ends_quietly(run: Any, sandbox: dict[str, str], tmp_path: Path) -> None:
    """``list-users | head -1``: the reader goes away while the table still streams (more than a pipe's 64 KiB
    buffer of rows): the command ends as a program its closed pipe ends (exit 141, nothing on stderr), not as a bug
    ("unexpected BrokenPipeError … please report it")."""
    assert run("setup").returncode == 0
    path = tmp_path / "u.csv"
    # Long addresses (a 64-character local part, the most RFC 5321 allows; a long domain): ~100 KiB of table in
    # 400 rows, not 900 short ones.
    domain = "a-department-with-a-rather-long-name.engineering.example.com"
    emails = [f"someone-with-a-long-name-{i:04}-".ljust(64, "x") + "@" + domain for i in range(400)]
    path.write_text("email,group\n" + "".join(f"{e},ops\n" for e in emails))
    assert run("import-users", str(path), "--no-invite").returncode == 0
    config = tmp_path / "cognito-privx.toml"
    for args in (["list-users"], ["-o", "json", "list-users"]):
        listing = subprocess.Popen(
            [CLI, "--config", str(config), *args],
            env=sandbox,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert listing.stdout is not None and listing.stderr is not None
        assert listing.stdout.readline()
        listing.stdout.close()  # what `head -1` does once it has its line
        stderr = listing.stderr.read().decode()
        assert listing.wait(timeout=120) == 141, stderr
        assert "BrokenPipe" not in stderr and "report it" not in stderr and "Exception ignored" not in stderr


def test_an_import_job_over_http_and_its_rerun(run: Any, sandbox: dict[str, str], tmp_path: Path) -> None:
    """``--engine job`` against the sandbox in another process: the upload goes to its loopback upload server, the
    job runs there, the per-row results come back from its CloudWatch Logs; the same file again starts no job."""
    import boto3

    from cognito_privx.sandbox.import_jobs import create_logs_role

    assert run("setup").returncode == 0
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    iam = boto3.client("iam", endpoint_url=sandbox["AWS_ENDPOINT_URL"], region_name=sandbox["AWS_REGION"], **keys)
    role = create_logs_role(iam)  # the sandbox made it at start; this test's moto reset took it away
    path = tmp_path / "u.csv"
    path.write_text("email,group\n" + "".join(f"e{i}@example.com,ops\n" for i in range(50)))
    done = run("import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert done.returncode == 0, done.stderr
    assert "50 created" in done.stderr
    aws = _cognito(sandbox)
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    users = aws.list_users(UserPoolId=pool, Limit=60)["Users"]
    assert len(users) == 50 and {u["UserStatus"] for u in users} == {"RESET_REQUIRED"}
    again = run("import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert again.returncode == 0 and "50 unchanged" in again.stderr
    assert len(aws.list_user_import_jobs(UserPoolId=pool, MaxResults=60)["UserImportJobs"]) == 1


def test_demo_tells_the_whole_story() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_", "COGNITO_PRIVX_"))}
    done = subprocess.run([CLI, "demo"], env={**clean, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip().splitlines()[-1]
    assert url.startswith("http://localhost:") and "/auth/api/v1/oauth/authorize?" in url and "&oidc_id=" in url
    for step in ("cognito-privx plan", "cognito-privx setup (again)", "No changes", "add-user", "list-users"):
        assert step in done.stderr
    assert "all checks passed" in done.stderr and "token-probe" in done.stderr
    assert "alice@example.com signed in through Cognito; PrivX gives her: ops-admins" in done.stderr


def test_three_concurrent_setups_converge_on_one_of_everything(
    run: Any, sandbox: dict[str, str], tmp_path: Path
) -> None:
    """Three runs started together leave one pool, one app client, one directory and one rule per grant: the
    older pool wins (each loser deletes its own), and the run lock on it lets one run go on; the others stop with
    the lock's message (exit 1), or, started after it finished, succeed."""

    config = tmp_path / "cognito-privx.toml"  # written by the `run` fixture
    procs = [
        subprocess.Popen(
            [CLI, "--config", str(config), "setup"],
            env=sandbox,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert any(code == 0 for code, _out, _err in results), results
    for code, _out, err in results:
        assert code == 0 or (code == 1 and "error: another cognito-privx run (owner " in err), err

    aws = _cognito(sandbox)
    pools = [p for p in aws.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "privx-e2e"]
    assert len(pools) == 1, pools
    clients = aws.list_user_pool_clients(UserPoolId=pools[0]["Id"], MaxResults=60)["UserPoolClients"]
    assert [c["ClientName"] for c in clients] == ["privx"]
    state = _state(sandbox)
    (directory,) = [s for s in state["sources"] if s["name"] == "Cognito"]
    assert directory["connection"]["oidc_issuer"].endswith(pools[0]["Id"])
    assert directory["connection"]["oidc_client_id"] == clients[0]["ClientId"]
    for role_name, group in (("ops-admins", "ops"), ("developers", "dev")):
        (role,) = [r for r in state["roles"] if r["name"] == role_name]
        leaves = [leaf for leaf in role["source_rules"]["rules"] if leaf["source"] == directory["id"]]
        assert [leaf["search_string"] for leaf in leaves] == [f"(tags={group})"]
    again = run("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stderr


def _ready_user(run: Any, sandbox: dict[str, str], email: str, group: str) -> tuple[str, str]:
    """setup, then a confirmed user of ``group`` with a known password; returns (login URL, password)."""

    first = run("setup")
    assert first.returncode == 0, first.stderr
    return first.stdout.splitlines()[-1], _add_user(run, sandbox, email, group)


def _add_user(run: Any, sandbox: dict[str, str], email: str, group: str) -> str:
    """`add-user` (after setup), then a known password set in moto: the password."""
    added = run("add-user", email, "--group", group, "--no-invite")
    assert added.returncode == 0, added.stderr
    aws = _cognito(sandbox)
    pool = _pool_id(aws)
    password = "Correct-Horse-9-battery"
    aws.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    return password


def _submit_sign_in(browser: httpx.Client, url: str, email: str, password: str, **kw: Any) -> httpx.Response:
    """Open ``url`` (the direct-login URL), fill Cognito's sign-in form and post it as a browser would."""
    import re

    page = browser.get(url)
    assert page.status_code == 200 and 'name="password"' in page.text  # Cognito's sign-in page
    action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    hidden = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    target = str(page.url.join(action.group(1).replace("&amp;", "&"))) if action else str(page.url)
    return browser.post(target, data={**hidden, "username": email, "password": password}, **kw)


def _sign_in(sandbox: dict[str, str], url: str, email: str, password: str) -> httpx.Response:
    """A plain-HTTP walk of the login (httpx with a cookie jar, following redirects): PrivX's landing page."""
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        landed = _submit_sign_in(browser, url, email, password)
    assert landed.status_code == 200, landed.text[:500]
    assert str(landed.url).startswith(sandbox["PRIVX_API_BASE_URL"] + "/auth/api/v1/oidc-cb")
    return landed


def _pool_id(aws: Any) -> str:
    return str(next(p["Id"] for p in aws.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "privx-e2e"))


def _privx_user_roles(sandbox: dict[str, str], email: str) -> list[str]:
    """The roles PrivX gives ``email``, read through PrivX's own users API with the sandbox's API client."""
    base = sandbox["PRIVX_API_BASE_URL"]
    token = httpx.post(
        f"{base}/auth/api/v1/oauth/token",
        auth=(sandbox["PRIVX_API_OAUTH_CLIENT_ID"], sandbox["PRIVX_API_OAUTH_CLIENT_SECRET"]),
        data={
            "grant_type": "password",
            "username": sandbox["PRIVX_API_CLIENT_ID"],
            "password": sandbox["PRIVX_API_CLIENT_SECRET"],
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    found = httpx.post(f"{base}/role-store/api/v1/users/search", json={"keywords": email}, headers=headers).json()
    (user,) = [u for u in found["items"] if u.get("email") == email]
    roles = httpx.get(f"{base}/role-store/api/v1/users/{user['id']}/roles", headers=headers).json()["items"]
    return sorted(r["name"] for r in roles)


def test_a_plain_http_client_walks_the_login_into_privx(run: Any, sandbox: dict[str, str]) -> None:
    """Not our code: httpx with a cookie jar, following redirects and posting the sign-in form as a browser would."""
    url, password = _ready_user(run, sandbox, "alice@example.com", "ops")
    landed = _sign_in(sandbox, url, "alice@example.com", password)
    assert "alice@example.com" in landed.text and "ops-admins" in landed.text
    assert _privx_user_roles(sandbox, "alice@example.com") == ["ops-admins"]


def _privx_id(state: dict[str, Any], email: str) -> str:
    (user,) = [u for u in state["users"] if u.get("email") == email]
    return str(user["id"])


def _live(state: dict[str, Any], user_id: str) -> tuple[int, int]:
    """(valid sessions, live connections) of a PrivX user in the emulator's state."""
    sessions = [s for s in state["sessions"] if s["user_id"] == user_id and s["valid"]]
    connections = [c for c in state["connections"] if c["user"]["id"] == user_id and c["status"] == "CONNECTED"]
    return len(sessions), len(connections)


def _harness(sandbox: dict[str, str], route: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{sandbox['PRIVX_API_BASE_URL']}/_emulator/{route}", json=body)
    response.raise_for_status()
    return dict(response.json())


def _refresh_token(sandbox: dict[str, str], url: str, email: str, password: str) -> Any:
    """A Cognito refresh token of ``email``'s: the direct-login URL's sign-in, stopped before PrivX's callback, its
    code exchanged here with the app client's credentials (read from moto). Returns a function that spends it."""
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        sent = _submit_sign_in(browser, url, email, password, follow_redirects=False)
    assert sent.status_code == 302, sent.text[:500]
    code = httpx.URL(sent.headers["location"]).params["code"]
    login = sent.request.url
    aws = _cognito(sandbox)
    pool = _pool_id(aws)
    client_id = login.params["client_id"]
    secret = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]["ClientSecret"]
    endpoint = str(login.join("oauth2/token").copy_with(query=None))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": login.params["redirect_uri"]}
    granted = httpx.post(endpoint, data=data, auth=(client_id, secret))
    assert granted.status_code == 200, granted.text
    token = granted.json()["refresh_token"]

    def refresh() -> httpx.Response:
        return httpx.post(
            endpoint, data={"grant_type": "refresh_token", "refresh_token": token}, auth=(client_id, secret)
        )

    return refresh


def test_offboarding_walk_over_http(run: Any, sandbox: dict[str, str]) -> None:
    """Issue 21's walk end to end: Alice and Bob (ops) sign in through the direct-login URL; Alice has a live PrivX
    session and an open connection. `set-group --group dev` ends both (Bob's stay), her IdP refresh token is refused,
    her next login holds `developers` only; `disable-user` without `connections-terminate` stops after the Cognito
    part naming the permission, and finishes once it is back; `remove-user` ends Bob's session."""
    alice, bob = "alice@example.com", "bob@example.com"
    url, password = _ready_user(run, sandbox, alice, "ops")
    _add_user(run, sandbox, bob, "ops")
    for email in (alice, bob):
        assert "ops-admins" in _sign_in(sandbox, url, email, password).text
    state = _state(sandbox)
    alice_id, bob_id = _privx_id(state, alice), _privx_id(state, bob)
    for user_id in (alice_id, bob_id):
        _harness(sandbox, "connections", {"user_id": user_id, "host": "web-1"})
    assert _privx_user_roles(sandbox, alice) == ["ops-admins"]
    assert (_live(_state(sandbox), alice_id), _live(_state(sandbox), bob_id)) == ((1, 1), (1, 1))
    refresh = _refresh_token(sandbox, url, alice, password)
    assert refresh().status_code == 200
    # PrivX's own session holds an IdP refresh token that works too (PrivX refreshes it; she stays signed in).
    assert _harness(sandbox, "sessions/refresh", {"user_id": alice_id})["refreshed"] == 1

    moved = run("set-group", alice, "--group", "dev")
    assert moved.returncode == 0, moved.stderr
    assert "1 PrivX session ended, 1 connection ended" in moved.stderr
    state = _state(sandbox)
    assert (_live(state, alice_id), _live(state, bob_id)) == ((0, 0), (1, 1))
    refused = refresh()
    assert (refused.status_code, refused.json().get("error")) == (400, "invalid_grant")  # no token in a failure
    landed = _sign_in(sandbox, url, alice, password)
    assert "developers" in landed.text and "ops-admins" not in landed.text
    assert _privx_id(_state(sandbox), alice) == alice_id
    assert _privx_user_roles(sandbox, alice) == ["developers"]

    _harness(sandbox, "connections", {"user_id": alice_id, "host": "web-2"})
    assert _live(_state(sandbox), alice_id) == (1, 1)
    client = sandbox["PRIVX_API_CLIENT_ID"]
    everything = _state(sandbox)["api_clients"][client]
    try:
        _harness(
            sandbox,
            "permissions",
            {"client_id": client, "permissions": sorted(set(everything) - {"connections-terminate"})},
        )
        stopped = run("disable-user", alice)
        assert stopped.returncode == 1 and "connections-terminate" in stopped.stderr, stopped.stderr
        assert "Traceback" not in stopped.stderr
        assert "is disabled; signed out (refresh tokens revoked); 1 PrivX session ended;" in stopped.stderr
    finally:
        _harness(sandbox, "permissions", {"client_id": client, "permissions": everything})
    aws = _cognito(sandbox)
    pool = _pool_id(aws)
    assert aws.admin_get_user(UserPoolId=pool, Username=alice)["Enabled"] is False  # the Cognito part: done
    assert _live(_state(sandbox), alice_id) == (0, 1)
    finished = run("disable-user", alice)
    assert finished.returncode == 0 and "1 connection ended" in finished.stderr, finished.stderr
    assert _live(_state(sandbox), alice_id) == (0, 0)

    removed = run("remove-user", bob, "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "1 PrivX session ended, 1 connection ended" in removed.stderr
    state = _state(sandbox)
    assert _live(state, bob_id) == (0, 0) and not any(s["valid"] for s in state["sessions"])
    with pytest.raises(aws.exceptions.UserNotFoundException):
        aws.admin_get_user(UserPoolId=pool, Username=bob)


def test_a_real_browser_signs_in_and_lands_in_privx_with_its_roles(
    run: Any, sandbox: dict[str, str], tmp_path: Path
) -> None:
    """Headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs) walks the login."""
    chromium, driver_path = "/usr/bin/chromium", "/usr/bin/chromedriver"
    if not (Path(chromium).exists() and Path(driver_path).exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: install chromium and chromium-driver (.ci/run does)")
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    url, password = _ready_user(run, sandbox, "bob@example.com", "dev")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1024,768"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        browser.get(url)
        WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.NAME, "username")))
        browser.find_element(By.NAME, "username").send_keys("bob@example.com")
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.NAME, "password").submit()
        WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "roles")))
        roles = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#roles li")]
        browser.save_screenshot(str(tmp_path / "privx-after-sign-in.png"))
    finally:
        browser.quit()
    assert roles == ["developers"]
    assert (tmp_path / "privx-after-sign-in.png").stat().st_size > 1000
    assert _privx_user_roles(sandbox, "bob@example.com") == ["developers"]


def test_doctor_login_rehearses_every_group_over_http(run: Any, sandbox: dict[str, str]) -> None:
    assert run("setup").returncode == 0
    done = run("-o", "json", "doctor", "--login", "--all-groups")
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert done.returncode == 0, {n: c for n, c in checks.items() if c["status"] != "ok"}
    assert "PrivX gives: ops-admins (the roles of group ops)" in checks["login:ops"]["message"]
    assert "PrivX gives: developers (the roles of group dev)" in checks["login:dev"]["message"]
    assert checks["role-rule-form"]["status"] == "ok"
