"""The clients a command opens (:func:`cognito_privx.cognito.session.open_clients` through
:meth:`CognitoGateway.connect`), seen from the other side: a stand-in that answers every Cognito call with a 500
counts the requests. Creating calls are sent once (botocore must not repeat them: ``create_once`` looks up first),
the others as often as the retry setting says, including when the creating client is made after the reads, and
when the command's retries are off (one client then serves both)."""

from __future__ import annotations

import json
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse

from cognito_privx.cognito import CognitoGateway
from cognito_privx.errors import CognitoError

pytestmark = pytest.mark.fresh_clients  # the clients a command opens are the subject


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request sent to AWS, by action; each is answered 500 InternalErrorException (a retryable error)."""
    requests: list[str] = []

    def send(self: Any, request: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        requests.append(target.decode().rpartition(".")[2] if target else "sts")
        body = json.dumps({"__type": "InternalErrorException", "message": "boom"}).encode()
        return AWSResponse(request.url, 500, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", send)
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _s: None)  # botocore's backoff, not waited
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    return requests


def _fails(gw: CognitoGateway, operation: str, **params: Any) -> None:
    with pytest.raises(CognitoError):
        gw.call(operation, **params)


@pytest.mark.parametrize("reads_first", [True, False], ids=["reads-first", "create-first"])
def test_creates_are_sent_once_and_reads_retried(seen: list[str], reads_first: bool) -> None:
    gw = CognitoGateway.connect("eu-west-1", max_attempts=3)
    if reads_first:
        _fails(gw, "list_user_pools", MaxResults=1)
    _fails(gw, "create_user_pool", PoolName="p")
    _fails(gw.with_observer(lambda _op: None), "create_group", UserPoolId="eu-west-1_abc", GroupName="g")
    if not reads_first:
        _fails(gw, "list_user_pools", MaxResults=1)
    assert sorted(seen) == ["CreateGroup", "CreateUserPool"] + ["ListUserPools"] * 3


def test_with_retries_off_every_call_is_sent_once(seen: list[str]) -> None:
    gw = CognitoGateway.connect("eu-west-1", max_attempts=1)
    _fails(gw, "list_user_pools", MaxResults=1)
    _fails(gw, "create_user_pool", PoolName="p")
    assert seen == ["ListUserPools", "CreateUserPool"]


def test_aws_max_attempts_sets_the_reads_retries_not_the_creates(
    seen: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    gw = CognitoGateway.connect("eu-west-1")
    _fails(gw, "create_user_pool", PoolName="p")
    _fails(gw, "list_user_pools", MaxResults=1)
    assert seen == ["CreateUserPool", "ListUserPools", "ListUserPools"]


def test_the_account_is_asked_each_time(seen: list[str]) -> None:
    """Each ``account()`` asks STS again (one STS client a session): a failure is reported each time."""
    gw = CognitoGateway.connect("eu-west-1")
    assert gw.account()[0] is None
    assert gw.with_observer(lambda _op: None).account()[0] is None
    assert seen.count("sts") >= 2
