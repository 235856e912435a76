"""import-users against an AWS-shaped stand-in (latency + a UserCreation quota), and a kill followed by a re-run.

Concurrency is real here: moto's server (serialised, see ``sandbox.runner.MotoServer``) behind
``sandbox.aws_shaped.AwsShapedProxy``, over HTTP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from cognito_privx.cognito import CognitoGateway
from cognito_privx.config import AppConfig
from cognito_privx.sandbox.aws_shaped import AwsShapedProxy
from cognito_privx.sandbox.runner import MotoServer
from cognito_privx.users import Outcome, PoolUsers, TokenBucket, UserRow, import_rows

REGION = "eu-west-1"


@pytest.fixture
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    # moto's backends are process-wide: start from (and leave) an empty account.
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    yield server
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    server.stop()


def _client(url: str, attempts: int = 1) -> Any:
    import botocore.config

    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=url,
        config=botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": attempts}, max_pool_connections=32
        ),
    )


def _make_pool(url: str, name: str = "privx-users") -> str:
    return str(
        _client(url, 3).create_user_pool(
            PoolName=name,
            UsernameAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},  # as setup makes it (absent = legacy, case-sensitive)
            Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
            UserPoolTags={"managed-by": "cognito-privx"},
        )["UserPool"]["Id"]
    )


def _emails(url: str, pool: str) -> list[str]:
    client, token, emails = _client(url, 3), None, []
    while True:
        page = client.list_users(UserPoolId=pool, Limit=60, **({"PaginationToken": token} if token else {}))
        emails += [next(a["Value"] for a in u["Attributes"] if a["Name"] == "email") for u in page["Users"]]
        token = page.get("PaginationToken")
        if not token:
            return emails


def test_throttled_import_ends_with_zero_failed_rows(moto_server: MotoServer) -> None:
    pool = _make_pool(moto_server.url)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": "privx-users"}})
    # The stand-in allows 20 creations/s; we deliberately send up to 200/s on 8 workers so it must throttle.
    with AwsShapedProxy(moto_server.url, latency=(0.002, 0.01), create_rate=20, seed=1) as proxy:
        users = PoolUsers.open(
            CognitoGateway(_client(proxy.url)), cfg, create_limiter=TokenBucket(200), backoff_base=0.05
        )
        rows = [UserRow(f"t{i:03}@example.com", "ops", None, i + 2) for i in range(60)]
        report = import_rows(users, rows, workers=8, invite=False)
    assert proxy.throttled > 0, "the stand-in never throttled: the test proves nothing"
    assert report.failed == 0, [r for r in report.results if r.outcome is Outcome.FAILED]
    assert report.count(Outcome.CREATED) == 60 and report.retries >= proxy.throttled
    assert sorted(_emails(moto_server.url, pool)) == [r.email for r in rows]


def test_daily_email_cap_is_not_retried(moto_server: MotoServer) -> None:
    _make_pool(moto_server.url)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": "privx-users"}})
    users = PoolUsers.open(CognitoGateway(_client(moto_server.url)), cfg)

    from botocore.stub import Stubber

    stub = Stubber(users.gw.client)
    stub.add_client_error("admin_get_user", "UserNotFoundException")
    stub.add_client_error("admin_create_user", "LimitExceededException", "Exceeded daily email limit")
    stub.add_client_error("admin_get_user", "UserNotFoundException")
    with stub:
        report = import_rows(
            users, [UserRow("a@example.com", "ops", None, 2), UserRow("b@example.com", "ops", None, 3)], workers=1
        )
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.FAILED]
    assert "daily email limit" in report.results[0].detail
    assert report.results[1].detail.startswith("not attempted")
    assert report.stopped and report.retries == 0


@pytest.mark.e2e
def test_killed_import_rerun_leaves_every_user_exactly_once(moto_server: MotoServer, tmp_path: Path) -> None:
    pool = _make_pool(moto_server.url)
    with AwsShapedProxy(moto_server.url, latency=(0.01, 0.02), create_rate=50) as proxy:
        csv_file = tmp_path / "users.csv"
        csv_file.write_text("email,group\n" + "".join(f"k{i:03}@example.com,ops\n" for i in range(300)))
        config = tmp_path / "cognito-privx.toml"
        config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "privx-users"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_"))}
        env.update(
            AWS_ENDPOINT_URL=proxy.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_CONFIG_FILE=str(tmp_path / "none"),
        )
        cli = str(Path(sys.executable).with_name("cognito-privx"))
        args = [cli, "--config", str(config), "import-users", str(csv_file), "--no-invite", "--rate", "40"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while proxy.calls["AdminCreateUser"] < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = len(_emails(moto_server.url, pool))
        assert 0 < partial < 300, "the kill must land mid-run"

        rerun = subprocess.run(
            [cli, "--output", "json", *args[1:]], env=env, capture_output=True, text=True, timeout=120
        )
        assert rerun.returncode == 0, rerun.stderr
    emails = _emails(moto_server.url, pool)
    assert len(emails) == 300 and len(set(emails)) == 300
    assert sorted(emails) == [f"k{i:03}@example.com" for i in range(300)]


def test_ctrl_c_stops_an_import_and_keeps_what_was_done(moto_server: MotoServer) -> None:
    """KeyboardInterrupt starts no further row; rows done stay done and the rest are reported, not lost."""
    import threading

    pool = _make_pool(moto_server.url)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": "privx-users"}})
    seen: list[UserRow] = []
    # Slow calls (0.1-0.2 s): the run takes ~20 s unless the interrupt stops it, however late it lands.
    with AwsShapedProxy(moto_server.url, latency=(0.1, 0.2), create_rate=1000) as proxy:
        users = PoolUsers.open(CognitoGateway(_client(proxy.url)), cfg)
        rows = [UserRow(f"c{i:03}@example.com", "ops", None, i + 2) for i in range(200)]

        def after(result: Any) -> None:
            seen.append(result)
            if len(seen) == 10:
                # Ctrl-C: a real SIGINT, delivered to the main thread while it waits for the workers.
                threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()

        started = time.monotonic()
        # pytest-xdist workers ignore SIGINT (Ctrl-C belongs to the controller): restore Python's own handler.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            report = import_rows(users, rows, workers=4, invite=False, on_result=after)
        finally:
            signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 10
    assert report.stopped == "interrupted"
    done = report.count(Outcome.CREATED)
    assert 10 <= done < 200
    assert report.failed == 200 - done
    assert len(_emails(moto_server.url, pool)) == done
