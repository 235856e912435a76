"""The exact parameters of every Cognito write call, pinned with ``botocore.stub.Stubber``.

UpdateUserPool and UpdateUserPoolClient reset every field an update omits (AWS) while moto merges, so a partial
update passes every moto test and breaks a real pool. These tests queue realistic AWS describe responses and
pin the *full* parameters of each write; a Stubber raises on any call that was not queued, so they also prove
that a dry run writes nothing. No network: the Stubber answers every call.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from cognito_privx.cognito import (
    CognitoGateway,
    ensure_attribute,
    ensure_client,
    ensure_domain,
    ensure_pool,
    pool_update_params,
)
from cognito_privx.config import AppConfig
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError
from cognito_privx.plan import Action, FieldChange
from tests.support.constants import BASE_CONFIG, REGION

POOL_ID = "eu-west-1_Xk3rT9aQp"
OTHER_POOL_ID = "eu-west-1_Zz9yY8xXw"
CLIENT_ID = "5p3cq1n2b7l8m9k0j4h6g3f2d1"
CALLBACK = "https://privx.example.com/auth/api/v1/oidc-cb"
WHEN = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)

# What DescribeUserPool returns for a pool someone has lived with for a while (shape of real AWS answers).
POOL: dict[str, Any] = {
    "Id": POOL_ID,
    "Name": "privx-users",
    "Arn": f"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{POOL_ID}",
    "Status": "Enabled",
    "CreationDate": WHEN,
    "LastModifiedDate": WHEN,
    "EstimatedNumberOfUsers": 42,
    "Domain": "acme-privx",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "PasswordHistorySize": 3,
            "TemporaryPasswordValidityDays": 5,
        },
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]},
    },
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {"PreTokenGeneration": "arn:aws:lambda:eu-west-1:123456789012:function:pre-token"},
    "SchemaAttributes": [
        {"Name": "sub", "AttributeDataType": "String", "Mutable": False, "Required": True},
        {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": True},
        {
            "Name": "custom:group",
            "AttributeDataType": "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": True,
            "Required": False,
            "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
        },
    ],
    "AutoVerifiedAttributes": ["email"],
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
    "EmailVerificationMessage": "Your code is {####}",
    "EmailVerificationSubject": "Your code",
    "VerificationMessageTemplate": {
        "EmailMessage": "Your code is {####}",
        "EmailSubject": "Your code",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    },
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "MfaConfiguration": "OPTIONAL",
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
    "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
    "UserPoolTags": {"managed-by": "cognito-privx", "cost-center": "secops"},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "UnusedAccountValidityDays": 5,
        "InviteMessageTemplate": {"EmailMessage": "Hi {username}, {####}", "EmailSubject": "PrivX access"},
    },
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    "UserPoolTier": "LITE",
}

# Every field of POOL that UpdateUserPool must be sent back, written out by hand (not computed by the code
# under test). Read-only fields (Arn, dates, SchemaAttributes, UsernameAttributes, ...) are absent, the
# deprecated UnusedAccountValidityDays is gone (TemporaryPasswordValidityDays is set) and so are the legacy
# verification fields (VerificationMessageTemplate is set).
POOL_UPDATE: dict[str, Any] = {
    "UserPoolId": POOL_ID,
    "Policies": POOL["Policies"],
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": POOL["LambdaConfig"],
    "AutoVerifiedAttributes": ["email"],
    "VerificationMessageTemplate": POOL["VerificationMessageTemplate"],
    "UserAttributeUpdateSettings": POOL["UserAttributeUpdateSettings"],
    "MfaConfiguration": "OPTIONAL",
    "DeviceConfiguration": POOL["DeviceConfiguration"],
    "EmailConfiguration": POOL["EmailConfiguration"],
    "UserPoolTags": {"managed-by": "cognito-privx", "cost-center": "secops"},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "InviteMessageTemplate": POOL["AdminCreateUserConfig"]["InviteMessageTemplate"],
    },
    "AccountRecoverySetting": POOL["AccountRecoverySetting"],
    "UserPoolTier": "LITE",
}

# What DescribeUserPoolClient returns for our client after someone touched it in the console.
CLIENT: dict[str, Any] = {
    "UserPoolId": POOL_ID,
    "ClientName": "privx",
    "ClientId": CLIENT_ID,
    "ClientSecret": "1q2w3e4r5t6y7u8i9o0p-not-a-real-secret",
    "ClientType": "REGULAR",
    "CreationDate": WHEN,
    "LastModifiedDate": WHEN,
    "RefreshTokenValidity": 30,
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    # phone_number was added by hand: a superset of ours, kept.
    "ReadAttributes": ["custom:group", "email", "email_verified", "name", "phone_number"],
    "WriteAttributes": ["email", "name"],
    "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": [CALLBACK],
    "LogoutURLs": ["https://privx.example.com/auth/logout"],
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email", "profile"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 3,
    "RefreshTokenRotation": {"Feature": "DISABLED"},
}

# Everything of CLIENT that UpdateUserPoolClient accepts; no ClientSecret, ClientType or dates.
CLIENT_UPDATE: dict[str, Any] = {
    "UserPoolId": POOL_ID,
    "ClientId": CLIENT_ID,
    "ClientName": "privx",
    "RefreshTokenValidity": 30,
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "ReadAttributes": ["custom:group", "email", "email_verified", "name", "phone_number"],
    "WriteAttributes": ["email", "name"],
    "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": [CALLBACK],
    "LogoutURLs": ["https://privx.example.com/auth/logout"],
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email", "profile"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 3,
    "RefreshTokenRotation": {"Feature": "DISABLED"},
}


class AnyOrder(list[Any]):
    """An expected list whose order does not matter to Cognito (scopes, attribute names)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and sorted(self) == sorted(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


def _d(cfg: AppConfig) -> DesiredState:
    return DesiredState.from_config(cfg)


def make_cfg(**cognito: Any) -> AppConfig:
    data = tomllib.loads(BASE_CONFIG)
    data["cognito"].update(cognito)
    return AppConfig.model_validate(data)


def pool(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(POOL), **changes}


def client(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(CLIENT), **changes}


@pytest.fixture
def stub() -> Iterator[tuple[CognitoGateway, Stubber]]:
    boto = boto3.session.Session(region_name=REGION).client("cognito-idp")
    with Stubber(boto) as stubber:
        yield CognitoGateway(boto), stubber


def queue_find_pool(stubber: Stubber, described: dict[str, Any]) -> None:
    """ListUserPools over two pages (a stranger's pool first), then DescribeUserPool of ours."""
    stubber.add_response(
        "list_user_pools",
        {"UserPools": [{"Id": OTHER_POOL_ID, "Name": "someone-else"}], "NextToken": "page-2"},
        {"MaxResults": 60},
    )
    stubber.add_response(
        "list_user_pools",
        {"UserPools": [{"Id": POOL_ID, "Name": "privx-users", "CreationDate": WHEN}]},
        {"MaxResults": 60, "NextToken": "page-2"},
    )
    stubber.add_response("describe_user_pool", {"UserPool": described}, {"UserPoolId": POOL_ID})


def queue_find_client(stubber: Stubber, described: dict[str, Any]) -> None:
    stubber.add_response(
        "list_user_pool_clients",
        {
            "UserPoolClients": [
                {"ClientId": "0therclient0000000000000000", "UserPoolId": POOL_ID, "ClientName": "grafana"},
                {"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "privx"},
            ]
        },
        {"UserPoolId": POOL_ID, "MaxResults": 60},
    )
    stubber.add_response(
        "describe_user_pool_client",
        {"UserPoolClient": described},
        {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID},
    )


# -- UpdateUserPool --------------------------------------------------------------------------------------


def test_pool_update_params_carries_every_updatable_field() -> None:
    assert pool_update_params(POOL, {"DeletionProtection": "ACTIVE"}) == POOL_UPDATE


def test_pool_update_params_keeps_unused_days_without_temporary_password_days() -> None:
    current = pool(Policies={"PasswordPolicy": {"MinimumLength": 8}})
    params = pool_update_params(current, {})
    assert params["AdminCreateUserConfig"] == POOL["AdminCreateUserConfig"]


def test_pool_update_params_keeps_legacy_verification_without_template() -> None:
    current = {k: v for k, v in POOL.items() if k != "VerificationMessageTemplate"}
    params = pool_update_params(current, {})
    assert params["EmailVerificationMessage"] == "Your code is {####}"
    assert params["EmailVerificationSubject"] == "Your code"
    assert "VerificationMessageTemplate" not in params


def test_pool_update_params_changes_win_over_the_description() -> None:
    params = pool_update_params(pool(DeletionProtection="INACTIVE"), {"DeletionProtection": "ACTIVE"})
    assert params == POOL_UPDATE


def test_pool_update_params_covers_every_field_the_api_model_lets_us_send_back() -> None:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    updatable = set(model.operation_model("UpdateUserPool").input_shape.members)
    described = set(model.shape_for("UserPoolType").members)
    current = pool(
        AcrConfiguration={"Level1": {"AcrValue": "urn:acme:loa:low"}},
        DcrConfiguration={"EnableStatus": "Disabled"},
        IssuerConfiguration={"Type": "UPDATED"},
        KeyConfiguration={
            "KeyType": "CUSTOMER_MANAGED_KEY",
            "KmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
    )
    params = pool_update_params(current, {})
    # Everything described and updatable goes back, except what the legacy rules drop on purpose.
    legacy = {"EmailVerificationMessage", "EmailVerificationSubject", "SmsVerificationMessage"}
    expected = (updatable & described & set(current)) - legacy
    assert expected - set(params) == set()


def test_deletion_protection_drift_sends_the_whole_pool(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    queue_find_pool(stubber, pool(DeletionProtection="INACTIVE"))
    stubber.add_response("update_user_pool", {}, POOL_UPDATE)
    stubber.add_response("describe_user_pool", {"UserPool": pool()}, {"UserPoolId": POOL_ID})

    state = ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False)

    stubber.assert_no_pending_responses()
    assert state.change.action is Action.UPDATE
    assert state.change.fields == (FieldChange("DeletionProtection", "INACTIVE", "ACTIVE"),)
    assert not any("did not stick" in n for n in state.change.notes)


def test_adopting_an_untagged_pool_adds_our_tag_keeps_theirs(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    theirs = pool(UserPoolTags={"cost-center": "secops"})
    queue_find_pool(stubber, theirs)
    # The same full set, tags merged, and the pool recorded as adopted (teardown keeps it).
    adopted_tags = {**POOL_UPDATE["UserPoolTags"], "cognito-privx-adopted": "true"}
    stubber.add_response("update_user_pool", {}, {**POOL_UPDATE, "UserPoolTags": adopted_tags})
    stubber.add_response("describe_user_pool", {"UserPool": pool()}, {"UserPoolId": POOL_ID})

    state = ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False, adopt=True)

    stubber.assert_no_pending_responses()
    assert state.change.action is Action.UPDATE
    assert [f.field for f in state.change.fields] == ["UserPoolTags"]
    assert any("adopting" in n for n in state.change.notes)


# -- UpdateUserPoolClient --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drifted", "field"),
    [
        ({"CallbackURLs": ["https://old-privx.example.com/auth/api/v1/oidc-cb"]}, "CallbackURLs"),
        ({"AllowedOAuthScopes": ["openid", "email"]}, "AllowedOAuthScopes"),
    ],
    ids=["callback", "scope"],
)
def test_client_drift_sends_the_whole_client(
    stub: tuple[CognitoGateway, Stubber], drifted: dict[str, Any], field: str
) -> None:
    gw, stubber = stub
    queue_find_client(stubber, client(**drifted))
    expected = {**CLIENT_UPDATE}
    if field == "AllowedOAuthScopes":
        expected[field] = AnyOrder(["openid", "email", "profile"])
    stubber.add_response("update_user_pool_client", {"UserPoolClient": client()}, expected)

    state = ensure_client(gw, _d(make_cfg()).client, POOL_ID, dry_run=False)

    stubber.assert_no_pending_responses()
    assert state.change.action is Action.UPDATE
    assert [(f.field, f.before) for f in state.change.fields] == [(field, drifted[field])]
    assert not any("did not stick" in n for n in state.change.notes)


def test_client_missing_read_attribute_is_added_to_theirs(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    queue_find_client(stubber, client(ReadAttributes=["email", "phone_number"]))
    expected = {
        **CLIENT_UPDATE,
        "ReadAttributes": AnyOrder(["email", "phone_number", "email_verified", "name", "custom:group"]),
    }
    stubber.add_response("update_user_pool_client", {"UserPoolClient": client()}, expected)

    state = ensure_client(gw, _d(make_cfg()).client, POOL_ID, dry_run=False)

    stubber.assert_no_pending_responses()
    assert [f.field for f in state.change.fields] == ["ReadAttributes"]


# -- domains ---------------------------------------------------------------------------------------------


def domain_description(version: int) -> dict[str, Any]:
    return {
        "DomainDescription": {
            "UserPoolId": POOL_ID,
            "AWSAccountId": "123456789012",
            "Domain": "acme-privx",
            "S3Bucket": "aws-cognito-prod-dub-assets",
            "CloudFrontDistribution": "d3oia8etllorh5.cloudfront.net",
            "Version": "20250314092653",
            "Status": "ACTIVE",
            "ManagedLoginVersion": version,
        }
    }


@pytest.mark.parametrize(("hosted_ui", "have", "want"), [("classic", 2, 1), ("managed", 1, 2)])
def test_domain_login_version_drift_is_updated(
    stub: tuple[CognitoGateway, Stubber], hosted_ui: str, have: int, want: int
) -> None:
    gw, stubber = stub
    stubber.add_response("describe_user_pool_domain", domain_description(have), {"Domain": "acme-privx"})
    stubber.add_response(
        "update_user_pool_domain",
        {"ManagedLoginVersion": want, "CloudFrontDomain": "d3oia8etllorh5.cloudfront.net"},
        {"Domain": "acme-privx", "UserPoolId": POOL_ID, "ManagedLoginVersion": want},
    )

    (change,) = ensure_domain(gw, _d(make_cfg(hosted_ui=hosted_ui)).domain, pool(), dry_run=False)

    stubber.assert_no_pending_responses()
    assert change.action is Action.UPDATE
    assert change.fields == (FieldChange("ManagedLoginVersion", have, want),)


# -- creates on a fresh account --------------------------------------------------------------------------


def test_first_setup_sends_exactly_these_creates(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    cfg = make_cfg(tags={"team": "secops"})
    created = pool(Domain=None, UserPoolTags={"team": "secops", "managed-by": "cognito-privx"})
    created = {k: v for k, v in created.items() if v is not None}
    stubber.add_response("list_user_pools", {"UserPools": []}, {"MaxResults": 60})
    stubber.add_response(
        "create_user_pool",
        {"UserPool": created},
        {
            "PoolName": "privx-users",
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "AutoVerifiedAttributes": ["email"],
            "Schema": [
                {
                    "Name": "group",  # the bare name: Cognito makes it custom:group
                    "AttributeDataType": "String",
                    "Mutable": True,
                    "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
                }
            ],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
            "UserPoolTier": "ESSENTIALS",  # tier unset: CreateUserPool's default in botocore's model
            "DeletionProtection": "ACTIVE",
            "UserPoolTags": {"team": "secops", "managed-by": "cognito-privx"},
        },
    )
    stubber.add_response("describe_user_pool", {"UserPool": created}, {"UserPoolId": POOL_ID})
    # Look again: a concurrent run may have made a pool too (here none did).
    stubber.add_response("list_user_pools", {"UserPools": [{"Id": POOL_ID, "Name": "privx-users"}]}, {"MaxResults": 60})
    stubber.add_response("describe_user_pool", {"UserPool": created}, {"UserPoolId": POOL_ID})
    stubber.add_response("list_user_pool_clients", {"UserPoolClients": []}, {"UserPoolId": POOL_ID, "MaxResults": 60})
    stubber.add_response(
        "create_user_pool_client",
        {"UserPoolClient": client()},
        {
            "UserPoolId": POOL_ID,
            "ClientName": "privx",
            "GenerateSecret": True,
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": AnyOrder(["openid", "email", "profile"]),
            "CallbackURLs": [CALLBACK],
            "SupportedIdentityProviders": ["COGNITO"],
            "ReadAttributes": AnyOrder(["email", "email_verified", "name", "custom:group"]),
            "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            # Explicit, never the default AWS's sources disagree on; no attribute the grants read.
            "WriteAttributes": ["name"],
        },
    )
    stubber.add_response(
        "list_user_pool_clients",
        {"UserPoolClients": [{"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "privx"}]},
        {"UserPoolId": POOL_ID, "MaxResults": 60},
    )
    stubber.add_response(
        "describe_user_pool_client", {"UserPoolClient": client()}, {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID}
    )
    stubber.add_response("describe_user_pool_domain", {"DomainDescription": {}}, {"Domain": "acme-privx"})
    stubber.add_response(
        "create_user_pool_domain",
        {"ManagedLoginVersion": 1, "CloudFrontDomain": "d3oia8etllorh5.cloudfront.net"},
        {"Domain": "acme-privx", "UserPoolId": POOL_ID, "ManagedLoginVersion": 1},
    )

    state = ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=False)
    attribute = ensure_attribute(gw, _d(cfg).attribute, state, dry_run=False)  # part of CreateUserPool: no call
    client_state = ensure_client(gw, _d(cfg).client, state.pool_id, dry_run=False)
    (domain,) = ensure_domain(gw, _d(cfg).domain, state.pool, dry_run=False)

    stubber.assert_no_pending_responses()
    assert [c.action for c in (state.change, attribute, client_state.change, domain)] == [Action.CREATE] * 4
    assert client_state.client_id == CLIENT_ID


def test_missing_attribute_is_added_with_its_bare_name(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    cfg = make_cfg()
    queue_find_pool(stubber, pool(SchemaAttributes=POOL["SchemaAttributes"][:2]))
    stubber.add_response(
        "add_custom_attributes",
        {},
        {
            "UserPoolId": POOL_ID,
            "CustomAttributes": [
                {
                    "Name": "group",
                    "AttributeDataType": "String",
                    "Mutable": True,
                    "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
                }
            ],
        },
    )

    state = ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=False)
    change = ensure_attribute(gw, _d(cfg).attribute, state, dry_run=False)

    stubber.assert_no_pending_responses()
    assert state.change.action is Action.NOOP
    assert change.action is Action.CREATE


# -- dry run ---------------------------------------------------------------------------------------------


def test_dry_run_with_drift_everywhere_only_reads(stub: tuple[CognitoGateway, Stubber]) -> None:
    """Only read responses are queued: any write call would raise UnStubbedResponseError."""
    gw, stubber = stub
    cfg = make_cfg()
    queue_find_pool(stubber, pool(DeletionProtection="INACTIVE", SchemaAttributes=POOL["SchemaAttributes"][:2]))
    queue_find_client(stubber, client(CallbackURLs=["https://old.example.com/auth/api/v1/oidc-cb"]))
    stubber.add_response("describe_user_pool_domain", domain_description(2), {"Domain": "acme-privx"})

    state = ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=True)
    attribute = ensure_attribute(gw, _d(cfg).attribute, state, dry_run=True)
    client_state = ensure_client(gw, _d(cfg).client, state.pool_id, dry_run=True)
    (domain,) = ensure_domain(gw, _d(cfg).domain, state.pool, dry_run=True)

    stubber.assert_no_pending_responses()
    assert state.change.action is Action.UPDATE
    assert attribute.action is Action.CREATE
    assert client_state.change.action is Action.UPDATE
    assert domain.action is Action.UPDATE


# -- paging ----------------------------------------------------------------------------------------------


def test_every_page_is_one_counted_call(stub: tuple[CognitoGateway, Stubber]) -> None:
    """botocore's paginator pages through CognitoGateway.call: the observer sees each page once."""
    gw, stubber = stub
    seen: list[str] = []
    queue_find_pool(stubber, pool())

    found = gw.with_observer(seen.append).pools_named("privx-users")

    stubber.assert_no_pending_responses()
    assert [p["Id"] for p in found] == [POOL_ID]
    assert seen == ["list_user_pools", "list_user_pools", "describe_user_pool"]


def test_an_error_on_a_later_page_is_mapped_like_any_call(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    seen: list[str] = []
    stubber.add_response(
        "list_user_pool_clients",
        {"UserPoolClients": [{"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "privx"}], "NextToken": "p2"},
        {"UserPoolId": POOL_ID, "MaxResults": 60},
    )
    stubber.add_client_error(
        "list_user_pool_clients",
        "AccessDeniedException",
        "not allowed",
        expected_params={"UserPoolId": POOL_ID, "MaxResults": 60, "NextToken": "p2"},
    )

    with pytest.raises(CognitoError) as raised:
        list(gw.with_observer(seen.append).pool_clients(POOL_ID))

    stubber.assert_no_pending_responses()
    assert "cognito-idp:ListUserPoolClients" in raised.value.message
    assert seen == ["list_user_pool_clients"] * 2


def test_a_repeated_page_token_stops_the_listing(stub: tuple[CognitoGateway, Stubber]) -> None:
    gw, stubber = stub
    stubber.add_response(
        "list_groups", {"Groups": [{"GroupName": "ops"}], "NextToken": "same"}, {"UserPoolId": POOL_ID, "Limit": 60}
    )
    stubber.add_response(
        "list_groups",
        {"Groups": [{"GroupName": "dev"}], "NextToken": "same"},
        {"UserPoolId": POOL_ID, "Limit": 60, "NextToken": "same"},
    )

    with pytest.raises(CognitoError, match="paged in a circle"):
        list(gw.groups(POOL_ID))
