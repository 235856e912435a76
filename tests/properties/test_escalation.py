"""Nobody but an administrator can change a user's group (issue 20): the self-escalation attacks rehearsed end to
end against the stand-ins (moto with fix 9, the PrivX emulator), and what doctor, plan and setup do about them.

bob is in group ``dev``; the attack is ``UpdateUserAttributes`` with his own access token setting
``custom:group = ops``, or a stranger's ``SignUp`` choosing ``ops``. Every assertion is on the stand-ins' state
or on what the CLI printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognito_privx.desired import USER_WRITABLE_STANDARD
from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws", "emulator")

PASSWORD = "Correct-Horse-9-battery"
BOB = "bob@example.com"
CLOSE_SIGN_UP = 'domain_prefix = "acme-privx"\nadmin_only_sign_up = true\n'


def _setup(cli: Any, config: Path, *args: str) -> Any:
    run = cli("--config", str(config), "setup", *args)
    assert run.exit_code == 0, run.stderr
    return run


def _pool_id(aws: Any) -> str:
    return str(aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"])


def _foreign_pool(aws: Any, *, admin_only: bool) -> str:
    """A pool another team made (untagged), as setup --adopt would find it."""
    return str(
        aws.create_user_pool(
            PoolName="privx-users",
            UsernameAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": admin_only},
        )["UserPool"]["Id"]
    )


def _app(aws: Any, pool_id: str, name: str = "mobile", **settings: Any) -> str:
    """Another app's ordinary client: users sign in with their password (InitiateAuth)."""
    return str(
        aws.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=name,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            **settings,
        )["UserPoolClient"]["ClientId"]
    )


def _bob(aws: Any, pool_id: str) -> None:
    aws.admin_create_user(
        UserPoolId=pool_id,
        Username=BOB,
        UserAttributes=[{"Name": "email", "Value": BOB}, {"Name": "custom:group", "Value": "dev"}],
        MessageAction="SUPPRESS",
    )
    aws.admin_set_user_password(UserPoolId=pool_id, Username=BOB, Password=PASSWORD, Permanent=True)


def _attack(aws: Any, client_id: str) -> None:
    """bob signs in through ``client_id`` and sets his own group to ops."""
    token = aws.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": BOB, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]["AccessToken"]
    aws.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "custom:group", "Value": "ops"}])


def _group(aws: Any, pool_id: str, user: str = BOB) -> str | None:
    attrs = aws.admin_get_user(UserPoolId=pool_id, Username=user)["UserAttributes"]
    return next((a["Value"] for a in attrs if a["Name"] == "custom:group"), None)


