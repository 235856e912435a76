"""The retry policy (cognito_privx.retry) directly: what repeats, how long it waits, and the two rules no library
knows (a create is looked up before it is repeated; the daily email cap is never retried)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway
from cognito_privx.config import load_credentials
from cognito_privx.errors import CognitoError, PrivXAPIError, PrivXConnectionError
from cognito_privx.privx import SOURCES_PATH, TOKEN_PATH, PrivXClient, build_http_client
from cognito_privx.retry import RetryPolicy, Verdict
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.users import InviteLimitError, PoolUsers
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, PRIVX_URL


class Slept(list[float]):
    """A ``sleep`` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def aws_error(code: str, *, unknown_outcome: bool = False) -> CognitoError:
    """A CognitoError as the gateway raises it: botocore's ClientError as its cause."""
    error = CognitoError(f"Cognito said {code}")
    error.__cause__ = ClientError({"Error": {"Code": code, "Message": code}}, "Operation")
    error.unknown_outcome = unknown_outcome
    return error


# -- verdicts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (429, Verdict.RETRY),
        (502, Verdict.UNKNOWN),
        (503, Verdict.UNKNOWN),
        (504, Verdict.UNKNOWN),
        (409, Verdict.TAKEN),
        (500, Verdict.FAIL),
        (400, Verdict.FAIL),
        (401, Verdict.FAIL),
        (403, Verdict.FAIL),
        (404, Verdict.FAIL),
        (200, Verdict.FAIL),
    ],
)
def test_status_verdicts(status: int, verdict: Verdict) -> None:
    assert retry.status_verdict(status) is verdict


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        ("TooManyRequestsException", Verdict.RETRY),
        ("ThrottlingException", Verdict.RETRY),
        ("InternalErrorException", Verdict.UNKNOWN),
        ("InternalServerException", Verdict.UNKNOWN),  # the client-secret operations' name for it
        ("InternalFailure", Verdict.UNKNOWN),
        ("ServiceUnavailable", Verdict.UNKNOWN),
        ("LimitExceededException", Verdict.FAIL),
        ("AccessDeniedException", Verdict.FAIL),
        ("UsernameExistsException", Verdict.FAIL),
        ("", Verdict.FAIL),
    ],
)
def test_cognito_verdicts(code: str, verdict: Verdict) -> None:
    assert retry.code_verdict(code) is verdict
    assert retry.cognito_verdict(aws_error(code)) is verdict


def test_a_lost_cognito_answer_is_unknown_and_other_errors_fail() -> None:
    lost = CognitoError("the connection to Cognito failed during create_user_pool")
    lost.unknown_outcome = True
    assert retry.cognito_verdict(lost) is Verdict.UNKNOWN
    assert retry.cognito_verdict(ValueError("not from Cognito")) is Verdict.FAIL


# -- waiting -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (429, "2", 2.0),
        (503, "0.25", 0.25),
        (429, "3600", retry.RETRY_AFTER_CAP_S),
        (429, "inf", retry.RETRY_AFTER_CAP_S),
        (429, "-5", 0.0),
        (429, "Wed, 21 Oct 2015 07:28:00 GMT", None),
        (429, "nan", None),
        (429, "", None),
        (502, "2", None),  # only 429 and 503 carry a Retry-After we follow
        (504, "2", None),
    ],
)
def test_retry_after_is_read_for_429_and_503_and_capped(status: int, header: str, expected: float | None) -> None:
    assert retry.retry_after(status, {"Retry-After": header}) == expected


def test_backoff_is_full_jitter_doubling_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    windows: list[tuple[float, float]] = []

    def top_of_window(low: float, high: float) -> float:
        windows.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", top_of_window)
    slept = Slept()
    calls: list[int] = []

    def always_throttled() -> None:
        calls.append(1)
        raise aws_error("TooManyRequestsException")

    policy = RetryPolicy(attempts=6, base=0.5, cap=5.0, sleep=slept)
    with pytest.raises(CognitoError):
        policy.call(always_throttled, retry_error=lambda e: retry.cognito_verdict(e) is Verdict.RETRY)  # type: ignore[arg-type]
    assert len(calls) == 6
    assert slept == [1.0, 2.0, 4.0, 5.0, 5.0]  # the n-th retry waits up to min(cap, base * 2**n)
    assert all(low == 0 for low, _ in windows)  # full jitter: anywhere from zero


