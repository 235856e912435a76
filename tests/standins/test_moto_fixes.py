"""The moto patches of :mod:`cognito_privx.sandbox.moto_fixes`, seen through boto3 as our code sees them.

Every behaviour is checked twice: in-process (the ``aws`` fixture, ``mock_aws`` after ``apply()``) and through
moto's server on loopback (``sandbox.runner.MotoServer``, which applies the fixes itself). The calls the layer adds
(managed-login branding, MFA setup at sign-in, app-client secrets) are checked once each, at the end; the features
that use them are tested with their code (``tests/cognito/``, ``tests/test_rotation.py``).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import threading
import uuid
from typing import Any

import boto3
import pytest
from moto.cognitoidp import models

from cognito_privx.sandbox import moto_fixes, moto_patch
from cognito_privx.sandbox.moto_fixes import corrections
from cognito_privx.sandbox.runner import MotoServer
from tests.support.constants import REGION

EMAIL_POOL: dict[str, Any] = {
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
}
PATCHED = [
    (models.CognitoIdpUserPoolClient, "__init__"),
    (models.CognitoIdpUserPoolClient, "to_json"),
    (models.CognitoIdpBackend, "update_user_pool_client"),
    (models.CognitoIdpUserPool, "_get_user"),
]


def _pool(idp: Any, **settings: Any) -> str:
    return str(idp.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:8]}", **settings)["UserPool"]["Id"])


# --- apply() itself ----------------------------------------------------------------------------------------------


def test_apply_is_idempotent_across_calls_and_threads() -> None:
    threads = [threading.Thread(target=moto_fixes.apply) for _ in range(8)]
    for t in threads:
        t.start()
    moto_fixes.apply()
    for t in threads:
        t.join()
    # A fix layered on another fix of the same method keeps both marks: each fix appears once in the top mark,
    # and no fix appears in two layers.
    for owner, name in PATCHED:
        method = owner.__dict__[name]
        fixes = getattr(method, moto_patch.MARK, frozenset())
        assert fixes, f"{owner.__name__}.{name} is not patched"
        below = method.__wrapped__
        depth = 1
        while getattr(below, moto_patch.MARK, False):
            below, depth = below.__wrapped__, depth + 1
        assert depth == len(fixes), f"{owner.__name__}.{name} wrapped {depth} times for {len(fixes)} fixes"
    # Two fixes of one method are layered, each once (5: MFA setup, 11: ExplicitAuthFlows; 2: create-only
    # settings, 12: the tier; 1: client dates, 7: the secret shown).
    for owner, name in (
        (models.CognitoIdpBackend, "admin_initiate_auth"),
        (models.CognitoIdpUserPool, "update_extended_config"),
        (models.CognitoIdpUserPoolClient, "to_json"),
    ):
        layered = owner.__dict__[name]
        assert len(getattr(layered, moto_patch.MARK)) == 2
        assert len(getattr(layered.__wrapped__, moto_patch.MARK)) == 1
        assert not moto_patch.is_patched(layered.__wrapped__.__wrapped__)


def test_apply_does_nothing_without_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(corrections, "fix_client_dates", lambda models: calls.append("patched"))
    monkeypatch.setitem(sys.modules, "moto.cognitoidp", None)  # makes the import raise ImportError
    moto_fixes.apply()
    assert calls == []


def test_moto_server_applies_the_fixes_in_a_fresh_process() -> None:
    code = (
        "from moto.cognitoidp import models\n"
        "from cognito_privx.sandbox import moto_patch\n"
        "from cognito_privx.sandbox.runner import MotoServer\n"
        "assert not hasattr(models.CognitoIdpUserPool._get_user, moto_patch.MARK)\n"
        "MotoServer().stop()\n"
        "assert getattr(models.CognitoIdpUserPool._get_user, moto_patch.MARK)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --- Fix 1: CreationDate / LastModifiedDate on app clients ---------------------------------------------------------


def test_new_clients_carry_strictly_increasing_creation_dates(idp: Any) -> None:
    pool = _pool(idp)
    pool_created = idp.describe_user_pool(UserPoolId=pool)["UserPool"]["CreationDate"]
    first = idp.create_user_pool_client(UserPoolId=pool, ClientName="a")["UserPoolClient"]
    second = idp.create_user_pool_client(UserPoolId=pool, ClientName="b")["UserPoolClient"]

    for client in (first, second):
        assert isinstance(client["CreationDate"], datetime.datetime)
        assert client["LastModifiedDate"] == client["CreationDate"]
        described = idp.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])["UserPoolClient"]
        assert (described["CreationDate"], described["LastModifiedDate"]) == (
            client["CreationDate"],
            client["LastModifiedDate"],
        )
    assert pool_created <= first["CreationDate"] < second["CreationDate"]
    assert abs(datetime.datetime.now(datetime.UTC) - second["CreationDate"]) < datetime.timedelta(minutes=1)
    # ListUserPoolClients returns UserPoolClientDescription, which has no dates (as on AWS).
    listed = idp.list_user_pool_clients(UserPoolId=pool, MaxResults=10)["UserPoolClients"]
    assert [sorted(c) for c in listed] == [["ClientId", "ClientName", "UserPoolId"]] * 2


def test_client_update_keeps_creation_date_and_moves_last_modified_date(idp: Any) -> None:
    pool = _pool(idp)
    created = idp.create_user_pool_client(UserPoolId=pool, ClientName="privx", GenerateSecret=True)["UserPoolClient"]

    updated = idp.update_user_pool_client(
        UserPoolId=pool, ClientId=created["ClientId"], ClientName="privx", CallbackURLs=["https://x.example/cb"]
    )["UserPoolClient"]
    assert updated["CreationDate"] == created["CreationDate"]
    assert updated["LastModifiedDate"] > created["LastModifiedDate"]

    again = idp.update_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"], ClientName="privx")
    assert again["UserPoolClient"]["LastModifiedDate"] > updated["LastModifiedDate"]
    described = idp.describe_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"])["UserPoolClient"]
    assert described["CreationDate"] == created["CreationDate"]
    assert described["LastModifiedDate"] == again["UserPoolClient"]["LastModifiedDate"]


def test_update_of_a_missing_client_still_fails(idp: Any) -> None:
    pool = _pool(idp)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.update_user_pool_client(UserPoolId=pool, ClientId="nope", ClientName="x")


# --- Fix 2: UpdateUserPool keeps the username model ------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        EMAIL_POOL,
        {"UsernameAttributes": ["phone_number"], "UsernameConfiguration": {"CaseSensitive": True}},
        {"AliasAttributes": ["email", "preferred_username"], "UsernameConfiguration": {"CaseSensitive": False}},
        {},
    ],
    ids=["email", "phone-case-sensitive", "email-alias", "none"],
)
def test_pool_update_keeps_the_username_model(idp: Any, settings: dict[str, Any]) -> None:
    pool = _pool(idp, **settings)
    keys = ("UsernameAttributes", "UsernameConfiguration", "AliasAttributes")
    before = {k: v for k, v in idp.describe_user_pool(UserPoolId=pool)["UserPool"].items() if k in keys}
    assert before == settings

    idp.update_user_pool(UserPoolId=pool, DeletionProtection="ACTIVE")
    idp.update_user_pool(UserPoolId=pool, DeletionProtection="ACTIVE", MfaConfiguration="OFF")

    after = idp.describe_user_pool(UserPoolId=pool)["UserPool"]
    assert after["DeletionProtection"] == "ACTIVE"  # the update itself still applies
    assert {k: v for k, v in after.items() if k in keys} == settings


def test_email_is_still_the_user_name_after_a_pool_update(idp: Any) -> None:
    pool = _pool(idp, **EMAIL_POOL)
    idp.update_user_pool(UserPoolId=pool, DeletionProtection="ACTIVE")

    made = idp.admin_create_user(UserPoolId=pool, Username="Alice@Example.com", MessageAction="SUPPRESS")["User"]
    for same in ("Alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM"):
        with pytest.raises(idp.exceptions.UsernameExistsException):
            idp.admin_create_user(UserPoolId=pool, Username=same, MessageAction="SUPPRESS")
        assert idp.admin_get_user(UserPoolId=pool, Username=same)["Username"] == made["Username"]
    with pytest.raises(idp.exceptions.InvalidParameterException):  # still an email pool
        idp.admin_create_user(UserPoolId=pool, Username="alice", MessageAction="SUPPRESS")
    assert len(idp.list_users(UserPoolId=pool)["Users"]) == 1


# --- Fix 3: CaseSensitive=False is honoured -------------------------------------------------------------------------


def test_case_insensitive_pool_refuses_a_case_variant_even_before_any_update(idp: Any) -> None:
    pool = _pool(idp, **EMAIL_POOL)
    idp.admin_create_user(UserPoolId=pool, Username="bob@example.com", MessageAction="SUPPRESS")
    with pytest.raises(idp.exceptions.UsernameExistsException):
        idp.admin_create_user(UserPoolId=pool, Username="Bob@Example.COM", MessageAction="SUPPRESS")
    idp.admin_disable_user(UserPoolId=pool, Username="BOB@example.com")
    assert idp.admin_get_user(UserPoolId=pool, Username="bob@example.com")["Enabled"] is False


def test_case_insensitive_plain_user_names(idp: Any) -> None:
    pool = _pool(idp, UsernameConfiguration={"CaseSensitive": False})
    idp.admin_create_user(UserPoolId=pool, Username="Carol", MessageAction="SUPPRESS")
    with pytest.raises(idp.exceptions.UsernameExistsException):
        idp.admin_create_user(UserPoolId=pool, Username="carol", MessageAction="SUPPRESS")
    assert idp.admin_get_user(UserPoolId=pool, Username="CAROL")["Username"] == "Carol"  # stored as given


@pytest.mark.parametrize("settings", [{"UsernameConfiguration": {"CaseSensitive": True}}, {}], ids=["true", "unset"])
def test_case_sensitive_pools_keep_case_variants_apart(idp: Any, settings: dict[str, Any]) -> None:
    pool = _pool(idp, UsernameAttributes=["email"], **settings)
    idp.update_user_pool(UserPoolId=pool, DeletionProtection="INACTIVE")
    idp.admin_create_user(UserPoolId=pool, Username="dave@example.com", MessageAction="SUPPRESS")
    idp.admin_create_user(UserPoolId=pool, Username="Dave@example.com", MessageAction="SUPPRESS")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=pool, Username="DAVE@EXAMPLE.COM")
    assert len(idp.list_users(UserPoolId=pool)["Users"]) == 2


# --- Managed-login branding: the calls moto lacks, over moto's server -------------------------------------------------


def test_the_stand_in_layer_over_motos_server() -> None:
    server = MotoServer().start()
    try:
        idp = boto3.client(
            "cognito-idp",
            region_name=REGION,
            endpoint_url=server.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        pool = idp.create_user_pool(PoolName="p")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]["ClientId"]
        made = idp.create_managed_login_branding(UserPoolId=pool, ClientId=client, UseCognitoProvidedValues=True)
        style_id = made["ManagedLoginBranding"]["ManagedLoginBrandingId"]
        with pytest.raises(idp.exceptions.ManagedLoginBrandingExistsException):
            idp.create_managed_login_branding(UserPoolId=pool, ClientId=client, UseCognitoProvidedValues=True)
        found = idp.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=client)
        assert found["ManagedLoginBranding"]["ManagedLoginBrandingId"] == style_id
        assert idp.describe_managed_login_branding(UserPoolId=pool, ManagedLoginBrandingId=style_id)
        idp.delete_managed_login_branding(UserPoolId=pool, ManagedLoginBrandingId=style_id)
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            idp.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=client)
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            idp.create_managed_login_branding(UserPoolId=pool, ClientId="no-such-client", UseCognitoProvidedValues=True)
    finally:
        server.stop()


# --- AdminInitiateAuth with MFA required asks for MFA setup -----------------------------------------------------------


def test_moto_fix_admin_sign_in_with_mfa_required_asks_for_mfa_setup(aws: Any) -> None:
    pool = aws.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = aws.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    aws.admin_create_user(UserPoolId=pool, Username="u", MessageAction="SUPPRESS")
    aws.admin_set_user_password(UserPoolId=pool, Username="u", Password="Aa1!aaaaaaaa", Permanent=True)

    def sign_in() -> dict[str, Any]:
        result: dict[str, Any] = aws.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "u", "PASSWORD": "Aa1!aaaaaaaa"},
        )
        return result

    assert "AuthenticationResult" in sign_in()  # MFA off: tokens
    aws.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    assert "AuthenticationResult" in sign_in()  # optional: an unenrolled user signs in
    aws.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    challenge = sign_in()
    assert challenge["ChallengeName"] == "MFA_SETUP" and "AuthenticationResult" not in challenge
    assert "SOFTWARE_TOKEN_MFA" in str(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"])


# --- App-client secrets: at most two, never the last ------------------------------------------------------------------


def test_the_moto_layer_keeps_two_secrets_at_most_and_never_the_last(aws: Any, secret_after_rotation: str) -> None:
    pool = aws.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = aws.create_user_pool_client(UserPoolId=pool, ClientName="c", GenerateSecret=True)["UserPoolClient"]
    first = client["ClientSecret"]
    ((only, *_),) = [
        [
            s["ClientSecretId"]
            for s in aws.list_user_pool_client_secrets(UserPoolId=pool, ClientId=client["ClientId"])["ClientSecrets"]
        ]
    ]
    mine = "A" * 30 + "_+b"
    added = aws.add_user_pool_client_secret(UserPoolId=pool, ClientId=client["ClientId"], ClientSecret=mine)
    assert "ClientSecretValue" not in added["ClientSecretDescriptor"]  # a value we gave is not echoed
    described = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])["UserPoolClient"]
    assert described["ClientSecret"] == first  # the first active one
    with pytest.raises(aws.exceptions.LimitExceededException):
        aws.add_user_pool_client_secret(UserPoolId=pool, ClientId=client["ClientId"])
    aws.delete_user_pool_client_secret(UserPoolId=pool, ClientId=client["ClientId"], ClientSecretId=only)
    described = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])["UserPoolClient"]
    if secret_after_rotation == "kept":
        assert described["ClientSecret"] == mine
    else:  # the original deleted: none shown for good
        assert "ClientSecret" not in described
    (last,) = aws.list_user_pool_client_secrets(UserPoolId=pool, ClientId=client["ClientId"])["ClientSecrets"]
    with pytest.raises(aws.exceptions.InvalidParameterException):
        aws.delete_user_pool_client_secret(
            UserPoolId=pool, ClientId=client["ClientId"], ClientSecretId=last["ClientSecretId"]
        )
    with pytest.raises(aws.exceptions.InvalidParameterException):
        aws.add_user_pool_client_secret(UserPoolId=pool, ClientId=client["ClientId"], ClientSecret="a" * 30 + "-")
    generated = aws.add_user_pool_client_secret(UserPoolId=pool, ClientId=client["ClientId"])
    assert len(generated["ClientSecretDescriptor"]["ClientSecretValue"]) >= 24


# --- TagResource / UntagResource on a user pool (the run lock) -------------------------------------------------------


def test_pool_tags_are_added_overwritten_and_removed_by_key_only(idp: Any) -> None:
    made = idp.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:8]}", UserPoolTags={"team": "x", "keep": "1"})
    pool, arn = made["UserPool"]["Id"], made["UserPool"]["Arn"]

    def tags() -> dict[str, str]:
        return dict(idp.describe_user_pool(UserPoolId=pool)["UserPool"]["UserPoolTags"])

    idp.tag_resource(ResourceArn=arn, Tags={"team": "y", "lock:a": "run a"})
    assert tags() == {"team": "y", "keep": "1", "lock:a": "run a"}  # the others kept
    idp.untag_resource(ResourceArn=arn, TagKeys=["lock:a", "not-there"])
    assert tags() == {"team": "y", "keep": "1"}
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.tag_resource(ResourceArn=arn, Tags={f"k{i}": "v" for i in range(49)})  # 51 in all: over 50
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.tag_resource(ResourceArn=arn, Tags={"aws:reserved": "v"})
    assert tags() == {"team": "y", "keep": "1"}
    other = idp.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:8]}")["UserPool"]
    assert "team" not in (other.get("UserPoolTags") or {})  # nothing shared between pools
    missing = arn.replace(pool, f"{REGION}_nosuchpool")
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.tag_resource(ResourceArn=missing, Tags={"a": "b"})
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.untag_resource(ResourceArn=missing, TagKeys=["a"])


# --- ExplicitAuthFlows: a client signs users in only by the flows it allows (fix 11) -----------------------------

FLOW_PASSWORD = "Aa1!aaaaaaaa"


def _signed_up(idp: Any, explicit: list[str] | None) -> tuple[str, str]:
    """A pool with user ``u`` (a permanent password) and a client with ``ExplicitAuthFlows=explicit`` (None: unset)."""
    pool = _pool(idp)
    flows = {} if explicit is None else {"ExplicitAuthFlows": explicit}
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c", **flows)["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="u", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="u", Password=FLOW_PASSWORD, Permanent=True)
    return pool, str(client)


def _refresh_token(idp: Any, pool: str) -> str:
    """A refresh token for ``u`` from a second client of ``pool`` that allows the admin password flow."""
    other = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="admin", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    answer = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=other,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "u", "PASSWORD": FLOW_PASSWORD},
    )
    return str(answer["AuthenticationResult"]["RefreshToken"])


def _sign_in(idp: Any, pool: str, client: str, flow: str, password: str = FLOW_PASSWORD) -> dict[str, Any]:
    """One sign-in by ``flow``: ``InitiateAuth``, or ``AdminInitiateAuth`` for the admin flows and ``ADMIN:``
    refresh."""
    admin = flow.startswith("ADMIN")
    flow = flow.removeprefix("ADMIN:")
    if flow.startswith("REFRESH"):
        params = {"REFRESH_TOKEN": _refresh_token(idp, pool)}
    elif flow == "USER_SRP_AUTH":
        params = {"USERNAME": "u", "SRP_A": "ab" * 32}
    else:
        params = {"USERNAME": "u", "PASSWORD": password}
    if admin:
        answer: dict[str, Any] = idp.admin_initiate_auth(
            UserPoolId=pool, ClientId=client, AuthFlow=flow, AuthParameters=params
        )
    else:
        answer = idp.initiate_auth(ClientId=client, AuthFlow=flow, AuthParameters=params)
    return answer


def _refused(idp: Any, pool: str, client: str, flow: str, password: str = FLOW_PASSWORD) -> str:
    with pytest.raises(idp.exceptions.InvalidParameterException) as refused:
        _sign_in(idp, pool, client, flow, password)
    message = str(refused.value.response["Error"]["Message"])
    assert message == f"{flow.removeprefix('ADMIN:')} flow not enabled for this client"
    return message


PRIVX_CLIENT = ["ALLOW_REFRESH_TOKEN_AUTH"]  # cognito-privx's own client (desired.py)
REFUSED = [
    (PRIVX_CLIENT, "USER_PASSWORD_AUTH"),
    (PRIVX_CLIENT, "USER_SRP_AUTH"),
    (PRIVX_CLIENT, "CUSTOM_AUTH"),
    (PRIVX_CLIENT, "ADMIN_USER_PASSWORD_AUTH"),
    (PRIVX_CLIENT, "ADMIN_NO_SRP_AUTH"),
    (["ALLOW_USER_PASSWORD_AUTH"], "ADMIN_USER_PASSWORD_AUTH"),  # the user flag does not open the admin flow
    (["ALLOW_ADMIN_USER_PASSWORD_AUTH"], "USER_PASSWORD_AUTH"),  # nor the other way round
    (["ALLOW_USER_SRP_AUTH"], "REFRESH_TOKEN_AUTH"),
    (["ALLOW_USER_SRP_AUTH"], "REFRESH_TOKEN"),
    (["ALLOW_USER_SRP_AUTH"], "ADMIN:REFRESH_TOKEN_AUTH"),
    (None, "USER_PASSWORD_AUTH"),  # unset: refresh, SRP and custom only
    (None, "ADMIN_USER_PASSWORD_AUTH"),
    ([], "USER_PASSWORD_AUTH"),  # empty: taken as unset
    (["ADMIN_NO_SRP_AUTH"], "USER_PASSWORD_AUTH"),  # legacy: the admin password flow only
    (["USER_PASSWORD_AUTH"], "ADMIN_USER_PASSWORD_AUTH"),
    (["CUSTOM_AUTH_FLOW_ONLY"], "USER_SRP_AUTH"),
    (["CUSTOM_AUTH_FLOW_ONLY"], "USER_PASSWORD_AUTH"),
]
ALLOWED = [
    (["ALLOW_USER_PASSWORD_AUTH"], "USER_PASSWORD_AUTH"),
    (["ALLOW_ADMIN_USER_PASSWORD_AUTH"], "ADMIN_USER_PASSWORD_AUTH"),
    (["ALLOW_ADMIN_USER_PASSWORD_AUTH"], "ADMIN_NO_SRP_AUTH"),
    (["ALLOW_USER_SRP_AUTH"], "USER_SRP_AUTH"),
    (PRIVX_CLIENT, "REFRESH_TOKEN_AUTH"),
    (PRIVX_CLIENT, "REFRESH_TOKEN"),
    (PRIVX_CLIENT, "ADMIN:REFRESH_TOKEN_AUTH"),
    (None, "USER_SRP_AUTH"),
    (None, "REFRESH_TOKEN_AUTH"),
    (["ADMIN_NO_SRP_AUTH"], "ADMIN_USER_PASSWORD_AUTH"),  # legacy
    (["ADMIN_NO_SRP_AUTH"], "USER_SRP_AUTH"),
    (["ADMIN_NO_SRP_AUTH"], "REFRESH_TOKEN_AUTH"),
    (["USER_PASSWORD_AUTH"], "USER_PASSWORD_AUTH"),
    (["CUSTOM_AUTH_FLOW_ONLY"], "REFRESH_TOKEN_AUTH"),
]


@pytest.mark.parametrize(("explicit", "flow"), REFUSED)
def test_a_flow_the_client_does_not_allow_is_refused(idp: Any, explicit: list[str] | None, flow: str) -> None:
    pool, client = _signed_up(idp, explicit)
    _refused(idp, pool, client, flow)


@pytest.mark.parametrize(("explicit", "flow"), ALLOWED)
def test_a_flow_the_client_allows_signs_in(idp: Any, explicit: list[str] | None, flow: str) -> None:
    pool, client = _signed_up(idp, explicit)
    answer = _sign_in(idp, pool, client, flow)
    if flow == "USER_SRP_AUTH":
        assert answer["ChallengeName"] == "PASSWORD_VERIFIER"
    else:
        assert answer["AuthenticationResult"]["AccessToken"]


def test_a_refused_flow_says_nothing_about_the_password(idp: Any) -> None:
    """The flow is refused before the credentials are read: a wrong password, or a user that does not exist, gets the
    same answer as the right one (no password oracle through a client that does not take passwords)."""
    pool, client = _signed_up(idp, PRIVX_CLIENT)
    right = _refused(idp, pool, client, "USER_PASSWORD_AUTH")
    assert _refused(idp, pool, client, "USER_PASSWORD_AUTH", password="wrong-Aa1!") == right
    assert _refused(idp, pool, client, "ADMIN_USER_PASSWORD_AUTH", password="wrong-Aa1!") == right.replace(
        "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"
    )


def test_a_client_whose_flows_are_narrowed_stops_taking_passwords(idp: Any) -> None:
    """UpdateUserPoolClient takes effect at the next sign-in (the stored ExplicitAuthFlows is read each time)."""
    pool, client = _signed_up(idp, ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    assert _sign_in(idp, pool, client, "USER_PASSWORD_AUTH")["AuthenticationResult"]
    idp.update_user_pool_client(UserPoolId=pool, ClientId=client, ExplicitAuthFlows=PRIVX_CLIENT)
    _refused(idp, pool, client, "USER_PASSWORD_AUTH")


def test_custom_auth_is_not_refused_where_allowed(idp: Any) -> None:
    """moto has no custom-auth flow (no Lambda triggers) and answers nothing useful; the point is that the flow check
    lets it through on a client that allows it, unset ExplicitAuthFlows included."""
    for explicit in (["ALLOW_CUSTOM_AUTH"], None, ["CUSTOM_AUTH_FLOW_ONLY"]):
        pool, client = _signed_up(idp, explicit)
        try:
            _sign_in(idp, pool, client, "CUSTOM_AUTH")
        except idp.exceptions.InvalidParameterException as e:  # pragma: no cover - the failure being tested
            pytest.fail(f"{explicit}: {e}")
        except Exception:  # moto's own answer to CUSTOM_AUTH, whatever it is
            pass
