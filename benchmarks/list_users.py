"""Benchmark: `list-users`' text table on a large pool, CPU per user, beside the AWS CLI's `--output table`.

The sandbox (moto over HTTP, the PrivX emulator) runs in this process; `setup` makes the pool, then ``--users``
users are put straight into moto's pool (email, name, group attribute). Each command runs as a subprocess with its
stdout to a pipe (a table not cut to the terminal); its CPU (user + system, of the child) over the users is
printed, with the time from its start to its first user row on stdout, its peak memory (maximum resident set size,
from ``os.wait4``) and the `ListUsers` pages the command asked for (from `--debug`'s "api calls" line for ours).

Run:  .venv/bin/python benchmarks/list_users.py                 (10,000 users)
      .venv/bin/python benchmarks/list_users.py --users 2000 --runs 1
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cognito_privx.sandbox.import_jobs import BACKEND_LOCK
from cognito_privx.sandbox.runner import Sandbox

CLI = str(Path(sys.executable).with_name("cognito-privx"))
CONFIG = (
    '[cognito]\npool_name = "bench"\ndomain_prefix = "bench-privx"\n[roles]\nops = "ops-admins"\ndev = "developers"\n'
)


@dataclass
class Figures:
    """One run of a listing command: CPU seconds (user + system), seconds from its start to its first user row on
    stdout (a line holding an ``@``), its peak resident set size (KiB), its stderr."""

    cpu: float
    first_row: float
    rss_kib: int
    stderr: str


# Linux folds a process's memory high-water mark into its maximum RSS at exec: a command started straight from
# this process (which holds the sandbox's users) would report this process's size. A small launcher starts it
# instead and reports the command's own rusage (os.wait4) into a file.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "open(sys.argv[1], 'w').write(f'{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {code}')\n"
    "sys.exit(code)\n"
)


def measure(args: list[str], env: dict[str, str]) -> Figures:
    """Run ``args`` (through the launcher), stdout read line by line as it comes; the command's own CPU and peak
    RSS, the time to its first user row."""
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as usage:
        started = time.monotonic()
        launcher = [sys.executable, "-c", _LAUNCHER, usage.name, *args]
        proc = subprocess.Popen(launcher, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert proc.stdout is not None
        first_row = float("nan")
        for line in proc.stdout:
            if math.isnan(first_row) and "@" in line:
                first_row = time.monotonic() - started
        proc.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
        cpu, rss, _ = usage.read().split()
    if proc.returncode:
        raise SystemExit(f"{args[0]} exited {proc.returncode}: {stderr[-2000:]}")
    return Figures(float(cpu), first_row, int(rss), stderr)


def fill(region: str, pool_id: str, count: int) -> None:
    """``count`` users put into moto's pool directly (no HTTP: the benchmark is the listing, not the creating)."""
    from moto.cognitoidp import models
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = models.cognitoidp_backends[DEFAULT_ACCOUNT_ID][region]
    with BACKEND_LOCK:
        for i in range(count):
            attributes = [
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": f"User {i}"},
                {"Name": "custom:group", "Value": "ops" if i % 2 else "dev"},
            ]
            backend.admin_create_user(pool_id, f"user{i:06d}@example.com", "SUPPRESS", None, attributes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cognito-privx.toml"
        config.write_text(CONFIG)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_"))}
        env.update(sandbox.env(), AWS_CONFIG_FILE=str(Path(tmp) / "none"), NO_COLOR="1")
        subprocess.run([CLI, "--config", str(config), "setup"], env=env, capture_output=True, check=True)
        from moto.cognitoidp import models
        from moto.core import DEFAULT_ACCOUNT_ID

        backend = models.cognitoidp_backends[DEFAULT_ACCOUNT_ID][sandbox.region]
        pool_id = next(p.id for p in backend.user_pools.values() if p.name == "bench")
        fill(sandbox.region, pool_id, args.users)
        ours = [CLI, "--debug", "--config", str(config), "list-users"]
        rows = []
        runs = [measure(ours, env) for _ in range(args.runs)]
        calls = next(
            (line.split("api calls:", 1)[1].strip() for line in runs[-1].stderr.splitlines() if "api calls:" in line),
            "",
        )
        rows.append(("cognito-privx list-users", runs, calls))
        aws = shutil.which("aws")
        if aws:
            theirs = [aws, "cognito-idp", "list-users", "--user-pool-id", pool_id, "--output", "table"]
            theirs += ["--endpoint-url", sandbox.moto_url, "--region", sandbox.region]
            rows.append(
                ("aws cognito-idp list-users --output table", [measure(theirs, env) for _ in range(args.runs)], "")
            )
    print(
        f"\nlist-users on {args.users} users: the command's CPU, time to its first row, peak RSS "
        f"(median of {args.runs})"
    )
    print(f"{'command':<44} {'CPU s':>7} {'ms/user':>8} {'1st row':>8} {'peak RSS':>9}")
    for name, measured, calls in rows:
        cpu = statistics.median(r.cpu for r in measured)
        first = statistics.median(r.first_row for r in measured)
        rss = statistics.median(r.rss_kib for r in measured)
        print(f"{name:<44} {cpu:>7.2f} {1000 * cpu / args.users:>8.3f} {first:>6.2f} s {rss / 1024:>6.0f} MB  {calls}")


if __name__ == "__main__":
    main()
