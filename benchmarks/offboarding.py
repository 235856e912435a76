"""Benchmark: the time from `disable-user` to "no live PrivX session", against the sandbox over HTTP (moto's server
and the PrivX emulator served on loopback).

Each run: a user is added, signed in to PrivX through our directory (a login session) and given an open
connection; `disable-user` then runs in-process (the CLI's own code, its Cognito and PrivX calls over HTTP) and is
timed from start to return; when it returns the emulator must show no valid session and no live connection of the
user (else the run fails). Prints the median, min and max wall time.

Run:  .venv/bin/python benchmarks/offboarding.py --runs 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from cognito_privx.cli import app
from cognito_privx.sandbox.runner import Sandbox

CONFIG = (
    '[cognito]\npool_name = "bench"\ndomain_prefix = "bench-privx"\n[roles]\nops = "ops-admins"\ndev = "developers"\n'
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    runner = CliRunner()
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cognito-privx.toml"
        config.write_text(CONFIG)
        for name in [k for k in os.environ if k.startswith(("AWS_", "PRIVX_"))]:
            del os.environ[name]
        os.environ.update(sandbox.env(), AWS_CONFIG_FILE=str(Path(tmp) / "none"), NO_COLOR="1")

        def cli(*command: str) -> str:
            done = runner.invoke(app, ["--config", str(config), *command], catch_exceptions=False)
            assert done.exit_code == 0, done.stderr
            return done.stderr

        cli("setup")
        emulator = sandbox.emulator
        [directory] = [s for s in emulator.sources.values() if s["name"] == "Cognito"]
        import boto3

        aws = boto3.client("cognito-idp", endpoint_url=sandbox.moto_url, region_name=sandbox.region)
        pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
        samples, detail = [], ""
        for i in range(args.runs):
            email = f"leaver{i}@example.com"
            cli("add-user", email, "--group", "ops", "--no-invite")
            attrs = aws.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
            sub = next(a["Value"] for a in attrs if a["Name"] == "sub")
            user = emulator.login_user(str(directory["id"]), {"sub": sub, "email": email, "custom:group": "ops"})
            emulator.open_connection(user, "web-1")
            start = time.perf_counter()
            detail = cli("disable-user", email)
            samples.append(time.perf_counter() - start)
            assert emulator.valid_sessions(user) == [] and emulator.live_connections(user) == [], detail
    print(f"\ndisable-user → no live PrivX session, over HTTP ({args.runs} runs; users 1..{args.runs} signed in)")
    print(f"  median {statistics.median(samples):.3f} s, min {min(samples):.3f} s, max {max(samples):.3f} s")
    print(f"  last result: {detail.strip()}")


if __name__ == "__main__":
    main()
