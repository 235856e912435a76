"""Benchmark: import-users against an AWS-shaped Cognito stand-in, side by side with what people write by hand.

The stand-in (``cognito_privx.sandbox.aws_shaped``) is moto's server behind a proxy where every call pays
50-70 ms (60 ms on average) and AdminCreateUser is held to a quota (at most N in any one second), answering the
excess with TooManyRequestsException. Printed, in one run:

1. Throughput, new users, whole-command wall time: the adaptive import (default options, not told the quota) at
   quota 50/s and 100/s; the old engine (fixed 48/s token bucket, a look-up then a create per row, 16 threads);
   a 16-thread boto3 loop with botocore's adaptive retry mode; a sequential boto3 loop (on fewer users: it
   runs at ~1/latency).
2. Scale, against the sandbox's moto (no latency, no quota): ``import-users --dry-run`` on an empty pool, and an
   import's start (time to the first create; peak memory of a run stopped with Ctrl-C after a few seconds), on
   20,000 and 200,000 rows. Peak memory is the process's maximum resident set size.
3. The job engine (``--engine job``) on 100,000 rows through the import-job stand-in (moto's server, the job
   processed as fast as the stand-in goes): the command's wall time and peak memory, and how much of it was the
   job itself (StartDate to CompletionDate) versus the client's own work.
4. A projection for 1,000,000 users on each path, from the figures above. The job path's server-side time is
   not known: no public source states how fast Cognito processes an import job.

Run:  make bench        (or: .venv/bin/python benchmarks/import_users.py --users 500 --scale 2000,20000)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import httpx

from cognito_privx.cognito import CognitoGateway
from cognito_privx.config import AppConfig
from cognito_privx.desired import UsersSpec
from cognito_privx.pacing import TokenBucket
from cognito_privx.sandbox.aws_shaped import AwsShapedProxy
from cognito_privx.sandbox.runner import MotoServer
from cognito_privx.users import PoolUsers, UserRow

REGION = "eu-west-1"
LATENCY = (0.05, 0.07)
CLI = str(Path(sys.executable).with_name("cognito-privx"))


def client(url: str, **retries: Any) -> Any:
    config = botocore.config.Config(
        retries=retries or {"mode": "standard", "total_max_attempts": 1}, max_pool_connections=32
    )
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def make_pool(url: str, name: str) -> str:
    pool = client(url, mode="standard", total_max_attempts=3).create_user_pool(
        PoolName=name,
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
        UserPoolTags={"managed-by": "cognito-privx"},
    )
    return str(pool["UserPool"]["Id"])


def count_users(url: str, pool: str) -> int:
    pages = client(url, mode="standard", total_max_attempts=3).get_paginator("list_users")
    return sum(len(p["Users"]) for p in pages.paginate(UserPoolId=pool, Limit=60))


def cli_env(url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_"))}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(workdir / "none"),
    )
    return env


def write_inputs(workdir: Path, pool_name: str, prefix: str, users: int) -> tuple[Path, Path]:
    csv_file = workdir / f"{prefix}.csv"
    with csv_file.open("w") as fh:
        fh.write("email,group\n")
        for i in range(users):
            fh.write(f"{prefix}{i:07}@example.com,ops\n")
    config = workdir / f"{prefix}.toml"
    config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "{pool_name}"\n')
    return csv_file, config


# -- 1. throughput ------------------------------------------------------------------------------------------------


def adaptive_cli(moto: str, quota: float, users: int, workdir: Path) -> dict[str, Any]:
    name = f"bench-adaptive-{quota:.0f}"
    pool = make_pool(moto, name)
    csv_file, config = write_inputs(workdir, name, f"a{quota:.0f}x", users)
    with AwsShapedProxy(moto, latency=LATENCY, create_rate=quota, seed=7) as proxy:
        args = [CLI, "--config", str(config), "import-users", str(csv_file), "--no-invite"]
        start = time.monotonic()
        done = subprocess.run(args, env=cli_env(proxy.url, workdir), capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        throttled = proxy.throttled
    failed = users - count_users(moto, pool)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return {"wall": wall, "failed": failed, "notes": f"{throttled} throttled, exit {done.returncode}"}


def old_engine(moto: str, quota: float, users: int) -> dict[str, Any]:
    """The engine before issue 15, in-process (no CLI start-up): 16 threads, each row a look-up then a create,
    creations held to a fixed 48/s."""
    name = f"bench-old-{quota:.0f}"
    pool = make_pool(moto, name)
    cfg = AppConfig.model_validate({"cognito": {"region": REGION, "pool_name": name}})
    with AwsShapedProxy(moto, latency=LATENCY, create_rate=quota, seed=7) as proxy:
        pu = PoolUsers.open(
            CognitoGateway(client(proxy.url)), UsersSpec.from_config(cfg), create_limiter=TokenBucket(48, burst=2)
        )
        rows = [UserRow(f"o{quota:.0f}x{i:07}@example.com", "ops", None, i + 2) for i in range(users)]
        start = time.monotonic()
        with ThreadPoolExecutor(16) as pool_:
            list(pool_.map(lambda r: pu.add(r, invite=False), rows))
        wall = time.monotonic() - start
    return {"wall": wall, "failed": users - count_users(moto, pool), "notes": "in-process, fixed 48/s"}


def create_user(c: Any, pool: str, email: str) -> bool:
    """One AdminCreateUser as a hand-written loop makes it; whether it went through (after botocore's retries)."""
    try:
        c.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:group", "Value": "ops"}],
            MessageAction="SUPPRESS",
        )
    except c.exceptions.ClientError:
        return False
    return True


