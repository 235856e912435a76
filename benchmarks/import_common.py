"""What the import benchmarks share: boto3 clients on the sandbox, pools, inputs, the CLI's environment, moto's
server in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import botocore.config
import httpx

REGION = "eu-west-1"
CLI = str(Path(sys.executable).with_name("cognito-privx"))
BENCH_DIR = Path(__file__).resolve().parent


def client(url: str, **retries: Any) -> Any:
    config = botocore.config.Config(
        retries=retries or {"mode": "standard", "total_max_attempts": 1}, max_pool_connections=32
    )
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def make_pool(url: str, name: str) -> str:
    pool = client(url, mode="standard", total_max_attempts=3).create_user_pool(
        PoolName=name,
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
        UserPoolTags={"managed-by": "cognito-privx"},
    )
    return str(pool["UserPool"]["Id"])


def count_users(url: str, pool: str) -> int:
    pages = client(url, mode="standard", total_max_attempts=3).get_paginator("list_users")
    return sum(len(p["Users"]) for p in pages.paginate(UserPoolId=pool, Limit=60))


def cli_env(url: str, workdir: Path) -> dict[str, str]:
    """The tool's environment: the stand-in's endpoint, test credentials, and bytecode as an installed tool has it
    (pip compiles it at install; :func:`compile_tool` does it here): a ``PYTHONDONTWRITEBYTECODE`` in the caller's
    environment would have it compile its ~100 modules from source on every run (~0.1-0.2 s of CPU before the
    first call that no user pays)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_", "PYTHONDONTWRITEBYTECODE"))}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(workdir / "none"),
    )
    return env


def compile_tool() -> None:
    """The tool's bytecode written once, before any timed run (as ``pip install`` does), into its ``__pycache__``."""
    import compileall

    import cognito_privx

    compileall.compile_dir(str(Path(cognito_privx.__file__).parent), quiet=1)


def write_inputs(workdir: Path, pool_name: str, prefix: str, users: int) -> tuple[Path, Path]:
    csv_file = workdir / f"{prefix}.csv"
    with csv_file.open("w") as fh:
        fh.write("email,group\n")
        for i in range(users):
            fh.write(f"{prefix}{i:07}@example.com,ops\n")
    config = workdir / f"{prefix}.toml"
    config.write_text(f'[cognito]\nregion = "{REGION}"\npool_name = "{pool_name}"\n')
    return csv_file, config


class MotoProcess:
    """The sandbox's moto server (``sandbox.runner.MotoServer``) in a child process: the proxy, the client under
    test and moto then each have an interpreter (and a GIL) of their own, as a client and AWS do."""

    _CODE = (
        "import sys\n"
        "from cognito_privx.sandbox.runner import MotoServer\n"
        "server = MotoServer().start()\n"
        "print(server.url, flush=True)\n"
        "sys.stdin.read()\n"
    )

    def __enter__(self) -> MotoProcess:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", self._CODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url:
            raise RuntimeError("moto's server did not start")
        return self

    def reset(self) -> None:
        """Forget every pool and user (moto's reset): each run starts from an empty account."""
        httpx.post(self.url + "/moto-api/reset").raise_for_status()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
