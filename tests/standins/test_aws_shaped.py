"""The AWS-shaped Cognito stand-in (``sandbox.aws_shaped``): its limiter shapes, the quota changed mid-run, the
null backend, keep-alive, and what reaches moto. Limiters are driven by explicit instants (no clock read); the
proxy's tests use quotas whose refill takes hours, so no assertion depends on how fast the machine is."""

from __future__ import annotations

import http.client
import json
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from cognito_privx.sandbox.aws_shaped import (
    AwsShapedProxy,
    SlidingWindow,
    TokenBucket,
    make_limiter,
)
from cognito_privx.sandbox.runner import MotoServer

REGION = "eu-west-1"
SLOW = 1 / 3600  # one request an hour: nothing refills while a test runs


def _client(url: str) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def _create(client: Any, pool: str, email: str) -> None:
    client.admin_create_user(
        UserPoolId=pool, Username=email, UserAttributes=[{"Name": "email", "Value": email}], MessageAction="SUPPRESS"
    )


def _usernames(url: str, pool: str) -> list[str]:
    users = _client(url).list_users(UserPoolId=pool)["Users"]
    return sorted(a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email")


def _pool(url: str) -> str:
    return str(_client(url).create_user_pool(PoolName="p", UsernameAttributes=["email"])["UserPool"]["Id"])


def _admitted(limiter: SlidingWindow | TokenBucket, instants: list[float]) -> list[bool]:
    return [limiter.admit(t) for t in instants]


def test_a_small_burst_bucket_admits_its_burst_then_the_refill_only() -> None:
    bucket = make_limiter("small-burst", 400.0)  # 50 ms' worth: 20
    assert isinstance(bucket, TokenBucket) and bucket.burst == 20
    assert _admitted(bucket, [0.0] * 21) == [True] * 20 + [False]
    assert _admitted(bucket, [0.0025, 0.0025]) == [True, False]  # 2.5 ms at 400/s refills one token
    assert make_limiter("small-burst", 10.0).burst == 2  # type: ignore[union-attr]  # at least 2


def test_a_large_burst_bucket_admits_a_seconds_worth_at_once() -> None:
    bucket = make_limiter("large-burst", 100.0)
    assert _admitted(bucket, [0.0] * 101) == [True] * 100 + [False]
    assert _admitted(bucket, [0.5] * 51) == [True] * 50 + [False]  # half a second refills half


def test_the_sliding_window_counts_admissions_in_any_one_second() -> None:
    window = make_limiter("window", 3.0)
    assert _admitted(window, [0.0, 0.1, 0.2, 0.9]) == [True, True, True, False]
    assert _admitted(window, [1.0, 1.05, 1.15]) == [True, False, True]  # 0.0 left at 1.0; 0.1 left at 1.1


def test_the_burst_can_be_given_and_an_unknown_shape_is_refused() -> None:
    assert _admitted(make_limiter("large-burst", 100.0, burst=3), [0.0] * 4) == [True] * 3 + [False]
    with pytest.raises(ValueError, match="unknown limiter shape"):
        make_limiter("leaky", 1.0)  # type: ignore[arg-type]


def test_a_quota_changed_mid_run_applies_from_then_on() -> None:
    bucket = TokenBucket(10.0, burst=1.0)
    assert _admitted(bucket, [0.0, 0.0]) == [True, False]
    bucket.set_rate(1.0, now=0.05)  # half a token accrued at 10/s until the change
    assert _admitted(bucket, [0.5, 0.56]) == [False, True]  # then 1/s: the other half 0.5 s later


@pytest.mark.parametrize("shape", ["window", "small-burst", "large-burst"])
def test_the_proxy_throttles_creates_beyond_the_quota_as_aws_does(moto_server: MotoServer, shape: Any) -> None:
    pool = _pool(moto_server.url)
    with AwsShapedProxy(moto_server.url, latency=(0.0, 0.0), create_rate=SLOW, limiter=shape, burst=2) as proxy:
        client = _client(proxy.url)
        _create(client, pool, "a@example.com")
        if shape != "window":  # a window of an hour's quota holds less than one request: only buckets admit 2
            _create(client, pool, "b@example.com")
        with pytest.raises(ClientError) as refused:
            _create(client, pool, "c@example.com")
        assert refused.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        client.admin_get_user(UserPoolId=pool, Username="a@example.com")  # other calls are not held to it
        admitted = 1 if shape == "window" else 2
        assert proxy.throttled == 1 and len(proxy.admitted_at) == admitted
        assert proxy.calls["AdminCreateUser"] == admitted + 1
    assert _usernames(moto_server.url, pool) == ["a@example.com", "b@example.com"][:admitted]


def test_a_quota_lowered_through_the_running_proxy_throttles_from_then_on(moto_server: MotoServer) -> None:
    pool = _pool(moto_server.url)
    with AwsShapedProxy(moto_server.url, latency=(0.0, 0.0), create_rate=1e6, limiter="small-burst", burst=2) as proxy:
        client = _client(proxy.url)
        _create(client, pool, "a@example.com")
        proxy.set_create_rate(SLOW)  # the bucket refilled (2) at the old rate, then almost nothing
        _create(client, pool, "b@example.com")
        _create(client, pool, "c@example.com")
        with pytest.raises(ClientError, match="TooManyRequestsException"):
            _create(client, pool, "d@example.com")
    assert _usernames(moto_server.url, pool) == ["a@example.com", "b@example.com", "c@example.com"]


def test_requests_share_one_kept_alive_connection(moto_server: MotoServer) -> None:
    pool = _pool(moto_server.url)
    with AwsShapedProxy(moto_server.url, latency=(0.0, 0.0), create_rate=1e6) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        sockets = []
        for email in ("a@example.com", "b@example.com"):
            body = {"UserPoolId": pool, "Username": email, "UserAttributes": [{"Name": "email", "Value": email}]}
            headers = {
                "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminCreateUser",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/cognito-idp/aws4_request, "
                "SignedHeaders=host, Signature=0",
            }
            conn.request("POST", "/", json.dumps(body), headers)
            answer = conn.getresponse()
            assert answer.status == 200, answer.read()
            assert json.loads(answer.read())["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
            sockets.append(conn.sock)
        conn.close()
        assert sockets[0] is not None and sockets[0] is sockets[1]  # the second request went on the first's socket
    assert _usernames(moto_server.url, pool) == ["a@example.com", "b@example.com"]


def test_the_null_backend_answers_creates_itself_and_nothing_else() -> None:
    with AwsShapedProxy(None, latency=(0.0, 0.0), create_rate=1e6) as proxy:
        client = _client(proxy.url)
        user = client.admin_create_user(
            UserPoolId="eu-west-1_null", Username="a@example.com", MessageAction="SUPPRESS"
        )["User"]
        assert user["Enabled"] and user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        with pytest.raises(ClientError, match="InvalidParameterException"):
            client.list_users(UserPoolId="eu-west-1_null")
        assert proxy.calls == {"AdminCreateUser": 1, "ListUsers": 1}


def test_a_target_named_in_latency_of_pays_its_own_range(moto_server: MotoServer) -> None:
    """``latency_of`` gives the named target its range (quick reads before slow creates): the create is answered no
    sooner than its 0.2 s (a lower bound: asyncio sleeps at least that long, on any machine)."""
    pool = _pool(moto_server.url)
    slow = {"AdminCreateUser": (0.2, 0.2)}
    with AwsShapedProxy(moto_server.url, latency=(0.0, 0.0), latency_of=slow, create_rate=1e6) as proxy:
        client = _client(proxy.url)
        client.list_user_pools(MaxResults=1)
        _create(client, pool, "a@example.com")
    took = {target: answered - received for received, answered, target, _ in proxy.log}
    assert set(took) == {"ListUserPools", "AdminCreateUser"}
    assert took["AdminCreateUser"] >= 0.2 - 0.01  # asyncio may wake within its clock's resolution
    assert _usernames(moto_server.url, pool) == ["a@example.com"]
