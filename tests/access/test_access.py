"""``cognito-privx access`` (issue 21, item 3): who has what, and why. A pool built to have one of each mismatch
(moto in-process, the PrivX emulator holding the records of people who signed in): the text table, the JSON and the
CSV report flag exactly those; the rehearsal identity is left out; a PrivX whose ``users/search`` items carry no
``roles`` gives the same answer (each user's roles read instead)."""

from __future__ import annotations

import csv
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from cognito_privx.cli import Seams
from cognito_privx.desired import rehearsal_email
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, REGION
from tests.support.emulator import privx_client

# Who has which mismatch in the pool :func:`mismatched` builds.
EXPECTED = {
    "alice@example.com": {"role-not-in-config"},  # moved ops -> dev in Cognito; PrivX still gives ops-admins
    "bob@example.com": {"role-not-in-config"},  # dev; a hand-made rule gives every dev db-admins as well
    "carol@example.com": {"disabled-with-live-sessions"},  # disabled, with a live session and a connection
    "dave@example.com": {"invitation-expired", "never-signed-in"},  # invited 10 days ago, never came
    "erin@example.com": {"never-signed-in"},  # confirmed in Cognito, never signed in to PrivX
    "frank@example.com": {"not-in-cognito"},  # signed in, then deleted from Cognito: PrivX keeps his record
    "grace@example.com": set(),  # all as it should be
}
WRONG_ROLES = {"alice@example.com": ["ops-admins"], "bob@example.com": ["db-admins"]}


def _sub(aws: Any, pool: str, email: str) -> str:
    user = aws.admin_get_user(UserPoolId=pool, Username=email)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def _directory(emulator: PrivXEmulator) -> str:
    return str(next(s for s in emulator.sources.values() if s["name"] == "Cognito")["id"])


@pytest.fixture
def mismatched(cli: Any, config_file: Path, aws: Any, pool: str, emulator: PrivXEmulator) -> dict[str, Any]:
    """The pool with one of each mismatch (see :data:`EXPECTED`) and the rehearsal identity of group ops."""
    c = ["--config", str(config_file)]
    source = _directory(emulator)
    groups = {
        "alice": "ops",
        "bob": "dev",
        "carol": "ops",
        "dave": "ops",
        "erin": "dev",
        "frank": "ops",
        "grace": "ops",
    }
    for name, group in groups.items():
        run = cli(*c, "add-user", f"{name}@example.com", "--group", group, "--no-invite")
        assert run.exit_code == 0, run.stderr
    rehearsal = rehearsal_email("ops")
    aws.admin_create_user(
        UserPoolId=pool,
        Username=rehearsal,
        UserAttributes=[{"Name": "email", "Value": rehearsal}, {"Name": "custom:group", "Value": "ops"}],
        MessageAction="SUPPRESS",
    )
    for name in ("alice", "bob", "carol", "erin", "frank", "grace"):
        aws.admin_set_user_password(
            UserPoolId=pool, Username=f"{name}@example.com", Password="Pw-12345678!", Permanent=True
        )

    def login(email: str, group: str) -> str:
        return emulator.login_user(source, {"sub": _sub(aws, pool, email), "email": email, "custom:group": group})

    # A role given by a rule the config does not know: every dev also holds db-admins.
    px = privx_client(emulator)
    px.create_role(
        {
            "name": "db-admins",
            "comment": "hand-made",
            "permissions": [],
            "source_rules": {
                "type": "GROUP",
                "match": "ANY",
                "rules": [{"type": "RULE", "source": source, "search_string": "(tags=dev)", "rules": []}],
            },
        }
    )
    login("alice@example.com", "ops")
    assert cli(*c, "set-group", "alice@example.com", "--group", "dev", "--keep-sessions").exit_code == 0
    login("bob@example.com", "dev")
    carol = login("carol@example.com", "ops")
    emulator.open_connection(carol, "db-1")
    assert cli(*c, "disable-user", "carol@example.com", "--keep-sessions").exit_code == 0
    login("frank@example.com", "ops")
    assert cli(*c, "remove-user", "frank@example.com", "--yes", "--keep-sessions").exit_code == 0
    login("grace@example.com", "ops")
    login(rehearsal, "ops")
    # Dave's invitation went out ten days ago (the pool's temporary passwords last 7 days by default).
    moto_pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool]
    dave = next(u for u in moto_pool.users.values() if u.attribute_lookup.get("email") == "dave@example.com")
    dave.last_modified_date = datetime.now(UTC) - timedelta(days=10)
    return {"config": c, "rehearsal": rehearsal, "pool": pool, "source": source}


