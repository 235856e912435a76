"""Benchmark: import-users against an AWS-shaped Cognito stand-in, side by side with what people write by hand.

The instrument (``cognito_privx.sandbox.aws_shaped.AwsShapedProxy``) is the sandbox's moto server (in a process of
its own) behind an asyncio proxy where every call pays a latency drawn from a range and AdminCreateUser is held to
a quota, answering the excess with TooManyRequestsException as AWS does. AWS does not publish how its quota
counts a burst, so each quota is run under two limiter shapes: a token bucket holding 50 ms' worth of the quota
(``small-burst``: steady pacing passes, bunching is refused) and one holding a whole second's worth
(``large-burst``).

What the figures mean
---------------------
**% of quota** = new users created / whole-command wall time / quota: the process is started, reads its input,
makes its pool look-ups, creates every user and exits, and all of it counts (a user's experience; about a second
of it is interpreter start-up and the first calls). Each figure is the **median of N runs** (default 3), with the
**spread** (min-max) beside it. **create phase** is the pace the stand-in itself saw: admitted creates between the
first and the last one admitted, as % of quota (what the rate controller achieves once running).
**throttled** is the median count of TooManyRequestsException answers; **failed** the median count of users
missing from the pool afterwards; **CPU/row** the command's own CPU time (user + sys, start-up included) per
user created, median: less distorted than wall time by whatever else shares the cores. Runs are interleaved
(run 1 of every cell, then run 2, ...) so machine noise falls on every method alike; moto is reset before each
run (an empty account).

**Run length.** Each run creates ``quota x --seconds`` users (default 20 s: 1,000 users at 50/s, 8,000 at
400/s): the same seconds of quota at every quota, so the fixed costs weigh alike everywhere. They are the tool's
start-up (interpreter, imports, config and CSV check, two pool look-ups before the first create: the **1st create**
column; ~0.4-0.7 s on a quiet machine, the tool's bytecode compiled first as ``pip install`` does) and the ramp to
an unknown quota (from 50/s, doubling about once per round trip: ~0.5 s to 400/s at 50-70 ms, ~1 s at 140-160 ms).
A 10-s run cannot show a bulk load's pace: its fixed ~1 s is ~10 % of it, and even the tuned pool, told the quota
and started in 0.4 s, got 83-94 % of a small-burst quota in 10-s runs (``make bench``, 2026-12-07). The issue's own
baseline was 2,000 users (40 s at 50/s); 20 s keeps the matrix (4 quotas x 2 limiters x 3 methods x 2 latencies x
3 runs) at ~75 min. **create phase** shows the pace without the fixed costs; ``--seconds 10`` the short load.

**The instrument's ceiling** (per latency, printed beside every figure): the quota switched off, a plain client of
256 kept-alive ``http.client`` connections (no SDK) creates the largest run's number of users through the proxy
into moto; median of the runs. The **null backend** row is the proxy alone answering AdminCreateUser itself
(labelled: nothing is stored, it only shows what the proxy carries). Where the ceiling is below a quota, the
machine cannot carry that quota and **% of carriable** (= created/s / min(quota, ceiling)) is the figure to read.

The methods, side by side in every cell (all started as processes, timed the same way):

- ``tool``: ``cognito-privx import-users FILE --no-invite``, default options, not told the quota;
- ``pool``: a tuned thread pool: ``ThreadPoolExecutor`` + boto3 standard retries (10 attempts), the pool sized for
  the quota it is told (quota x mean latency x 1.1, Little's law with 10 % headroom);
- ``adaptive``: the same code with boto3's adaptive retry mode (its client-side limiter), 64 threads, not told the
  quota;
- ``sequential``: one create after another (standard retries), on fewer users (~seconds/latency), once per latency.

Scale (``import_scale.py``): dry run, time to first create, peak memory and Ctrl-C exit at 20,000 / 200,000 /
1,000,000 rows; the job engine on 100,000 rows.

Numbers are only as quiet as the machine: on a shared 2-core machine every process (moto, the proxy, the client)
competes for the same cores, so compare methods within one run of this script, not across runs.

Run:  make bench
      .venv/bin/python benchmarks/import_users.py --quick          (one run per cell, 4 s of quota, 2 quotas)
      .venv/bin/python benchmarks/import_users.py --quotas 400 --latencies 140 --skip scale,job
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from import_common import BENCH_DIR, CLI, MotoProcess, cli_env, compile_tool, count_users, make_pool, write_inputs
from import_scale import job_engine, print_job, print_scale, scale

from cognito_privx.sandbox.aws_shaped import AwsShapedProxy, LimiterShape

LATENCIES: dict[int, tuple[float, float]] = {50: (0.05, 0.07), 140: (0.14, 0.16)}
QUOTAS = (50, 100, 200, 400)
SHAPES: tuple[LimiterShape, ...] = ("small-burst", "large-burst")
METHODS = ("tool", "pool", "adaptive")
CEILING_CONNECTIONS = 256
ADAPTIVE_THREADS = 64


@dataclass
class Run:
    method: str
    latency: int
    quota: float
    shape: str
    users: int
    wall: float
    created: int
    throttled: int
    phase_rate: float  # admitted creates/s between the first and last admitted, as the stand-in saw them
    code: int
    to_first: float = 0.0  # seconds from starting the command to its first admitted create
    cpu: float = 0.0  # the command's own CPU seconds (user + sys), start-up included

    @property
    def cpu_per_row(self) -> float:
        """CPU milliseconds per created user (the whole process's: start-up spread over the rows)."""
        return 1000 * self.cpu / self.created if self.created else 0.0

    @property
    def rate(self) -> float:
        return self.created / self.wall


def _label(latency: int) -> str:
    low, high = LATENCIES[latency]
    return f"{low * 1000:.0f}-{high * 1000:.0f} ms"


def pool_size(quota: float, latency: int) -> int:
    """The tuned pool: in-flight requests = quota x mean round trip (Little's law), with 10 % headroom."""
    low, high = LATENCIES[latency]
    return max(1, math.ceil(quota * (low + high) / 2 * 1.1))


def one_run(
    moto: MotoProcess, method: str, latency: int, quota: float, shape: LimiterShape, users: int, workdir: Path
) -> Run:
    """One method on an empty account through a fresh proxy; the command's wall time and what the pool holds."""
    moto.reset()
    name = f"bench-{method}"
    pool = make_pool(moto.url, name)
    prefix = f"{method[0]}{quota:.0f}x"
    with AwsShapedProxy(moto.url, latency=LATENCIES[latency], create_rate=quota, limiter=shape) as proxy:
        if method == "tool":
            csv_file, config = write_inputs(workdir, name, prefix, users)
            args = [CLI, "--config", str(config), "import-users", str(csv_file), "--no-invite"]
            env: dict[str, str] | None = cli_env(proxy.url, workdir)
        else:
            workers = {"adaptive": ADAPTIVE_THREADS, "sequential": 1, "ceiling": CEILING_CONNECTIONS}.get(method)
            workers = workers or pool_size(quota, latency)
            script = str(BENCH_DIR / "import_clients.py")
            args = [sys.executable, script, method, proxy.url, pool, prefix, str(users), str(workers)]
            env = None
        timeout = max(120.0, 20 * users / min(quota, 1000))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=timeout)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command's own: moto's process is not waited yet
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        admitted = list(proxy.admitted_at)
        throttled = proxy.throttled
    if done.returncode != 0:
        print(f"[{method} {quota:.0f}/s {shape} {_label(latency)}] exit {done.returncode}: {done.stderr[-800:]}")
    span = admitted[-1] - admitted[0] if len(admitted) > 1 else 0.0
    phase = (len(admitted) - 1) / span if span > 0 else 0.0
    created = count_users(moto.url, pool)
    to_first = admitted[0] - start if admitted else wall
    return Run(method, latency, quota, shape, users, wall, created, throttled, phase, done.returncode, to_first, cpu)


