"""The user lifecycle on moto: add-user, set-group, disable/enable/remove, list-users, import-users.

In-process moto is not thread-safe (its user dict is mutated while another thread iterates it), so imports here
run with ``--workers 1``; concurrency is tested against the sandbox's serialised moto server.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cognito_privx.cli import users as users_cli
from cognito_privx.cognito import CognitoGateway
from cognito_privx.errors import UsageError
from cognito_privx.users import PoolUsers, validate_email
from tests.support.constants import REGION

pytestmark = pytest.mark.usefixtures("emulator")


def _user(aws: Any, pool: str, email: str) -> dict[str, Any] | None:
    try:
        user = aws.admin_get_user(UserPoolId=pool, Username=email)
    except aws.exceptions.UserNotFoundException:
        return None
    return {"attrs": {a["Name"]: a["Value"] for a in user["UserAttributes"]}, "enabled": user["Enabled"]}


def _all_users(aws: Any, pool: str) -> list[str]:
    pages = aws.get_paginator("list_users").paginate(UserPoolId=pool, Limit=60)
    return [next(a["Value"] for a in u["Attributes"] if a["Name"] == "email") for p in pages for u in p["Users"]]


def test_add_user_create_then_unchanged_then_group_change(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, "add-user", "Alice@Example.com", "--group", "ops", "--name", "Alice A", "--no-invite")
    assert run.exit_code == 0, run.stderr
    assert "+ created alice@example.com" in run.stderr
    user = _user(aws, pool, "alice@example.com")
    assert user is not None
    assert user["attrs"]["custom:group"] == "ops"
    assert user["attrs"]["email_verified"] == "true" and user["attrs"]["name"] == "Alice A"

    again = cli(*c, "add-user", "alice@example.com", "--group", "ops")
    assert again.exit_code == 0 and "= unchanged alice@example.com" in again.stderr
    moved = cli(*c, "-o", "json", "add-user", "alice@example.com", "--group", "dev")
    doc = json.loads(moved.stdout)
    assert doc["outcome"] == "updated" and "group: ops → dev" in doc["detail"]
    assert _user(aws, pool, "alice@example.com")["attrs"]["custom:group"] == "dev"  # type: ignore[index]
    assert _all_users(aws, pool) == ["alice@example.com"]


def test_disabled_user_is_reported_not_reenabled(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "bob@example.com", "--group", "ops", "--no-invite").exit_code == 0
    assert "disabled" in cli(*c, "disable-user", "bob@example.com").stderr
    run = cli(*c, "add-user", "bob@example.com", "--group", "ops")
    assert run.exit_code == 0 and "disabled" in run.stderr
    assert _user(aws, pool, "bob@example.com")["enabled"] is False  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add-user", "not-an-email", "--group", "ops"], "not a valid email"),
        (["add-user", "carol@example.com", "--group", "sales"], "unknown group 'sales'"),
        (["add-user", "carol@example.com", "--group", "bad group!"], "not a valid group name"),
        (["add-user", "carol@example.com", "--group", "ops", "--temporary-password", "weak"], "password policy"),
        (
            ["add-user", "carol@example.com", "--group", "ops", "--temporary-password", "Str0ng!pass", "--no-invite"],
            "do not go together",
        ),
        (["set-group", "nope", "--group", "ops"], "not a valid email"),
    ],
)
def test_bad_user_input_exit_2_and_nothing_created(
    cli: Any, config_file: Path, aws: Any, pool: str, args: list[str], message: str
) -> None:
    run = cli("--config", str(config_file), *args)
    assert run.exit_code == 2, run.stderr
    assert message in run.stderr and "hint:" in run.stderr
    assert _all_users(aws, pool) == []


def test_unknown_group_lists_known_ones_and_force_allows_it(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    run = cli("--config", str(config_file), "add-user", "carol@example.com", "--group", "sales")
    assert "dev, ops" in run.stderr
    forced = cli(
        "--config", str(config_file), "add-user", "carol@example.com", "--group", "sales", "--force", "--no-invite"
    )
    assert forced.exit_code == 0
    assert _user(aws, pool, "carol@example.com")["attrs"]["custom:group"] == "sales"  # type: ignore[index]


def test_temporary_password_that_meets_the_policy(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    run = cli(
        "--config",
        str(config_file),
        "add-user",
        "dora@example.com",
        "--group",
        "ops",
        "--temporary-password",
        "Str0ng!pass",
    )
    assert run.exit_code == 0, run.stderr
    assert "Str0ng!pass" not in run.stderr + run.stdout
    assert _user(aws, pool, "dora@example.com") is not None


def test_lifecycle_commands_are_idempotent(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = ["--config", str(config_file)]
    assert cli(*c, "add-user", "erin@example.com", "--group", "ops", "--no-invite").exit_code == 0
    assert (
        "~ updated erin@example.com  group: ops → dev"
        in cli(*c, "set-group", "erin@example.com", "--group", "dev").stderr
    )
    assert "= unchanged" in cli(*c, "set-group", "erin@example.com", "--group", "dev").stderr
    assert "~ updated" in cli(*c, "disable-user", "erin@example.com").stderr
    assert "already disabled" in cli(*c, "disable-user", "erin@example.com").stderr
    assert _user(aws, pool, "erin@example.com")["enabled"] is False  # type: ignore[index]
    assert "~ updated" in cli(*c, "enable-user", "erin@example.com").stderr
    assert "already enabled" in cli(*c, "enable-user", "erin@example.com").stderr
    monkeypatch.setattr(users_cli, "interactive", lambda: True)  # a person answers the confirmation
    refused = cli(*c, "remove-user", "erin@example.com", input="n\n")
    assert refused.exit_code == 2 and _user(aws, pool, "erin@example.com") is not None
    assert "- deleted" in cli(*c, "remove-user", "erin@example.com", input="y\n").stderr
    assert _user(aws, pool, "erin@example.com") is None
    assert "already removed" in cli(*c, "remove-user", "erin@example.com", "--yes").stderr


@pytest.mark.parametrize("command", ["set-group", "disable-user", "enable-user"])
def test_unknown_user_is_a_clear_error(cli: Any, config_file: Path, pool: str, command: str) -> None:
    extra = ["--group", "ops"] if command == "set-group" else []
    run = cli("--config", str(config_file), command, "nobody@example.com", *extra)
    assert run.exit_code == 1
    assert "no user nobody@example.com" in run.stderr


def test_user_commands_before_setup_say_run_setup(cli: Any, config_file: Path, aws: Any) -> None:
    run = cli("--config", str(config_file), "add-user", "a@example.com", "--group", "ops")
    assert run.exit_code == 1 and "cognito-privx setup" in run.stderr


def test_list_users_pages_and_filters(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    for i in range(75):  # more than one page of 60
        aws.admin_create_user(
            UserPoolId=pool,
            Username=f"user{i:03}@example.com",
            UserAttributes=[
                {"Name": "email", "Value": f"user{i:03}@example.com"},
                {"Name": "custom:group", "Value": "ops" if i % 3 == 0 else "dev"},
            ],
            MessageAction="SUPPRESS",
        )
    doc = json.loads(cli("--config", str(config_file), "-o", "json", "list-users").stdout)
    assert len(doc["users"]) == 75
    ops = json.loads(cli("--config", str(config_file), "-o", "json", "list-users", "--group", "ops").stdout)
    assert [u["email"] for u in ops["users"]] == [f"user{i:03}@example.com" for i in range(0, 75, 3)]
    text = cli("--config", str(config_file), "list-users", "--group", "ops")
    assert "user000@example.com" in text.stdout and "25 user(s)" in text.stderr


def _write_csv(path: Path, rows: list[tuple[str, ...]], header: str = "email,group,name") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(header + "\n")
        csv.writer(fh).writerows(rows)
    return path


def test_import_with_a_bad_row_changes_nothing(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    path = _write_csv(
        tmp_path / "users.csv",
        [
            ("a@example.com", "ops", ""),
            ("broken", "ops", ""),
            ("b@example.com", "sales", ""),
            ("A@example.com", "dev", ""),
        ],
    )
    run = cli("--config", str(config_file), "import-users", str(path))
    assert run.exit_code == 2
    assert (
        "line 3" in run.stderr and "line 4" in run.stderr and "line 5" in run.stderr and "also on line 2" in run.stderr
    )
    assert _all_users(aws, pool) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"email,name\na@example.com,A\n", "lacks group"), (b"email,group\n\xff\xfe@x,ops\n", "not UTF-8")],
)
def test_import_bad_file_exit_2(
    cli: Any, config_file: Path, pool: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    run = cli("--config", str(config_file), "import-users", str(path))
    assert run.exit_code == 2 and message in run.stderr


def test_import_500_rows_then_rerun_is_all_unchanged(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    aws.admin_create_user(
        UserPoolId=pool,
        Username="u0007@example.com",
        UserAttributes=[{"Name": "email", "Value": "u0007@example.com"}, {"Name": "custom:group", "Value": "dev"}],
        MessageAction="SUPPRESS",
    )
    path = _write_csv(tmp_path / "users.csv", [(f"u{i:04}@example.com", "ops", f"User {i}") for i in range(500)])
    report = tmp_path / "report.json"
    run = cli(
        "--config",
        str(config_file),
        "-o",
        "json",
        "import-users",
        str(path),
        "--no-invite",
        "--report",
        str(report),
        "--rate",
        "1000",
        "--workers",
        "1",
    )
    assert run.exit_code == 0, run.stderr
    summary = json.loads(run.stdout)["summary"]
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["failed"]) == (499, 1, 0, 0)
    rows = json.loads(report.read_text())["rows"]
    assert next(r for r in rows if r["email"] == "u0007@example.com")["detail"].startswith("group: dev → ops")
    assert sorted(_all_users(aws, pool)) == [f"u{i:04}@example.com" for i in range(500)]

    again = cli(
        "--config", str(config_file), "-o", "json", "import-users", str(path), "--rate", "1000", "--workers", "1"
    )
    assert json.loads(again.stdout)["summary"]["unchanged"] == 500
    assert len(_all_users(aws, pool)) == 500


def test_import_dry_run_changes_nothing(cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "users.csv", [("x@example.com", "ops", "")])
    run = cli("--config", str(config_file), "-o", "json", "import-users", str(path), "--dry-run")
    assert run.exit_code == 0
    assert json.loads(run.stdout)["rows"][0]["detail"].startswith("would create")
    assert _all_users(aws, pool) == []


# -- email addresses (email-validator) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "ann..lee@example.com",
        ".ann@example.com",
        "ann.@example.com",
        "ann lee@example.com",
        "a@example",
        "jürgen@example.com",
    ],
)
def test_invalid_addresses_are_usage_errors(address: str) -> None:
    with pytest.raises(UsageError, match="is not a valid email address") as raised:
        validate_email(address)
    assert raised.value.hint


def test_addresses_are_stripped_and_lower_cased() -> None:
    assert validate_email("  Ann.Lee+privx@Example.COM ") == "ann.lee+privx@example.com"


def test_an_address_longer_than_a_cognito_user_name_is_refused() -> None:
    address = "a" * 60 + "@" + "b" * 63 + ".example"  # 132 characters, valid for email-validator
    with pytest.raises(UsageError, match="longer than 128 characters"):
        validate_email(address)


def test_an_internationalised_domain_is_refused_with_its_punycode_form() -> None:
    """Not converted silently: the address is the user's sign-in name (see validate_email)."""
    with pytest.raises(UsageError) as raised:
        validate_email("Alice@Bücher.example")
    assert "alice@xn--bcher-kva.example" in raised.value.message
    assert "alice@xn--bcher-kva.example" in raised.value.hint
    assert validate_email("alice@xn--bcher-kva.example") == "alice@xn--bcher-kva.example"


