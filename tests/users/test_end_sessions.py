"""``end-sessions EMAIL…`` (an administrator's "kick them out now") and ``remove-user`` of a person whose Cognito
user is gone: the PrivX records of that email in our directory are ended all the same (issue 21: a record
``access`` flags ``not-in-cognito`` must not outlive its Cognito user). State asserted: the emulator's valid sessions
and live connections, Cognito's user (unchanged: groups, enabled)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, PrivXEmulator
from tests.support.constants import API_CLIENT_ID
from tests.users.test_offboarding import _add, _live, _signed_in, people

__all__ = ["people"]  # the fixture, used by name


def test_end_sessions_ends_privx_access_and_signs_out_without_changing_the_user(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, "end-sessions", "alice@example.com")
    assert run.exit_code == 0, run.stderr
    assert "alice@example.com" in run.stderr and "signed out (refresh tokens revoked)" in run.stderr
    assert "1 PrivX session ended, 1 connection ended" in run.stderr
    assert _live(emulator, people["alice"]) == (0, 0) and _live(emulator, people["bob"]) == (1, 1)
    user = aws.admin_get_user(UserPoolId=pool, Username="alice@example.com")
    assert user["Enabled"] is True
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["custom:group"] == "ops"
    again = json.loads(cli(*c, "-o", "json", "end-sessions", "alice@example.com", "bob@example.com").stdout)
    by = {r["email"]: r for r in again["results"]}
    assert by["alice@example.com"]["privx_sessions_ended"] == 0 and by["bob@example.com"]["privx_sessions_ended"] == 1
    assert _live(emulator, people["bob"]) == (0, 0)


def test_a_person_without_a_cognito_user_is_ended_by_email_by_end_sessions_and_remove_user(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    # Deleted in the AWS console (or remove-user --keep-sessions): her PrivX record lives on.
    aws.admin_delete_user(UserPoolId=pool, Username="alice@example.com")
    run = cli(*c, "remove-user", "alice@example.com", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "no such user in Cognito (already removed); 1 PrivX session ended, 1 connection ended" in run.stderr
    assert _live(emulator, people["alice"]) == (0, 0) and _live(emulator, people["bob"]) == (1, 1)
    aws.admin_delete_user(UserPoolId=pool, Username="bob@example.com")
    ended = cli(*c, "end-sessions", "bob@example.com")
    assert ended.exit_code == 0, ended.stderr
    assert "no such user in Cognito" in ended.stderr and "1 PrivX session ended" in ended.stderr
    assert _live(emulator, people["bob"]) == (0, 0)
    kept = cli(*c, "remove-user", "carol@example.com", "--yes", "--keep-sessions")
    assert kept.exit_code == 0 and "PrivX" not in kept.stderr


def test_end_sessions_names_a_refused_permission_and_a_re_run_finishes(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"connections-terminate"})
    run = cli(*c, "end-sessions", "alice@example.com")
    assert run.exit_code == 1 and "connections-terminate" in run.stderr and "Traceback" not in run.stderr
    assert _live(emulator, people["alice"]) == (0, 1)
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS)
    assert cli(*c, "end-sessions", "alice@example.com").exit_code == 0
    assert _live(emulator, people["alice"]) == (0, 0)


def test_end_sessions_checks_every_address_before_any_call(
    cli: Any, config_file: Path, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    before = len(emulator.requests)
    run = cli(*c, "end-sessions", "alice@example.com", "not-an-email")
    assert run.exit_code == 2 and "hint:" in run.stderr
    assert len(emulator.requests) == before and _live(emulator, people["alice"]) == (1, 1)
    assert cli(*c, "end-sessions").exit_code == 2


def test_end_sessions_finds_the_user_in_any_capitalisation(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator
) -> None:
    c = ["--config", str(config_file)]
    _add(cli, c, "dave@example.com")
    dave = _signed_in(emulator, aws, pool, "dave@example.com")
    assert cli(*c, "end-sessions", "DAVE@example.com").exit_code == 0
    assert _live(emulator, dave) == (0, 0)
