"""A pool's username model (``usernames.py``), and the user commands in pools whose users are not email-named
the way ours are: a legacy case-sensitive pool (where ``bob.smith@example.com`` must still find
``Bob.Smith@Example.com``), and pools whose users sign in with something else.

The pools here are made directly in moto (not by setup), named and tagged as the user commands look for them.
moto compares emails exactly in a case-sensitive pool, as AWS does (``moto/cognitoidp/models.py``,
``CognitoIdpUserPool._get_user`` and the ``^=`` filter of ``list_users``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cognito
from cognito_privx.cli import users as users_cli
from cognito_privx.cognito.usernames import UsernameModel, username_model
from cognito_privx.users.lookup import _case_prefixes

pytestmark = pytest.mark.usefixtures("emulator")

BOB = "Bob.Smith@Example.com"
LEGACY = {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": True}}
TAGS = {"managed-by": "cognito-privx"}


# -- the model, from a description ------------------------------------------------------------------------------


def test_our_pool_suits_privx() -> None:
    model = username_model(
        {"Id": "eu-west-1_x", "UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}
    )
    assert model == UsernameModel(("email",), (), case_sensitive=False)
    assert model.signs_in_with_email and model.case_insensitive
    assert model.unsuitable_reason() is None


def test_absent_username_configuration_means_case_sensitive() -> None:
    # Developer Guide, "User pool case sensitivity": "If you do not specify a value, CaseSensitive defaults to true".
    model = username_model({"Id": "eu-west-1_x", "UsernameAttributes": ["email"]})
    assert model.case_sensitive and not model.case_insensitive
    reason = model.unsuitable_reason()
    assert reason is not None and "case-sensitively" in reason and "cannot change that" in reason


@pytest.mark.parametrize(
    ("pool", "sign_in"),
    [
        ({"UsernameAttributes": ["phone_number"]}, "a phone number"),
        ({"AliasAttributes": ["email"]}, "a user name (or an email address as an alias)"),
        ({}, "a user name"),
    ],
)
def test_pools_not_signing_in_with_email(pool: dict[str, Any], sign_in: str) -> None:
    model = username_model({"Id": "eu-west-1_x", **pool, "UsernameConfiguration": {"CaseSensitive": False}})
    assert not model.signs_in_with_email and model.sign_in() == sign_in
    assert model.unsuitable_reason() == (
        f"its users sign in with {sign_in} instead of an email address; Cognito cannot change that after a pool is "
        "created"
    )


def test_both_problems_in_one_sentence() -> None:
    reason = username_model({"UsernameAttributes": ["phone_number"]}).unsuitable_reason()
    assert reason is not None and "phone number" in reason and "case-sensitively" in reason
    assert reason.endswith("cannot change either after a pool is created") and reason.count(".") == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"UserPool": {"Id": "eu-west-1_x"}},  # the whole describe_user_pool response
        {"UsernameAttributes": "email"},
        {"UsernameAttributes": [1]},
        {"UsernameConfiguration": {"CaseSensitive": "false"}},
        {"UsernameConfiguration": ["CaseSensitive"]},
    ],
)
def test_malformed_descriptions_are_value_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        username_model(bad)


@pytest.mark.parametrize(
    ("settings", "case_sensitive"),
    [({"UsernameConfiguration": {"CaseSensitive": False}}, False), ({}, True), (LEGACY, True)],
)
def test_model_from_a_pool_described_by_moto(aws: Any, settings: dict[str, Any], case_sensitive: bool) -> None:
    created = aws.create_user_pool(PoolName="p", **{"UsernameAttributes": ["email"], **settings})["UserPool"]
    model = username_model(aws.describe_user_pool(UserPoolId=created["Id"])["UserPool"])
    assert model.signs_in_with_email and model.case_sensitive is case_sensitive


def test_case_prefixes_cover_every_capitalisation_of_three_letters() -> None:
    prefixes = _case_prefixes("bob.smith@example.com")
    assert len(prefixes) == 8 and len(set(prefixes)) == 8
    assert "bob." in prefixes and "Bob." in prefixes and "BOB." in prefixes
    # Caseless characters are kept, up to the next letter after the third.
    assert _case_prefixes("1a-2b@x.io") == _case_prefixes("1A-2B@X.IO")
    assert {p.lower() for p in _case_prefixes("1a-2b@x.io")} == {"1a-2b@x."}


# -- user commands in a legacy case-sensitive pool --------------------------------------------------------------


def _make_pool(aws: Any, **settings: Any) -> str:
    """A pool named as the config says and tagged as ours, with the group attribute."""
    return str(
        aws.create_user_pool(
            PoolName="privx-users",
            Schema=[{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
            UserPoolTags=TAGS,
            **settings,
        )["UserPool"]["Id"]
    )


def _add(aws: Any, pool: str, email: str, group: str = "ops") -> str:
    user = aws.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:group", "Value": group}],
        MessageAction="SUPPRESS",
    )["User"]
    return str(user["Username"])


def _users(aws: Any, pool: str) -> dict[str, dict[str, Any]]:
    """Every user by email: group and Enabled (read by list, then confirmed one by one)."""
    found = {}
    for listed in aws.list_users(UserPoolId=pool, Limit=60)["Users"]:
        user = aws.admin_get_user(UserPoolId=pool, Username=listed["Username"])
        attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        found[attrs["email"]] = {"group": attrs.get("custom:group"), "enabled": user["Enabled"]}
    return found


@pytest.fixture(params=["fresh", "after a pool update"])
def legacy_pool(request: pytest.FixtureRequest, aws: Any) -> str:
    """A legacy case-sensitive email pool holding Bob.Smith@Example.com (group ops).

    "after a pool update": UpdateUserPool cannot change the username model on AWS; moto 5.2 alone forgot it
    (``sandbox.moto_fixes`` keeps it), so the commands are also tried on a pool that was updated once.
    """
    pool = _make_pool(aws, **LEGACY)
    if request.param == "after a pool update":
        aws.update_user_pool(UserPoolId=pool, DeletionProtection="ACTIVE", UserPoolTags=TAGS)
        described = aws.describe_user_pool(UserPoolId=pool)["UserPool"]
        assert described["UsernameAttributes"] == ["email"] and described["DeletionProtection"] == "ACTIVE"
    _add(aws, pool, BOB)
    return pool


def test_set_group_finds_the_differently_cased_user(cli: Any, config_file: Path, aws: Any, legacy_pool: str) -> None:
    run = cli("--config", str(config_file), "set-group", "bob.smith@example.com", "--group", "dev")
    assert run.exit_code == 0, run.stderr
    assert "~ updated bob.smith@example.com  as Bob.Smith@Example.com; group: ops → dev" in run.stderr
    assert _users(aws, legacy_pool) == {BOB: {"group": "dev", "enabled": True}}


def test_disable_and_enable_find_the_differently_cased_user(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str
) -> None:
    c = ["--config", str(config_file)]
    disabled = cli(*c, "disable-user", "bob.smith@example.com")
    assert disabled.exit_code == 0, disabled.stderr
    assert _users(aws, legacy_pool)[BOB]["enabled"] is False
    assert "already disabled" in cli(*c, "disable-user", "BOB.SMITH@example.com").stderr
    enabled = cli(*c, "enable-user", "bob.smith@example.com")
    assert enabled.exit_code == 0, enabled.stderr
    assert _users(aws, legacy_pool) == {BOB: {"group": "ops", "enabled": True}}


def test_add_user_converges_the_existing_user_instead_of_a_duplicate(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str
) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, "-o", "json", "add-user", "bob.smith@example.com", "--group", "dev", "--no-invite")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["outcome"] == "updated"
    again = cli(*c, "add-user", "bob.smith@example.com", "--group", "dev", "--no-invite")
    assert again.exit_code == 0 and "= unchanged" in again.stderr
    assert _users(aws, legacy_pool) == {BOB: {"group": "dev", "enabled": True}}


def test_add_user_of_a_new_user_creates_it_lower_cased(cli: Any, config_file: Path, aws: Any, legacy_pool: str) -> None:
    run = cli("--config", str(config_file), "add-user", "Carol@Example.com", "--group", "dev", "--no-invite")
    assert run.exit_code == 0 and "+ created carol@example.com" in run.stderr
    assert set(_users(aws, legacy_pool)) == {BOB, "carol@example.com"}


def test_native_groups_follow_the_differently_cased_user(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str
) -> None:
    """group_claim = "cognito:groups": membership calls go to the user's real user name, not the address given."""
    text = config_file.read_text()
    config_file.write_text(text.replace("[cognito]\n", '[cognito]\ngroup_claim = "cognito:groups"\n', 1))
    for group in ("ops", "dev"):
        aws.create_group(UserPoolId=legacy_pool, GroupName=group)
    aws.admin_add_user_to_group(UserPoolId=legacy_pool, Username=BOB, GroupName="ops")
    run = cli("--config", str(config_file), "set-group", "bob.smith@example.com", "--group", "dev")
    assert run.exit_code == 0, run.stderr
    groups = aws.admin_list_groups_for_user(UserPoolId=legacy_pool, Username=BOB)["Groups"]
    assert [g["GroupName"] for g in groups] == ["dev"]
    assert _users(aws, legacy_pool) == {BOB: {"group": "dev", "enabled": True}}


