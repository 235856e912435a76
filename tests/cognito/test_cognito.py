"""The Cognito ensure steps against in-process moto: what exists afterwards and what Change is reported.

moto is lenient where AWS is strict (docs/cognito.md#where-moto-differs-from-aws): it accepts a taken domain
prefix and merges partial updates. The checks for the first run before any call here; the exact update
parameters are pinned in test_cognito_stubber.py.
"""

from __future__ import annotations

import tomllib
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cognito_privx.cognito import (
    CognitoGateway,
    ensure_attribute,
    ensure_client,
    ensure_domain,
    ensure_pool,
)
from cognito_privx.config import AppConfig
from cognito_privx.desired import DesiredState
from cognito_privx.errors import (
    AmbiguousResourceError,
    CognitoError,
    ConflictError,
    CredentialsError,
    ForeignResourceError,
)
from cognito_privx.plan import Action, Change, FieldChange
from tests.support.constants import BASE_CONFIG, REGION

NAME = "privx-users"
PREFIX = "acme-privx"
OURS = {"managed-by": "cognito-privx"}
CALLBACK = "https://privx.example.com/auth/api/v1/oidc-cb"


def _d(cfg: AppConfig) -> DesiredState:
    return DesiredState.from_config(cfg)


def make_cfg(**cognito: Any) -> AppConfig:
    data = tomllib.loads(BASE_CONFIG)
    data["cognito"].update(cognito)
    return AppConfig.model_validate(data)


def converge(aws: Any, cfg: AppConfig | None = None, *, dry_run: bool = False, adopt: bool = False) -> list[Change]:
    """The Cognito half of setup, in the order reconcile.setup runs it."""
    cfg = cfg or make_cfg()
    gw = CognitoGateway(aws, race_settle_s=0.05)
    pool = ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=dry_run, adopt=adopt)
    attribute = ensure_attribute(gw, _d(cfg).attribute, pool, dry_run=dry_run)
    client = ensure_client(gw, _d(cfg).client, pool.pool_id, dry_run=dry_run)
    domains = ensure_domain(gw, _d(cfg).domain, pool.pool, dry_run=dry_run)
    return [pool.change, attribute, client.change, *domains]


def pools(aws: Any) -> list[dict[str, Any]]:
    return aws.list_user_pools(MaxResults=60)["UserPools"]


def describe(aws: Any, pool_id: str) -> dict[str, Any]:
    return aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def clients(aws: Any, pool_id: str) -> list[dict[str, Any]]:
    listed = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    return [aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=c["ClientId"])["UserPoolClient"] for c in listed]


def snapshot(aws: Any) -> dict[str, Any]:
    """Everything moto holds for us, dates included (an unneeded write would change LastModifiedDate)."""
    domain = aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"]
    domain.pop("AWSAccountId", None)  # moto makes up a new one on every describe
    return {p["Id"]: {"pool": describe(aws, p["Id"]), "clients": clients(aws, p["Id"])} for p in pools(aws)} | {
        "domain": domain
    }


def make_pool(aws: Any, name: str = NAME, tags: dict[str, str] | None = None, **params: Any) -> str:
    """A pool made elsewhere; like ours, its users sign in with their email, case-insensitively."""
    params = {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}, **params}
    pool_id: str = aws.create_user_pool(PoolName=name, UserPoolTags=tags or {}, **params)["UserPool"]["Id"]
    return pool_id


def our_pool_and_client(aws: Any) -> tuple[str, dict[str, Any]]:
    converge(aws)
    pool_id = pools(aws)[0]["Id"]
    return pool_id, clients(aws, pool_id)[0]


# -- idempotency -----------------------------------------------------------------------------------------


