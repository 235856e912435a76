"""Fix 9 of :mod:`cognito_privx.sandbox.moto_fixes`: who may write a user's attributes, and who may sign up.

The attack of issue 20 at the stand-in's level: bob (``custom:group = dev``) signs in through an app client and
calls ``UpdateUserAttributes`` with his own access token to become ``ops``. Checked in-process and through moto's
server, as our code and an attacker would reach them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.constants import REGION

PASSWORD = "Correct-Horse-9-battery"


def _pool(idp: Any, *, admin_only: bool = False) -> str:
    return str(
        idp.create_user_pool(
            PoolName=f"p-{uuid.uuid4().hex[:8]}",
            UsernameAttributes=["email"],
            Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": admin_only},
        )["UserPool"]["Id"]
    )


def _client(idp: Any, pool_id: str, **settings: Any) -> str:
    return str(
        idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=f"c-{uuid.uuid4().hex[:6]}",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            **settings,
        )["UserPoolClient"]["ClientId"]
    )


def _bob(idp: Any, pool_id: str) -> str:
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="bob@example.com",
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}, {"Name": "custom:group", "Value": "dev"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username="bob@example.com", Password=PASSWORD, Permanent=True)
    return "bob@example.com"


def _token(idp: Any, client_id: str) -> str:
    auth = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob@example.com", "PASSWORD": PASSWORD},
    )
    return str(auth["AuthenticationResult"]["AccessToken"])


def _group(idp: Any, pool_id: str) -> str:
    attrs = idp.admin_get_user(UserPoolId=pool_id, Username="bob@example.com")["UserAttributes"]
    return next(a["Value"] for a in attrs if a["Name"] == "custom:group")


def _raise_to_ops(idp: Any, token: str) -> None:
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "custom:group", "Value": "ops"}])


def test_a_client_without_write_attributes_may_write_everything(idp: Any) -> None:
    """The widest reading of an unset WriteAttributes: the attack succeeds, so it can be rehearsed."""
    pool_id = _pool(idp)
    _bob(idp, pool_id)
    _raise_to_ops(idp, _token(idp, _client(idp, pool_id)))
    assert _group(idp, pool_id) == "ops"


def test_a_client_without_write_attributes_writes_as_the_variant_says(aws: Any, write_attributes_unset: str) -> None:
    """``all``: the attack through an unset WriteAttributes succeeds; ``standard``: no custom attribute is writable
    (the API reference's reading), a standard one still is."""
    pool_id = _pool(aws)
    _bob(aws, pool_id)
    token = _token(aws, _client(aws, pool_id))
    aws.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Bob"}])
    if write_attributes_unset == "all":
        _raise_to_ops(aws, token)
        assert _group(aws, pool_id) == "ops"
        return
    with pytest.raises(ClientError) as refused:
        _raise_to_ops(aws, token)
    assert refused.value.response["Error"]["Message"] == "A client attempted to write unauthorized attribute"
    assert _group(aws, pool_id) == "dev"


def test_a_client_may_write_only_its_write_attributes(idp: Any) -> None:
    pool_id = _pool(idp)
    _bob(idp, pool_id)
    token = _token(idp, _client(idp, pool_id, WriteAttributes=["name", "email"]))
    with pytest.raises(ClientError) as refused:
        _raise_to_ops(idp, token)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == "A client attempted to write unauthorized attribute"
    assert _group(idp, pool_id) == "dev"
    # What the client may write, it writes.
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Bob"}])
    attrs = idp.admin_get_user(UserPoolId=pool_id, Username="bob@example.com")["UserAttributes"]
    assert {"Name": "name", "Value": "Bob"} in attrs


def test_admin_updates_are_not_limited_by_write_attributes(idp: Any) -> None:
    pool_id = _pool(idp)
    _bob(idp, pool_id)
    _client(idp, pool_id, WriteAttributes=["name"])
    idp.admin_update_user_attributes(
        UserPoolId=pool_id, Username="bob@example.com", UserAttributes=[{"Name": "custom:group", "Value": "ops"}]
    )
    assert _group(idp, pool_id) == "ops"


def test_an_access_token_without_the_admin_scope_changes_nothing(aws: Any) -> None:
    """Tokens from InitiateAuth carry aws.cognito.signin.user.admin; one without it (a hosted-UI token that did
    not ask for it) is refused even by a client that may write everything."""
    from moto.cognitoidp import models

    pool_id = _pool(aws)
    user = _bob(aws, pool_id)
    client_id = _client(aws, pool_id)
    backend = models.cognitoidp_backends["123456789012"][REGION]
    pool = backend.user_pools[pool_id]
    username = pool._get_user(user).username
    token, _ = pool.create_jwt(client_id, username, "access", extra_data={"scope": "openid email"})
    pool.access_tokens[token] = (client_id, username)
    with pytest.raises(ClientError) as refused:
        _raise_to_ops(aws, token)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert "required scopes" in refused.value.response["Error"]["Message"]
    assert _group(aws, pool_id) == "dev"


def test_sign_up_is_refused_on_an_admin_only_pool(idp: Any) -> None:
    pool_id = _pool(idp, admin_only=True)
    client_id = _client(idp, pool_id)
    with pytest.raises(ClientError) as refused:
        idp.sign_up(ClientId=client_id, Username="mallory@example.com", Password=PASSWORD)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == "SignUp is not permitted for this user pool"
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_sign_up_writes_only_what_the_client_may_write(idp: Any) -> None:
    pool_id = _pool(idp)
    narrow = _client(idp, pool_id, WriteAttributes=["name", "email"])
    with pytest.raises(ClientError) as refused:
        idp.sign_up(
            ClientId=narrow,
            Username="mallory@example.com",
            Password=PASSWORD,
            UserAttributes=[{"Name": "custom:group", "Value": "ops"}],
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []
    # An open pool and a client without WriteAttributes: the stranger chooses their own group.
    idp.sign_up(
        ClientId=_client(idp, pool_id),
        Username="mallory@example.com",
        Password=PASSWORD,
        UserAttributes=[{"Name": "custom:group", "Value": "ops"}],
    )
    (user,) = idp.list_users(UserPoolId=pool_id)["Users"]
    assert {"Name": "custom:group", "Value": "ops"} in user["Attributes"]


def test_the_unset_readings_are_chosen_by_word_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_privx.sandbox.moto_fixes.variant import CognitoVariant

    assert CognitoVariant() == CognitoVariant.parse()
    assert (CognitoVariant().read_attributes_unset, CognitoVariant().write_attributes_unset) == ("standard", "all")
    chosen = CognitoVariant.parse(read_attributes_unset="all", write_attributes_unset="standard")
    assert (chosen.read_attributes_unset, chosen.write_attributes_unset) == ("all", "standard")
    with pytest.raises(ValueError, match="--read-attributes-unset must be standard or all, not 'some'"):
        CognitoVariant.parse(read_attributes_unset="some")
    with pytest.raises(ValueError, match="--write-attributes-unset must be all or standard"):
        CognitoVariant.parse(write_attributes_unset="")
    monkeypatch.setenv("COGNITO_PRIVX_SANDBOX_READ_ATTRIBUTES_UNSET", "all")
    monkeypatch.setenv("COGNITO_PRIVX_SANDBOX_WRITE_ATTRIBUTES_UNSET", "bogus")  # unknown: the default
    assert CognitoVariant.from_env() == CognitoVariant(read_attributes_unset="all")