def boto3_threads(moto: str, quota: float, users: int) -> dict[str, Any]:
    name = f"bench-threads-{quota:.0f}"
    pool = make_pool(moto, name)
    with AwsShapedProxy(moto, latency=LATENCY, create_rate=quota, seed=7) as proxy:
        c = client(proxy.url, mode="adaptive", total_max_attempts=10)
        failed = 0
        lock = threading.Lock()

        def create(i: int) -> None:
            nonlocal failed
            if not create_user(c, pool, f"t{quota:.0f}x{i:07}@example.com"):
                with lock:
                    failed += 1

        start = time.monotonic()
        with ThreadPoolExecutor(16) as pool_:
            list(pool_.map(create, range(users)))
        wall = time.monotonic() - start
    return {"wall": wall, "failed": failed, "notes": "botocore adaptive retries, 10 attempts"}


def sequential(moto: str, quota: float, users: int) -> dict[str, Any]:
    name = f"bench-seq-{quota:.0f}"
    pool = make_pool(moto, name)
    with AwsShapedProxy(moto, latency=LATENCY, create_rate=quota, seed=7) as proxy:
        c = client(proxy.url, mode="legacy", total_max_attempts=5)
        failed = 0
        start = time.monotonic()
        for i in range(users):
            if not create_user(c, pool, f"s{i:07}@example.com"):
                failed += 1
        wall = time.monotonic() - start
    return {"wall": wall, "failed": failed, "notes": f"{users} users only"}


# -- 2. scale ----------------------------------------------------------------------------------------------------


