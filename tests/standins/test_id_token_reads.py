"""Fix 16 of :mod:`cognito_privx.sandbox.moto_fixes`: an ID token from ``InitiateAuth`` carries only the attributes
its app client may read (moto puts every custom attribute in it), and an unset ``ReadAttributes`` reads as the
variant says (``standard``: botocore's model; ``all``: the console)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

PASSWORD = "Correct-Horse-9-battery"


def _claims(aws: Any, **client: Any) -> dict[str, Any]:
    pool_id = aws.create_user_pool(
        PoolName=f"p-{uuid.uuid4().hex[:8]}",
        Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = aws.create_user_pool_client(
        UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"], **client
    )["UserPoolClient"]["ClientId"]
    aws.admin_create_user(
        UserPoolId=pool_id,
        Username="ann",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "ann@example.com"},
            {"Name": "name", "Value": "Ann"},
            {"Name": "custom:group", "Value": "ops"},
        ],
    )
    aws.admin_set_user_password(UserPoolId=pool_id, Username="ann", Password=PASSWORD, Permanent=True)
    token = aws.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_an_id_token_carries_exactly_what_the_client_may_read(aws: Any) -> None:
    claims = _claims(aws, ReadAttributes=["email"])
    assert claims["email"] == "ann@example.com"
    assert "custom:group" not in claims and "name" not in claims
    assert claims["token_use"] == "id" and claims["sub"]


def test_an_unset_read_attributes_reads_as_the_variant_says(aws: Any, read_attributes_unset: str) -> None:
    claims = _claims(aws)
    assert (claims["email"], claims["name"]) == ("ann@example.com", "Ann")
    assert ("custom:group" in claims) is (read_attributes_unset == "all")
