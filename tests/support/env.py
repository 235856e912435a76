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


@pytest.fixture
def aws() -> Iterator[Any]:
    """In-process moto (with :mod:`cognito_privx.sandbox.moto_fixes` applied); yields a plain boto3 cognito-idp
    client for arranging and asserting state."""
    from cognito_privx.sandbox import moto_fixes

    moto_fixes.apply()
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)