def measured(args: list[str], env: dict[str, str], stop_after: float | None = None) -> tuple[float, int, int]:
    """Run ``args`` in a child of a fresh interpreter; (wall s, exit code, peak RSS in KiB) of that child."""
    probe = (
        "import resource, signal, subprocess, sys, time\n"
        "p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "t = time.monotonic(); stop = float(sys.argv[1])\n"
        "if stop > 0:\n"
        "    try:\n        p.wait(timeout=stop)\n"
        "    except subprocess.TimeoutExpired:\n        p.send_signal(signal.SIGINT)\n"
        "p.wait()\n"
        "print(time.monotonic() - t, p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(stop_after or 0), *args], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def first_create(proxy: AwsShapedProxy, args: list[str], env: dict[str, str]) -> float:
    start = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proxy.calls["AdminCreateUser"] == 0 and proc.poll() is None:
            time.sleep(0.01)
        return time.monotonic() - start
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait()


def scale(moto: str, sizes: list[int], workdir: Path) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for n in sizes:
        name = f"bench-scale-{n}"
        pool = make_pool(moto, name)
        csv_file, config = write_inputs(workdir, name, f"z{n}x", n)
        env = cli_env(moto, workdir)
        base = [CLI, "--config", str(config), "import-users", str(csv_file), "--no-invite"]
        wall, code, rss = measured([*base, "--dry-run"], env)
        rows.append((f"dry run, {n:,} rows", f"{wall:.1f} s", f"{rss / 1024:.0f} MB", f"exit {code}"))
        with AwsShapedProxy(moto, latency=(0.0, 0.0), create_rate=1e9) as proxy:
            penv = cli_env(proxy.url, workdir)
            first = first_create(proxy, base, penv)
            rows.append((f"import, {n:,} rows: first create", f"{first:.2f} s", "", ""))
        # Peak memory of a real import, stopped by Ctrl-C after 8 s (then the rest is reported "not attempted").
        made_before = count_users(moto, pool)
        wall, code, rss = measured(base, env, stop_after=8)
        made = count_users(moto, pool) - made_before
        rows.append(
            (
                f"import, {n:,} rows: 8 s then Ctrl-C",
                f"{wall:.1f} s",
                f"{rss / 1024:.0f} MB",
                f"exit {code}, {made} made",
            )
        )
    return rows


# -- 3. the job engine ----------------------------------------------------------------------------------------------

ROLE_ARN = "arn:aws:iam::123456789012:role/CognitoImportLogs"  # sandbox.import_jobs.LOGS_ROLE_ARN


def job_engine(moto: str, rows: int, workdir: Path) -> dict[str, Any]:
    """``import-users --engine job`` on ``rows`` new users, in a child process: wall, peak RSS, job seconds."""
    import json

    from cognito_privx.sandbox.import_jobs import create_logs_role

    create_logs_role(
        boto3.client(
            "iam", region_name=REGION, endpoint_url=moto, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
    )
    name = f"bench-job-{rows}"
    pool = make_pool(moto, name)
    csv_file, config = write_inputs(workdir, name, f"j{rows}x", rows)
    report = workdir / f"job-{rows}.json"
    args = [
        CLI, "--config", str(config), "import-users", str(csv_file), "--engine", "job", "--logs-role-arn", ROLE_ARN,
        "--report", str(report),
    ]  # fmt: skip
    wall, code, rss = measured(args, cli_env(moto, workdir))
    summary = json.loads(report.read_text())["summary"] if report.exists() else {}
    job_s = 0.0
    for job in summary.get("jobs", []):
        start, end = job.get("StartDate"), job.get("CompletionDate")
        if start and end:
            job_s += _parse_time(end) - _parse_time(start)
    made = count_users(moto, pool)
    return {"wall": wall, "code": code, "rss": rss, "job_s": job_s, "made": made, "failed": summary.get("failed")}


def _parse_time(value: Any) -> float:
    import datetime

    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value)).timestamp()