def _json(cli: Any, c: list[str], *args: str) -> dict[str, Any]:
    run = cli(*c, "-o", "json", "access", *args)
    assert run.exit_code == 0, run.stderr
    document: dict[str, Any] = json.loads(run.stdout)
    return document


def _flags(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {r["email"]: set(r["flags"]) for r in rows}


def test_the_json_flags_exactly_the_mismatches(cli: Any, mismatched: dict[str, Any]) -> None:
    document = _json(cli, mismatched["config"])
    rows = document["rows"]
    assert _flags(rows) == EXPECTED
    by_email = {r["email"]: r for r in rows}
    for email, roles in WRONG_ROLES.items():
        assert by_email[email]["roles_not_in_config"] == roles
    assert by_email["alice@example.com"]["group"] == "dev"
    assert by_email["alice@example.com"]["privx_roles"] == ["ops-admins"]
    assert sorted(by_email["bob@example.com"]["privx_roles"]) == ["db-admins", "developers"]
    carol = by_email["carol@example.com"]
    assert (carol["enabled"], carol["sessions"], carol["connections"]) == (False, 1, 1)
    assert by_email["erin@example.com"]["status"] == "CONFIRMED"
    assert "no PrivX record; Cognito shows them CONFIRMED" in by_email["erin@example.com"]["notes"]
    assert by_email["dave@example.com"]["status_meaning"].startswith("not signed in yet")
    assert by_email["frank@example.com"]["privx_roles"] == ["ops-admins"]
    assert by_email["frank@example.com"]["status"] is None
    assert by_email["grace@example.com"]["mfa"] == "off (pool)"
    summary = document["summary"]
    assert summary["flags"] == {
        "role-not-in-config": 2,
        "disabled-with-live-sessions": 1,
        "invitation-expired": 1,
        "never-signed-in": 2,
        "not-in-cognito": 1,
    }
    assert summary["cognito_users"] == 6 and summary["privx_records"] == 5
    assert summary["calls"]["cognito_reads"] > 0 and summary["calls"]["privx_reads"] > 0
    assert summary["roles_from"] == "search"


def test_the_rehearsal_is_left_out_unless_asked_for(cli: Any, mismatched: dict[str, Any]) -> None:
    rehearsal = mismatched["rehearsal"]
    assert rehearsal not in _flags(_json(cli, mismatched["config"])["rows"])
    shown = _flags(_json(cli, mismatched["config"], "--include-rehearsal")["rows"])
    assert shown == {**EXPECTED, rehearsal: {"rehearsal"}}


def test_the_text_table_shows_each_flag(cli: Any, mismatched: dict[str, Any]) -> None:
    run = cli(*mismatched["config"], "access")
    assert run.exit_code == 0, run.stderr
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if "@" in line}
    assert set(lines) == set(EXPECTED)
    for email, flags in EXPECTED.items():
        for flag in flags:
            assert flag in lines[email], (email, flag, lines[email])
    assert "role-not-in-config" not in lines["grace@example.com"]
    assert "ops-admins" in lines["alice@example.com"]
    assert mismatched["rehearsal"] not in run.stdout
    assert "7 row(s)" in run.stderr and "role-not-in-config: 2" in run.stderr