def test_first_run_creates_one_of_each_second_run_changes_nothing(aws: Any) -> None:
    first = converge(aws)

    assert [c.action for c in first] == [Action.CREATE] * 4
    [listed] = pools(aws)
    pool = describe(aws, listed["Id"])
    assert pool["Name"] == NAME
    assert pool["UserPoolTags"] == OURS
    assert pool["DeletionProtection"] == "ACTIVE"
    [attribute] = [a for a in pool["SchemaAttributes"] if a["Name"] == "custom:group"]
    assert (attribute["AttributeDataType"], attribute["Mutable"]) == ("String", True)
    assert not any(a["Name"] == "custom:custom:group" for a in pool["SchemaAttributes"])
    [client] = clients(aws, pool["Id"])
    assert client["ClientName"] == "privx"
    assert client["ClientSecret"]
    assert client["CallbackURLs"] == [CALLBACK]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert "custom:group" in client["ReadAttributes"]
    assert aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"]["UserPoolId"] == pool["Id"]

    before = snapshot(aws)
    second = converge(aws)

    assert [c.action for c in second] == [Action.NOOP] * 4
    assert all(c.fields == () for c in second)
    assert snapshot(aws) == before


def test_dry_run_on_an_empty_account_creates_nothing(aws: Any) -> None:
    changes = converge(aws, dry_run=True)

    assert [(c.resource, c.action) for c in changes] == [
        ("cognito user pool", Action.CREATE),
        ("cognito custom attribute", Action.CREATE),
        ("cognito app client", Action.CREATE),
        ("cognito domain", Action.CREATE),
    ]
    assert pools(aws) == []
    assert aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"] == {}


# -- finding our pool ------------------------------------------------------------------------------------


def test_two_tagged_pools_are_ambiguous(aws: Any) -> None:
    ids = {make_pool(aws, tags=OURS), make_pool(aws, tags=OURS)}

    with pytest.raises(AmbiguousResourceError) as err:
        converge(aws)

    assert all(i in err.value.message for i in ids)
    assert {p["Id"] for p in pools(aws)} == ids
    assert all(clients(aws, i) == [] for i in ids)


def test_untagged_pool_is_foreign_until_adopted(aws: Any) -> None:
    pool_id = make_pool(aws, tags={"cost-center": "secops"})
    gw = CognitoGateway(aws, race_settle_s=0.05)

    with pytest.raises(ForeignResourceError) as err:
        ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False)
    assert pool_id in err.value.message
    assert "--adopt" in (err.value.hint or "")
    assert describe(aws, pool_id)["UserPoolTags"] == {"cost-center": "secops"}

    state = ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False, adopt=True)

    assert state.change.action is Action.UPDATE
    assert "UserPoolTags" in [f.field for f in state.change.fields]
    assert describe(aws, pool_id)["UserPoolTags"] == {"cost-center": "secops", **OURS, "cognito-privx-adopted": "true"}
    assert [p["Id"] for p in pools(aws)] == [pool_id]
    assert ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False).change.action is Action.NOOP


def test_deletion_protection_drift_is_reverted_tags_kept(aws: Any) -> None:
    pool_id, _ = our_pool_and_client(aws)
    aws.update_user_pool(
        UserPoolId=pool_id, DeletionProtection="INACTIVE", UserPoolTags={**OURS, "cost-center": "secops"}
    )
    gw = CognitoGateway(aws, race_settle_s=0.05)

    state = ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False)

    # An UpdateUserPool without AdminCreateUserConfig reset it to AWS's default (self sign-up): ours is put back.
    assert state.change.fields == (
        FieldChange("DeletionProtection", "INACTIVE", "ACTIVE"),
        FieldChange("AdminCreateUserConfig.AllowAdminCreateUserOnly", False, True),
    )
    assert describe(aws, pool_id)["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert describe(aws, pool_id)["DeletionProtection"] == "ACTIVE"
    assert describe(aws, pool_id)["UserPoolTags"] == {**OURS, "cost-center": "secops"}
    assert ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=False).change.action is Action.NOOP


# -- the custom attribute --------------------------------------------------------------------------------


def test_missing_attribute_is_added_then_noop(aws: Any) -> None:
    pool_id = make_pool(aws, tags=OURS, DeletionProtection="ACTIVE")
    gw = CognitoGateway(aws, race_settle_s=0.05)
    cfg = make_cfg()

    change = ensure_attribute(
        gw, _d(cfg).attribute, ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=False), dry_run=False
    )

    assert change.action is Action.CREATE
    [attribute] = [a for a in describe(aws, pool_id)["SchemaAttributes"] if a["Name"] == "custom:group"]
    assert (attribute["AttributeDataType"], attribute["Mutable"]) == ("String", True)
    again = ensure_attribute(
        gw, _d(cfg).attribute, ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=False), dry_run=False
    )
    assert again.action is Action.NOOP