def test_jittered_waits_stay_inside_their_window() -> None:
    def fails() -> None:
        raise ValueError("again")

    slept = Slept()
    policy = RetryPolicy(attempts=5, base=0.1, cap=10.0, sleep=slept)
    for _ in range(50):
        with pytest.raises(ValueError):
            policy.call(fails, retry_error=lambda e: True)
    per_run = [slept[i : i + 4] for i in range(0, len(slept), 4)]
    for waits in per_run:
        for n, wait in enumerate(waits, start=1):
            assert 0 <= wait <= 0.1 * 2**n
    assert len({round(w, 6) for w in slept}) > 10, "the waits are not random"


def test_out_of_attempts_returns_the_last_answer_not_a_retry_error() -> None:
    slept = Slept()
    answers = iter([503, 503, 503])
    result = RetryPolicy(attempts=3, base=0.0, sleep=slept).call(lambda: next(answers), retry_result=lambda s: s == 503)
    assert result == 503 and len(slept) == 2


def test_a_first_attempt_retried_is_made_once_and_the_retries_follow_it() -> None:
    """The first attempt runs before tenacity's machinery; when it is retried it is handed over, not repeated."""
    slept = Slept()
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise aws_error("TooManyRequestsException")
        return 503 if len(calls) == 2 else 200

    result = RetryPolicy(attempts=4, base=0.0, sleep=slept).call(
        flaky, retry_error=lambda e: True, retry_result=lambda s: s == 503
    )
    assert result == 200 and len(calls) == 3 and len(slept) == 2


def test_an_error_not_retried_is_raised_at_once() -> None:
    slept = Slept()
    calls: list[int] = []

    def denied() -> None:
        calls.append(1)
        raise aws_error("AccessDeniedException")

    with pytest.raises(CognitoError, match="AccessDenied"):
        RetryPolicy(attempts=5, sleep=slept).call(denied, retry_error=lambda e: False)
    assert calls == [1] and slept == []


# -- creates: looked up before a repeat ----------------------------------------------------------------------


class FakeCreate:
    """A create whose failures are scripted, and a lookup that finds what the scripted server holds."""

    def __init__(self, failures: list[Exception], *, processed_before_failing: bool = False) -> None:
        self.failures = failures
        self.processed = processed_before_failing
        self.events: list[str] = []
        self.held: list[str] = []

    def create(self) -> str:
        self.events.append("create")
        if self.failures:
            error = self.failures.pop(0)
            if self.processed:
                self.held.append("obj-1")  # processed, then the answer was lost
            raise error
        self.held.append("obj-2")
        return "obj-2"

    def lookup(self) -> str | None:
        self.events.append("lookup")
        return self.held[0] if self.held else None


def unknown_error() -> PrivXAPIError:
    return PrivXAPIError("PrivX failed on POST", status=502)


def verdict_of(e: Exception) -> Verdict:
    if isinstance(e, PrivXAPIError) and e.status is not None:
        return retry.status_verdict(e.status)
    return retry.cognito_verdict(e)


def test_an_unknown_create_that_went_through_is_found_not_repeated() -> None:
    fake = FakeCreate([unknown_error()], processed_before_failing=True)
    slept = Slept()
    assert RetryPolicy(attempts=4, sleep=slept).create_once(fake.create, fake.lookup, verdict_of) == "obj-1"
    assert fake.events == ["create", "lookup"]
    assert fake.held == ["obj-1"] and slept == []


def test_an_unknown_create_that_did_not_happen_is_repeated_after_the_lookup() -> None:
    fake = FakeCreate([unknown_error()])
    assert RetryPolicy(attempts=4, base=0.0).create_once(fake.create, fake.lookup, verdict_of) == "obj-2"
    assert fake.events == ["create", "lookup", "create"]
    assert fake.held == ["obj-2"]


def test_a_throttled_create_is_repeated_without_a_lookup() -> None:
    fake = FakeCreate([aws_error("TooManyRequestsException")])
    assert RetryPolicy(attempts=4, base=0.0).create_once(fake.create, fake.lookup, verdict_of) == "obj-2"
    assert fake.events == ["create", "create"]


def test_a_taken_name_is_looked_up_and_never_repeated() -> None:
    taken = PrivXAPIError("PrivX rejected POST: name exists", status=409)
    fake = FakeCreate([taken])
    with pytest.raises(PrivXAPIError) as info:
        RetryPolicy(attempts=4, base=0.0).create_once(fake.create, fake.lookup, verdict_of)
    assert info.value is taken
    assert fake.events == ["create", "lookup"]


