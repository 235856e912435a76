"""``list-users`` streams (issue 24): each ``ListUsers`` page is printed before the next is asked for, in
Cognito's order, text and ``-o json`` alike; the table's columns are fixed before the first row (values whole in a
pipe, cut with "…" on a terminal)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cognito, render
from cognito_privx.users import UserInfo

pytestmark = pytest.mark.usefixtures("emulator")


def _fill(aws: Any, pool: str, emails: list[str]) -> None:
    for i, email in enumerate(emails):
        aws.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:group", "Value": "ops" if i % 2 else "dev"},
            ],
            MessageAction="SUPPRESS",
        )


def _stdout_so_far() -> str:
    sys.stdout.flush()
    return bytes(sys.stdout.buffer.getvalue()).decode()  # type: ignore[attr-defined]


@pytest.fixture
def stdout_at_each_page(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the command had written to stdout when it asked for each ``ListUsers`` page."""
    seen: list[str] = []
    original = cognito.CognitoGateway.call

    def watching(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        if operation == "list_users":
            seen.append(_stdout_so_far())
        return original(self, operation, **params)

    monkeypatch.setattr(cognito.CognitoGateway, "call", watching)
    return seen


# Not in alphabetical order: the listing keeps Cognito's (moto's: creation order), it does not sort.
EMAILS = [f"{'zam'[i % 3]}{i:03}@example.com" for i in range(150)]


@pytest.mark.parametrize("json_output", [False, True])
def test_each_page_is_printed_before_the_next_is_asked_for(
    cli: Any, config_file: Path, aws: Any, pool: str, stdout_at_each_page: list[str], json_output: bool
) -> None:
    _fill(aws, pool, EMAILS)
    run = cli("--config", str(config_file), *(["-o", "json"] if json_output else []), "list-users")
    assert run.exit_code == 0, run.stderr
    assert len(stdout_at_each_page) == 3  # 60 a page
    for page, before in enumerate(stdout_at_each_page):
        assert [e for e in EMAILS if e in before] == EMAILS[: 60 * page]
    if json_output:
        assert [u["email"] for u in json.loads(run.stdout)["users"]] == EMAILS
    else:
        assert [line.split()[0] for line in run.stdout.splitlines()[1:]] == EMAILS
        assert "150 user(s)" in run.stderr


def test_json_stays_one_document_with_no_user(cli: Any, config_file: Path, pool: str) -> None:
    run = cli("--config", str(config_file), "-o", "json", "list-users")
    assert run.exit_code == 0 and json.loads(run.stdout) == {"users": []}


def _user(email: str, **kw: Any) -> UserInfo:
    fields = {"group": "ops", "status": "CONFIRMED", "enabled": True, "created": "2026-01-02T03:04:05+00:00"}
    return UserInfo(email=email, **{**fields, **kw})


def test_in_a_pipe_columns_are_fixed_and_values_whole() -> None:
    out = io.StringIO()
    long = "a-very-long-address-that-is-longer-than-its-column@example.com"
    with render.UsersTable(out) as table:
        table.row(_user("al@example.com", name="Al"))
        table.row(_user(long, name="Bo", email_verified=False, enabled=False))
        table.row(_user("cy@example.com", name=None, group=None, status="FORCE_CHANGE_PASSWORD"))
    header, first, second, third = out.getvalue().splitlines()
    assert header.split() == ["email", "name", "group", "status", "enabled", "created"]
    assert f"{long} (unverified)" in second and "no" in second.split()  # whole, marked
    for row in (first, third):  # the short rows line up under the header, whatever came before or after
        assert row.index("CONFIRMED" if row is first else "FORCE_CHANGE_PASSWORD") == header.index("status")
        assert row.index("2026-01-02T03:04:05+00:00") == header.index("created")
    assert third.split()[1:3] == ["—", "—"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_long_values_are_cut_and_the_marker_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    out = _Terminal()
    long = "a-very-long-address-that-is-longer-than-its-column@example.com"
    with render.UsersTable(out) as table:
        table.row(_user(long, name="Bo", email_verified=False))
        table.row(_user("al@example.com", name="Al"))
    header, cut, short = out.getvalue().splitlines()
    assert long not in cut and "…" in cut and "(unverified)" in cut
    assert cut.index("CONFIRMED") == short.index("CONFIRMED") == header.index("status")
    assert max(len(line) for line in (header, cut, short)) <= 100