def _doctor(cli: Any, config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor")
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _client(aws: Any, pool_id: str, name: str) -> dict[str, Any]:
    listed = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next(c["ClientId"] for c in listed if c["ClientName"] == name)
    client: dict[str, Any] = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return client


def _refused(error: pytest.ExceptionInfo[ClientError]) -> str:
    assert error.value.response["Error"]["Code"] == "NotAuthorizedException"
    return str(error.value.response["Error"]["Message"])


# -- a second app client ---------------------------------------------------------------------------------------


def test_a_second_client_without_write_attributes_doctor_fails_naming_it(
    cli: Any, config_file: Path, aws: Any, write_attributes_unset: str
) -> None:
    """In either reading of an unset WriteAttributes (the attack works only in ``all``), doctor counts the client
    as one that may write everything: the tool never depends on the reading."""
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    _bob(aws, pool_id)
    mobile = _app(aws, pool_id)

    if write_attributes_unset == "all":
        _attack(aws, mobile)
        assert _group(aws, pool_id) == "ops"
    else:
        with pytest.raises(ClientError) as refused:
            _attack(aws, mobile)
        assert _refused(refused) == "A client attempted to write unauthorized attribute"
        assert _group(aws, pool_id) == "dev"

    code, checks = _doctor(cli, config_file)
    assert code == 1
    check = checks["attribute-writers"]
    assert check["status"] == "fail"
    assert "'mobile'" in check["message"] and mobile in check["message"] and "custom:group" in check["message"]
    assert "WriteAttributes" in check["hint"] and "update-user-pool-client" in check["hint"]
    # Our own client is not the one named.
    assert "'privx'" not in check["message"]


def test_a_second_client_whose_write_attributes_leave_out_the_group_is_refused(
    cli: Any, config_file: Path, aws: Any
) -> None:
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    _bob(aws, pool_id)
    mobile = _app(aws, pool_id, WriteAttributes=["name", "email"])

    with pytest.raises(ClientError) as refused:
        _attack(aws, mobile)
    assert _refused(refused) == "A client attempted to write unauthorized attribute"
    assert _group(aws, pool_id) == "dev"
    _, checks = _doctor(cli, config_file)
    assert checks["attribute-writers"]["status"] == "ok", checks["attribute-writers"]
    assert checks["self-sign-up"]["status"] == "ok", checks["self-sign-up"]


def test_our_own_client_refuses_bob_after_setup(cli: Any, config_file: Path, aws: Any) -> None:
    """Even when someone widened our client's sign-in flows by hand (setup keeps additions there)."""
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    _bob(aws, pool_id)
    ours = _client(aws, pool_id, "privx")
    assert ours["WriteAttributes"] == ["name"]
    aws.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=ours["ClientId"],
        **{k: ours[k] for k in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "ReadAttributes")},
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        WriteAttributes=ours["WriteAttributes"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    with pytest.raises(ClientError) as refused:
        _attack(aws, ours["ClientId"])
    _refused(refused)
    assert _group(aws, pool_id) == "dev"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # unset: made explicit with what either reading let users write (the standard attributes, less the
        # verification flags), the group attribute never
        (None, sorted(USER_WRITABLE_STANDARD)),
        (["email", "name", "custom:group"], ["email", "name"]),  # narrowed: only the group attribute dropped
    ],
)
def test_an_adopted_client_of_ours_is_narrowed_shown_in_plan_then_unchanged(
    cli: Any, config_file: Path, aws: Any, before: list[str] | None, after: list[str], write_attributes_unset: str
) -> None:
    pool_id = _foreign_pool(aws, admin_only=True)
    aws.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="privx",
        GenerateSecret=True,
        **({"WriteAttributes": before} if before else {}),
    )
    plan = cli("--config", str(config_file), "-o", "json", "plan", "--adopt")
    assert plan.exit_code == 0, plan.stderr
    (client,) = [c for c in json.loads(plan.stdout)["changes"] if c["resource"] == "cognito app client"]
    (field,) = [f for f in client["fields"] if f["field"] == "WriteAttributes"]
    assert (field["before"], sorted(field["after"])) == (before, after)
    text = cli("--config", str(config_file), "plan", "--adopt")
    assert "WriteAttributes" in text.stdout

    _setup(cli, config_file, "--adopt")
    assert sorted(_client(aws, pool_id, "privx")["WriteAttributes"]) == after
    again = cli("--config", str(config_file), "-o", "json", "plan")
    changes = [c for c in json.loads(again.stdout)["changes"] if c["resource"].startswith("cognito")]
    assert {c["action"] for c in changes} == {"noop"}, changes


def test_adopt_refuses_a_pool_with_a_foreign_client_that_may_write_the_group(
    cli: Any, config_file: Path, aws: Any
) -> None:
    pool_id = _foreign_pool(aws, admin_only=True)
    mobile = _app(aws, pool_id)
    narrow = _app(aws, pool_id, "web", WriteAttributes=["custom:group", "name"])
    run = cli("--config", str(config_file), "setup", "--adopt")
    assert run.exit_code == 2
    assert "cannot be adopted" in run.stderr and mobile in run.stderr and narrow in run.stderr
    assert "'mobile'" in run.stderr and "'web'" in run.stderr
    assert "hint:" in run.stderr and "WriteAttributes" in run.stderr
    assert "Traceback" not in run.stderr
    # Nothing changed: no tag, no client of ours, the other apps' clients as they were.
    pool = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert "managed-by" not in (pool.get("UserPoolTags") or {})
    names = {c["ClientName"] for c in aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]}
    assert names == {"mobile", "web"}
    assert "WriteAttributes" not in _client(aws, pool_id, "mobile")
    assert _client(aws, pool_id, "web")["WriteAttributes"] == ["custom:group", "name"]