def test_a_failing_lookup_never_leads_to_a_blind_create() -> None:
    fake = FakeCreate([unknown_error()])

    def throttled_lookup() -> str | None:
        fake.events.append("lookup")
        raise aws_error("TooManyRequestsException")  # retryable by itself, but not a reason to create again

    with pytest.raises(CognitoError):
        RetryPolicy(attempts=4, base=0.0).create_once(fake.create, throttled_lookup, verdict_of)
    assert fake.events == ["create", "lookup"]


def test_unknown_creates_out_of_attempts_look_up_every_time_and_raise_the_last_error() -> None:
    fake = FakeCreate([unknown_error(), unknown_error(), unknown_error()])
    with pytest.raises(PrivXAPIError):
        RetryPolicy(attempts=3, base=0.0).create_once(fake.create, fake.lookup, verdict_of)
    assert fake.events == ["create", "lookup"] * 3


def test_cognito_create_after_an_internal_error_finds_the_pool_instead_of_making_a_second() -> None:
    pools: list[dict[str, Any]] = []

    class Client:
        def create_user_pool(self, **params: Any) -> dict[str, Any]:
            pools.append({"Id": f"pool-{len(pools) + 1}", "Name": params["PoolName"]})
            if len(pools) == 1:  # processed, but AWS answered 500
                raise ClientError({"Error": {"Code": "InternalErrorException", "Message": "oops"}}, "CreateUserPool")
            return {"UserPool": pools[-1]}

    slept = Slept()
    gw = CognitoGateway(Client(), sleep=slept)
    created = gw.create_once("create_user_pool", "UserPool", lambda: pools[0] if pools else None, PoolName="p")
    assert created["Id"] == "pool-1" and len(pools) == 1 and slept == []


# -- PrivX over HTTP ------------------------------------------------------------------------------------------


def privx_client(handler: Callable[[httpx.Request], httpx.Response], slept: Slept, attempts: int = 4) -> PrivXClient:
    creds = load_credentials(
        {
            "PRIVX_API_CLIENT_ID": API_CLIENT_ID,
            "PRIVX_API_CLIENT_SECRET": API_CLIENT_SECRET,
            "PRIVX_API_OAUTH_CLIENT_SECRET": OAUTH_CLIENT_SECRET,
        }
    )
    http = build_http_client(PRIVX_URL, transport=httpx.MockTransport(handler))
    return PrivXClient(http, creds, retry=RetryPolicy(attempts=attempts, base=0.001, sleep=slept))


def sent(emulator: PrivXEmulator, method: str, path: str) -> int:
    return sum(1 for r in emulator.requests if r.method == method and r.path == path)


def test_privx_429_waits_as_the_server_asks(emulator: PrivXEmulator) -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(503, headers={"Retry-After": "2"})]

    def busy(request: httpx.Request) -> httpx.Response:
        if request.url.path == SOURCES_PATH and answers:
            return answers.pop(0)
        return emulator.handle(request)

    slept = Slept()
    assert privx_client(busy, slept).list_sources()
    assert slept == [7.0, 2.0]


def test_privx_attempt_limit_is_the_policys(emulator: PrivXEmulator) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        if request.url.path == SOURCES_PATH:
            return httpx.Response(503)
        return emulator.handle(request)

    slept = Slept()
    with pytest.raises(PrivXAPIError, match="PrivX failed on GET"):
        privx_client(down, slept, attempts=3).list_sources()
    assert len(slept) == 2


def test_privx_tls_failure_is_never_repeated() -> None:
    calls: list[str] = []

    def untrusted(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    slept = Slept()
    with pytest.raises(PrivXConnectionError):
        privx_client(untrusted, slept).status()
    assert len(calls) == 1 and slept == []


def test_privx_refused_connection_is_repeated_even_for_a_create(emulator: PrivXEmulator) -> None:
    refusals = [1]

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == SOURCES_PATH and refusals:
            refusals.pop()
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)  # nothing was sent
        return emulator.handle(request)

    slept = Slept()
    privx_client(flaky, slept).create_source({"name": "x", "connection": {"type": "OIDC", "oidc_enabled": False}})
    assert [s["name"] for s in emulator.sources.values()].count("x") == 1 and len(slept) == 1


