"""Benchmark: ``cognito-privx access`` on a big pool, side by side with a plain boto3 ListUsers walk of it.

In-process moto (with the sandbox's moto fixes) and the PrivX emulator (an httpx MockTransport: no network), one
process. Setup (not timed): ``setup`` through the CLI, then N users created through moto's backend directly, and
N PrivX records of our directory made by the emulator's ``login_user`` (each leaves a session; every 10th user also
gets an open connection). Then, timed, in the same run:

1. the baseline: a plain boto3 ``list_users`` walk of the pool (Limit 60), doing nothing with the users;
2. the review: what ``access --report FILE`` does (:func:`cognito_privx.access.start_review`, each row written to
   the CSV as it comes), with the calls counted per side;
3. the whole command: ``cognito-privx -o json access`` in-process (its JSON written to /dev/null).

Peak memory is tracemalloc's peak of Python allocations during each timed part; it includes what the in-process
stand-ins allocate to answer (moto's and the emulator's JSON), which the baseline pays too.

Run:  .venv/bin/python benchmarks/access_report.py            (10,000 users; --users N for another size)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
from moto import mock_aws
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from typer.testing import CliRunner

from cognito_privx.access import CsvReport, start_review
from cognito_privx.cli import Seams, app
from cognito_privx.cognito import CognitoGateway
from cognito_privx.config import load_config, load_credentials
from cognito_privx.desired import DesiredState, UsersSpec
from cognito_privx.reconcile import CallCounter
from cognito_privx.reconcile.services import open_privx
from cognito_privx.sandbox import moto_fixes
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.users import PoolUsers

REGION = "eu-west-1"
PRIVX_URL = "https://privx.example.com"
CONFIG = f"""
[cognito]
region = "{REGION}"
pool_name = "bench"
app_client_name = "privx"
domain_prefix = "bench-privx"

[privx]
url = "{PRIVX_URL}"
directory_name = "Cognito"
button_title = "Cognito"

[roles]
ops = "ops-admins"
dev = "developers"
"""
T = TypeVar("T")


def measured(body: Callable[[], T]) -> tuple[T, float, int]:
    """``body()``'s result, wall seconds and tracemalloc peak (bytes)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = body()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


def populate(pool_id: str, emulator: PrivXEmulator, users: int) -> None:
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION]
    source = next(s for s in emulator.sources.values() if s["name"] == "Cognito")["id"]
    for i in range(users):
        email = f"user{i:06d}@example.com"
        group = "ops" if i % 2 else "dev"
        user = backend.admin_create_user(
            pool_id,
            email,
            "SUPPRESS",
            "Temp-Passw0rd!",
            [{"Name": "email", "Value": email}, {"Name": "custom:group", "Value": group}],
        )
        uid = emulator.login_user(source, {"sub": user.id, "email": email, "custom:group": group})
        if i % 10 == 0:
            emulator.open_connection(uid, "web-1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "PRIVX_API_CLIENT_ID": "bench-client",
            "PRIVX_API_CLIENT_SECRET": "bench-secret",
            "PRIVX_API_OAUTH_CLIENT_SECRET": "bench-oauth-secret",
        }
    )
    moto_fixes.apply()
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        config = Path(tmp) / "cognito-privx.toml"
        config.write_text(CONFIG)
        emulator = PrivXEmulator(base_url=PRIVX_URL, oauth_client_secret="bench-oauth-secret")
        emulator.add_api_client("bench-client", "bench-secret")
        seams = Seams(privx_transport=httpx.MockTransport(emulator.handle))
        runner = CliRunner()
        setup = runner.invoke(app, ["--config", str(config), "setup"], obj=seams, catch_exceptions=False)
        assert setup.exit_code == 0, setup.stderr
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool_id = idp.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
        started = time.perf_counter()
        populate(pool_id, emulator, args.users)
        print(f"setup (not timed): {args.users:,} users and PrivX records in {time.perf_counter() - started:.1f} s")

        def baseline() -> int:
            seen = 0
            for page in idp.get_paginator("list_users").paginate(UserPoolId=pool_id, Limit=60):
                seen += len(page["Users"])
            return seen

        listed, base_s, base_peak = measured(baseline)
        base_calls = -(-listed // 60)

        cfg = load_config(config)
        desired = DesiredState.from_config(cfg)
        spec = UsersSpec.from_config(cfg)
        counter = CallCounter()

        def review() -> dict[str, Any]:
            px = open_privx(cfg, load_credentials(), counter, transport=httpx.MockTransport(emulator.handle))
            gw = CognitoGateway.connect(REGION, max_attempts=1).with_observer(counter.cognito)
            users = PoolUsers.open(gw, spec)
            writer = CsvReport.open(Path(tmp) / "review.csv")
            made = start_review(desired, spec, users, px)
            for row in made:
                writer.write(row)
            writer.close()
            px.http.close()
            return made.summary(dict(counter.calls))

        summary, review_s, review_peak = measured(review)

        def command() -> int:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                done = runner.invoke(app, ["--config", str(config), "-o", "json", "access"], obj=seams)
            return done.exit_code

        code, cli_s, cli_peak = measured(command)
        assert code == 0

    users = summary["cognito_users"]
    calls = summary["calls"]
    cognito = sum(v for k, v in calls.items() if k.startswith("cognito"))
    privx = sum(v for k, v in calls.items() if k.startswith("privx"))
    records = summary["privx_records"]
    print(f"\naccess review of {users:,} users ({records:,} PrivX records), python {sys.version.split()[0]}")
    print(f"{'':34} {'wall s':>8} {'peak MiB':>9} {'Cognito calls':>14} {'PrivX calls':>12} {'calls/user C|P':>15}")
    print(
        f"{'baseline: boto3 ListUsers walk':34} {base_s:8.2f} {base_peak / 2**20:9.1f} {base_calls:14,} {0:12,} "
        f"{base_calls / max(listed, 1):8.3f} | {0:.3f}"
    )
    print(
        f"{'access review (core + CSV report)':34} {review_s:8.2f} {review_peak / 2**20:9.1f} {cognito:14,} "
        f"{privx:12,} {cognito / users:8.3f} | {privx / users:.3f}"
    )
    print(f"{'cognito-privx -o json access':34} {cli_s:8.2f} {cli_peak / 2**20:9.1f}")
    print(f"flags: {summary['flags']}; roles from {summary['roles_from']}; MFA {summary['mfa']}")


if __name__ == "__main__":
    main()