def null_ceiling(latency: int, users: int) -> float:
    """Creates/s the proxy alone carries (the null backend: no moto), the quota off: the same plain client."""
    with AwsShapedProxy(None, latency=LATENCIES[latency], create_rate=float("inf")) as proxy:
        args = [sys.executable, str(BENCH_DIR / "import_clients.py"), "ceiling", proxy.url, "x", "n", str(users)]
        start = time.monotonic()
        subprocess.run([*args, str(CEILING_CONNECTIONS)], capture_output=True, check=True, timeout=300)
        return users / (time.monotonic() - start)


def spread(values: list[float], fmt: str = "{:.0%}") -> str:
    if not values:
        return "-"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def print_tables(runs: list[Run], null: dict[int, list[float]], args: argparse.Namespace, file: Any = None) -> None:
    by_cell: dict[tuple[Any, ...], list[Run]] = {}
    for r in runs:
        by_cell.setdefault((r.latency, r.method, r.quota, r.shape), []).append(r)
    for latency in args.latencies:
        ceiling_runs = by_cell.get((latency, "ceiling", 0.0, "none"), [])
        ceiling = statistics.median([r.rate for r in ceiling_runs]) if ceiling_runs else float("inf")
        print(
            f"\nThroughput, new users through the AWS-shaped stand-in, {_label(latency)} a call, whole-command time",
            file=file,
        )
        print(
            f"  instrument ceiling (quota off, moto backend, {ceiling_runs[0].users if ceiling_runs else 0:,} users, "
            f"{CEILING_CONNECTIONS} connections): {spread([r.rate for r in ceiling_runs], '{:.0f}/s')}"
            f";  null backend (proxy alone, nothing stored): {spread(null.get(latency, []), '{:.0f}/s')}",
            file=file,
        )
        print(
            f"{'quota':>6} {'limiter':<12} {'method':<10} {'users':>6} {'% of quota: median (min-max)':<29} "
            f"{'users/s':>8} {'create phase':>13} {'1st create':>10} {'% of carriable':>15} {'throttled':>9} "
            f"{'failed':>6} {'ceiling':>8} {'CPU/row':>8}",
            file=file,
        )
        for quota in args.quotas:
            for shape in args.shapes:
                for method in [*args.methods, "sequential"]:
                    cell = by_cell.get((latency, method, float(quota), shape), [])
                    if not cell:
                        continue
                    carriable = min(float(quota), ceiling)
                    print(
                        f"{quota:>5}/s {shape:<12} {method:<10} {cell[0].users:>6} "
                        f"{spread([r.rate / quota for r in cell]):<29} "
                        f"{statistics.median([r.rate for r in cell]):>8.1f} "
                        f"{statistics.median([r.phase_rate / quota for r in cell]):>13.0%} "
                        f"{statistics.median([r.to_first for r in cell]):>8.2f} s "
                        f"{statistics.median([r.rate / carriable for r in cell]):>15.0%} "
                        f"{statistics.median([r.throttled for r in cell]):>9.0f} "
                        f"{statistics.median([r.users - r.created for r in cell]):>6.0f} "
                        f"{ceiling:>6.0f}/s "
                        f"{statistics.median([r.cpu_per_row for r in cell]):>5.2f} ms",
                        file=file,
                    )


