"""Benchmark: import-users against an AWS-shaped Cognito stand-in, versus the sequential loop people write by hand.

The stand-in (``cognito_privx.sandbox.aws_shaped``) is moto's server behind a proxy where every call pays
50-80 ms and AdminCreateUser is held to 50 requests/s (AWS's default UserCreation quota), answering the excess
with TooManyRequestsException. The quota makes 20 s the floor for 1,000 new users.

Run:  make bench        (or: .venv/bin/python benchmarks/import_users.py --users 1000)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import botocore.config
import httpx

from cognito_privx.sandbox.aws_shaped import AwsShapedProxy
from cognito_privx.sandbox.runner import MotoServer

QUOTA = 50.0
REGION = "eu-west-1"


def make_pool(client: object, name: str) -> str:
    pool = client.create_user_pool(  # type: ignore[attr-defined]
        PoolName=name,
        UsernameAttributes=["email"],
        Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
        UserPoolTags={"managed-by": "cognito-privx"},
    )
    return str(pool["UserPool"]["Id"])


def count_users(client: object, pool: str) -> int:
    total, token = 0, None
    while True:
        page = client.list_users(UserPoolId=pool, Limit=60, **({"PaginationToken": token} if token else {}))  # type: ignore[attr-defined]
        total += len(page["Users"])
        token = page.get("PaginationToken")
        if not token:
            return total


def run_import(proxy_url: str, users: int, workdir: Path, workers: int, rate: float) -> dict[str, object]:
    csv_file = workdir / "users.csv"
    csv_file.write_text("email,group\n" + "".join(f"imp{i:05}@example.com,ops\n" for i in range(users)))
    config = workdir / "cognito-privx.toml"
    config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "bench-import"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_"))}
    env.update(
        AWS_ENDPOINT_URL=proxy_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(workdir / "none"),
    )
    cli = str(Path(sys.executable).with_name("cognito-privx"))
    args = [cli, "--output", "json", "--config", str(config), "import-users", str(csv_file), "--no-invite"]
    args += ["--workers", str(workers), "--rate", str(rate)]
    start = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"import-users failed: {done.stderr}")
    summary = json.loads(done.stdout)["summary"]
    return {"wall": wall, "engine": summary["seconds"], "failed": summary["failed"], "retries": summary["throttle_retries"]}


def run_sequential(proxy_url: str, users: int) -> dict[str, object]:
    # What people write by hand: one client with botocore's default (legacy) retries, one call after another.
    client = boto3.client("cognito-idp", region_name=REGION, endpoint_url=proxy_url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    pool = make_pool(client, "bench-loop")
    failed = 0
    start = time.monotonic()
    for i in range(users):
        email = f"seq{i:05}@example.com"
        try:
            client.admin_create_user(
                UserPoolId=pool,
                Username=email,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:group", "Value": "ops"}],
                MessageAction="SUPPRESS",
            )
        except client.exceptions.ClientError:
            failed += 1
    return {"wall": time.monotonic() - start, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=48.0, help="import-users --rate")
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()

    server = MotoServer().start()
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    rows = []
    try:
        with AwsShapedProxy(server.url, latency=(0.05, 0.08), create_rate=QUOTA, seed=7) as proxy, \
                tempfile.TemporaryDirectory() as tmp:
            admin = boto3.client("cognito-idp", region_name=REGION, endpoint_url=server.url,
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
            pool = make_pool(admin, "bench-import")
            imported = run_import(proxy.url, args.users, Path(tmp), args.workers, args.rate)
            assert count_users(admin, pool) == args.users - int(imported["failed"])  # type: ignore[call-overload]
            rows.append(("import-users", imported["wall"], imported["failed"], f"{imported['retries']} throttle retries, engine {imported['engine']} s"))
            throttled_import = proxy.throttled
            if not args.skip_sequential:
                seq = run_sequential(proxy.url, args.users)
                rows.append(("sequential boto3 loop", seq["wall"], seq["failed"], ""))
            rows.append(("quota limit (50/s)", args.users / QUOTA, 0, ""))
    finally:
        server.stop()

    limit = args.users / QUOTA
    print(f"\n{args.users} new users; AWS-shaped stand-in: 50-80 ms per call, AdminCreateUser held to {QUOTA:.0f}/s")
    print(f"{'method':<24} {'seconds':>8} {'users/s':>8} {'of quota':>9} {'failed':>7}  notes")
    for name, seconds, failed, notes in rows:
        s = float(seconds)  # type: ignore[arg-type]
        print(f"{name:<24} {s:>8.1f} {args.users / s:>8.1f} {limit / s:>8.0%} {failed!s:>7}  {notes}")
    if not args.skip_sequential:
        print(f"\nspeed-up of import-users over the sequential loop: {float(rows[1][1]) / float(rows[0][1]):.1f}x")  # type: ignore[arg-type]
    print(f"requests the stand-in throttled during import-users: {throttled_import}")


if __name__ == "__main__":
    main()
