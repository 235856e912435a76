"""import-users under repeated Ctrl-C (issue 23): the CLI in a subprocess against moto's server behind the AWS-shaped
stand-in, two or three SIGINTs at random moments, many times. Whatever the moments, the report (``--report`` and
``-o json``) holds every row of the file once with an outcome (the rows never started from the first of them to the
end of the file as one count: issue 24), agrees with the pool, and a re-run settles the rest.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cognito_privx.sandbox.aws_shaped import AwsShapedProxy
from cognito_privx.sandbox.runner import MotoServer
from tests.support.env import cli_process_env
from tests.users.test_import_throttled import REGION, _emails, _make_pool

OUTCOMES = {"created", "unchanged", "updated", "failed", "not attempted", "unknown"}
ROWS = 120
# What the calls not under test pay (the reads before the first row, or before the listing): a quick AWS answer. The
# moments below are counted in creates and the latency that matters is the creates' (or the listing's), so slower
# reads would only add waiting before the first press.
QUICK = (0.02, 0.05)


def _cli(config: Path, csv_file: Path, report: Path, url: str, tmp: Path) -> subprocess.Popen[str]:
    env = cli_process_env(url, tmp)
    cli = str(Path(sys.executable).with_name("cognito-privx"))
    args = [cli, "--config", str(config), "-o", "json", "import-users", str(csv_file), "--no-invite"]
    args += ["--workers", "8", "--report", str(report)]
    # As in test_import_throttled: a handled SIGINT is reset to the default at exec, so the child sees Ctrl-C as a
    # terminal delivers it even when this test run inherited "ignore" (a background job of a non-job-control shell).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)


def _landed(proxy: AwsShapedProxy) -> None:
    """Wait (30 s at most) until every create the stand-in was sent has been answered by moto or throttled: those
    its client abandoned in flight too (they reach moto up to half a call's latency later)."""
    deadline = time.monotonic() + 30
    while proxy.calls["AdminCreateUser"] > len(proxy.admitted_at) + proxy.throttled and time.monotonic() < deadline:
        time.sleep(0.01)


def _report(path: Path, emails: list[str]) -> dict[str, str]:
    """Each row's outcome from a CSV report: its own line, or the one line that counts the rest of the file as
    not attempted (no email; line N is the file's row N - 2: a header, one line a row)."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    outcomes = {r["email"]: r["outcome"] for r in rows if r["email"]}
    assert len(outcomes) == sum(1 for r in rows if r["email"]), "a row reported twice"
    rests = [r for r in rows if not r["email"]]
    assert len(rests) <= 1 and (not rests or rows[-1] is rests[0]), "the rest of the file is counted once, last"
    for rest in rests:
        first = int(rest["line"]) - 2
        assert rest["outcome"] == "not attempted"
        assert rest["detail"].startswith(f"{len(emails) - first} rows from this line")
        assert not set(emails[first:]) & set(outcomes), "a counted row was listed too"
        outcomes.update(dict.fromkeys(emails[first:], "not attempted"))
    return outcomes


# The moments, one attempt each: (presses, creates sent before the first press, seconds between presses, each
# create's latency; the other calls are QUICK), drawn (seeded) from these ranges: early, mid and late in the run
# (120 rows, 8 workers: the first 40 creates; the rest of the file is never started, so it is counted); the next
# press while rows are still in flight (0.03-0.1 s: answered "still finishing"; the third abandons them: creates of
# 0.5-1 s are still in flight then) or once they may have landed and the report is written (0.1-0.3 s). A third
# press goes once the second was answered: two signals sent closer than the child is scheduled would arrive as one.
MOMENTS = (
    (3, (1, 10), (0.03, 0.1), (0.5, 1.0)),
    (2, (11, 25), (0.03, 0.1), (0.1, 0.4)),
    (3, (26, 40), (0.1, 0.3), (0.1, 0.4)),
    (2, (1, 40), (0.1, 0.3), (0.1, 0.4)),
)


class _Output:
    """A child's stdout and stderr, read on threads as they come: a test can wait for a line of a running child."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self.proc = proc
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self._threads = [
            threading.Thread(target=self._read, args=(stream.fileno(), into), daemon=True)
            for stream, into in ((proc.stdout, self.out), (proc.stderr, self.err))
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _read(fd: int, into: list[bytes]) -> None:
        while chunk := os.read(fd, 65536):
            into.append(chunk)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        """Until ``text`` is on stderr or the child has ended."""
        deadline = time.monotonic() + timeout
        while text.encode() not in b"".join(self.err) and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)

    def finish(self, timeout: float = 60) -> tuple[str, str]:
        """(stdout, stderr) once the child has ended."""
        self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=timeout)
        return b"".join(self.out).decode(), b"".join(self.err).decode()