def test_privx_lost_create_is_looked_up_before_it_is_repeated(emulator: PrivXEmulator) -> None:
    def lose_the_answer(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        if request.method == "POST" and request.url.path == SOURCES_PATH:
            raise httpx.ReadTimeout("timed out", request=request)  # processed; the answer never came
        return response

    slept = Slept()
    body = {"name": "x", "connection": {"type": "OIDC", "oidc_enabled": False}}
    source_id = privx_client(lose_the_answer, slept).create_source(body)
    assert [s["id"] for s in emulator.sources.values() if s["name"] == "x"] == [source_id]
    assert sent(emulator, "POST", SOURCES_PATH) == 1


def test_privx_gateway_error_on_a_create_is_not_repeated_by_the_transport(emulator: PrivXEmulator) -> None:
    posts: list[int] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == SOURCES_PATH:
            posts.append(1)
            if len(posts) == 1:
                return httpx.Response(502)  # not processed here, but the client cannot know
        return emulator.handle(request)

    slept = Slept()
    privx_client(gateway, slept).create_source({"name": "x", "connection": {"type": "OIDC", "oidc_enabled": False}})
    # One repeat, and only after a lookup (GET sources) found nothing.
    assert len(posts) == 2 and len(slept) == 1
    assert [r.method for r in emulator.requests if r.path == SOURCES_PATH] == ["GET", "POST"]
    assert [s["name"] for s in emulator.sources.values()].count("x") == 1


def test_privx_busy_token_endpoint_during_a_create_sends_the_create_once(emulator: PrivXEmulator) -> None:
    busy = [httpx.Response(429, headers={"Retry-After": "1"})]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH and busy:
            return busy.pop()
        if request.url.path == TOKEN_PATH and len(timeouts) < 1:
            timeouts.append(1)
            raise httpx.ReadTimeout("timed out", request=request)  # a lost log-in is harmless to repeat
        return emulator.handle(request)

    timeouts: list[int] = []
    slept = Slept()
    privx_client(handler, slept).create_source({"name": "x", "connection": {"type": "OIDC", "oidc_enabled": False}})
    assert sent(emulator, "POST", SOURCES_PATH) == 1 and sent(emulator, "POST", TOKEN_PATH) == 1
    assert slept[0] == 1.0 and len(slept) == 2


# -- users: the daily email cap ------------------------------------------------------------------------------


class FakeGateway:
    def __init__(self, errors: dict[str, list[CognitoError]]) -> None:
        self.errors = errors
        self.calls: list[str] = []

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls.append(operation)
        if self.errors.get(operation):
            raise self.errors[operation].pop(0)
        return {"User": {"Username": params.get("Username")}}


def pool_users(gw: FakeGateway, slept: Slept) -> PoolUsers:
    return PoolUsers(gw, "eu-west-1_x", "custom:group", sleep=slept, backoff_base=0.001)  # type: ignore[arg-type]


def test_the_daily_email_cap_is_never_retried() -> None:
    gw = FakeGateway({"admin_create_user": [aws_error("LimitExceededException")] * 3})
    slept = Slept()
    users = pool_users(gw, slept)
    with pytest.raises(InviteLimitError, match="daily email limit"):
        users.call("admin_create_user", UserPoolId="p", Username="a@example.com")
    assert gw.calls == ["admin_create_user"] and slept == [] and users.retries == 0


def test_limit_exceeded_elsewhere_is_not_retried_either() -> None:
    gw = FakeGateway({"admin_add_user_to_group": [aws_error("LimitExceededException")] * 3})
    slept = Slept()
    users = pool_users(gw, slept)
    with pytest.raises(CognitoError) as info:
        users.call("admin_add_user_to_group", UserPoolId="p", Username="a", GroupName="g")
    assert not isinstance(info.value, InviteLimitError)
    assert gw.calls == ["admin_add_user_to_group"] and slept == []


def test_user_throttling_is_retried_and_counted() -> None:
    gw = FakeGateway(
        {"admin_create_user": [aws_error("TooManyRequestsException"), aws_error("InternalErrorException")]}
    )
    slept = Slept()
    users = pool_users(gw, slept)
    assert users.call("admin_create_user", UserPoolId="p", Username="a@example.com") is not None
    assert gw.calls == ["admin_create_user"] * 3 and len(slept) == 2 and users.retries == 2


def test_user_throttling_stops_at_max_attempts() -> None:
    gw = FakeGateway({"admin_get_user": [aws_error("TooManyRequestsException")] * 10})
    slept = Slept()
    users = pool_users(gw, slept)
    users.max_attempts = 3
    with pytest.raises(CognitoError):
        users.call("admin_get_user", UserPoolId="p", Username="a")
    assert gw.calls == ["admin_get_user"] * 3 and users.retries == 2


def test_an_absent_answer_is_not_retried() -> None:
    gw = FakeGateway({"admin_get_user": [aws_error("UserNotFoundException")]})
    slept = Slept()
    assert pool_users(gw, slept).call("admin_get_user", absent="UserNotFoundException", Username="a") is None
    assert gw.calls == ["admin_get_user"] and slept == []
