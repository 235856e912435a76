"""What reached AWS, recorded on the way out (the call still goes through, and moto still answers it).

Two views, for two questions:

- ``gateway_calls``: the operations our code sends through :meth:`CognitoGateway.call` (boto3 method names, e.g.
  ``"admin_create_user"``): how many calls a command makes, and which.
- ``boto3_calls``: every operation any boto3 client sends, of any service, by its API name (e.g.
  ``"AdminCreateUser"``), whether it goes through the gateway or not: proof that nothing was called at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from cognito_privx import cognito


@pytest.fixture
def gateway_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Cognito operation the code under test calls, in order (clear it to count one run)."""
    calls: list[str] = []
    original = cognito.CognitoGateway.call

    def counting(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        calls.append(operation)
        return original(self, operation, **params)

    monkeypatch.setattr(cognito.CognitoGateway, "call", counting)
    return calls


@pytest.fixture
def boto3_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every operation any boto3 client sends (moto still answers it)."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Any) -> Any:
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield calls
