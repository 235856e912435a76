"""Every test starts from a clean environment, and in-process moto for the tests that need AWS.

No AWS_* or PRIVX_* variables from the developer's shell leak in (``AWS_ENDPOINT_URL`` would also stop moto's
in-process mock from intercepting).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.constants import REGION


def cli_process_env(url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of the CLI started as a process of its own against the endpoint ``url``: this process's
    without AWS_* or PRIVX_* variables, test credentials, no AWS config file (``tmp/none``), then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_"))}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp / "none"),
        **extra,
    )
    return env


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("AWS_", "PRIVX_", "COGNITO_PRIVX_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


_ARRANGING: list[Any] = []


def arranging_client() -> Any:
    """The test process's one plain boto3 cognito-idp client for arranging and asserting state. A new session and
    client per test cost ~10 ms of CPU (hundreds of tests); the state lives in moto's backends, which each
    ``mock_aws`` resets, not in the client (moto's stubber is one of botocore's builtin handlers, so this client
    reaches whichever ``mock_aws`` is active; nothing registers on its events). Its credentials are the test
    environment's, resolved at its first call."""
    if not _ARRANGING:
        _ARRANGING.append(boto3.session.Session().client("cognito-idp", region_name=REGION))
    return _ARRANGING[0]


@pytest.fixture
def aws() -> Iterator[Any]:
    """In-process moto (with :mod:`cognito_privx.sandbox.moto_fixes` applied; fresh backends for each test);
    yields a plain boto3 cognito-idp client for arranging and asserting state (:func:`arranging_client`)."""
    from cognito_privx.sandbox import moto_fixes

    moto_fixes.apply()
    with mock_aws():
        yield arranging_client()