@pytest.mark.e2e
def test_two_or_three_ctrl_c_at_random_moments_lose_no_row(moto_server: MotoServer, tmp_path: Path) -> None:
    rng = random.Random(23)
    unknown_seen = answered = rests_seen = 0
    for attempt, (presses, after, gaps, latency) in enumerate(MOMENTS):
        name = f"privx-users-{attempt}"
        pool = _make_pool(moto_server.url, name)
        csv_file = tmp_path / f"users{attempt}.csv"
        emails = [f"r{attempt}-{i:03}@example.com" for i in range(ROWS)]
        csv_file.write_text("email,group\n" + "".join(f"{e},ops\n" for e in emails))
        config = tmp_path / f"c{attempt}.toml"
        config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "{name}"\n')
        report = tmp_path / f"report{attempt}.csv"
        slow = {"AdminCreateUser": latency}
        with AwsShapedProxy(moto_server.url, latency=QUICK, latency_of=slow, create_rate=1000, seed=attempt) as proxy:
            proc = _cli(config, csv_file, report, proxy.url, tmp_path)
            output = _Output(proc)
            first_after = rng.randint(*after)
            deadline = time.monotonic() + 30
            while proxy.calls["AdminCreateUser"] < first_after and time.monotonic() < deadline:
                time.sleep(0.01)
            for press in range(presses):
                if press == 2:
                    output.wait_for("still finishing")
                if press:
                    time.sleep(rng.uniform(*gaps))
                proc.send_signal(signal.SIGINT)
            stdout, stderr = output.finish()
            _landed(proxy)  # calls abandoned in flight land in the pool
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        outcomes = _report(report, emails)
        assert sorted(outcomes) == sorted(emails), f"attempt {attempt}: rows missing from the report\n{stderr}"
        assert set(outcomes.values()) <= OUTCOMES
        document = json.loads(stdout)
        listed = {r["email"]: r["outcome"] for r in document["rows"]}
        rest_from = document["summary"]["not_attempted_from_line"]
        if rest_from is not None:
            listed.update(dict.fromkeys(emails[rest_from - 2 :], "not attempted"))
            rests_seen += 1
        assert listed == outcomes
        in_pool = set(_emails(moto_server.url, pool))
        # What the report says is true of the pool: created is there; not attempted is not; only unknown may be either.
        assert {e for e, o in outcomes.items() if o == "created"} <= in_pool
        assert not {e for e, o in outcomes.items() if o == "not attempted"} & in_pool
        assert in_pool <= {e for e, o in outcomes.items() if o in ("created", "unknown")}
        unknown_seen += sum(1 for o in outcomes.values() if o == "unknown")
        if presses == 2:
            assert "unknown" not in outcomes.values()
        answered += "still finishing" in stderr
        # A re-run settles every row: unknown and not attempted alike.
        again = _cli(config, csv_file, report, moto_server.url, tmp_path)  # no quota, no latency: moto itself
        _, stderr = again.communicate(timeout=60)
        assert again.returncode == 0, stderr
        assert set(_report(report, emails).values()) <= {"created", "unchanged"}
        assert sorted(_emails(moto_server.url, pool)) == sorted(emails)
    assert unknown_seen > 0  # the third press did abandon rows in flight at least once
    assert answered > 0  # and the second was answered
    assert rests_seen > 0  # and the rest of a file was counted, not listed, at least once