def test_remove_user_removes_the_differently_cased_user(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str
) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, "remove-user", "bob.smith@example.com", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "- deleted bob.smith@example.com  as Bob.Smith@Example.com removed" in run.stderr
    assert _users(aws, legacy_pool) == {}
    again = cli(*c, "remove-user", "bob.smith@example.com", "--yes")
    assert again.exit_code == 0 and "no such user in any capitalisation (already removed)" in again.stderr


def test_remove_user_asks_about_the_user_the_pool_holds(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_cli, "interactive", lambda: True)  # a person answers the confirmation
    refused = cli("--config", str(config_file), "remove-user", "bob.smith@example.com", input="n\n")
    assert refused.exit_code == 2 and f"Delete {BOB} from user pool {legacy_pool}?" in refused.stderr
    assert BOB in _users(aws, legacy_pool)


def test_remove_user_of_nobody_in_any_case_is_no_such_user(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str
) -> None:
    run = cli("--config", str(config_file), "remove-user", "nobody@example.com", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "= unchanged nobody@example.com  no such user in any capitalisation (already removed)" in run.stderr
    assert BOB in _users(aws, legacy_pool)


@pytest.mark.parametrize("command", ["set-group", "disable-user", "enable-user"])
def test_unknown_user_in_any_case_is_a_clear_error(cli: Any, config_file: Path, legacy_pool: str, command: str) -> None:
    extra = ["--group", "ops"] if command == "set-group" else []
    run = cli("--config", str(config_file), command, "nobody@example.com", *extra)
    assert run.exit_code == 1
    assert f"no user nobody@example.com in any capitalisation in pool {legacy_pool}" in run.stderr


def test_remove_is_reported_only_when_a_look_up_confirms_it(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AdminDeleteUser "succeeds" but the user is still there: an error, never "deleted"."""
    original = cognito.CognitoGateway.call

    def lost_delete(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        if operation == "admin_delete_user":
            return {}
        return original(self, operation, **params)

    monkeypatch.setattr(cognito.CognitoGateway, "call", lost_delete)
    run = cli("--config", str(config_file), "remove-user", "bob.smith@example.com", "--yes")
    assert run.exit_code == 1
    assert f"{BOB} is still in pool {legacy_pool} after the deletion" in run.stderr and "deleted" not in run.stderr
    assert BOB in _users(aws, legacy_pool)


def test_a_stale_listed_user_is_not_counted(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ListUsers is eventually consistent: a listed twin that AdminGetUser no longer finds is ignored."""
    original = cognito.CognitoGateway.call
    asked: list[str] = []

    def stale_list(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        if operation == "admin_get_user":
            asked.append(params["Username"])
        result = original(self, operation, **params)
        if operation == "list_users" and params.get("Filter") == 'email ^= "BOB."':
            ghost = {
                "Username": "deleted-a-moment-ago",
                "Attributes": [{"Name": "email", "Value": "BOB.smith@example.com"}],
            }
            result = {**result, "Users": [*result["Users"], ghost]}
        return result

    monkeypatch.setattr(cognito.CognitoGateway, "call", stale_list)
    run = cli("--config", str(config_file), "set-group", "bob.smith@example.com", "--group", "dev")
    assert run.exit_code == 0, run.stderr
    assert "deleted-a-moment-ago" in asked  # listed, then checked with a read that the pool answers now
    assert _users(aws, legacy_pool) == {BOB: {"group": "dev", "enabled": True}}


def test_a_server_whose_prefix_filter_ignores_case_gives_the_same_answer(
    cli: Any, config_file: Path, aws: Any, legacy_pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether AWS's ``email ^=`` ignores case is not settled by its docs: the answer must not depend on it."""
    original = cognito.CognitoGateway.call

    def case_blind(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        if operation != "list_users" or "Filter" not in params:
            return original(self, operation, **params)
        prefix = params["Filter"].split('"')[1].lower()
        unfiltered = {k: v for k, v in params.items() if k != "Filter"}
        result = original(self, operation, **unfiltered)
        users = [
            u
            for u in result["Users"]
            if any(a["Name"] == "email" and a["Value"].lower().startswith(prefix) for a in u["Attributes"])
        ]
        return {**result, "Users": users}

    monkeypatch.setattr(cognito.CognitoGateway, "call", case_blind)
    _add(aws, legacy_pool, "BOB.SMITH@EXAMPLE.COM")
    twins = cli("--config", str(config_file), "disable-user", "bob.smith@example.com")
    assert twins.exit_code == 1 and "2 users in pool" in twins.stderr
    aws.admin_delete_user(UserPoolId=legacy_pool, Username="BOB.SMITH@EXAMPLE.COM")
    run = cli("--config", str(config_file), "disable-user", "bob.smith@example.com")
    assert run.exit_code == 0, run.stderr
    assert _users(aws, legacy_pool) == {BOB: {"group": "ops", "enabled": False}}


# -- two users whose emails differ only in case ----------------------------------------------------------------


@pytest.fixture(params=[("bob.smith@example.com", BOB), (BOB, "BOB.SMITH@EXAMPLE.COM")], ids=["exact+twin", "twins"])
def twins_pool(request: pytest.FixtureRequest, aws: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    """A legacy pool with two users whose emails differ only in case (one of them spelt as typed, or neither)."""
    pool = _make_pool(aws, **LEGACY)
    for email in request.param:
        _add(aws, pool, email)
    aws.admin_disable_user(UserPoolId=pool, Username=request.param[1])
    return pool, _users(aws, pool)


@pytest.mark.parametrize(
    "args",
    [
        ["set-group", "bob.smith@example.com", "--group", "dev"],
        ["disable-user", "bob.smith@example.com"],
        ["enable-user", "bob.smith@example.com"],
        ["add-user", "bob.smith@example.com", "--group", "dev", "--no-invite"],
        ["remove-user", "bob.smith@example.com", "--yes"],
    ],
    ids=lambda a: a[0],
)
def test_users_differing_only_in_case_are_an_error_and_nothing_changes(
    cli: Any, config_file: Path, aws: Any, twins_pool: tuple[str, dict[str, dict[str, Any]]], args: list[str]
) -> None:
    pool, before = twins_pool
    run = cli("--config", str(config_file), *args)
    assert run.exit_code == 1, run.stderr
    assert f"2 users in pool {pool} have the email bob.smith@example.com in different capitalisations" in run.stderr
    assert all(email in run.stderr for email in before) and "hint:" in run.stderr
    assert _users(aws, pool) == before


def test_import_reports_the_ambiguous_row_and_goes_on(
    cli: Any, config_file: Path, aws: Any, twins_pool: tuple[str, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    pool, before = twins_pool
    csv_file = tmp_path / "users.csv"
    csv_file.write_text("email,group\nbob.smith@example.com,dev\ndora@example.com,ops\n")
    run = cli(
        "--config", str(config_file), "-o", "json", "import-users", str(csv_file), "--no-invite", "--workers", "1"
    )
    assert run.exit_code == 1
    rows = {r["email"]: r for r in json.loads(run.stdout)["rows"]}
    assert rows["bob.smith@example.com"]["outcome"] == "failed"
    assert "different capitalisations" in rows["bob.smith@example.com"]["detail"]
    assert rows["dora@example.com"]["outcome"] == "created"
    assert _users(aws, pool) == {**before, "dora@example.com": {"group": "ops", "enabled": True}}


# -- pools whose users do not sign in with their email ---------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [{"UsernameAttributes": ["phone_number"]}, {"AliasAttributes": ["email"]}],
    ids=["phone-number", "user-name-with-email-alias"],
)
def test_user_commands_refuse_pools_not_signing_in_with_email(
    cli: Any, config_file: Path, aws: Any, settings: dict[str, Any]
) -> None:
    pool = _make_pool(aws, UsernameConfiguration={"CaseSensitive": False}, **settings)
    c = ["--config", str(config_file)]
    for args in (["add-user", "a@example.com", "--group", "ops", "--no-invite"], ["disable-user", "a@example.com"]):
        run = cli(*c, *args)
        assert run.exit_code == 1, run.stderr
        assert f"cannot manage the users of pool {pool} by email: its users sign in with" in run.stderr
    assert aws.list_users(UserPoolId=pool)["Users"] == []
    listed = cli(*c, "-o", "json", "list-users")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == {"users": []}
