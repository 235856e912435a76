"""User commands compare groups the way PrivX's rule matcher does (issue 20, part 3): folded, so that a spelling
of a ``[roles]`` key is refused with the configured one in the hint, a CSV's rows that spell one group two ways
are listed, and ``list-users --group`` finds the users PrivX would give the group's role, saying when it matched
a different spelling. (That these are bad input that changes nothing: ``tests/properties/test_group_spelling.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("emulator")


def _set_group(aws: Any, pool: str, email: str, value: str) -> None:
    """A user whose group attribute was written by hand (the console, another tool) in another spelling."""
    aws.admin_update_user_attributes(
        UserPoolId=pool, Username=email, UserAttributes=[{"Name": "custom:group", "Value": value}]
    )


@pytest.mark.parametrize("spelling", ["OPS", "op\u017f", "\uff4f\uff50\uff53"])
def test_a_spelling_of_a_roles_key_is_refused_with_the_configured_one_in_the_hint(
    cli: Any, config_file: Path, aws: Any, pool: str, spelling: str
) -> None:
    for force in ((), ("--force",)):
        run = cli("--config", str(config_file), "add-user", "a@example.com", "--group", spelling, *force)
        assert run.exit_code == 2, run.stderr
        assert f"group {spelling!r} is the [roles] group 'ops' spelled differently" in run.stderr
        assert "hint: use --group ops" in run.stderr
    assert aws.list_users(UserPoolId=pool)["Users"] == []


def test_csv_rows_spelling_one_group_two_ways_are_listed_with_both_spellings(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    rows = tmp_path / "u.csv"
    rows.write_text("email,group\na@example.com,sales\nb@example.com,ops\nc@example.com,SALES\nd@example.com,Ops\n")
    run = cli("--config", str(config_file), "import-users", str(rows), "--force", "--workers", "1")
    assert run.exit_code == 2, run.stderr
    assert "line 4: group 'SALES' is group 'sales' (line 2) spelled differently" in run.stderr
    assert "line 5: group 'Ops' is the [roles] group 'ops' spelled differently" in run.stderr
    assert aws.list_users(UserPoolId=pool)["Users"] == []


def test_list_users_group_matches_folded_and_says_so(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    c = ["--config", str(config_file)]
    for email, group in (("ann@example.com", "ops"), ("bob@example.com", "ops"), ("cy@example.com", "dev")):
        assert cli(*c, "add-user", email, "--group", group, "--no-invite").exit_code == 0
    _set_group(aws, pool, "bob@example.com", "OPS")  # written by hand: PrivX gives bob ops' role all the same

    run = cli(*c, "-o", "json", "list-users", "--group", "OPS")
    assert run.exit_code == 0, run.stderr
    listed = {u["email"]: u["group"] for u in json.loads(run.stdout)["users"]}
    assert listed == {"ann@example.com": "ops", "bob@example.com": "OPS"}
    assert "--group OPS matched [roles] group ops" in run.stderr

    exact = cli(*c, "-o", "json", "list-users", "--group", "ops")
    assert {u["email"] for u in json.loads(exact.stdout)["users"]} == {"ann@example.com", "bob@example.com"}
    assert "1 user(s) listed have the group spelled otherwise (OPS)" in exact.stderr