def throughput(args: argparse.Namespace, workdir: Path) -> tuple[list[Run], dict[int, list[float]]]:
    """Every cell ``args.runs`` times, interleaved, methods in a shuffled order per round."""
    runs: list[Run] = []
    null: dict[int, list[float]] = {}
    order = random.Random(args.seed)
    ceiling_users = int(max(args.quotas) * args.seconds)
    with MotoProcess() as moto:
        for round_ in range(args.runs):
            started = time.monotonic()
            for latency in args.latencies:
                if "ceiling" not in args.skip:
                    null.setdefault(latency, []).append(null_ceiling(latency, ceiling_users))
                    r = one_run(moto, "ceiling", latency, float("inf"), "large-burst", ceiling_users, workdir)
                    runs.append(
                        Run("ceiling", latency, 0.0, "none", r.users, r.wall, r.created, 0, r.phase_rate, r.code)
                    )
                if "sequential" not in args.skip:
                    n = int(args.seconds / sum(LATENCIES[latency]) * 2 * 0.9)
                    quota = float(min(args.quotas))
                    runs.append(one_run(moto, "sequential", latency, quota, args.shapes[0], n, workdir))
                cells = [(q, s, m) for q in args.quotas for s in args.shapes for m in args.methods]
                order.shuffle(cells)
                for quota, shape, method in cells:
                    users = int(quota * args.seconds)
                    runs.append(one_run(moto, method, latency, float(quota), shape, users, workdir))
            print(f"round {round_ + 1}/{args.runs}: {time.monotonic() - started:.0f} s", file=sys.stderr)
            if args.progress and round_ + 1 < args.runs:  # what is measured so far, should the run be cut short
                print(f"\n== after round {round_ + 1} of {args.runs} ==", file=sys.stderr)
                print_tables(runs, null, args, file=sys.stderr)
    return runs, null


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 run, 4 s of quota, quotas 50 and 400, 20,000 rows")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median and min-max printed)")
    parser.add_argument("--seconds", type=float, default=20.0, help="users per run = quota x this (see Run length)")
    parser.add_argument("--quotas", default=",".join(map(str, QUOTAS)), help="creates/s, comma-separated")
    parser.add_argument("--latencies", default="50,140", help="50 (50-70 ms) and/or 140 (140-160 ms)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="small-burst, large-burst, window")
    parser.add_argument("--methods", default=",".join(METHODS), help="tool, pool, adaptive")
    parser.add_argument("--scale", default="20000,200000,1000000", help="row counts for the scale section")
    parser.add_argument("--job-rows", type=int, default=100_000, help="rows for the job engine")
    parser.add_argument("--skip", default="", help="comma-separated: throughput, ceiling, sequential, scale, job")
    parser.add_argument("--seed", type=int, default=24, help="the run order's shuffle")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--progress", action="store_true", help="print the tables so far to stderr after each round")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds, args.quotas, args.scale = 1, 4.0, "50,400", "20000"
        args.skip += ",job"
    args.skip = set(filter(None, args.skip.split(",")))
    args.quotas = [int(q) for q in args.quotas.split(",") if q]
    args.latencies = [int(x) for x in args.latencies.split(",") if x]
    args.shapes = [s for s in args.shapes.split(",") if s]
    args.methods = [m for m in args.methods.split(",") if m]
    started = time.monotonic()
    compile_tool()

    runs: list[Run] = []
    null: dict[int, list[float]] = {}
    scaled: list[dict[str, Any]] = []
    job: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "throughput" not in args.skip:
            runs, null = throughput(args, workdir)
        if not {"scale", "job"} <= args.skip:
            from cognito_privx.sandbox import import_jobs as standin
            from cognito_privx.sandbox.runner import MotoServer

            server = MotoServer().start()  # in-process: the job stand-in's settings are this process's
            try:
                if "scale" not in args.skip:
                    scaled = scale(server.url, [int(s) for s in args.scale.split(",") if s], workdir)
                if "job" not in args.skip:
                    standin.configure(rate=None, pending_s=0.2)
                    job = job_engine(server.url, args.job_rows, workdir)
            finally:
                server.stop()

    if runs:
        print_tables(runs, null, args)
    if scaled:
        print_scale(scaled)
    if job:
        print_job(job)
    if args.json:
        args.json.write_text(json.dumps({"runs": [asdict(r) for r in runs], "null": null, "scale": scaled}))
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
