"""Refresh-token rotation in the stand-ins (issue 23): moto stores and answers ``RefreshTokenRotation`` and refuses
what AWS documents as impossible (fix 16, ``sandbox/moto_fixes/refresh_rotation.py``); the hosted UI's token endpoint
issues a refresh token to a rotating client and rotates it at each refresh, the old one working for the grace period
only (by its clock: no real waiting); the PrivX emulator keeps or ignores the rotated token, as its variant says.

AWS: "You can't authenticate with REFRESH_TOKEN_AUTH in app clients with refresh token rotation enabled" (developer
guide, amazon-cognito-user-pools-using-the-refresh-token); ``RetryGracePeriodSeconds`` 0-60, "When
RetryGracePeriodSeconds is 0, ... a successful request immediately invalidates the submitted refresh token"
(botocore's ``RefreshTokenRotationType``).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.standins import test_hosted_ui
from tests.standins.test_hosted_ui import Browser, using_client

browser = test_hosted_ui.browser  # the hosted UI's browser fixture (alice in a moto pool, a fake clock), shared

ROTATING = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 30}
NO_REFRESH_FLOW = ["ALLOW_USER_SRP_AUTH"]


def _pool(aws: Any) -> str:
    return str(aws.create_user_pool(PoolName="rotation")["UserPool"]["Id"])


# -- moto (fix 16) ----------------------------------------------------------------------------------------------


def test_moto_stores_and_answers_the_rotation(aws: Any) -> None:
    pool = _pool(aws)
    client = aws.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=NO_REFRESH_FLOW, RefreshTokenRotation=ROTATING
    )["UserPoolClient"]
    described = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])["UserPoolClient"]
    assert described["RefreshTokenRotation"] == ROTATING


@pytest.mark.parametrize(
    "flows",
    [["ALLOW_REFRESH_TOKEN_AUTH"], ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], None, ["ADMIN_NO_SRP_AUTH"]],
    ids=["refresh", "srp-and-refresh", "unset-allows-refresh", "legacy-allows-refresh"],
)
def test_moto_refuses_rotation_with_the_refresh_flow(aws: Any, flows: list[str] | None) -> None:
    pool = _pool(aws)
    params: dict[str, Any] = {"UserPoolId": pool, "ClientName": "c", "RefreshTokenRotation": ROTATING}
    if flows is not None:
        params["ExplicitAuthFlows"] = flows
    with pytest.raises(ClientError) as e:
        aws.create_user_pool_client(**params)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert aws.list_user_pool_clients(UserPoolId=pool, MaxResults=10)["UserPoolClients"] == []


def test_moto_refuses_an_update_that_enables_rotation_with_the_refresh_flow_and_keeps_the_client(aws: Any) -> None:
    pool = _pool(aws)
    cid = aws.create_user_pool_client(UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])[
        "UserPoolClient"
    ]["ClientId"]
    with pytest.raises(ClientError, match="ALLOW_REFRESH_TOKEN_AUTH"):
        aws.update_user_pool_client(
            UserPoolId=pool, ClientId=cid, ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"], RefreshTokenRotation=ROTATING
        )
    described = aws.describe_user_pool_client(UserPoolId=pool, ClientId=cid)["UserPoolClient"]
    assert "RefreshTokenRotation" not in described
    # Both fields in one call, as AWS needs: accepted. Then an update without the field turns rotation off (AWS
    # resets an omitted field; moto would have kept it).
    aws.update_user_pool_client(
        UserPoolId=pool, ClientId=cid, ExplicitAuthFlows=NO_REFRESH_FLOW, RefreshTokenRotation=ROTATING
    )
    assert aws.describe_user_pool_client(UserPoolId=pool, ClientId=cid)["UserPoolClient"]["RefreshTokenRotation"] == (
        ROTATING
    )
    aws.update_user_pool_client(UserPoolId=pool, ClientId=cid, ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])
    assert "RefreshTokenRotation" not in aws.describe_user_pool_client(UserPoolId=pool, ClientId=cid)["UserPoolClient"]


def test_the_grace_period_is_0_to_60(aws: Any) -> None:
    pool = _pool(aws)
    # botocore checks a member's minimum, not its maximum: the stand-in refuses 61 as AWS's range says.
    with pytest.raises(ClientError, match="between 0 and 60"):
        aws.create_user_pool_client(
            UserPoolId=pool,
            ClientName="c",
            ExplicitAuthFlows=NO_REFRESH_FLOW,
            RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 61},
        )
    from cognito_privx.sandbox.moto_fixes.refresh_rotation import check_rotation

    assert check_rotation({"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}})
    assert check_rotation({"RefreshTokenRotation": {"Feature": "ON"}})
    assert check_rotation({"RefreshTokenRotation": {"Feature": "DISABLED"}}) is None


def test_refresh_token_auth_is_refused_on_a_rotating_client(aws: Any) -> None:
    pool = _pool(aws)
    cid = aws.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=NO_REFRESH_FLOW, RefreshTokenRotation=ROTATING
    )["UserPoolClient"]["ClientId"]
    with pytest.raises(ClientError, match="REFRESH_TOKEN_AUTH flow not enabled"):
        aws.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": "x"})


# -- the hosted UI's token endpoint --------------------------------------------------------------------------------


def _refresh(b: Browser, token: str) -> Any:
    return b.token({"grant_type": "refresh_token", "refresh_token": token})


def test_a_rotating_client_gets_a_refresh_token_and_a_new_one_at_each_refresh(browser: Browser) -> None:
    b = using_client(browser, ExplicitAuthFlows=NO_REFRESH_FLOW, RefreshTokenRotation=ROTATING)
    first = b.redeem(b.code()).json()["refresh_token"]
    r = _refresh(b, first)
    assert r.status_code == 200, r.text
    second = r.json()["refresh_token"]
    assert second != first and r.json()["id_token"]
    # The old one still works within the grace period (client-side retries) ...
    b.clock.advance(29)
    assert _refresh(b, first).status_code == 200
    # ... and not after it; the new one does.
    b.clock.advance(2)
    assert (_refresh(b, first).status_code, _refresh(b, first).json()) == (400, {"error": "invalid_grant"})
    r = _refresh(b, second)
    assert r.status_code == 200 and r.json()["refresh_token"] not in (first, second)


def test_a_zero_grace_period_invalidates_the_old_token_at_once(browser: Browser) -> None:
    b = using_client(
        browser,
        ExplicitAuthFlows=NO_REFRESH_FLOW,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )
    first = b.redeem(b.code()).json()["refresh_token"]
    assert _refresh(b, first).status_code == 200
    assert _refresh(b, first).json() == {"error": "invalid_grant"}


def test_without_rotation_the_refresh_answer_has_no_refresh_token_and_the_old_one_lives(browser: Browser) -> None:
    b = browser
    first = b.redeem(b.code()).json()["refresh_token"]
    b.clock.advance(3600)
    for _ in range(2):
        r = _refresh(b, first)
        assert r.status_code == 200 and "refresh_token" not in r.json()