# -- self sign-up ----------------------------------------------------------------------------------------------


def test_sign_up_on_an_adopted_pool_refused_until_the_config_closes_it(cli: Any, config_file: Path, aws: Any) -> None:
    pool_id = _foreign_pool(aws, admin_only=False)
    app = _app(aws, pool_id, WriteAttributes=["email", "name"])
    # Today a stranger can sign up (without a group: this client cannot write it).
    aws.sign_up(ClientId=app, Username="eve@example.com", Password=PASSWORD)

    refused = cli("--config", str(config_file), "setup", "--adopt")
    assert refused.exit_code == 2
    assert "self sign-up" in refused.stderr and "admin_only_sign_up = true" in refused.stderr
    assert "managed-by" not in (aws.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("UserPoolTags") or {})

    config_file.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', CLOSE_SIGN_UP))
    plan = cli("--config", str(config_file), "-o", "json", "plan", "--adopt")
    assert plan.exit_code == 0, plan.stderr
    (pool,) = [c for c in json.loads(plan.stdout)["changes"] if c["resource"] == "cognito user pool"]
    assert {"field": "AdminCreateUserConfig.AllowAdminCreateUserOnly", "before": False, "after": True} in pool["fields"]

    _setup(cli, config_file, "--adopt")
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
    with pytest.raises(ClientError) as closed:
        aws.sign_up(ClientId=app, Username="mallory@example.com", Password=PASSWORD)
    assert _refused(closed) == "SignUp is not permitted for this user pool"
    again = cli("--config", str(config_file), "-o", "json", "plan")
    assert {c["action"] for c in json.loads(again.stdout)["changes"] if c["resource"].startswith("cognito")} == {"noop"}
    _, checks = _doctor(cli, config_file)
    assert checks["self-sign-up"]["status"] == "ok" and checks["attribute-writers"]["status"] == "ok"


