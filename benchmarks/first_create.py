"""Benchmark: the timeline of one import, from exec to the first create and from the last create to exit.

``import_users.py`` gives the **1st create** column (exec → first admitted ``AdminCreateUser``); this shows where
that time goes, per method: every request the AWS-shaped stand-in saw before the first create (received and
answered, seconds after exec), the round trips made one after another before it (requests whose answer came
before the next one was sent), and the **tail** (last answered create → the process gone). The round-trip count
does not depend on the machine's load; the times do (compare methods within one run).

Run:  .venv/bin/python benchmarks/first_create.py                       (tool and pool, 50-70 ms, 3 runs)
      .venv/bin/python benchmarks/first_create.py --latency 140 --runs 5 --users 200 --methods tool
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from import_common import BENCH_DIR, CLI, MotoProcess, cli_env, compile_tool, make_pool, write_inputs

from cognito_privx.sandbox.aws_shaped import AwsShapedProxy

LATENCIES: dict[int, tuple[float, float]] = {50: (0.05, 0.07), 140: (0.14, 0.16)}


def sequential_trips(log: list[tuple[float, float, str, int]], before: float) -> int:
    """Requests received before ``before`` that form a chain: each one received after the previous one's answer
    (concurrent requests count once)."""
    trips, answered = 0, float("-inf")
    for received, done, _, _ in sorted(r for r in log if r[0] < before):
        if received >= answered:
            trips += 1
            answered = done
        else:
            answered = max(answered, done)
    return trips


def one(
    moto: MotoProcess, method: str, latency: int, users: int, quota: float, workdir: Path, base_src: str | None
) -> dict[str, object]:
    moto.reset()
    name = f"first-{method}"
    pool = make_pool(moto.url, name)
    with AwsShapedProxy(moto.url, latency=LATENCIES[latency], create_rate=quota, limiter="small-burst") as proxy:
        if method in ("tool", "base"):
            csv_file, config = write_inputs(workdir, name, "t", users)
            args = [CLI, "--config", str(config), "import-users", str(csv_file), "--no-invite"]
            env: dict[str, str] | None = cli_env(proxy.url, workdir)
            if method == "base" and env is not None and base_src:
                env["PYTHONPATH"] = base_src  # another checkout of the tool, for a before/after in one run
        else:
            workers = max(1, int(quota * sum(LATENCIES[latency]) / 2 * 1.1) + 1)
            args = [sys.executable, str(BENCH_DIR / "import_clients.py"), "pool", proxy.url, pool, "p", str(users)]
            args.append(str(workers))
            env = None
        start = time.monotonic()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=300)
        end = time.monotonic()
        log = sorted(proxy.log)
    if done.returncode != 0:
        print(f"[{method}] exit {done.returncode}: {done.stderr[-600:]}", file=sys.stderr)
    creates = [r for r in log if r[2] == "AdminCreateUser" and r[3] == 200]
    first = creates[0][0] if creates else end
    return {
        "method": method,
        "first": first - start,
        "trips": sequential_trips(log, first),
        "before": [(r[0] - start, r[1] - start, r[2]) for r in log if r[0] < first],
        "tail": end - max(r[1] for r in creates) if creates else 0.0,
        "wall": end - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=int, default=50, choices=sorted(LATENCIES))
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--quota", type=float, default=400.0)
    parser.add_argument("--methods", default="tool,pool", help="tool, pool, base (the tool from --base-src)")
    parser.add_argument("--base-src", help="another checkout's src/ (its bytecode compiled), run as method base")
    args = parser.parse_args()
    compile_tool()
    if args.base_src:
        import compileall

        compileall.compile_dir(args.base_src, quiet=1)
    methods = [m for m in args.methods.split(",") if m]
    results: dict[str, list[dict[str, object]]] = {m: [] for m in methods}
    with MotoProcess() as moto, tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for method in methods:
                results[method].append(
                    one(moto, method, args.latency, args.users, args.quota, Path(tmp), args.base_src)
                )
    low, high = LATENCIES[args.latency]
    print(f"\n{args.users} users, {low * 1000:.0f}-{high * 1000:.0f} ms a call, median (min-max) of {args.runs}")
    print(f"{'method':<8} {'1st create s':>20} {'trips before':>13} {'tail s':>20} {'wall s':>8}")
    for method, runs in results.items():

        def fig(key: str, runs: list[dict[str, object]] = runs) -> str:
            values = [float(r[key]) for r in runs]  # type: ignore[arg-type]
            return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

        trips = sorted(int(r["trips"]) for r in runs)  # type: ignore[call-overload]
        wall = statistics.median(float(r["wall"]) for r in runs)  # type: ignore[arg-type]
        print(f"{method:<8} {fig('first'):>20} {trips[len(trips) // 2]:>13} {fig('tail'):>20} {wall:>8.2f}")
    for method, runs in results.items():
        print(f"\n{method}, last run: requests before the first create (received → answered, s after exec)")
        for received, answered, target in runs[-1]["before"]:  # type: ignore[attr-defined]
            print(f"  {received:7.3f} → {answered:7.3f}  {target}")


if __name__ == "__main__":
    main()