def test_the_csv_report_flags_the_same_and_is_private(cli: Any, mismatched: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "review.csv"
    run = cli(*mismatched["config"], "access", "--report", str(path))
    assert run.exit_code == 0, run.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    from cognito_privx.access.csv_report import COLUMNS

    assert list(rows[0]) == list(COLUMNS)
    assert {r["email"]: set(filter(None, r["flags"].split(";"))) for r in rows} == EXPECTED
    alice = next(r for r in rows if r["email"] == "alice@example.com")
    assert alice["roles_not_in_config"] == "ops-admins"


def test_group_filters_the_rows(cli: Any, mismatched: dict[str, Any]) -> None:
    rows = _json(cli, mismatched["config"], "--group", "dev")["rows"]
    assert sorted(r["email"] for r in rows) == ["alice@example.com", "bob@example.com", "erin@example.com"]


def test_group_is_compared_and_checked_as_list_users_does(
    cli: Any, mismatched: dict[str, Any], emulator: PrivXEmulator
) -> None:
    c = mismatched["config"]
    folded = cli(*c, "-o", "json", "access", "--group", "DEV")
    assert folded.exit_code == 0, folded.stderr
    rows = json.loads(folded.stdout)["rows"]
    assert sorted(r["email"] for r in rows) == ["alice@example.com", "bob@example.com", "erin@example.com"]
    assert "matched [roles] group dev" in folded.stderr
    listed = cli(*c, "list-users", "--group", "DEV")
    assert listed.exit_code == 0
    # A group outside [roles]: refused, the hint names an option access has; --force looks for it all the same.
    before = len(emulator.requests)
    nope = cli(*c, "access", "--group", "nope")
    assert nope.exit_code == 2 and "--force" in nope.stderr and len(emulator.requests) == before
    forced = cli(*c, "-o", "json", "access", "--group", "nope", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert json.loads(forced.stdout)["rows"] == [], forced.stdout
    for command in ("access", "list-users"):
        empty = cli(*c, command, "--group", "")
        assert empty.exit_code == 2 and "empty" in empty.stderr and "--group  " not in empty.stderr


def _without_roles(emulator: PrivXEmulator) -> httpx.MockTransport:
    """PrivX whose ``users/search`` items carry no ``roles`` (a server that leaves the computed field out)."""

    def handle(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        if request.method == "POST" and request.url.path.endswith("/users/search") and response.status_code == 200:
            body = json.loads(response.read())
            for item in body.get("items") or []:
                item.pop("roles", None)
            return httpx.Response(200, json=body)
        return response

    return httpx.MockTransport(handle)


def test_a_privx_without_roles_in_search_gives_the_same_answer(
    cli: Any, mismatched: dict[str, Any], emulator: PrivXEmulator, seams: Seams
) -> None:
    expected = _json(cli, mismatched["config"])
    seams.privx_transport = _without_roles(emulator)
    document = _json(cli, mismatched["config"])
    assert document["rows"] == expected["rows"]
    assert document["summary"]["roles_from"] == "per user"
    # One roles read per PrivX record of the directory beyond the search itself.
    assert document["summary"]["calls"]["privx_reads"] >= expected["summary"]["calls"]["privx_reads"] + 5


def test_the_json_holds_no_secret(cli: Any, mismatched: dict[str, Any]) -> None:
    run = cli(*mismatched["config"], "-o", "json", "access")
    for secret in (API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, "Pw-12345678!"):
        assert secret not in run.stdout and secret not in run.stderr


def test_mfa_is_read_per_user_when_the_pool_offers_it(
    cli: Any, mismatched: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = mismatched["pool"]
    aws.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    moto_pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool]
    grace = next(u for u in moto_pool.users.values() if u.attribute_lookup.get("email") == "grace@example.com")
    grace.software_token_mfa_enabled = True
    rows = {r["email"]: r for r in _json(cli, mismatched["config"])["rows"]}
    assert rows["grace@example.com"]["mfa"] == "set up (TOTP)"
    assert rows["bob@example.com"]["mfa"] == "not set up"
    assert rows["frank@example.com"]["mfa"] is None  # no Cognito user to ask


def test_a_bad_group_is_refused_before_any_call(cli: Any, mismatched: dict[str, Any], emulator: PrivXEmulator) -> None:
    before = len(emulator.requests)
    run = cli(*mismatched["config"], "access", "--group", "no such group!")
    assert run.exit_code == 2
    assert run.stderr.startswith("error:") and "hint:" in run.stderr
    assert len(emulator.requests) == before


@pytest.mark.parametrize("kind", ["symlink to /dev/null", "fifo", "directory", "config"])
def test_a_report_target_that_is_not_a_plain_file_or_is_the_config_is_refused_before_any_call(
    cli: Any, mismatched: dict[str, Any], emulator: PrivXEmulator, tmp_path: Path, kind: str
) -> None:
    import os

    config = Path(mismatched["config"][1])
    target = tmp_path / "review.csv"
    if kind == "symlink to /dev/null":
        target.symlink_to(os.devnull)
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        target = config
    text = config.read_text()
    before = len(emulator.requests)
    run = cli(*mismatched["config"], "access", "--report", str(target))
    assert run.exit_code == 2, run.stderr
    assert run.stderr.startswith("error:") and "hint:" in run.stderr and "Traceback" not in run.stderr
    assert len(emulator.requests) == before
    if kind == "symlink to /dev/null":
        assert target.is_symlink() and os.readlink(target) == os.devnull
    elif kind == "fifo":
        import stat

        assert stat.S_ISFIFO(os.lstat(target).st_mode)
    elif kind == "config":
        assert "config" in run.stderr and config.read_text() == text
