"""Benchmark: start-up and a no-op `setup` (everything already converged), against the sandbox over HTTP.

Prints the median of several runs of `cognito-privx --help` and of a second `setup`, and the API calls a no-op
`setup` makes per side (from `--debug`'s "api calls" line).

Run:  make bench      (or: .venv/bin/python benchmarks/setup_noop.py --runs 9)
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cognito_privx.sandbox.runner import Sandbox

CLI = str(Path(sys.executable).with_name("cognito-privx"))
CONFIG = (
    '[cognito]\npool_name = "bench"\ndomain_prefix = "bench-privx"\n[roles]\nops = "ops-admins"\ndev = "developers"\n'
)


def timed(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float, float, str]:
    samples, last = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
        samples.append(time.perf_counter() - start)
        last = done.stderr
    return statistics.median(samples), min(samples), max(samples), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cognito-privx.toml"
        config.write_text(CONFIG)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_"))}
        env.update(sandbox.env(), AWS_CONFIG_FILE=str(Path(tmp) / "none"), NO_COLOR="1")
        subprocess.run([CLI, "--config", str(config), "setup"], env=env, capture_output=True, check=True)
        rows = [
            ("cognito-privx --help", *timed([CLI, "--help"], env, args.runs)[:3]),
            ("cognito-privx --version", *timed([CLI, "--version"], env, args.runs)[:3]),
        ]
        median, low, high, stderr = timed([CLI, "--debug", "--config", str(config), "setup"], env, args.runs)
        rows.append(("setup (no-op, over HTTP)", median, low, high))
    calls_line = next(line for line in stderr.splitlines() if "api calls:" in line)
    calls = ast.literal_eval(calls_line.split("api calls:", 1)[1].strip())
    print(f"\n{'command':<28} {'median s':>9} {'min':>7} {'max':>7}   ({args.runs} runs)")
    for name, med, lo, hi in rows:
        print(f"{name:<28} {med:>9.3f} {lo:>7.3f} {hi:>7.3f}")
    print("\nAPI calls of a no-op setup:")
    for key in ("cognito_reads", "cognito_writes", "privx_reads", "privx_writes"):
        print(f"  {key:<15} {calls.get(key, 0)}")


if __name__ == "__main__":
    main()
