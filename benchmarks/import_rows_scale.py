"""Benchmark: the cost of an import's rows before and around the calls (issue 24, "cheap rows").

Against the sandbox's moto (no latency, no quota), for each size: ``import-users --dry-run`` on an empty pool
(wall time, peak RSS), a real import's time to its first ``AdminCreateUser`` (seen by the AWS-shaped proxy), and
Ctrl-C on that import (SIGINT 2 s after the first create: the time from the signal to the process's exit, its
exit code and peak RSS). Peak memory is the child's maximum resident set size. ``--report`` adds a per-row report
file to the Ctrl-C run (every row of the file is then written, the unread rest too).

Run:  .venv/bin/python benchmarks/import_rows_scale.py --sizes 20000,200000,1000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from import_users import CLI, cli_env, make_pool, write_inputs

from cognito_privx.sandbox.aws_shaped import AwsShapedProxy
from cognito_privx.sandbox.runner import MotoServer


def dry_run(args: list[str], env: dict[str, str]) -> tuple[float, int, int, float]:
    """(wall s, exit code, peak RSS KiB, CPU s) of a dry run, in a fresh child (RUSAGE_CHILDREN: that child's)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(time.monotonic() - t, code, r.ru_maxrss, r.ru_utime + r.ru_stime)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[2]), float(out[3])


def start_and_stop(proxy: AwsShapedProxy, args: list[str], env: dict[str, str], after: float) -> tuple[float, ...]:
    """(s to the first create, s from SIGINT to exit, exit code, peak RSS KiB) of an import stopped ``after`` s
    past its first create, in a fresh child."""
    probe = (
        "import resource, signal, subprocess, sys, time\n"
        "reset = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)\n"  # a background shell ignores SIGINT
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=reset)\n"
        "print('started', flush=True)\n"
        "sys.stdin.readline()\n"
        "t = time.monotonic(); p.send_signal(signal.SIGINT); code = p.wait()\n"
        "print(time.monotonic() - t, code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)\n"
    )
    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", probe, *args], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdin is not None
    child.stdout.readline()
    while proxy.calls["AdminCreateUser"] == 0 and child.poll() is None:
        time.sleep(0.005)
    first = time.monotonic() - start
    time.sleep(after)
    child.stdin.write("\n")
    child.stdin.flush()
    out = child.stdout.readline().split()
    child.wait()
    return first, float(out[0]), int(out[1]), int(out[2])


# The CLI in a child that stops at its first AdminCreateUser and prints the CPU seconds it had used by then
# (interpreter start-up included): the time to the first create on an idle core, whatever the machine's load.
_CPU_PROBE = """
import os, resource, sys, threading
from cognito_privx.cognito import CognitoGateway
real = CognitoGateway.call
first = threading.Lock()
def call(self, operation, **params):
    if operation == "admin_create_user":
        first.acquire()  # the first worker there prints; the others wait for the exit
        r = resource.getrusage(resource.RUSAGE_SELF)
        print(r.ru_utime + r.ru_stime, flush=True)
        os._exit(0)
    return real(self, operation, **params)
CognitoGateway.call = call
from cognito_privx.cli import main
sys.argv = ["cognito-privx", *sys.argv[1:]]
main()
"""


def cpu_to_first_create(args: list[str], env: dict[str, str]) -> float:
    """The CPU seconds of the CLI up to its first ``AdminCreateUser`` (which it does not send)."""
    out = subprocess.run(
        [sys.executable, "-c", _CPU_PROBE, *args[1:]], env=env, capture_output=True, text=True, check=False
    ).stdout.split()
    return float(out[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,200000,1000000")
    parser.add_argument("--after", type=float, default=2.0, help="seconds past the first create before Ctrl-C")
    parser.add_argument("--report", action="store_true", help="also write --report FILE.csv in the Ctrl-C run")
    parser.add_argument("--skip-dry-run", action="store_true")
    parser.add_argument("--cpu", action="store_true", help="only the CPU seconds to the first create, per size")
    args = parser.parse_args()
    server = MotoServer().start()
    httpx.post(server.url + "/moto-api/reset").raise_for_status()
    head = f"{'size':>9} {'dry run':>9} {'dry CPU':>8} {'dry RSS':>8}"
    print(f"{head} {'1st create':>10} {'Ctrl-C exit':>11} {'RSS':>7} exit")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for n in [int(s) for s in args.sizes.split(",") if s]:
                name = f"bench-rows-{n}"
                make_pool(server.url, name)
                csv_file, config = write_inputs(workdir, name, f"r{n}x", n)
                base = [CLI, "--config", str(config), "import-users", str(csv_file), "--no-invite"]
                dry = dry_cpu = dry_rss = "-"
                if not args.skip_dry_run:
                    wall, code, rss, cpu = dry_run([*base, "--dry-run"], cli_env(server.url, workdir))
                    dry, dry_cpu, dry_rss = f"{wall:.1f} s", f"{cpu:.1f} s", f"{rss / 1024:.0f} MB"
                    assert code == 0, code
                if args.cpu:
                    cpu = cpu_to_first_create(base, cli_env(server.url, workdir))
                    print(f"{n:>9,} CPU to the first create {cpu:.2f} s", flush=True)
                    continue
                extra = ["--report", str(workdir / f"r{n}.csv")] if args.report else []
                with AwsShapedProxy(server.url, latency=(0.0, 0.0), create_rate=1e9) as proxy:
                    first, stop, code, rss = start_and_stop(
                        proxy, [*base, *extra], cli_env(proxy.url, workdir), args.after
                    )
                dry_part = f"{n:>9,} {dry:>9} {dry_cpu:>8} {dry_rss:>8}"
                print(f"{dry_part} {first:>8.2f} s {stop:>9.2f} s {rss / 1024:>4.0f} MB {code}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