def projection(results: list[tuple[str, float, int, dict[str, Any]]], job: dict[str, Any] | None, n: int) -> None:
    print(f"\nProjection for {n:,} users (from the rates measured above):")
    print(f"{'path':<44} {'time':>12}  basis")
    for name, quota, users, r in results:
        rate = users / r["wall"]
        print(f"{name + f' at {quota:.0f}/s':<44} {_duration(n / rate):>12}  {rate:.1f} users/s measured")
    if job:
        client_s = max(job["wall"] - job["job_s"], 0.0) * n / job["rows"]
        jobs = -(-n // 500_000)
        print(
            f"{'import jobs (' + str(jobs) + ' of 500,000), client side':<44} {_duration(client_s):>12}  "
            f"{job['rows']:,} rows: {job['wall'] - job['job_s']:.1f} s outside the job, scaled"
        )
        print(
            f"{'import jobs, Cognito processing':<44} {'unknown':>12}  no public source states a job's rate; the "
            f"stand-in took {job['job_s']:.1f} s for {job['rows']:,}"
        )


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--sequential-users", type=int, default=300)
    parser.add_argument("--scale", default="20000,200000", help="row counts for the dry run / start (comma-separated)")
    parser.add_argument("--job-rows", type=int, default=100_000, help="rows for the job engine")
    parser.add_argument("--skip", default="", help="comma-separated: throughput, scale, old, threads, sequential, job")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    server = MotoServer().start()
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    results: list[tuple[str, float, int, dict[str, Any]]] = []
    scaled: list[tuple[str, ...]] = []
    job: dict[str, Any] | None = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            if "throughput" not in skip:
                for quota in (50.0, 100.0):
                    results.append(
                        (
                            "import-users (adaptive)",
                            quota,
                            args.users,
                            adaptive_cli(server.url, quota, args.users, workdir),
                        )
                    )
                if "old" not in skip:
                    results.append(
                        ("old engine (fixed 48/s)", 50.0, args.users, old_engine(server.url, 50.0, args.users))
                    )
                    results.append(
                        ("old engine (fixed 48/s)", 100.0, args.users, old_engine(server.url, 100.0, args.users))
                    )
                if "threads" not in skip:
                    for quota in (50.0, 100.0):
                        results.append(
                            (
                                "16-thread boto3, adaptive",
                                quota,
                                args.users,
                                boto3_threads(server.url, quota, args.users),
                            )
                        )
                if "sequential" not in skip:
                    n = args.sequential_users
                    results.append(("sequential boto3 loop", 50.0, n, sequential(server.url, 50.0, n)))
            if "scale" not in skip:
                scaled = scale(server.url, [int(s) for s in args.scale.split(",") if s], workdir)
            if "job" not in skip:
                from cognito_privx.sandbox import import_jobs as standin

                standin.configure(rate=None, pending_s=0.2)
                job = job_engine(server.url, args.job_rows, workdir) | {"rows": args.job_rows}
    finally:
        server.stop()

    if results:
        print(
            f"\nNew users through the AWS-shaped stand-in ({LATENCY[0] * 1000:.0f}-{LATENCY[1] * 1000:.0f} ms a call), "
            "whole wall time:"
        )
        print(
            f"{'method':<28} {'quota':>6} {'users':>6} {'seconds':>8} {'users/s':>8} {'of quota':>9} "
            f"{'failed':>7}  notes"
        )
        for name, quota, users, r in results:
            rate = users / r["wall"]
            print(
                f"{name:<28} {quota:>5.0f}/s {users:>6} {r['wall']:>8.1f} {rate:>8.1f} {rate / quota:>8.0%} "
                f"{r['failed']:>7}  {r['notes']}"
            )
    if scaled:
        print(
            "\nScale, against the sandbox's moto (no latency, no quota); before issue 15: dry run 63 s / 120 MB at "
            "20,000 rows, 851 s / 591 MB at 200,000:"
        )
        print(f"{'run':<40} {'wall':>9} {'peak RSS':>9}  notes")
        for row in scaled:
            print(f"{row[0]:<40} {row[1]:>9} {row[2]:>9}  {row[3]}")

    if job:
        print(f"\nThe job engine, {job['rows']:,} new users through the import-job stand-in:")
        print(
            f"  whole command {job['wall']:.1f} s, peak RSS {job['rss'] / 1024:.0f} MB, exit {job['code']}; the job "
            f"itself (StartDate to CompletionDate) {job['job_s']:.1f} s; {job['made']:,} users in the pool, "
            f"{job['failed']} failed rows"
        )
    if results or job:
        projection(results, job, 1_000_000)


if __name__ == "__main__":
    main()
