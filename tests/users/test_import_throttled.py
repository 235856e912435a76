"""import-users against an AWS-shaped stand-in (latency + a UserCreation quota), and a kill followed by a re-run.

Concurrency is real here: moto's server (serialised, see ``sandbox.runner.MotoServer``) behind
``sandbox.aws_shaped.AwsShapedProxy``, over HTTP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from cognito_privx.cognito import CognitoGateway
from cognito_privx.config import AppConfig
from cognito_privx.desired import UsersSpec
from cognito_privx.pacing import AdaptiveRate, TokenBucket
from cognito_privx.sandbox.aws_shaped import AwsShapedProxy
from cognito_privx.sandbox.runner import MotoServer
from cognito_privx.users import Outcome, PoolUsers, UserRow
from cognito_privx.users.api_engine import import_rows
from tests.support.env import cli_process_env

REGION = "eu-west-1"


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
    """Throttling the retries can absorb is absorbed: none of it reaches the report.

    The stand-in allows 20 creations in any second; the import's limiter sends 25/s (as when ``--rate`` is above
    the account's quota, or another client uses part of it), so about one create in five is throttled, every run,
    and sent again through the limiter (a fixed ``TokenBucket``, as a caller's fixed rate gets).

    Not 10x the quota: then the window stays full, a retried row races seven fresh ones for each freed slot, and
    with backoff waits shorter than the quota's one-second window it burns attempts where no slot can free up.
    Measured at 200/s with ``backoff_base=0.05``: throttled rows saw 4-7 of their 8 attempts throttled, and 1 run
    in 40 lost a row. Here: 12-15 throttles a run, at most 4 for one row (80 runs on a loaded machine).
    """
    pool = _make_pool(moto_server.url)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": "privx-users"}})
    with AwsShapedProxy(moto_server.url, latency=(0.002, 0.01), create_rate=20, seed=1) as proxy:
        users = PoolUsers.open(
            CognitoGateway(_client(proxy.url)), UsersSpec.from_config(cfg), create_limiter=TokenBucket(25, burst=2)
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
    users = PoolUsers.open(CognitoGateway(_client(moto_server.url)), UsersSpec.from_config(cfg))

    from botocore.stub import Stubber

    stub = Stubber(users.gw.client)
    stub.add_client_error("admin_create_user", "LimitExceededException", "Exceeded daily email limit")
    with stub:  # create first: one call for a new user, and the cap's answer is never repeated
        report = import_rows(
            users, [UserRow("a@example.com", "ops", None, 2), UserRow("b@example.com", "ops", None, 3)], workers=1
        )
        stub.assert_no_pending_responses()  # the cap's answer was given
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.NOT_ATTEMPTED]
    assert "daily email limit" in report.results[0].detail
    assert report.stopped and report.retries == 0
    assert report.hint and "--no-invite" in report.hint and "SES" in report.hint  # what the summary prints


ROWS = 150


@pytest.mark.e2e
def test_killed_import_rerun_leaves_every_user_exactly_once(moto_server: MotoServer, tmp_path: Path) -> None:
    """Killed a third of the way (SIGKILL: no clean-up, requests cut off anywhere), then run again: every row is
    there once. 150 rows at 40 creations/s: the kill lands mid-run with 16 workers in flight, and three pages of
    users to list."""
    pool = _make_pool(moto_server.url)
    with AwsShapedProxy(moto_server.url, latency=(0.01, 0.02), create_rate=50) as proxy:
        csv_file = tmp_path / "users.csv"
        csv_file.write_text("email,group\n" + "".join(f"k{i:03}@example.com,ops\n" for i in range(ROWS)))
        config = tmp_path / "cognito-privx.toml"
        config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "privx-users"\n')
        env = cli_process_env(proxy.url, tmp_path)
        cli = str(Path(sys.executable).with_name("cognito-privx"))
        args = [cli, "--config", str(config), "import-users", str(csv_file), "--no-invite", "--rate", "40"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while proxy.calls["AdminCreateUser"] < ROWS // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = len(_emails(moto_server.url, pool))
        assert 0 < partial < ROWS, "the kill must land mid-run"

        # The re-run through the same stand-in (what the killed run left in flight still reaching moto), its pace
        # moto's own: no quota, no --rate (how fast the re-run goes proves nothing here).
        proxy.set_create_rate(float("inf"))
        rerun = subprocess.run(
            [cli, "--output", "json", *args[1:-2]], env=env, capture_output=True, text=True, timeout=120
        )
        assert rerun.returncode == 0, rerun.stderr
    emails = _emails(moto_server.url, pool)
    assert len(emails) == ROWS and len(set(emails)) == ROWS
    assert sorted(emails) == [f"k{i:03}@example.com" for i in range(ROWS)]


# A kill can land between a request's headers and its body (urllib3 writes them separately): what the killed
# import left half-sent must not stop the stand-ins answering everyone else. (It did: the proxy forwarded the half
# request, and moto's handler waited for the missing bytes inside the lock that serialises moto.)
HALF_REQUEST = (
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
    b"X-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\n"
    b"Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/cognito-idp/aws4_request, "
    b"SignedHeaders=host, Signature=0\r\n"
    b'Content-Length: 17\r\n\r\n{"MaxRes'
)


def test_a_request_cut_off_mid_body_holds_up_no_other_request(moto_server: MotoServer) -> None:
    import botocore.config

    client = boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=moto_server.url,
        config=botocore.config.Config(read_timeout=5, retries={"total_max_attempts": 1}),
    )
    with socket.create_connection(("127.0.0.1", moto_server.port), timeout=5) as stalled:
        stalled.sendall(HALF_REQUEST)  # the rest never comes, and the connection stays open (a proxy in front)
        for _ in range(2):  # whichever handler runs first, the second call comes after the stalled one started
            assert client.list_user_pools(MaxResults=1)["UserPools"] == []


def test_the_stand_in_drops_a_request_its_client_abandoned_mid_body(moto_server: MotoServer) -> None:
    with AwsShapedProxy(moto_server.url, latency=(0.0, 0.0)) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as killed:
            killed.sendall(HALF_REQUEST)
            killed.shutdown(socket.SHUT_WR)  # as the kernel does for a killed process: nothing more will come
            assert killed.recv(1024) == b""  # closed unanswered, at once: not forwarded to moto
        assert proxy.calls == {}
        assert _client(proxy.url).list_user_pools(MaxResults=1)["UserPools"] == []


def test_ctrl_c_stops_an_import_and_keeps_what_was_done(moto_server: MotoServer) -> None:
    """KeyboardInterrupt starts no further row; rows done stay done and the rest are reported, not lost."""
    import threading

    pool = _make_pool(moto_server.url)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": "privx-users"}})
    seen: list[UserRow] = []
    # Slow calls (0.1-0.2 s): the run takes ~20 s unless the interrupt stops it, however late it lands.
    with AwsShapedProxy(moto_server.url, latency=(0.1, 0.2), create_rate=1000) as proxy:
        users = PoolUsers.open(CognitoGateway(_client(proxy.url)), UsersSpec.from_config(cfg))
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
    assert report.stopped == "interrupted" and report.interrupted
    done = report.count(Outcome.CREATED)
    assert 10 <= done < 200
    assert report.failed == 0  # never attempted is not failed
    assert report.not_attempted == 200 - done
    listed = [r.outcome for r in report.results].count(Outcome.NOT_ATTEMPTED)
    rest_from = report.rest_from_line  # the rows never started past those in flight: one count, not listed
    unlisted = 0 if rest_from is None else 200 - (rest_from - 2)
    assert rest_from is None or len(report.results) == rest_from - 2
    assert listed + unlisted == 200 - done
    assert len(_emails(moto_server.url, pool)) == done


@pytest.mark.parametrize(("start", "quota", "count"), [(200.0, 20.0, 80), (5.0, 60.0, 120)])
def test_a_throttling_storm_ends_with_zero_failed_rows(
    moto_server: MotoServer, start: float, quota: float, count: int
) -> None:
    """The adaptive limiter started 10x above the quota (a storm: most creates throttled at first), or far below it:
    every row is created, none failed, and the rate ends near the quota.

    Rows enough for what each case is about, as the quota bounds the run's time: from above, 80 rows at 20/s
    (~4.5 s) hold the storm (~70 throttles in the first second), a second wave, and the recovery's probes above
    the quota at ~3 and ~4 s (120 rows added probes once a second for 2 s more, ~6.3 s); from below, 120 rows at
    60/s let the slow start reach the quota (its first throttle at ~2.8 s)."""
    pool = _make_pool(moto_server.url)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": "privx-users"}})
    with AwsShapedProxy(moto_server.url, latency=(0.002, 0.01), create_rate=quota, seed=3) as proxy:
        users = PoolUsers.open(CognitoGateway(_client(proxy.url)), UsersSpec.from_config(cfg))
        rows = [UserRow(f"s{i:03}@example.com", "ops", None, i + 2) for i in range(count)]
        limiter = AdaptiveRate(start)
        report = import_rows(users, rows, workers=16, invite=False, limiter=limiter)
    if start > quota:
        assert proxy.throttled > 0 and limiter.cuts >= 1
    assert report.failed == 0, [r for r in report.results if r.outcome is Outcome.FAILED]
    assert report.count(Outcome.CREATED) == count
    assert sorted(_emails(moto_server.url, pool)) == [r.email for r in rows]
    assert proxy.calls["AdminGetUser"] == 0  # create first: one call per new user


@pytest.mark.e2e
def test_ctrl_c_exits_130_and_reports_the_rest_not_attempted(moto_server: MotoServer, tmp_path: Path) -> None:
    """The CLI, interrupted by SIGINT mid-run: exit 130, the report accounts for every row, the unstarted ones as "not
    attempted" (not failed): those past the rows in flight as one count from the first of them (issue 24)."""
    _make_pool(moto_server.url)
    with AwsShapedProxy(moto_server.url, latency=(0.05, 0.1), create_rate=20) as proxy:
        csv_file = tmp_path / "users.csv"
        csv_file.write_text("email,group\n" + "".join(f"i{i:03}@example.com,ops\n" for i in range(300)))
        config = tmp_path / "cognito-privx.toml"
        config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "privx-users"\n')
        env = cli_process_env(proxy.url, tmp_path)
        report = tmp_path / "report.csv"
        cli = str(Path(sys.executable).with_name("cognito-privx"))
        args = [cli, "--config", str(config), "import-users", str(csv_file), "--no-invite", "--report", str(report)]
        # The CLI keeps a SIGINT disposition of "ignore" that it inherits (as nohup'd programs expect), and a test run
        # started in the background by a shell without job control inherits exactly that: the signal below would be
        # lost and the import would finish (exit 0). A handled signal is reset to the default at exec, so the child
        # sees Ctrl-C as a terminal delivers it, however the test run was started.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        finally:
            signal.signal(signal.SIGINT, previous)
        deadline = time.monotonic() + 30
        while proxy.calls["AdminCreateUser"] < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    import csv as csv_module

    with report.open(newline="") as fh:
        listed = list(csv_module.DictReader(fh))
    outcomes = [r["outcome"] for r in listed if r["email"]]
    rest = [r for r in listed if not r["email"]]  # the rows never started past those in flight, as one count
    assert len(rest) <= 1 and rest == listed[len(outcomes) :]
    for r in rest:  # a file longer than the rows handed out (here all 300 may be queued before the stop)
        assert r["outcome"] == "not attempted" and int(r["line"]) == len(outcomes) + 2
        assert r["detail"].startswith(f"{300 - len(outcomes)} rows from this line to the end of the file")
        outcomes += ["not attempted"] * (300 - len(outcomes))
    assert len(outcomes) == 300
    assert "failed" not in outcomes
    assert outcomes.count("not attempted") > 0 and outcomes.count("created") > 0
    assert "not attempted" in stderr
