"""Benchmark: the time from `disable-user` to "no live PrivX session", against the sandbox over HTTP (moto's server
and the PrivX emulator served on loopback).

Each run: a user is added, signed in to PrivX through our directory (a login session) and given an open
connection; `disable-user` then runs in-process (the CLI's own code, its Cognito and PrivX calls over HTTP) and is
timed from start to return; when it returns the emulator must show no valid session and no live connection of the
user (else the run fails). Prints the median, min and max wall time, beside a baseline measured in the same run:
`disable-user --keep-sessions` on a user in the same state (the Cognito disable alone, as before issue 21), after
which the session and the connection are still live (checked) and would stay so until PrivX's own session
lifetime ends them (its ``session_valid``; the emulator's default is 12 h).

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
        samples: dict[str, list[float]] = {"disable-user": [], "baseline --keep-sessions": []}
        detail = ""

        def signed_in(email: str) -> str:
            cli("add-user", email, "--group", "ops", "--no-invite")
            attrs = aws.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
            sub = next(a["Value"] for a in attrs if a["Name"] == "sub")
            user = emulator.login_user(str(directory["id"]), {"sub": sub, "email": email, "custom:group": "ops"})
            emulator.open_connection(user, "web-1")
            return user

        for i in range(args.runs):
            user = signed_in(f"leaver{i}@example.com")
            start = time.perf_counter()
            detail = cli("disable-user", f"leaver{i}@example.com")
            samples["disable-user"].append(time.perf_counter() - start)
            assert emulator.valid_sessions(user) == [] and emulator.live_connections(user) == [], detail
            kept = signed_in(f"kept{i}@example.com")
            start = time.perf_counter()
            cli("disable-user", f"kept{i}@example.com", "--keep-sessions")
            samples["baseline --keep-sessions"].append(time.perf_counter() - start)
            assert len(emulator.valid_sessions(kept)) == 1 and len(emulator.live_connections(kept)) == 1
    print(f"\ndisable-user → no live PrivX session, over HTTP ({args.runs} runs each, alternated)")
    for name, values in samples.items():
        print(
            f"  {name:<26} median {statistics.median(values):.3f} s, min {min(values):.3f} s, max {max(values):.3f} s"
        )
    print("  baseline: the session and the connection are still live afterwards (until PrivX's session_valid)")
    print(f"  last result: {detail.strip()}")


if __name__ == "__main__":
    main()
