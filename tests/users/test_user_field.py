"""Users as the field meets them (issue 13): status in every user command, resend-invite, a temporary password
for a pending invitation, groups typed with a comma or twice, spreadsheet CSVs, user commands after a pool update.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.config import AppConfig
from cognito_privx.errors import UsageError
from cognito_privx.users import read_csv
from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("emulator")


def _users(aws: Any, pool: str) -> list[dict[str, Any]]:
    pages = aws.get_paginator("list_users").paginate(UserPoolId=pool, Limit=60)
    return [u for p in pages for u in p["Users"]]


# -- status, resend-invite, temporary password -----------------------------------------------------------------


def test_every_user_command_shows_the_status(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    created = cli(*c, "add-user", "dana@example.com", "--group", "ops")
    assert created.exit_code == 0, created.stderr
    assert "+ created dana@example.com  group ops  status FORCE_CHANGE_PASSWORD (invitation sent)" in created.stderr
    again = cli(*c, "add-user", "dana@example.com", "--group", "ops")
    # Later Cognito cannot tell a sent invitation from a suppressed one: both are said.
    unknown = "not signed in yet: invitation sent, or none sent (--no-invite)"
    assert f"= unchanged dana@example.com  status FORCE_CHANGE_PASSWORD ({unknown})" in again.stderr
    doc = json.loads(cli(*c, "-o", "json", "set-group", "dana@example.com", "--group", "dev").stdout)
    assert doc["status"] == "FORCE_CHANGE_PASSWORD"
    assert "status FORCE_CHANGE_PASSWORD" in cli(*c, "disable-user", "dana@example.com").stderr
    assert "status FORCE_CHANGE_PASSWORD" in cli(*c, "enable-user", "dana@example.com").stderr
    assert "status FORCE_CHANGE_PASSWORD" in cli(*c, "remove-user", "dana@example.com", "--yes").stderr


def test_list_users_filters_by_status(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    for email in ("pending@example.com", "active@example.com"):
        assert cli(*c, "add-user", email, "--group", "ops", "--no-invite").exit_code == 0
    aws.admin_set_user_password(UserPoolId=pool, Username="active@example.com", Password="Str0ng!pass", Permanent=True)
    doc = json.loads(cli(*c, "-o", "json", "list-users", "--status", "force_change_password").stdout)
    assert [(u["email"], u["status"]) for u in doc["users"]] == [("pending@example.com", "FORCE_CHANGE_PASSWORD")]
    confirmed = cli(*c, "list-users", "--status", "CONFIRMED")
    assert "active@example.com" in confirmed.stdout and "pending@example.com" not in confirmed.stdout
    bad = cli(*c, "list-users", "--status", "sleeping")
    assert bad.exit_code == 2 and "error: unknown user status 'sleeping'" in bad.stderr


def test_resend_invite_keeps_the_user_and_refuses_a_confirmed_one(
    cli: Any, config_file: Path, aws: Any, pool: str, gateway_calls: list[str]
) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "dana@example.com", "--group", "ops").exit_code == 0
    sub = _users(aws, pool)[0]["Username"]
    gateway_calls.clear()
    run = cli(*c, "-o", "json", "resend-invite", "Dana@Example.com")
    assert run.exit_code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert (doc["outcome"], doc["detail"], doc["status"]) == (
        "updated",
        "invitation sent again",
        "FORCE_CHANGE_PASSWORD",
    )
    assert "admin_create_user" in gateway_calls
    assert [u["Username"] for u in _users(aws, pool)] == [sub]  # the same user, the same sub

    aws.admin_set_user_password(UserPoolId=pool, Username="dana@example.com", Password="Str0ng!pass", Permanent=True)
    done = cli(*c, "resend-invite", "dana@example.com")
    assert done.exit_code == 1
    assert "error: dana@example.com has no pending invitation to resend: status CONFIRMED (signed in)" in done.stderr
    missing = cli(*c, "resend-invite", "nobody@example.com")
    assert missing.exit_code == 1 and "no user nobody@example.com" in missing.stderr


def test_temporary_password_on_a_pending_user_is_set_not_dropped(
    cli: Any, config_file: Path, aws: Any, pool: str, gateway_calls: list[str]
) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "dana@example.com", "--group", "ops").exit_code == 0
    sub = _users(aws, pool)[0]["Username"]
    gateway_calls.clear()
    run = cli(*c, "add-user", "dana@example.com", "--group", "ops", "--temporary-password", "N3w!temporary")
    assert run.exit_code == 0, run.stderr
    assert "~ updated dana@example.com  temporary password set" in run.stderr
    assert "N3w!temporary" not in run.stderr + run.stdout
    assert gateway_calls.count("admin_set_user_password") == 1
    user = aws.admin_get_user(UserPoolId=pool, Username="dana@example.com")
    assert (user["Username"], user["UserStatus"]) == (sub, "FORCE_CHANGE_PASSWORD")  # not permanent

    aws.admin_set_user_password(UserPoolId=pool, Username="dana@example.com", Password="Str0ng!pass", Permanent=True)
    gateway_calls.clear()
    kept = cli(*c, "add-user", "dana@example.com", "--group", "ops", "--temporary-password", "N3w!temporary")
    assert "temporary password not set: the user has signed in already (status CONFIRMED (signed in))" in kept.stderr
    assert "admin_set_user_password" not in gateway_calls


# -- groups -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["dev,ops", "dev ops"])
def test_a_group_with_a_comma_or_a_space_is_refused_even_without_roles(
    cli: Any, tmp_path: Path, aws: Any, group: str
) -> None:
    config = tmp_path / "noroles.toml"
    config.write_text(BASE_CONFIG.split("[roles]")[0])
    run = cli("--config", str(config), "add-user", "a@example.com", "--group", group)
    assert run.exit_code == 2
    assert f"error: group {group!r} is not a valid group name: it holds a comma or a space" in run.stderr


def test_several_groups_are_refused_in_custom_mode(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    run = cli("--config", str(config_file), "add-user", "a@example.com", "-g", "dev", "-g", "ops")
    assert run.exit_code == 2
    assert 'several groups (dev, ops) for one user, but a user has one group when [cognito] group_claim = "custom"' in (
        run.stderr.replace("\n", " ")
    )
    assert _users(aws, pool) == []


def test_several_groups_in_cognito_groups_mode(cli: Any, tmp_path: Path, aws: Any) -> None:
    config = tmp_path / "groups.toml"
    config.write_text(
        BASE_CONFIG.replace(
            'domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx"\ngroup_claim = "cognito:groups"'
        )
    )
    c = ["--config", str(config)]
    assert cli(*c, "setup").exit_code == 0
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    run = cli(*c, "-o", "json", "add-user", "a@example.com", "-g", "dev", "-g", "ops", "--no-invite")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["new_group"] == "dev,ops"
    groups = aws.admin_list_groups_for_user(UserPoolId=pool, Username="a@example.com")["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["dev", "ops"]
    ops = json.loads(cli(*c, "-o", "json", "list-users", "--group", "ops").stdout)["users"]
    assert [u["email"] for u in ops] == ["a@example.com"]
    back = json.loads(cli(*c, "-o", "json", "set-group", "a@example.com", "-g", "dev").stdout)
    assert (back["old_group"], back["new_group"]) == ("dev,ops", "dev")
    groups = aws.admin_list_groups_for_user(UserPoolId=pool, Username="a@example.com")["Groups"]
    assert [g["GroupName"] for g in groups] == ["dev"]


# -- JSON carries data -------------------------------------------------------------------------------------------


def test_user_json_has_old_and_new_group_and_no_line(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file), "-o", "json"]
    created = json.loads(cli(*c, "add-user", "a@example.com", "--group", "ops", "--no-invite").stdout)
    assert "line" not in created and created["new_group"] == "ops"
    moved = json.loads(cli(*c, "set-group", "a@example.com", "--group", "dev").stdout)
    assert (moved["old_group"], moved["new_group"]) == ("ops", "dev")
    assert "line" not in moved


# -- the sandbox's pool after an update --------------------------------------------------------------------------


def test_user_commands_after_a_pool_update_find_the_same_user(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "a@example.com", "--group", "ops", "--no-invite").exit_code == 0
    # Switching deletion protection makes setup send UpdateUserPool (moto 5.2 would drop the username model).
    config_file.write_text(
        BASE_CONFIG.replace('pool_name = "privx-users"', 'pool_name = "privx-users"\ndeletion_protection = false')
    )
    assert cli(*c, "setup").exit_code == 0
    assert aws.describe_user_pool(UserPoolId=pool)["UserPool"]["DeletionProtection"] == "INACTIVE"
    again = cli(*c, "add-user", "A@example.com", "--group", "ops")
    assert again.exit_code == 0 and "= unchanged a@example.com" in again.stderr
    assert len(_users(aws, pool)) == 1


# -- spreadsheet CSVs ----------------------------------------------------------------------------------------------


def _cfg() -> AppConfig:
    return AppConfig.model_validate({"cognito": {"region": "eu-west-1"}, "roles": {"ops": "o", "dev": "d"}})


def _read(tmp_path: Path, content: bytes) -> list[tuple[str, str, str | None, int | None]]:
    path = tmp_path / "users.csv"
    path.write_bytes(content)
    return [(r.email, r.group, r.name, r.line) for r in read_csv(path, _cfg().roles)]


def test_excel_trailing_empty_columns_and_spaced_header_names_are_read(tmp_path: Path) -> None:
    content = (
        b'\xef\xbb\xbf Email , Group ,name,,\r\na@example.com,ops,"Lee, Ann",,\r\n,,,,\r\nb@example.com,dev,,,\r\n'
    )
    assert _read(tmp_path, content) == [
        ("a@example.com", "ops", "Lee, Ann", 2),
        ("b@example.com", "dev", None, 4),
    ]


def test_an_empty_header_cell_before_a_named_one_is_named_by_its_position(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        _read(tmp_path, b"email,,group\na@example.com,x,ops\n")
    assert raised.value.message.endswith("unknown column(s) column 2 (no name)")


def test_a_value_under_an_empty_trailing_header_is_a_bad_row(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        _read(tmp_path, b"email,group,,\na@example.com,ops,,stray\n")
    assert "line 2: more fields than the header names" in (raised.value.hint or "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"email;group;name\na@example.com;ops;A\n", "is separated by semicolons, not commas"),
        ("email,group\na@example.com,ops\n".encode("utf-16"), "is UTF-16, not UTF-8"),
    ],
    ids=["semicolons", "utf-16"],
)
def test_semicolons_and_utf16_keep_a_clear_refusal(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message) as raised:
        _read(tmp_path, content)
    assert "CSV UTF-8 (Comma delimited)" in (raised.value.hint or "")