@pytest.mark.e2e
@pytest.mark.parametrize("landing", ["ListUserPools", "DescribeUserPool"])
def test_ctrl_c_while_the_pool_is_looked_up_reports_every_row_not_attempted(
    landing: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """Ctrl-C during the pool's look-up (``ListUserPools``, ``DescribeUserPool``: before the engine holds Ctrl-C):
    exit 130, no traceback, no create sent, and the report accounts for every row as "not attempted" from line 2
    (they were all "unknown", as if a row might have been applied: found by the review)."""
    name = "privx-looked-up"
    pool = _make_pool(moto_server.url, name)
    csv_file = tmp_path / "users.csv"
    csv_file.write_text("email,group\n" + "".join(f"n{i:03}@example.com,ops\n" for i in range(40)))
    config = tmp_path / "c.toml"
    config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "{name}"\n')
    report = tmp_path / "report.json"
    with AwsShapedProxy(moto_server.url, latency=QUICK, latency_of={landing: (1.0, 1.5)}, create_rate=1000) as proxy:
        proc = _cli(config, csv_file, report, proxy.url, tmp_path)
        deadline = time.monotonic() + 30
        while proxy.calls[landing] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _stdout, stderr = proc.communicate(timeout=60)
        assert proxy.calls["AdminCreateUser"] == 0
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    written = json.loads(report.read_text())
    assert written["rows"] == []
    assert written["summary"]["not_attempted"] == 40 and written["summary"]["not_attempted_from_line"] == 2
    assert written["summary"]["unknown"] == 0
    assert _emails(moto_server.url, pool) == []


def test_ctrl_c_while_the_pool_is_read_reports_every_row_not_attempted(moto_server: MotoServer, tmp_path: Path) -> None:
    """Ctrl-C (once, then twice 0.02 s apart) while the pool's users are listed, before the first row is sent: as a
    stop before any row: a summary, a whole ``-o json`` document and report, every row "not attempted" from line 2,
    no create sent (issue 24's review). Both runs on one pool: neither changes it. The listing's pages are slow
    (0.5-1 s each: the presses land while it is in flight), the calls before it quick."""
    import boto3

    name = "privx-listed"
    pool = _make_pool(moto_server.url, name)
    client = boto3.client("cognito-idp", region_name=REGION, endpoint_url=moto_server.url)
    present = [f"old{i:03}@example.com" for i in range(70)]  # two pages of ListUsers: a listing pays for 60 rows
    for email in present:
        client.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    csv_file = tmp_path / "users.csv"
    emails = [f"n{i:03}@example.com" for i in range(60)]
    csv_file.write_text("email,group\n" + "".join(f"{e},ops\n" for e in emails))
    config = tmp_path / "c.toml"
    config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "{name}"\n')
    for presses in (1, 2):
        report = tmp_path / f"report{presses}.json"
        slow = {"ListUsers": (0.5, 1.0)}
        with AwsShapedProxy(moto_server.url, latency=QUICK, latency_of=slow, create_rate=1000, seed=presses) as proxy:
            proc = _cli(config, csv_file, report, proxy.url, tmp_path)
            deadline = time.monotonic() + 30
            while proxy.calls["ListUsers"] < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            for press in range(presses):
                if press:
                    time.sleep(0.02)
                proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
            assert proxy.calls["AdminCreateUser"] == 0
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "reading the pool's users (about 70)" in stderr, stderr
        summary = json.loads(stdout)["summary"]
        assert summary["not_attempted"] == 60 and summary["not_attempted_from_line"] == 2
        written = json.loads(report.read_text())
        assert written["rows"] == [] and written["summary"]["not_attempted_from_line"] == 2
        assert written["summary"]["not_attempted"] == 60 and written["summary"]["unknown"] == 0
        assert sorted(_emails(moto_server.url, pool)) == present
