"""Endpoints that lack a newer call, or an IAM policy that denies it: in-process moto with chosen operations
answering as such an endpoint or IAM does (``endpoint_lacking``), and STS answering with something that is not STS
(``sts_absent``). Stand-ins for cognito-local, an older region or partition, and a policy written before the call.

How AWS answers: a JSON-protocol service answers an operation it does not know with HTTP 400 and
``{"__type": "UnknownOperationException"}`` (the AWS JSON 1.1 protocol's error shape, which botocore's parser reads
as the error code); IAM's refusal is ``AccessDeniedException`` (cognito-idp's model lists it for every operation).
An emulator without STS answers ``GetCallerIdentity`` with whatever it serves there: here an HTML page, which
botocore cannot parse (``ResponseParserError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError

UNKNOWN = "UnknownOperationException"
DENIED = "AccessDeniedException"


@pytest.fixture
def endpoint_lacking(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``endpoint_lacking("list_user_pool_client_secrets", code=UNKNOWN)``: from now on moto's cognito-idp answers
    those operations with ``code`` (``UNKNOWN``: the endpoint lacks them; ``DENIED``: IAM refuses them)."""
    from moto.cognitoidp import responses

    def lacking(*operations: str, code: str = UNKNOWN) -> None:
        for operation in operations:

            def refuse(self: Any, _op: str = operation) -> Any:
                raise JsonRESTError(code, f"{_op}: {'unknown operation' if code == UNKNOWN else 'not authorized'}")

            monkeypatch.setattr(responses.CognitoIdpResponse, operation, refuse, raising=False)

    return lacking


@pytest.fixture
def sts_absent(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's STS answers GetCallerIdentity with an HTML page, as an emulator without STS would."""
    from moto.sts import responses

    monkeypatch.setattr(
        responses.TokenResponse, "get_caller_identity", lambda self: "<html><body>no such route</body></html>"
    )
    yield