@pytest.mark.parametrize(("data_type", "mutable"), [("Number", True), ("String", False)])
def test_attribute_of_the_wrong_kind_is_a_conflict(aws: Any, data_type: str, mutable: bool) -> None:
    schema = [{"Name": "group", "AttributeDataType": data_type, "Mutable": mutable}]
    pool_id = make_pool(aws, tags=OURS, DeletionProtection="ACTIVE", Schema=schema)
    gw = CognitoGateway(aws, race_settle_s=0.05)
    cfg = make_cfg()

    with pytest.raises(ConflictError, match="can never change") as err:
        ensure_attribute(
            gw, _d(cfg).attribute, ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=False), dry_run=False
        )

    assert "group_attribute" in (err.value.hint or "")
    [attribute] = [a for a in describe(aws, pool_id)["SchemaAttributes"] if a["Name"] == "custom:group"]
    assert (attribute["AttributeDataType"], attribute["Mutable"]) == (data_type, mutable)


# -- the domain ------------------------------------------------------------------------------------------


def test_prefix_owned_by_another_pool_is_a_conflict(aws: Any) -> None:
    other = make_pool(aws, name="someone-else")
    aws.create_user_pool_domain(Domain=PREFIX, UserPoolId=other)
    gw = CognitoGateway(aws, race_settle_s=0.05)
    cfg = make_cfg()
    ours = ensure_pool(gw, _d(cfg).pool, _d(cfg).attribute, dry_run=False)

    # moto would hand the prefix over to our pool; AWS refuses. Our check must fire before the call.
    with pytest.raises(ConflictError) as err:
        ensure_domain(gw, _d(cfg).domain, ours.pool, dry_run=False)

    assert other in err.value.message
    assert "domain_prefix" in (err.value.hint or "")
    assert aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"]["UserPoolId"] == other
    assert "Domain" not in describe(aws, ours.pool_id or "")


def test_prefix_owned_by_another_pool_fails_the_dry_run_too(aws: Any) -> None:
    other = make_pool(aws, name="someone-else")
    aws.create_user_pool_domain(Domain=PREFIX, UserPoolId=other)

    with pytest.raises(ConflictError, match=other):
        converge(aws, dry_run=True)

    assert [p["Id"] for p in pools(aws)] == [other]
    assert aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"]["UserPoolId"] == other


def test_a_changed_domain_prefix_replaces_the_old_domain(aws: Any) -> None:
    converge(aws, make_cfg(domain_prefix="old-privx"))
    pool_id = pools(aws)[0]["Id"]

    planned = converge(aws, dry_run=True)
    assert [(c.resource, c.name, c.action) for c in planned if c.resource == "cognito domain"] == [
        ("cognito domain", "old-privx", Action.DELETE),
        ("cognito domain", PREFIX, Action.CREATE),
    ]
    converge(aws)

    assert aws.describe_user_pool_domain(Domain="old-privx")["DomainDescription"] == {}
    assert aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"]["UserPoolId"] == pool_id
    assert describe(aws, pool_id)["Domain"] == PREFIX
    assert all(c.action is Action.NOOP for c in converge(aws))


# -- the app client --------------------------------------------------------------------------------------


def test_a_client_showing_no_secret_is_left_to_setup_which_lists_its_secrets(aws: Any) -> None:
    """No ``ClientSecret`` is no proof of a public client (after a rotation Cognito may show none): the Cognito
    layer neither refuses nor replaces it; setup tells the two apart (tests/test_secret_after_rotation.py)."""
    pool_id = make_pool(aws, tags=OURS)
    made = aws.create_user_pool_client(UserPoolId=pool_id, ClientName="privx", GenerateSecret=False)

    ensure_client(CognitoGateway(aws, race_settle_s=0.05), _d(make_cfg()).client, pool_id, dry_run=False)

    (only,) = clients(aws, pool_id)
    assert only["ClientId"] == made["UserPoolClient"]["ClientId"]


