"""Issue 21, the PrivX side of offboarding: disable-user, remove-user, a set-group that takes a group away and the
import rows that do end the person's live PrivX sessions and connections in our directory (after the Cognito
sign-out); --keep-sessions leaves them; a refused step names the PrivX permission, exit 1, and a re-run finishes;
no PrivX credentials: the Cognito part is done, exit 1. The state asserted is the emulator's: valid sessions and
live connections per PrivX user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, PrivXEmulator
from tests.support.constants import API_CLIENT_ID
from tests.support.emulator import privx_client

PASSWORD = "Correct-Horse-9!"


def _add(cli: Any, c: list[str], email: str, group: str = "ops") -> None:
    run = cli(*c, "add-user", email, "--group", group, "--no-invite")
    assert run.exit_code == 0, run.stderr


def _directory(emulator: PrivXEmulator) -> str:
    [source] = [s for s in privx_client(emulator).list_sources() if s.get("name") == "Cognito"]
    return str(source["id"])


def _signed_in(emulator: PrivXEmulator, aws: Any, pool: str, email: str, group: str = "ops") -> str:
    """The person signs in to PrivX through our directory (a session) and opens a connection: their PrivX id."""
    attrs = {a["Name"]: a["Value"] for a in aws.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]}
    user = emulator.login_user(_directory(emulator), {"sub": attrs["sub"], "email": email, "custom:group": group})
    emulator.open_connection(user, "web-1")
    return user


def _live(emulator: PrivXEmulator, user: str) -> tuple[int, int]:
    return len(emulator.valid_sessions(user)), len(emulator.live_connections(user))


@pytest.fixture
def people(cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator) -> dict[str, str]:
    """alice and bob, both signed in to PrivX with a session and a connection each."""
    c = ["--config", str(config_file)]
    found = {}
    for name in ("alice", "bob"):
        _add(cli, c, f"{name}@example.com")
        found[name] = _signed_in(emulator, aws, pool, f"{name}@example.com")
    return found


@pytest.mark.parametrize(
    "command",
    [
        ["disable-user", "alice@example.com"],
        ["remove-user", "alice@example.com", "--yes"],
        ["set-group", "alice@example.com", "--group", "dev"],
    ],
    ids=["disable", "remove", "set-group"],
)
def test_each_command_ends_the_persons_privx_access_and_nobody_elses(
    cli: Any, config_file: Path, emulator: PrivXEmulator, people: dict[str, str], command: list[str]
) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, command[0], *command[1:])
    assert run.exit_code == 0, run.stderr
    assert "signed out (refresh tokens revoked); 1 PrivX session ended, 1 connection ended" in run.stderr
    assert _live(emulator, people["alice"]) == (0, 0)
    assert _live(emulator, people["bob"]) == (1, 1)


def test_json_counts_what_was_ended_and_a_re_run_over_a_disabled_user_ends_it_again(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    doc = json.loads(cli(*c, "-o", "json", "disable-user", "alice@example.com").stdout)
    assert (doc["privx_sessions_ended"], doc["privx_connections_ended"]) == (1, 1)
    # She is disabled; a session opened meanwhile (the refused-run case) is ended by the re-run.
    emulator.open_connection(people["alice"], "web-2")
    again = json.loads(cli(*c, "-o", "json", "disable-user", "alice@example.com").stdout)
    assert again["outcome"] == "unchanged" and again["privx_connections_ended"] == 1
    assert _live(emulator, people["alice"]) == (0, 0)
    enabled = json.loads(cli(*c, "-o", "json", "enable-user", "alice@example.com").stdout)
    assert "privx_sessions_ended" not in enabled and _live(emulator, people["alice"]) == (0, 0)


def test_set_group_without_a_demotion_leaves_privx_alone(
    cli: Any, config_file: Path, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    run = cli(*c, "set-group", "alice@example.com", "--group", "ops")
    assert run.exit_code == 0 and "PrivX" not in run.stderr
    assert _live(emulator, people["alice"]) == (1, 1)


def test_keep_sessions_leaves_privx_sessions_and_connections(
    cli: Any, config_file: Path, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    for command in (
        ["set-group", "alice@example.com", "--group", "dev"],
        ["disable-user", "alice@example.com"],
        ["remove-user", "alice@example.com", "--yes"],
    ):
        run = cli(*c, *command, "--keep-sessions")
        assert run.exit_code == 0, run.stderr
        assert "sessions kept (--keep-sessions)" in run.stderr and "PrivX" not in run.stderr
    assert _live(emulator, people["alice"]) == (1, 1)


@pytest.mark.parametrize(
    "command",
    [
        ["disable-user", "alice@example.com"],
        ["remove-user", "alice@example.com", "--yes"],
        ["set-group", "alice@example.com", "--group", "dev"],
    ],
    ids=["disable", "remove", "set-group"],
)
def test_a_missing_permission_is_named_and_a_re_run_finishes(
    cli: Any,
    config_file: Path,
    aws: Any,
    pool: str,
    emulator: PrivXEmulator,
    people: dict[str, str],
    command: list[str],
) -> None:
    c = ["--config", str(config_file)]
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"connections-terminate"})
    run = cli(*c, *command)
    assert run.exit_code == 1, run.stderr
    assert "connections-terminate" in run.stderr and "Traceback" not in run.stderr
    assert "signed out (refresh tokens revoked)" in run.stderr and "1 PrivX session ended" in run.stderr
    assert _live(emulator, people["alice"]) == (0, 1)  # the sessions part done, the connection still open
    if command[0] == "remove-user":
        assert aws.admin_get_user(UserPoolId=pool, Username="alice@example.com")  # left for the re-run
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS)
    again = cli(*c, *command)
    assert again.exit_code == 0, again.stderr
    assert _live(emulator, people["alice"]) == (0, 0) and _live(emulator, people["bob"]) == (1, 1)


def test_without_privx_credentials_the_cognito_part_is_done_then_exit_1(
    cli: Any,
    config_file: Path,
    aws: Any,
    pool: str,
    emulator: PrivXEmulator,
    people: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = ["--config", str(config_file)]
    for name in ("PRIVX_API_CLIENT_ID", "PRIVX_API_CLIENT_SECRET", "PRIVX_API_OAUTH_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    run = cli(*c, "disable-user", "alice@example.com")
    assert run.exit_code == 1 and "Traceback" not in run.stderr
    assert "alice@example.com is disabled; signed out (refresh tokens revoked)" in run.stderr
    assert "PrivX sessions not ended: no PrivX API credentials" in run.stderr
    assert "PRIVX_API_CLIENT_ID" in run.stderr and "again" in run.stderr
    # The hint names the URL variable too, and no odd advice to keep an offboarded person's sessions.
    assert "PRIVX_API_BASE_URL" in run.stderr and "--keep-sessions" not in run.stderr
    assert aws.admin_get_user(UserPoolId=pool, Username="alice@example.com")["Enabled"] is False
    assert _live(emulator, people["alice"]) == (1, 1)
    # --keep-sessions needs no PrivX at all; nor does a set-group that takes nothing away.
    assert cli(*c, "set-group", "bob@example.com", "--group", "ops").exit_code == 0
    assert cli(*c, "disable-user", "bob@example.com", "--keep-sessions").exit_code == 0


def test_privx_unreachable_is_exit_1_with_what_was_done(
    cli: Any, config_file: Path, emulator: PrivXEmulator, people: dict[str, str], seams: Any
) -> None:
    import httpx

    c = ["--config", str(config_file)]

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    seams.privx_transport = httpx.MockTransport(down)
    run = cli(*c, "disable-user", "alice@example.com")
    assert run.exit_code == 1 and "Traceback" not in run.stderr
    assert "alice@example.com is disabled; signed out (refresh tokens revoked); PrivX sessions not ended" in run.stderr


def test_no_directory_of_this_pool_is_nothing_to_end(
    cli: Any, config_file: Path, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    c = ["--config", str(config_file)]
    px = privx_client(emulator)
    px.request("DELETE", f"/role-store/api/v1/sources/{_directory(emulator)}")
    run = cli(*c, "disable-user", "alice@example.com")
    assert run.exit_code == 0, run.stderr
    assert "no PrivX directory of this pool: nothing to end" in run.stderr


def test_import_ends_the_demoted_rows_access_only_with_one_directory_read(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, tmp_path: Path
) -> None:
    c = ["--config", str(config_file)]
    users = {}
    for i in range(6):
        _add(cli, c, f"u{i}@example.com")
        users[i] = _signed_in(emulator, aws, pool, f"u{i}@example.com")
    csv_file = tmp_path / "users.csv"

    def import_(rows: list[str], *extra: str) -> tuple[Any, int]:
        csv_file.write_text("email,group\n" + "".join(r + "\n" for r in rows))
        before = len(emulator.requests)
        run = cli(*c, "-o", "json", "import-users", str(csv_file), "--workers", "2", "--engine", "api", *extra)
        privx_calls = [r for r in emulator.requests[before:] if not r.path.startswith("/auth/api/v1/oauth")]
        return run, len(privx_calls)

    few, few_calls = import_(["u0@example.com,dev", "u1@example.com,ops"])
    assert few.exit_code == 0, few.stderr
    doc = json.loads(few.stdout)
    assert doc["summary"]["privx_sessions_ended"] == 1 and doc["summary"]["privx_connections_ended"] == 1
    [row0] = [r for r in doc["rows"] if r["email"] == "u0@example.com"]
    assert "1 PrivX session ended, 1 connection ended" in row0["detail"]
    assert _live(emulator, users[0]) == (0, 0) and _live(emulator, users[1]) == (1, 1)
    # Another demoted row among more unchanged rows: the same number of PrivX calls.
    many, many_calls = import_([f"u{i}@example.com,{'dev' if i == 2 else 'ops'}" for i in range(1, 6)])
    assert many.exit_code == 0, many.stderr
    assert many_calls == few_calls
    assert [_live(emulator, users[i]) for i in range(6)] == [(0, 0), (1, 1), (0, 0), (1, 1), (1, 1), (1, 1)]
    kept, _ = import_(["u3@example.com,dev"], "--keep-sessions")
    assert kept.exit_code == 0 and _live(emulator, users[3]) == (1, 1)


def test_a_set_group_re_run_after_a_failed_second_pass_ends_the_session_that_holds_the_old_group(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, people: dict[str, str]
) -> None:
    from cognito_privx.sandbox.emulator import Fault

    c = ["--config", str(config_file)]
    alice = people["alice"]
    # The second pass (after the group change) cannot read her sessions: exit 1, "run the command again".
    path = f"/auth/api/v1/sessionstorage/users/{alice}/sessions"
    emulator.add_fault(Fault(path=path, method="GET", nth=2, times=20, status=500))
    run = cli(*c, "set-group", "alice@example.com", "--group", "dev")
    assert run.exit_code == 1 and "again" in run.stderr and "Traceback" not in run.stderr
    emulator.clear_faults()
    # She signed in between the first pass and the group change: her new session holds the old group.
    _signed_in(emulator, aws, pool, "alice@example.com", group="ops")
    assert _live(emulator, alice) == (1, 1)
    again = cli(*c, "set-group", "alice@example.com", "--group", "dev")
    assert again.exit_code == 0, again.stderr
    assert "= unchanged" in again.stderr
    assert "1 PrivX session ended, 1 connection ended (it held group ops)" in again.stderr
    assert _live(emulator, alice) == (0, 0) and _live(emulator, people["bob"]) == (1, 1)
    # Once she signs in with the new group, a re-run leaves her alone; bob (unchanged, current) is never touched.
    _signed_in(emulator, aws, pool, "alice@example.com", group="dev")
    assert cli(*c, "set-group", "alice@example.com", "--group", "dev").exit_code == 0
    assert _live(emulator, alice) == (1, 1)
    quiet = cli(*c, "set-group", "bob@example.com", "--group", "ops")
    assert quiet.exit_code == 0 and "PrivX" not in quiet.stderr and _live(emulator, people["bob"]) == (1, 1)


def test_an_import_ends_stale_sessions_of_unchanged_rows_only_once_it_read_the_directory(
    cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator, tmp_path: Path
) -> None:
    c = ["--config", str(config_file)]
    ids = {}
    for name in ("u0", "u1"):
        _add(cli, c, f"{name}@example.com", group="dev")
        ids[name] = _signed_in(emulator, aws, pool, f"{name}@example.com", group="ops")  # stale: holds ops
    csv_file = tmp_path / "users.csv"
    csv_file.write_text("email,group\nu0@example.com,dev\nu1@example.com,dev\n")
    before = len(emulator.requests)
    run = cli(*c, "import-users", str(csv_file), "--workers", "1", "--engine", "api")
    assert run.exit_code == 0, run.stderr
    # Nobody demoted: PrivX is not read at all.
    assert [r for r in emulator.requests[before:] if not r.path.startswith("/auth/api/v1/oauth")] == []
    csv_file.write_text("email,group\nu0@example.com,ops\nu1@example.com,dev\n")
    _signed_in(emulator, aws, pool, "u0@example.com", group="dev")
    run = cli(*c, "-o", "json", "import-users", str(csv_file), "--workers", "1", "--engine", "api")
    assert run.exit_code == 0, run.stderr
    # u0 demoted (dev → ops): the directory is read; u1's unchanged row then ends her session holding ops.
    assert _live(emulator, ids["u1"]) == (0, 0)
    [row1] = [r for r in json.loads(run.stdout)["rows"] if r["email"] == "u1@example.com"]
    assert "1 PrivX session ended, 1 connection ended (it held group ops)" in row1["detail"]
