"""The import benchmark's scale and job-engine sections (run from ``import_users.py``).

Scale, against the sandbox's moto (no latency, no quota), at each row count: ``import-users --dry-run`` on an empty
pool (wall time, peak memory); the time from the command's start to its first ``AdminCreateUser`` reaching the
stand-in; and a real import (through the same stand-in) stopped with Ctrl-C (SIGINT) 3 s after its first create:
its peak memory (the process's maximum resident set size) and how long it took to exit after the signal; then the
same with ``--report`` into a fresh pool (the report's lines: the rows done and in flight, and one for the rest).

The job engine: ``import-users --engine job`` on N rows through the import-job stand-in (moto's server, the job
processed as fast as the stand-in goes): wall time, peak memory, and the job's own StartDate-to-CompletionDate.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from import_common import CLI, REGION, cli_env, count_users, make_pool, write_inputs

from cognito_privx.sandbox.aws_shaped import AwsShapedProxy

CREATING_S = 3.0  # the import runs this long after its first create, then gets Ctrl-C
ROLE_ARN = "arn:aws:iam::123456789012:role/CognitoImportLogs"  # sandbox.import_jobs.LOGS_ROLE_ARN


def measured(args: list[str], env: dict[str, str], stop_after: float | None = None) -> tuple[float, int, int]:
    """Run ``args`` in a child of a fresh interpreter; (wall s, exit code, peak RSS in KiB) of that child."""
    probe = (
        "import resource, signal, subprocess, sys, time\n"
        # A benchmark started in the background by a shell without job control ignores SIGINT, and a child inherits
        # "ignore" (the CLI keeps it, as nohup'd programs expect): the Ctrl-C below would be lost. The default
        # disposition is what a terminal's Ctrl-C meets.
        "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
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
    """Seconds from starting ``args`` to the first AdminCreateUser reaching ``proxy``; the command is then stopped."""
    start = time.monotonic()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # handled: the child starts with the default
    try:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        while proxy.calls["AdminCreateUser"] == 0 and proc.poll() is None:
            time.sleep(0.01)
        return time.monotonic() - start
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait()


def interrupted(moto: str, args: list[str], workdir: Path) -> tuple[float, int, int]:
    """``args`` run through the AWS-shaped stand-in (no latency, no quota) and stopped by Ctrl-C (SIGINT)
    ``CREATING_S`` after its first AdminCreateUser: rows are then in flight, whatever the file's size and the
    machine's load (a fixed delay from the start landed in the whole-file check at 1,000,000 rows on a loaded
    machine). Returns (seconds from the signal to the exit, exit code, peak RSS in KiB of that child)."""
    with AwsShapedProxy(moto, latency=(0.0, 0.0), create_rate=float("inf")) as proxy:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # the child starts with the default
        try:
            proc = subprocess.Popen(
                args, env=cli_env(proxy.url, workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        while proxy.calls["AdminCreateUser"] == 0 and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(CREATING_S)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return time.monotonic() - sent, proc.returncode, usage.ru_maxrss


def scale(moto: str, sizes: list[int], workdir: Path) -> list[dict[str, Any]]:
    """One row per size: dry-run wall/RSS, time to first create, the Ctrl-C'd import's RSS and exit delay."""
    rows: list[dict[str, Any]] = []
    for n in sizes:
        name = f"bench-scale-{n}"
        pool = make_pool(moto, name)
        csv_file, config = write_inputs(workdir, name, f"z{n}x", n)
        env = cli_env(moto, workdir)
        base = [CLI, "--config", str(config), "import-users", str(csv_file), "--no-invite"]
        dry_wall, dry_code, dry_rss = measured([*base, "--dry-run"], env)
        with AwsShapedProxy(moto, latency=(0.0, 0.0), create_rate=float("inf")) as proxy:
            first = first_create(proxy, base, cli_env(proxy.url, workdir))
        made_before = count_users(moto, pool)
        exit_s, code, rss = interrupted(moto, base, workdir)
        made = count_users(moto, pool) - made_before
        # The same, into a fresh pool, with --report: the rows never started are one count in it, not a line each.
        report_pool = make_pool(moto, f"{name}-report")
        report_config = workdir / f"{name}-report.toml"
        report_config.write_text(config.read_text().replace(f'"{name}"', f'"{name}-report"'))
        report = workdir / f"{name}-report.csv"
        with_report = [CLI, "--config", str(report_config), "import-users", str(csv_file), "--no-invite"]
        r_exit_s, r_code, r_rss = interrupted(moto, [*with_report, "--report", str(report)], workdir)
        report_lines = sum(1 for _ in report.open()) if report.exists() else 0
        r_made = count_users(moto, report_pool)
        rows.append(
            {
                "rows": n,
                "dry_wall": dry_wall,
                "dry_rss": dry_rss,
                "dry_code": dry_code,
                "first": first,
                "rss": rss,
                "exit_after_sigint": exit_s,
                "code": code,
                "made": made,
                "report_exit_after_sigint": r_exit_s,
                "report_code": r_code,
                "report_rss": r_rss,
                "report_lines": report_lines,
                "report_made": r_made,
            }
        )
        csv_file.unlink()
    return rows


def print_scale(rows: list[dict[str, Any]]) -> None:
    base_rss = rows[0]["rss"] if rows else 0
    print(
        "\nScale, against the sandbox's moto (no latency, no quota). Peak memory = maximum resident set size; "
        f"the import is stopped by Ctrl-C {CREATING_S:.0f} s after its first create (exit 130; 0 when it finished "
        "first):"
    )
    print(
        f"{'rows':>10} {'dry run':>8} {'dry RSS':>8} {'1st create':>11} {'import RSS':>11} {'vs first':>9} "
        f"{'Ctrl-C exit':>12} {'w/ --report':>12}  notes"
    )
    for r in rows:
        exit_s, report_s = f"{r['exit_after_sigint']:.2f} s", f"{r['report_exit_after_sigint']:.2f} s"
        ratio = r["rss"] / base_rss if base_rss else 0.0
        print(
            f"{r['rows']:>10,} {r['dry_wall']:>6.1f} s {r['dry_rss'] / 1024:>5.0f} MB {r['first']:>9.2f} s "
            f"{r['rss'] / 1024:>8.0f} MB {ratio:>8.0%} {exit_s:>12} {report_s:>12}  dry exit {r['dry_code']}, "
            f"import exit {r['code']}, {r['made']:,} made; with --report: exit {r['report_code']}, "
            f"{r['report_made']:,} made, {r['report_lines']:,} report lines, {r['report_rss'] / 1024:.0f} MB"
        )


def job_engine(moto: str, rows: int, workdir: Path) -> dict[str, Any]:
    """``import-users --engine job`` on ``rows`` new users, in a child process: wall, peak RSS, job seconds."""
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
    return {
        "rows": rows, "wall": wall, "code": code, "rss": rss, "job_s": job_s, "made": made,
        "failed": summary.get("failed"),
    }  # fmt: skip


def print_job(job: dict[str, Any]) -> None:
    print(f"\nThe job engine, {job['rows']:,} new users through the import-job stand-in:")
    print(
        f"  whole command {job['wall']:.1f} s, peak RSS {job['rss'] / 1024:.0f} MB, exit {job['code']}; the job "
        f"itself (StartDate to CompletionDate) {job['job_s']:.1f} s; {job['made']:,} users in the pool, "
        f"{job['failed']} failed rows; client-side work outside the job: {job['wall'] - job['job_s']:.1f} s "
        "(no public source states how fast Cognito itself processes a job)"
    )


def _parse_time(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value)).timestamp()
