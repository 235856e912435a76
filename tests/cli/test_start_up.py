"""What ``import-users`` loads before its first create (issue 24): only what its duties need, its checks all kept.

Each test runs the real command in a process of its own against moto's server and asserts the resulting state
(the pool's users, the exit code, stderr) and which modules the process ended up holding: the PrivX side, httpx,
pydantic-settings, email-validator and boto3 are imported by the commands and rows that use them, never by an import of
ordinary rows. No time is measured here (``benchmarks/first_create.py`` does that).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from cognito_privx.sandbox.runner import MotoServer
from tests.support.constants import REGION
from tests.support.env import cli_process_env

# Run the command as its console script does, then write the names of the loaded modules next to the inputs.
_RUN = (
    "import atexit, json, os, runpy, sys\n"
    "out = sys.argv.pop(1)\n"
    "write = lambda: open(out, 'w').write(json.dumps(sorted(sys.modules)))\n"
    "real_exit = os._exit\n"
    "os._exit = lambda code: (write(), real_exit(code))\n"  # main()'s fast exit
    "atexit.register(write)\n"
    "sys.argv[0] = 'cognito-privx'\n"
    "runpy.run_module('cognito_privx', run_name='__main__')\n"
)
# boto3 (and its s3transfer): the tool's clients come from botocore's session itself.
NOT_NEEDED = (
    "httpx",
    "pydantic_settings",
    "email_validator",
    "cognito_privx.privx",
    "cognito_privx.reconcile",
    "boto3",
    "s3transfer",
    "rich._emoji_codes",  # no emoji codes in any console: a value is shown as written
)


def _pool(url: str, name: str, *, required_name: bool = False) -> Any:
    client = boto3.client("cognito-idp", region_name=REGION, endpoint_url=url)
    schema: list[Any] = [{"Name": "group", "AttributeDataType": "String", "Mutable": True}]
    if required_name:
        schema.append({"Name": "name", "AttributeDataType": "String", "Mutable": True, "Required": True})
    client.create_user_pool(
        PoolName=name,
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Schema=schema,
        UserPoolTags={"managed-by": "cognito-privx"},
    )
    return client


def _import(
    tmp_path: Path, url: str, pool_name: str, rows: list[str], *extra: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    csv_file = tmp_path / "users.csv"
    csv_file.write_text("email,group\n" + "".join(f"{row}\n" for row in rows))
    config = tmp_path / "c.toml"
    config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "{pool_name}"\n')
    modules = tmp_path / "modules.json"
    env = cli_process_env(url, tmp_path, NO_COLOR="1")
    args = [sys.executable, "-c", _RUN, str(modules), "--config", str(config), "import-users", str(csv_file)]
    done = subprocess.run(
        [*args, "--no-invite", *extra], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    loaded = set(json.loads(modules.read_text())) if modules.exists() else set()
    return done, loaded


def _emails(client: Any) -> set[str]:
    pool = client.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    users = client.list_users(UserPoolId=pool)["Users"]
    return {a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email"}


def test_an_import_of_ordinary_rows_loads_neither_privx_nor_httpx_nor_email_validator(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    client = _pool(moto_server.url, "start-up")
    done, loaded = _import(tmp_path, moto_server.url, "start-up", ["a@example.com,ops", "B@Example.org,dev"])
    assert done.returncode == 0, done.stderr
    assert _emails(client) == {"a@example.com", "b@example.org"}
    assert [m for m in loaded if m.split(".")[0] in NOT_NEEDED or m.startswith(NOT_NEEDED)] == []


def test_an_unusual_address_still_gets_email_validators_verdict_before_any_call(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    client = _pool(moto_server.url, "start-up")
    done, loaded = _import(tmp_path, moto_server.url, "start-up", ["a@example.com,ops", "bad@@example.com,ops"])
    assert done.returncode == 2
    assert "line 3" in done.stderr and "hint:" in done.stderr
    assert _emails(client) == set()  # the whole file checked before any call
    assert "email_validator" in loaded


def test_the_schema_check_still_refuses_before_any_create(moto_server: MotoServer, tmp_path: Path) -> None:
    client = _pool(moto_server.url, "start-up", required_name=True)
    done, _ = _import(tmp_path, moto_server.url, "start-up", ["a@example.com,ops"])
    assert done.returncode == 2, done.stderr
    assert "name" in done.stderr and "hint:" in done.stderr
    assert _emails(client) == set()


def test_a_missing_pool_still_errors_cleanly(moto_server: MotoServer, tmp_path: Path) -> None:
    _pool(moto_server.url, "another")
    done, _ = _import(tmp_path, moto_server.url, "start-up", ["a@example.com,ops"])
    assert done.returncode != 0
    assert done.stderr.startswith("error: no user pool named 'start-up'"), done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr


def test_the_fast_exit_keeps_the_output_the_report_and_the_exit_code(moto_server: MotoServer, tmp_path: Path) -> None:
    # main() ends the process with os._exit once the command is done: nothing written may be lost on the way.
    _pool(moto_server.url, "start-up")
    rows = [f"u{i}@example.com,ops" for i in range(30)]
    report = tmp_path / "report.json"
    done, _ = _import(tmp_path, moto_server.url, "start-up", rows, "-o", "json", "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["created"] == 30
    written = json.loads(report.read_text())
    assert len(written["rows"]) == 30 and written["summary"]["created"] == 30


def test_importing_the_cli_leaves_the_collectors_thresholds_as_they_were() -> None:
    # The console script's run collects the young generation less often (cli/__init__.py); whoever imports the
    # package (tests, a library user) keeps their own settings.
    code = (
        "import gc\n"
        "gc.set_threshold(1234, 5, 6)\n"
        "import cognito_privx.cli\n"
        "assert gc.get_threshold() == (1234, 5, 6), gc.get_threshold()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