def test_sign_up_opened_on_our_pool_doctor_fails_and_setup_closes_it(cli: Any, config_file: Path, aws: Any) -> None:
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    pool = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # as we create it
    stranger_app = _app(aws, pool_id)
    aws.update_user_pool(
        UserPoolId=pool_id,
        DeletionProtection="ACTIVE",
        UserPoolTags=pool["UserPoolTags"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
    )
    # A stranger signs up and chooses ops.
    aws.sign_up(
        ClientId=stranger_app,
        Username="mallory@example.com",
        Password=PASSWORD,
        UserAttributes=[{"Name": "custom:group", "Value": "ops"}],
    )
    assert _group(aws, pool_id, "mallory@example.com") == "ops"

    code, checks = _doctor(cli, config_file)
    assert code == 1
    assert checks["self-sign-up"]["status"] == "fail" and "self sign-up" in checks["self-sign-up"]["message"]
    assert checks["attribute-writers"]["status"] == "fail"

    _setup(cli, config_file)  # ours, never adopted: admin-only is put back
    with pytest.raises(ClientError) as closed:
        aws.sign_up(ClientId=stranger_app, Username="trudy@example.com", Password=PASSWORD)
    _refused(closed)


def test_admin_only_sign_up_false_is_refused_while_the_group_is_an_attribute(
    cli: Any, tmp_path: Path, gateway_calls: list[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', "admin_only_sign_up = false\n"))
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 2
    assert "admin_only_sign_up" in run.stderr and "hint:" in run.stderr
    assert gateway_calls == []


def test_with_native_groups_self_sign_up_is_a_warning(cli: Any, config_file: Path, aws: Any) -> None:
    """Only administrators change native groups: a stranger who signs up gets an account but no role."""
    native = BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', 'group_claim = "cognito:groups"\n')
    config_file.write_text(native.replace("group_claim", "admin_only_sign_up = false\ngroup_claim"))
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    assert (
        aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
        is False
    )
    _app(aws, pool_id)  # may write custom:group, which nothing reads in this mode
    _, checks = _doctor(cli, config_file)
    assert checks["self-sign-up"]["status"] == "warn", checks["self-sign-up"]
    assert checks["attribute-writers"]["status"] == "ok", checks["attribute-writers"]


# -- plan and setup warn about each open path on a pool of ours (they never refuse: an admin must be able to revoke)


def _notes(run: Any, resource: str = "cognito user pool") -> list[str]:
    (change,) = [c for c in json.loads(run.stdout)["changes"] if c["resource"] == resource]
    return list(change["notes"])


def test_plan_and_setup_warn_about_another_client_that_may_write_the_group(
    cli: Any, config_file: Path, aws: Any, write_attributes_unset: str
) -> None:
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    mobile = _app(aws, pool_id)  # WriteAttributes unset
    web = _app(aws, pool_id, "web", WriteAttributes=["name", "custom:group"])
    closed = _app(aws, pool_id, "closed", WriteAttributes=["name"])

    plan = cli("--config", str(config_file), "-o", "json", "plan")
    assert plan.exit_code == 0, plan.stderr
    notes = [n for n in _notes(plan) if n.startswith("warning:")]
    assert len(notes) == 2, notes
    unset, listed = sorted(notes, key=lambda n: "'web'" in n)
    assert "'mobile'" in unset and mobile in unset and "WriteAttributes is unset" in unset
    assert "'web'" in listed and web in listed and "custom:group" in listed
    assert all("update-user-pool-client" in n and "fix:" in n for n in notes)
    assert closed not in " ".join(notes) and "'privx'" not in " ".join(notes)
    text = cli("--config", str(config_file), "plan")
    assert "'mobile'" in text.stdout and "'web'" in text.stdout and "warning:" in text.stdout

    run = cli("--config", str(config_file), "-o", "json", "setup")  # warns, never refuses
    assert run.exit_code == 0, run.stderr
    assert len([n for n in _notes(run) if n.startswith("warning:")]) == 2
    assert "WriteAttributes" not in _client(aws, pool_id, "mobile")  # another app's client is never edited


def test_with_native_groups_another_client_is_no_warning(cli: Any, config_file: Path, aws: Any) -> None:
    config_file.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"\n', 'group_claim = "cognito:groups"\n'))
    _setup(cli, config_file)
    _app(aws, _pool_id(aws))
    plan = cli("--config", str(config_file), "-o", "json", "plan")
    assert plan.exit_code == 0, plan.stderr
    assert not [n for n in _notes(plan) if n.startswith("warning:")]


def test_sign_up_opened_on_an_adopted_pool_is_a_warning_in_plan_and_setup(
    cli: Any, config_file: Path, aws: Any
) -> None:
    pool_id = _foreign_pool(aws, admin_only=True)
    _setup(cli, config_file, "--adopt")
    pool = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    aws.update_user_pool(
        UserPoolId=pool_id,
        DeletionProtection="ACTIVE",
        UserPoolTags=pool["UserPoolTags"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
    )
    plan = cli("--config", str(config_file), "-o", "json", "plan")
    assert plan.exit_code == 0, plan.stderr
    (note,) = [n for n in _notes(plan) if n.startswith("warning:")]
    assert "self sign-up" in note and "AllowAdminCreateUserOnly" in note and "admin_only_sign_up = true" in note
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0 and "! warning: pool" in run.stderr and "self sign-up" in run.stderr, run.stderr
    # Not closed unasked on an adopted pool: the config says how.
    assert (
        aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
        is False
    )


def test_sign_up_opened_on_our_pool_plan_shows_it_closed_again(cli: Any, config_file: Path, aws: Any) -> None:
    _setup(cli, config_file)
    pool_id = _pool_id(aws)
    pool = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    aws.update_user_pool(
        UserPoolId=pool_id,
        DeletionProtection="ACTIVE",
        UserPoolTags=pool["UserPoolTags"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
    )
    plan = cli("--config", str(config_file), "-o", "json", "plan")
    (change,) = [c for c in json.loads(plan.stdout)["changes"] if c["resource"] == "cognito user pool"]
    assert {"field": "AdminCreateUserConfig.AllowAdminCreateUserOnly", "before": False, "after": True} in change[
        "fields"
    ]
    assert not [n for n in change["notes"] if n.startswith("warning:")]  # setup closes it: no warning needed
    _setup(cli, config_file)
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