def test_two_clients_with_the_name_are_ambiguous(aws: Any) -> None:
    pool_id = make_pool(aws, tags=OURS)
    ids = {
        aws.create_user_pool_client(UserPoolId=pool_id, ClientName="privx", GenerateSecret=True)["UserPoolClient"][
            "ClientId"
        ]
        for _ in range(2)
    }

    with pytest.raises(AmbiguousResourceError) as err:
        ensure_client(CognitoGateway(aws, race_settle_s=0.05), _d(make_cfg()).client, pool_id, dry_run=False)

    assert all(i in err.value.message for i in ids)
    assert len(clients(aws, pool_id)) == 2


@pytest.mark.parametrize(
    "drift",
    [
        {"CallbackURLs": ["https://old-privx.example.com/auth/api/v1/oidc-cb"]},
        {"AllowedOAuthScopes": ["openid", "email"]},
        {
            "CallbackURLs": ["https://old-privx.example.com/auth/api/v1/oidc-cb"],
            "AllowedOAuthScopes": ["openid"],
        },
    ],
    ids=["callback", "scope", "both"],
)
def test_client_drift_is_reported_and_reverted(aws: Any, drift: dict[str, list[str]]) -> None:
    pool_id, client = our_pool_and_client(aws)
    updatable = {k: v for k, v in client.items() if k not in ("ClientSecret", "CreationDate", "LastModifiedDate")}
    aws.update_user_pool_client(**{**updatable, **drift})
    gw = CognitoGateway(aws, race_settle_s=0.05)
    cfg = make_cfg()

    state = ensure_client(gw, _d(cfg).client, pool_id, dry_run=False)

    assert state.change.action is Action.UPDATE
    assert {f.field: f.before for f in state.change.fields} == drift
    after = {f.field: f.after for f in state.change.fields}
    [now] = clients(aws, pool_id)
    for field, value in after.items():
        assert sorted(now[field]) == sorted(value) == sorted(client[field])
    assert now["ClientSecret"] == client["ClientSecret"]
    assert ensure_client(gw, _d(cfg).client, pool_id, dry_run=False).change.action is Action.NOOP


# -- errors ----------------------------------------------------------------------------------------------


def access_denied(operation: str) -> CognitoError:
    boto = boto3.session.Session(region_name=REGION).client("cognito-idp")
    with Stubber(boto) as stubber:
        stubber.add_client_error(
            operation,
            service_error_code="AccessDeniedException",
            service_message=f"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: {operation}",
            http_status_code=400,
        )
        with pytest.raises(CognitoError) as err:
            ensure_pool(CognitoGateway(boto), _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=True)
    return err.value


def test_access_denied_becomes_a_cognito_error_with_an_iam_hint() -> None:
    err = access_denied("list_user_pools")

    assert type(err) is CognitoError
    assert err.exit_code == 1
    assert "access denied" in err.message
    assert "IAM" in (err.hint or "")
    assert err.__cause__ is not None


def test_access_denied_hint_names_the_iam_action() -> None:
    assert "cognito-idp:ListUserPools" in (access_denied("list_user_pools").hint or "")


def test_no_credentials_at_connect_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(CredentialsError) as err:
        CognitoGateway.connect(REGION)

    assert err.value.exit_code == 2
    assert "credentials" in err.value.message


def test_no_credentials_at_call_time_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A fresh session: boto3's default session caches the credentials an earlier test resolved.
    boto = boto3.session.Session(region_name=REGION).client("cognito-idp")
    gw = CognitoGateway(boto)  # signing fails before any request is sent

    with pytest.raises(CredentialsError) as err:
        ensure_pool(gw, _d(make_cfg()).pool, _d(make_cfg()).attribute, dry_run=True)

    assert err.value.exit_code == 2


def test_the_client_reads_botocore_data_through_the_region_checks_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    # endpoints.json parsed once per run (issue 24), with AWS_DATA_PATH too: the region check searches its paths.
    from cognito_privx.config.partitions import data_loader

    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    shared = CognitoGateway.connect(REGION).session.core.get_component("data_loader")
    assert shared is data_loader()
    monkeypatch.setenv("AWS_DATA_PATH", "/nonexistent")
    own = CognitoGateway.connect(REGION).session.core.get_component("data_loader")
    assert own is data_loader() and own is not shared
    assert "/nonexistent" in own.search_paths