@pytest.mark.parametrize("address", ["ann..lee@example.com", ".ann@example.com"])
def test_dotted_addresses_are_refused_before_any_call(
    cli: Any, config_file: Path, aws: Any, gateway_calls: list[str], address: str
) -> None:
    run = cli("--config", str(config_file), "add-user", address, "--group", "ops")
    assert run.exit_code == 2, run.stderr
    assert "is not a valid email address" in run.stderr
    assert gateway_calls == []


# -- paging ---------------------------------------------------------------------------------------------------


def _listed(email: str, group: str) -> dict[str, Any]:
    attributes = [{"Name": "email", "Value": email}, {"Name": "custom:group", "Value": group}]
    return {"Username": f"sub-{email}", "Attributes": attributes, "Enabled": True, "UserStatus": "CONFIRMED"}


def test_list_users_follows_the_pagination_token_and_retries_a_throttled_page() -> None:
    boto = boto3.session.Session(region_name=REGION).client("cognito-idp")
    users = PoolUsers(CognitoGateway(boto), "eu-west-1_Xk3rT9aQp", "custom:group", sleep=lambda _s: None)
    first = {"UserPoolId": "eu-west-1_Xk3rT9aQp", "Limit": 60}
    second = {**first, "PaginationToken": "page-2"}
    seen: list[int] = []
    with Stubber(boto) as stubber:
        stubber.add_response(
            "list_users", {"Users": [_listed("b@example.com", "ops")], "PaginationToken": "page-2"}, first
        )
        stubber.add_client_error("list_users", "TooManyRequestsException", expected_params=second)
        stubber.add_response("list_users", {"Users": [_listed("a@example.com", "dev")]}, second)

        found = users.list(on_page=seen.append)

        stubber.assert_no_pending_responses()
    assert [(u.email, u.group) for u in found] == [("a@example.com", "dev"), ("b@example.com", "ops")]
    assert seen == [1, 2]
    assert users.retries == 1
